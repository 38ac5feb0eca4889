//! RFC 9068 JWT access tokens for the notes API, as a resource server that is not the
//! provider sees them: verified with the published JWKS only (`shared::jose`, the API's
//! own verifier), the header and claims RFC 9068 §2 asks for; introspection (RFC 7662)
//! names each token's audience; a revoked JWT is inactive at introspection although its
//! signature still verifies; and `API_ACCESS_TOKEN_FORMAT=opaque` flips the API's tokens.
//! Last, the real notes API (the `api` crate) with tokens from this provider.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::jose::{Alg, CompactJws, JwkSet, verify_signature};
use testkit::apps::{base_url, free_listener, spawn_api_on};
use testkit::{TestProvider, spawn_provider, spawn_provider_with};

use crate::resource_indicators::{API_URL, code_for, exchange_for, issued};

/// A token for the notes API from a fresh authorization of `scope`.
async fn api_token(provider: &TestProvider, api_url: &str, scope: &str) -> String {
    let code = code_for(provider, &[api_url], scope).await;
    let tokens = issued(exchange_for(provider, &code, api_url).await).await;
    tokens["access_token"].as_str().expect("a token").to_owned()
}

async fn introspect(provider: &TestProvider, token: &str) -> Value {
    let response = provider
        .post_as_client("/oauth/introspect", &[("token", token)])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("JSON")
}

/// Verifies `token` with the provider's published JWK Set, as a resource server would:
/// the header's `kid` picks the key, the header's `alg` must fit it.
async fn verify_with_jwks(provider: &TestProvider, token: &str) -> (CompactJws, Value) {
    let jwks: JwkSet = provider
        .api
        .get(provider.url("/.well-known/jwks.json"))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("a JWK Set");
    let jws = CompactJws::parse(token).expect("a compact JWS");
    let kid = jws.header.kid.as_deref().expect("a kid");
    let key = jwks.find(kid).expect("the kid is in the JWKS");
    let alg = Alg::from_name(&jws.header.alg).expect("a known alg");
    verify_signature(alg, key, jws.signing_input.as_bytes(), &jws.signature)
        .expect("the signature verifies with the published key");
    let claims = jws.claims().expect("JSON claims");
    (jws, claims)
}

#[tokio::test]
async fn the_api_token_is_an_rfc_9068_jwt_that_verifies_with_the_published_jwks() {
    let provider = spawn_provider().await;
    let token = api_token(&provider, API_URL, "notes:read notes:write").await;
    let (jws, claims) = verify_with_jwks(&provider, &token).await;
    assert_eq!(jws.header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(jws.header.alg, "RS256");
    assert_eq!(claims["iss"], provider.issuer.as_str());
    assert_eq!(claims["aud"], API_URL);
    assert_eq!(claims["sub"], "user1", "USER_ID");
    assert_eq!(claims["client_id"], testkit::CLIENT_ID);
    assert_eq!(claims["scope"], "notes:read notes:write");
    for claim in ["iat", "exp", "auth_time"] {
        assert!(claims[claim].is_u64(), "{claim}: {claims}");
    }
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        300,
        "short-lived: API_ACCESS_TOKEN_TTL"
    );
    assert!(claims["jti"].as_str().is_some_and(|jti| jti.len() >= 16));
}

#[tokio::test]
async fn introspection_names_the_audience_of_opaque_and_jwt_access_tokens() {
    let provider = spawn_provider().await;
    let code = code_for(&provider, &[&provider.issuer, API_URL], "notes:read").await;
    let first = issued(exchange_for(&provider, &code, &provider.issuer).await).await;
    let opaque = first["access_token"].as_str().unwrap();
    let answer = introspect(&provider, opaque).await;
    assert_eq!(answer["active"], true);
    assert_eq!(answer["aud"], provider.issuer.as_str());

    let refresh = first["refresh_token"].as_str().unwrap();
    let second = issued(
        provider
            .token_request(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("resource", API_URL),
            ])
            .await,
    )
    .await;
    let jwt = second["access_token"].as_str().unwrap();
    let answer = introspect(&provider, jwt).await;
    assert_eq!(answer["active"], true);
    assert_eq!(answer["aud"], API_URL);
    assert_eq!(answer["scope"], "notes:read");
    assert_eq!(answer["token_type"], "access_token");
}

#[tokio::test]
async fn a_revoked_jwt_is_inactive_at_introspection_while_its_signature_still_verifies() {
    let provider = spawn_provider().await;
    let token = api_token(&provider, API_URL, "notes:read").await;
    assert!(provider.is_active(&token).await);
    let revoked = provider.revoke(&token).await;
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_eq!(
        introspect(&provider, &token).await,
        json!({"active": false})
    );
    // The lesson: the JWT itself still checks out; only those who ask hear of the revocation.
    let (_, claims) = verify_with_jwks(&provider, &token).await;
    assert_eq!(claims["aud"], API_URL);
}

#[tokio::test]
async fn with_the_opaque_format_the_api_token_is_opaque_and_introspection_carries_its_audience() {
    let provider = spawn_provider_with(&[("API_ACCESS_TOKEN_FORMAT", "opaque")]).await;
    let token = api_token(&provider, API_URL, "notes:read").await;
    assert!(!token.contains('.'), "opaque: {token}");
    let answer = introspect(&provider, &token).await;
    assert_eq!(answer["active"], true);
    assert_eq!(answer["aud"], API_URL);
    let refused = provider.get_with_token("/api/auth/me", &token).await;
    assert_eq!(
        refused.status(),
        StatusCode::UNAUTHORIZED,
        "not for the provider"
    );
}

/// GET and POST `/notes` at the API with `token`.
async fn notes(api: &str, token: &str) -> (StatusCode, StatusCode) {
    let http = reqwest::Client::new();
    let written = http
        .post(format!("{api}/notes"))
        .bearer_auth(token)
        .json(&json!({"text": "buy milk"}))
        .send()
        .await
        .expect("the API answers")
        .status();
    let read = http
        .get(format!("{api}/notes"))
        .bearer_auth(token)
        .send()
        .await
        .expect("the API answers");
    (written, read.status())
}

#[tokio::test]
async fn the_real_notes_api_accepts_tokens_issued_for_it_jwt_or_introspected_and_refuses_the_providers()
 {
    for format in ["jwt", "opaque"] {
        let listener = free_listener();
        let api = base_url(&listener, "127.0.0.1");
        let provider = spawn_provider_with(&[
            ("API_URL", api.as_str()),
            ("API_ACCESS_TOKEN_FORMAT", format),
        ])
        .await;
        spawn_api_on(listener, &provider.issuer, &[]);

        let token = api_token(&provider, &api, "notes:read notes:write").await;
        assert_eq!(
            notes(&api, &token).await,
            (StatusCode::CREATED, StatusCode::OK),
            "{format}"
        );
        let listed: Value = reqwest::Client::new()
            .get(format!("{api}/notes"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("the API answers")
            .json()
            .await
            .expect("JSON");
        assert_eq!(listed[0]["text"], "buy milk", "{format}");

        let for_provider = provider
            .user_tokens_with_scope("profile:read notes:read notes:write")
            .await;
        let response = reqwest::Client::new()
            .get(format!("{api}/notes"))
            .bearer_auth(for_provider.access_token.expose())
            .send()
            .await
            .expect("the API answers");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{format}");
        let challenge = testkit::header_value(&response, "www-authenticate").expect("a challenge");
        assert!(
            challenge.contains(r#"error="invalid_token""#),
            "{challenge}"
        );
    }
}
