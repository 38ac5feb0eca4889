//! The by-hand curl walkthrough in `docs/walkthrough.sh` (quoted by the README and the
//! workshop handout) still works, step by step, against a real provider.

use crate::helpers::spawn_provider;

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
