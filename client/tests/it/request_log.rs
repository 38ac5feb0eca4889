//! The client's request log has the provider's shape: every response announces its request
//! id in `X-Request-Id`, the id its log line (and any line written while answering it)
//! carries, so a learner can find one request in the client's terminal.

use testkit::{Browser, spawn_provider_and_client};

#[tokio::test]
async fn every_client_response_names_its_own_request_id_for_the_log() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    let mut ids = Vec::new();
    for path in ["/", "/flow", "/no-such-page"] {
        let response = browser
            .http
            .get(apps.client_url(path))
            .send()
            .await
            .expect("answers");
        let id = response
            .headers()
            .get("x-request-id")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_else(|| panic!("{path}: no X-Request-Id"))
            .to_owned();
        assert_eq!(id.len(), 22, "{path}: 128 bits in base64url: {id}");
        assert!(
            id.bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_')),
            "{path}: {id}"
        );
        ids.push(id);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "each request has an id of its own");
}
