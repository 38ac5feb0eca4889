//! Finding the authorization server's metadata: RFC 8414 §3 first and, when that document
//! is missing, OpenID Connect Discovery 1.0 §4 (RFC 8414 §5), with `issuer` checked in both.

use reqwest::StatusCode;

use crate::helpers::{MetadataAt, Signer, spawn_api, spawn_authorization_server_with_metadata_at};

#[tokio::test]
async fn a_provider_that_publishes_only_openid_configuration_is_found_there() {
    let issuer =
        spawn_authorization_server_with_metadata_at(Signer::es256("key-1"), MetadataAt::OpenId)
            .await;
    let api = spawn_api(&issuer.issuer, &[]).await;
    let token = issuer.token(&api.url, "user1", "notes:read");
    assert_eq!(api.list_notes(&token).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_openid_configuration_naming_another_issuer_is_not_believed() {
    // OpenID Connect Discovery 1.0 §4.3: the `issuer` "MUST be identical to the Issuer URL
    // that was used as the prefix to /.well-known/openid-configuration".
    let issuer =
        spawn_authorization_server_with_metadata_at(Signer::es256("key-1"), MetadataAt::OpenId)
            .await;
    *issuer.state.metadata_issuer.lock().expect("not poisoned") =
        Some("https://impostor.example".into());
    let api = spawn_api(&issuer.issuer, &[]).await;
    let token = issuer.token(&api.url, "user1", "notes:read");
    assert_eq!(
        api.list_notes(&token).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
}
