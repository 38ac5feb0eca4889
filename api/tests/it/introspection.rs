//! RFC 7662: opaque access tokens, checked at the authorization server.

use std::sync::atomic::Ordering;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Signer, now, spawn_api, spawn_authorization_server, spawn_both};

fn active(api_url: &str, sub: &str) -> Value {
    json!({
        "active": true,
        "token_type": "access_token",
        "scope": "notes:read notes:write",
        "client_id": "testclient",
        "sub": sub,
        "aud": api_url,
        "exp": now() + 300,
    })
}

#[tokio::test]
async fn an_active_opaque_token_reads_and_writes_the_subjects_notes() {
    let (issuer, api) = spawn_both().await;
    issuer.answer_introspection("opaque-1", active(&api.url, "user1"));
    assert_eq!(
        api.add_note("opaque-1", "via introspection").await.status(),
        StatusCode::CREATED
    );
    let notes: Value = api.list_notes("opaque-1").await.json().await.expect("JSON");
    assert_eq!(notes[0]["text"], "via introspection");
    assert_eq!(api.app.notebook.list("user1").len(), 1);
}

#[tokio::test]
async fn an_inactive_opaque_token_is_refused_whatever_else_the_answer_says() {
    let (issuer, api) = spawn_both().await;
    api.assert_refused("never-issued").await;
    // `active: false` decides, even next to claims that would otherwise pass.
    let mut revoked = active(&api.url, "user1");
    revoked["active"] = json!(false);
    issuer.answer_introspection("revoked", revoked);
    api.assert_refused("revoked").await;
}

#[tokio::test]
async fn an_opaque_token_for_another_audience_or_a_refresh_token_is_refused() {
    let (issuer, api) = spawn_both().await;
    let mut elsewhere = active(&api.url, "user1");
    elsewhere["aud"] = json!(issuer.issuer);
    issuer.answer_introspection("for-the-provider", elsewhere);
    api.assert_refused("for-the-provider").await;

    let mut refresh = active(&api.url, "user1");
    refresh["token_type"] = json!("refresh_token");
    issuer.answer_introspection("a-refresh-token", refresh);
    api.assert_refused("a-refresh-token").await;
}

#[tokio::test]
async fn an_introspection_answer_is_reused_until_the_cache_ttl_and_then_asked_again() {
    let (issuer, api) = spawn_both().await;
    issuer.answer_introspection("opaque-1", active(&api.url, "user1"));
    for _ in 0..3 {
        assert_eq!(api.list_notes("opaque-1").await.status(), StatusCode::OK);
    }
    assert_eq!(issuer.state.introspections.load(Ordering::SeqCst), 1);
    // The cache keeps answers by hash, never the token itself.
    assert_eq!(api.app.introspection_cache.len(), 1);

    let uncached = spawn_api(&issuer.issuer, &[("INTROSPECTION_CACHE_TTL", "0")]).await;
    issuer.answer_introspection("opaque-2", active(&uncached.url, "user1"));
    for _ in 0..2 {
        uncached.list_notes("opaque-2").await;
    }
    assert_eq!(issuer.state.introspections.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn the_api_authenticates_with_its_own_credentials_and_says_503_when_refused() {
    let issuer = spawn_authorization_server(Signer::es256("key-1")).await;
    let api = spawn_api(&issuer.issuer, &[("API_CLIENT_SECRET", "wrong")]).await;
    issuer.answer_introspection("opaque-1", active(&api.url, "user1"));
    let response = api.list_notes("opaque-1").await;
    // Not the token's fault: the API cannot ask, so it does not say "invalid_token".
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn an_answer_naming_another_issuer_or_a_past_exp_is_refused() {
    let (issuer, api) = spawn_both().await;
    let mut foreign = active(&api.url, "user1");
    foreign["iss"] = json!("https://elsewhere.example");
    issuer.answer_introspection("foreign", foreign);
    api.assert_refused("foreign").await;

    let mut expired = active(&api.url, "user1");
    expired["exp"] = json!(now() - 1);
    issuer.answer_introspection("expired", expired);
    api.assert_refused("expired").await;
}
