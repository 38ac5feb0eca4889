//! RFC 7662 (token introspection): an authenticated client asks whether a token is active
//! and what it allows; any token that is not active gets exactly `{"active": false}`.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use testkit::{
    CLIENT_ID, PUBLIC_CLIENT_ID, TestProvider, assert_json_error, header_value, spawn_provider,
    spawn_provider_with, token_pair,
};

/// The introspection answer for `token`, asked by the confidential client.
async fn introspect(provider: &TestProvider, token: &str) -> serde_json::Value {
    let response = provider
        .post_as_client("/oauth/introspect", &[("token", token)])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.expect("JSON")
}

#[tokio::test]
async fn an_active_access_token_is_described_in_full() {
    let provider = spawn_provider().await;
    let (access, _) = token_pair(&provider.user_tokens().await);
    let body = introspect(&provider, &access).await;
    assert_eq!(body["active"], true);
    assert_eq!(body["scope"], "profile:read teams:read");
    assert_eq!(body["client_id"], CLIENT_ID);
    assert_eq!(body["username"], "demo");
    assert_eq!(body["token_type"], "access_token");
    assert_eq!(body["sub"], "user1");
    assert_eq!(body["iss"], provider.issuer.as_str());
    let exp = body["exp"].as_u64().expect("exp");
    let iat = body["iat"].as_u64().expect("iat");
    assert!(
        (3599..=3601).contains(&(exp - iat)),
        "exp is an hour after iat"
    );
}

#[tokio::test]
async fn an_active_refresh_token_says_it_is_one() {
    let provider = spawn_provider().await;
    let (_, refresh) = token_pair(&provider.user_tokens().await);
    let body = introspect(&provider, &refresh).await;
    assert_eq!(body["active"], true);
    assert_eq!(body["token_type"], "refresh_token");
}

#[tokio::test]
async fn a_client_credentials_token_names_the_client_as_subject() {
    let provider = spawn_provider().await;
    let tokens = provider.client_token(None).await;
    let body = introspect(&provider, tokens.access_token.expose()).await;
    assert_eq!(body["active"], true);
    assert_eq!(body["client_id"], CLIENT_ID);
    assert_eq!(body["sub"], CLIENT_ID);
    assert!(body.get("username").is_none(), "{body}");
}

#[tokio::test]
async fn an_unknown_token_is_exactly_active_false() {
    let provider = spawn_provider().await;
    let body = introspect(&provider, "no-such-token").await;
    assert_eq!(body, json!({"active": false}));
}

#[tokio::test]
async fn a_revoked_token_is_exactly_active_false() {
    let provider = spawn_provider().await;
    let (access, _) = token_pair(&provider.user_tokens().await);
    assert_eq!(provider.revoke(&access).await.status(), StatusCode::OK);
    let body = introspect(&provider, &access).await;
    assert_eq!(body, json!({"active": false}));
}

#[tokio::test]
async fn an_expired_access_token_is_inactive_and_refused_by_the_resource_server() {
    let provider = spawn_provider_with(&[("ACCESS_TOKEN_TTL", "1")]).await;
    let (access, _) = token_pair(&provider.user_tokens().await);
    provider.clock.advance(Duration::from_millis(1200));
    let body = introspect(&provider, &access).await;
    assert_eq!(body, json!({"active": false}));
    let protected = provider.get_with_token("/protected", &access).await;
    assert_eq!(protected.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn introspection_without_client_authentication_is_401_invalid_client() {
    let provider = spawn_provider().await;
    let (access, _) = token_pair(&provider.user_tokens().await);
    let response = provider
        .api
        .post(provider.url("/oauth/introspect"))
        .form(&[("token", access.as_str())])
        .send()
        .await
        .expect("answers");
    assert!(header_value(&response, "www-authenticate").is_some_and(|c| c.starts_with("Basic")));
    let body = assert_json_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
    assert!(
        body.get("active").is_none(),
        "nothing about the token leaks"
    );
}

#[tokio::test]
async fn introspection_with_a_wrong_secret_is_401_invalid_client() {
    let provider = spawn_provider().await;
    let (access, _) = token_pair(&provider.user_tokens().await);
    let response = provider
        .api
        .post(provider.url("/oauth/introspect"))
        .basic_auth(CLIENT_ID, Some("wrong-secret"))
        .form(&[("token", access.as_str())])
        .send()
        .await
        .expect("answers");
    assert_json_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn the_public_client_may_not_introspect() {
    let provider = spawn_provider().await;
    let (access, _) = token_pair(&provider.public_client_tokens().await);
    let response = provider
        .api
        .post(provider.url("/oauth/introspect"))
        .form(&[("token", access.as_str()), ("client_id", PUBLIC_CLIENT_ID)])
        .send()
        .await
        .expect("answers");
    assert_json_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn introspection_without_token_is_invalid_request() {
    let provider = spawn_provider().await;
    let response = provider.post_as_client("/oauth/introspect", &[]).await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
}
