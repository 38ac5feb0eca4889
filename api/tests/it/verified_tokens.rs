//! Remembered JWT access tokens (`JWT_CACHE_ENTRIES`): a token sent again skips the
//! signature check, and nothing else RFC 9068 §4 asks for gets weaker.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use shared::jose::JwkSet;

use crate::helpers::{Signer, now, spawn_api, spawn_authorization_server, spawn_both};

const SCOPE: &str = "notes:read notes:write";

#[tokio::test]
async fn a_remembered_token_is_refused_once_its_exp_has_passed() {
    let (issuer, api) = spawn_both().await;
    // Expires (with the API's 30 s of clock leeway) two seconds from now.
    let leeway = api::access_token::CLOCK_SKEW_SECONDS;
    let exp = now() + 2 - leeway;
    let mut claims = issuer.claims(&api.url, "user1", SCOPE);
    claims["exp"] = json!(exp);
    let token = issuer.signer.sign(&issuer.signer.header(), &claims);
    assert_eq!(api.list_notes(&token).await.status(), StatusCode::OK);
    assert_eq!(api.app.verified_tokens.len(), 1, "the token is remembered");

    while now() < exp + leeway {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    api.assert_refused(&token).await;
    assert!(api.app.verified_tokens.is_empty(), "and then forgotten");
}

#[tokio::test]
async fn a_token_signed_by_a_key_not_in_the_jwks_is_refused_even_when_its_twin_was_remembered() {
    let (issuer, api) = spawn_both().await;
    let claims = issuer.claims(&api.url, "user1", SCOPE);
    let genuine = issuer.signer.sign(&issuer.signer.header(), &claims);
    assert_eq!(api.list_notes(&genuine).await.status(), StatusCode::OK);

    // The same header (same `kid`) and the very same claims (same `jti`), signed by a key
    // the issuer never published.
    let attacker = Signer::es256("key-1");
    let forged = attacker.sign(&attacker.header(), &claims);
    assert_ne!(forged, genuine);
    api.assert_refused(&forged).await;
}

#[tokio::test]
async fn a_remembered_token_is_refused_once_its_key_is_dropped_from_the_jwks() {
    let issuer = spawn_authorization_server(Signer::es256("key-1")).await;
    let api = spawn_api(&issuer.issuer, &[]).await;
    let old = issuer.token(&api.url, "user1", SCOPE);
    assert_eq!(api.list_notes(&old).await.status(), StatusCode::OK);
    assert_eq!(api.list_notes(&old).await.status(), StatusCode::OK);

    // The issuer rotates key-1 out; a token under the new key makes the API refetch.
    let rotated = Signer::ed25519("key-2");
    *issuer.state.jwks.lock().expect("not poisoned") = JwkSet {
        keys: vec![rotated.jwk()],
    };
    let new = rotated.sign(&rotated.header(), &issuer.claims(&api.url, "user1", SCOPE));
    assert_eq!(api.list_notes(&new).await.status(), StatusCode::OK);

    // As without the cache: a key the API no longer holds signs nothing it accepts.
    api.assert_refused(&old).await;
}

#[tokio::test]
async fn a_key_added_to_the_jwks_leaves_remembered_tokens_valid() {
    let (issuer, api) = spawn_both().await;
    let old = issuer.token(&api.url, "user1", SCOPE);
    assert_eq!(api.list_notes(&old).await.status(), StatusCode::OK);

    let added = Signer::ed25519("key-2");
    issuer.publish(added.jwk());
    let new = added.sign(&added.header(), &issuer.claims(&api.url, "user2", SCOPE));
    assert_eq!(api.list_notes(&new).await.status(), StatusCode::OK);

    assert_eq!(api.list_notes(&old).await.status(), StatusCode::OK);
    assert_eq!(api.app.verified_tokens.len(), 2);
}

#[tokio::test]
async fn the_cache_never_holds_more_tokens_than_jwt_cache_entries() {
    let issuer = spawn_authorization_server(Signer::es256("key-1")).await;
    let api = spawn_api(&issuer.issuer, &[("JWT_CACHE_ENTRIES", "3")]).await;
    for user in 0..6 {
        let token = issuer.token(&api.url, &format!("user{user}"), SCOPE);
        // Every token is still accepted; only the first three are remembered.
        assert_eq!(api.list_notes(&token).await.status(), StatusCode::OK);
        assert!(api.app.verified_tokens.len() <= 3);
    }
    assert_eq!(api.app.verified_tokens.len(), 3);
}

#[tokio::test]
async fn jwt_cache_entries_zero_remembers_nothing_and_still_accepts_good_tokens() {
    let issuer = spawn_authorization_server(Signer::es256("key-1")).await;
    let api = spawn_api(&issuer.issuer, &[("JWT_CACHE_ENTRIES", "0")]).await;
    let token = issuer.token(&api.url, "user1", SCOPE);
    for _ in 0..2 {
        assert_eq!(api.list_notes(&token).await.status(), StatusCode::OK);
    }
    assert!(api.app.verified_tokens.is_empty());
}

#[tokio::test]
async fn a_refused_token_is_never_remembered() {
    let (issuer, api) = spawn_both().await;
    let token = issuer.token(&issuer.issuer, "user1", SCOPE);
    api.assert_refused(&token).await;
    assert!(api.app.verified_tokens.is_empty());
}

#[tokio::test]
async fn a_remembered_token_still_needs_the_scope_of_each_route() {
    let (issuer, api) = spawn_both().await;
    let token = issuer.token(&api.url, "user1", "notes:read");
    assert_eq!(api.list_notes(&token).await.status(), StatusCode::OK);
    assert_eq!(api.app.verified_tokens.len(), 1);
    let response = api.add_note(&token, "not allowed").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}
