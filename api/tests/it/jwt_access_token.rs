//! RFC 9068 §4: each way a JWT access token can be wrong is refused with 401
//! `invalid_token` and the RFC 9728 challenge (RFC 8725's attacks included).

use std::sync::atomic::Ordering;

use reqwest::StatusCode;
use ring::hmac;
use serde_json::json;
use shared::jose::{JwkSet, base64url_encode};

use crate::helpers::{Signer, now, spawn_api, spawn_authorization_server, spawn_both};

const SCOPE: &str = "notes:read notes:write";

#[tokio::test]
async fn an_unsigned_token_alg_none_is_refused() {
    let (issuer, api) = spawn_both().await;
    let header = json!({"typ": "at+jwt", "alg": "none", "kid": "key-1"});
    let claims = issuer.claims(&api.url, "user1", SCOPE);
    let token = format!(
        "{}.{}.",
        base64url_encode(header.to_string()),
        base64url_encode(claims.to_string())
    );
    api.assert_refused(&token).await;
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_as_the_secret_is_refused() {
    // Algorithm confusion: a verifier that lets the header pick the algorithm would take
    // the published (public) RSA key as an HMAC secret, and anyone can compute that MAC.
    let issuer = spawn_authorization_server(Signer::rs256("rsa-1")).await;
    let api = spawn_api(&issuer.issuer, &[]).await;
    let public_key = serde_json::to_vec(&issuer.signer.jwk()).expect("a JWK serialises");
    let header = json!({"typ": "at+jwt", "alg": "HS256", "kid": "rsa-1"});
    let input = format!(
        "{}.{}",
        base64url_encode(header.to_string()),
        base64url_encode(issuer.claims(&api.url, "user1", SCOPE).to_string())
    );
    let mac = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, &public_key),
        input.as_bytes(),
    );
    api.assert_refused(&format!("{input}.{}", base64url_encode(mac.as_ref())))
        .await;
}

#[tokio::test]
async fn a_token_carrying_the_attackers_own_key_in_its_jwk_header_is_refused() {
    let (issuer, api) = spawn_both().await;
    let attacker = Signer::es256("key-1");
    let mut header = attacker.header();
    header["jwk"] = serde_json::to_value(attacker.jwk()).expect("a JWK serialises");
    let token = attacker.sign(&header, &issuer.claims(&api.url, "user1", SCOPE));
    api.assert_refused(&token).await;
}

#[tokio::test]
async fn a_jku_header_pointing_at_the_attackers_key_set_is_refused_and_never_fetched() {
    let (issuer, api) = spawn_both().await;
    let attacker = Signer::es256("attacker-key");
    *issuer.state.attacker_jwks.lock().expect("not poisoned") = JwkSet {
        keys: vec![attacker.jwk()],
    };
    let mut header = attacker.header();
    header["jku"] = json!(format!("{}/attacker/jwks", issuer.issuer));
    let token = attacker.sign(&header, &issuer.claims(&api.url, "user1", SCOPE));
    api.assert_refused(&token).await;
    assert_eq!(issuer.state.attacker_fetches.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_unknown_kid_is_refused_and_refetches_the_key_set_at_most_once_per_floor() {
    let issuer = spawn_authorization_server(Signer::es256("key-1")).await;
    let api = spawn_api(&issuer.issuer, &[("JWKS_REFRESH_FLOOR", "3600")]).await;
    let good = issuer.token(&api.url, "user1", SCOPE);
    assert_eq!(api.list_notes(&good).await.status(), StatusCode::OK);
    assert_eq!(issuer.state.jwks_fetches.load(Ordering::SeqCst), 1);

    let stranger = Signer::es256("key-unknown");
    let token = stranger.sign(&stranger.header(), &issuer.claims(&api.url, "user1", SCOPE));
    for _ in 0..5 {
        api.assert_refused(&token).await;
    }
    // Within the floor, made-up `kid`s cost the provider nothing.
    assert_eq!(issuer.state.jwks_fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_key_published_after_the_first_fetch_is_found_by_one_refetch() {
    let (issuer, api) = spawn_both().await;
    let good = issuer.token(&api.url, "user1", SCOPE);
    assert_eq!(api.list_notes(&good).await.status(), StatusCode::OK);

    let rotated = Signer::ed25519("key-2");
    issuer.publish(rotated.jwk());
    let token = rotated.sign(&rotated.header(), &issuer.claims(&api.url, "user1", SCOPE));
    assert_eq!(api.list_notes(&token).await.status(), StatusCode::OK);
    assert_eq!(issuer.state.jwks_fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_token_for_another_audience_is_refused() {
    let (issuer, api) = spawn_both().await;
    // A token for the provider's own API (its issuer), sent to the notes API.
    let token = issuer.token(&issuer.issuer, "user1", SCOPE);
    api.assert_refused(&token).await;
}

#[tokio::test]
async fn an_id_token_is_not_an_access_token() {
    // Same issuer, same key, even the API's URL in `aud`: only `typ` tells them apart.
    let (issuer, api) = spawn_both().await;
    let header = json!({"typ": "JWT", "alg": "ES256", "kid": "key-1"});
    let mut claims = issuer.claims(&api.url, "user1", SCOPE);
    claims["nonce"] = json!("n-0S6_WzA2Mj");
    claims["auth_time"] = json!(now());
    api.assert_refused(&issuer.signer.sign(&header, &claims))
        .await;
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let (issuer, api) = spawn_both().await;
    let mut claims = issuer.claims(&api.url, "user1", SCOPE);
    claims["exp"] = json!(now() - 120);
    api.assert_refused(&issuer.signer.sign(&issuer.signer.header(), &claims))
        .await;
}

#[tokio::test]
async fn a_token_from_another_issuer_signed_with_a_known_key_is_refused() {
    let (issuer, api) = spawn_both().await;
    let mut claims = issuer.claims(&api.url, "user1", SCOPE);
    claims["iss"] = json!("https://elsewhere.example");
    api.assert_refused(&issuer.signer.sign(&issuer.signer.header(), &claims))
        .await;
}

#[tokio::test]
async fn a_token_with_a_changed_claim_is_refused() {
    let (issuer, api) = spawn_both().await;
    let token = issuer.token(&api.url, "user1", "notes:read");
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = base64url_encode(issuer.claims(&api.url, "user1", SCOPE).to_string());
    api.assert_refused(&parts.join(".")).await;
}
