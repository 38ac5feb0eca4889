//! The machine-to-machine example (`cargo run -p client --example service`, RFC 6749 §4.4,
//! RFC 7009): run for real against a provider, it shows every step and masks every secret.

use std::net::TcpListener;

use testkit::spawn_provider_on;

/// The example's binary, built by `cargo test` beside this test binary.
fn example_binary() -> std::path::PathBuf {
    let test_binary = std::env::current_exe().expect("the test binary knows its path");
    let deps = test_binary
        .parent()
        .expect("the test binary lives in target/<profile>/deps");
    deps.parent()
        .expect("deps lives in target/<profile>")
        .join("examples")
        .join("service")
}

#[tokio::test]
async fn the_service_example_gets_a_token_calls_the_resource_revokes_and_is_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let provider = format!("http://{}", listener.local_addr().expect("bound"));
    let secret = "service-secret-for-the-test";
    let _provider = spawn_provider_on(
        listener,
        "http://localhost:3000/callback",
        &[("CLIENT_SECRET", secret)],
    );
    let binary = example_binary();
    assert!(
        binary.exists(),
        "cargo test builds examples: {}",
        binary.display()
    );
    let provider_url = provider.clone();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(binary)
            .env("AUTH_SERVER", &provider_url)
            .env("ISSUER", &provider_url)
            .env("CLIENT_SECRET", secret)
            .output()
    })
    .await
    .expect("the blocking task ran")
    .expect("the example runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    for step in [
        "1. Discover",
        "2. Ask for a token",
        "3. Call the protected resource",
        "4. Revoke the token",
        "5. The revoked token is refused",
    ] {
        assert!(stdout.contains(step), "missing {step:?}:\n{stdout}");
    }
    assert!(
        stdout.contains("grant_type=client_credentials"),
        "form-encoded, not JSON"
    );
    assert!(
        stdout.contains("\"accessed_by\": \"testclient\""),
        "{stdout}"
    );
    let statuses: Vec<&str> = stdout
        .lines()
        .filter(|line| {
            line.strip_prefix("   < ").is_some_and(|status| {
                status.len() == 3 && status.bytes().all(|b| b.is_ascii_digit())
            })
        })
        .collect();
    assert_eq!(
        statuses,
        ["   < 200", "   < 200", "   < 200", "   < 200", "   < 401"],
        "{stdout}"
    );
    assert!(!stdout.contains(secret), "the client secret is masked");
    let token_line = stdout
        .lines()
        .find(|line| line.contains("\"access_token\""))
        .expect("the token response is shown");
    assert!(
        token_line.contains('…'),
        "the access token is masked: {token_line}"
    );
}
