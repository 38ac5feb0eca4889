//! The by-hand curl walkthrough in `docs/walkthrough.sh` (quoted by the README and the
//! workshop handout) still works, step by step, against a real provider.

use testkit::{spawn_provider, spawn_provider_with};

#[tokio::test]
async fn the_documented_curl_walkthrough_completes_the_flow() {
    let provider = spawn_provider().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/walkthrough.sh");
    let base = provider.base.clone();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("bash")
            .arg(script)
            .env("PROVIDER", base)
            .output()
    })
    .await
    .expect("the blocking task ran")
    .expect("bash runs the walkthrough (it needs curl and openssl)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the walkthrough failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("HTTP 200: the login page"), "{stdout}");
    assert!(stdout.contains("\"token_type\":\"Bearer\""), "{stdout}");
    assert!(stdout.contains("\"username\":\"demo\""), "{stdout}");
    assert!(stdout.contains("\"role\":\"admin\""), "{stdout}");
    assert!(
        stdout.contains("invalid_grant"),
        "the replayed code is refused: {stdout}"
    );
    assert!(
        stdout.trim_end().ends_with("{\"active\":false}"),
        "and its tokens are dead: {stdout}"
    );
}

#[tokio::test]
async fn the_walkthrough_stops_at_a_429_saying_how_long_to_wait_and_never_prints_an_empty_token() {
    // One login a minute: the second walk's login step is refused with 429.
    let provider =
        spawn_provider_with(&[("RATE_LIMIT", "on"), ("RATE_LIMIT_LOGIN_PER_MINUTE", "1")]).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/walkthrough.sh");
    let run = |args: &'static [&'static str]| {
        let base = provider.base.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new("bash")
                .arg(script)
                .args(args)
                .env("PROVIDER", base)
                .output()
                .expect("bash runs the walkthrough")
        })
    };
    let first = run(&["--token", "profile:read"]).await.expect("ran");
    assert!(first.status.success(), "{first:?}");
    assert!(!String::from_utf8_lossy(&first.stdout).trim().is_empty());

    let second = run(&["--token", "profile:read"]).await.expect("ran");
    let stdout = String::from_utf8_lossy(&second.stdout);
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{stdout}\n{stderr}");
    assert_eq!(stdout.trim(), "", "no token, not even an empty line");
    assert!(
        stderr.contains("step 3") && stderr.contains("HTTP 429") && stderr.contains("wait "),
        "{stderr}"
    );

    let full = run(&[]).await.expect("ran");
    let stdout = String::from_utf8_lossy(&full.stdout);
    assert_eq!(full.status.code(), Some(1));
    assert!(!stdout.contains("== 4."), "it stopped at step 3: {stdout}");
}
