//! Exercise 1: add a scope `settings:read` and its API `GET /api/user/settings`, answering
//! `{"theme": "light"}` (any JSON object with a `theme`) to a token with that scope.
#![cfg(feature = "ex01")]

use testkit::{AuthorizationRequest, spawn_provider};

#[tokio::test]
async fn ex01_the_new_scope_is_advertised_granted_and_enforced() {
    let provider = spawn_provider().await;
    let metadata: serde_json::Value = provider
        .api
        .get(provider.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    let scopes = metadata["scopes_supported"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        scopes.iter().any(|scope| scope == "settings:read"),
        "the metadata should list settings:read in scopes_supported (hint: shared/src/scope.rs)"
    );
    let request = AuthorizationRequest {
        scope: Some("profile:read settings:read".into()),
        ..AuthorizationRequest::default()
    };
    let code = provider
        .authorize(&request)
        .await
        .param("code")
        .expect("a code: was the scope accepted?");
    let tokens: shared::token::TokenResponse = provider
        .exchange_code(&code)
        .await
        .json()
        .await
        .expect("tokens");
    assert!(
        tokens.scope.contains("settings:read"),
        "the token should carry settings:read"
    );
    let settings = provider
        .get_with_token("/api/user/settings", tokens.access_token.expose())
        .await;
    assert_eq!(
        settings.status(),
        200,
        "GET /api/user/settings with the scope should answer 200"
    );
    let body: serde_json::Value = settings.json().await.expect("a JSON body");
    assert!(
        body["theme"].is_string(),
        "the settings should have a theme: {body}"
    );
    let without = provider.user_tokens_with_scope("profile:read").await;
    let refused = provider
        .get_with_token("/api/user/settings", without.access_token.expose())
        .await;
    assert_eq!(
        refused.status(),
        403,
        "a token without settings:read should get 403 insufficient_scope"
    );
}
