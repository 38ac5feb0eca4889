//! Starting the API: bad settings stop it with the key named; an authorization server
//! that cannot be reached is 503 (the API's problem), never `invalid_token` (the caller's).

use std::process::Command;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Signer, spawn_api};

#[test]
fn a_bad_setting_stops_the_binary_with_one_line_naming_the_key() {
    let output = Command::new(env!("CARGO_BIN_EXE_api"))
        .env("DOTENV", "off")
        .env("API_URL", "localhost:8082")
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("API_URL=\"localhost:8082\""), "{stderr}");
}

#[tokio::test]
async fn an_unreachable_authorization_server_is_503_not_invalid_token() {
    // A port that was free a moment ago: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let nowhere = format!("http://{}", closed.local_addr().expect("bound"));
    drop(closed);
    let api = spawn_api(&nowhere, &[]).await;
    let signer = Signer::es256("key-1");
    let token = signer.sign(&signer.header(), &serde_json::json!({"sub": "user1"}));
    for token in [token.as_str(), "opaque"] {
        let response = api.list_notes(token).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body["error"], "temporarily_unavailable");
    }
}

#[tokio::test]
async fn metadata_naming_another_issuer_than_auth_server_is_not_believed() {
    // RFC 8414 §3.3: the `issuer` in the document must be the one the URL was built from.
    // Same server, another spelling: `localhost` for `127.0.0.1`.
    let issuer = crate::helpers::spawn_authorization_server(Signer::es256("key-1")).await;
    let other_spelling = issuer.issuer.replace("127.0.0.1", "localhost");
    let api = spawn_api(&other_spelling, &[]).await;
    let token = issuer.token(&api.url, "user1", "notes:read");
    assert_eq!(
        api.list_notes(&token).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
}
