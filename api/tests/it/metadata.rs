//! RFC 9728: the protected resource metadata document.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::spawn_both;

#[tokio::test]
async fn the_metadata_names_the_resource_its_authorization_server_scopes_and_header_only() {
    let (issuer, api) = spawn_both().await;
    let response = api
        .http
        .get(format!("{}/.well-known/oauth-protected-resource", api.url))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    let document: Value = response.json().await.expect("JSON");
    assert_eq!(
        document,
        json!({
            "resource": api.url,
            "authorization_servers": [issuer.issuer],
            "scopes_supported": ["notes:read", "notes:write"],
            "bearer_methods_supported": ["header"],
        })
    );
}
