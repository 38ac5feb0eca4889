//! OpenID Connect: discovery (Discovery 1.0 §3, §4), the JWK Set (Core §10.1, RFC 7517),
//! the ID token at the code exchange and on refresh (Core §3.1.3.3, §3.1.3.6, §12.2), as a
//! Relying Party sees them: each ID token is verified with the published JWKS.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use provider::openid::jws::{token_hash, verify};
use provider::openid::keys::{Algorithm, Jwks, SigningKey};
use serde_json::{Map, Value};
use testkit::{
    AuthorizationRequest, CLIENT_ID, PUBLIC_CLIENT_ID, TestProvider, spawn_provider,
    spawn_provider_with,
};

async fn get_json(provider: &TestProvider, path: &str) -> Value {
    let response = provider
        .api
        .get(provider.url(path))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.expect("JSON")
}

#[tokio::test]
async fn discovery_names_the_jwks_uri_and_rs256_and_es256_and_the_rfc8414_document_says_the_same() {
    let provider = spawn_provider().await;
    let discovery = get_json(&provider, "/.well-known/openid-configuration").await;
    let issuer = &provider.issuer;
    assert_eq!(discovery["issuer"], issuer.as_str());
    assert_eq!(
        discovery["jwks_uri"],
        format!("{issuer}/.well-known/jwks.json")
    );
    assert_eq!(
        discovery["authorization_endpoint"],
        format!("{issuer}/oauth/authorize")
    );
    assert_eq!(
        discovery["response_types_supported"],
        serde_json::json!(["code"])
    );
    assert_eq!(
        discovery["subject_types_supported"],
        serde_json::json!(["public"])
    );
    assert_eq!(
        discovery["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    // RS256 is required (Discovery 3); ES256 is what the demo client registered.
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256", "ES256"])
    );
    let claims = discovery["claims_supported"].as_array().expect("an array");
    for claim in ["sub", "iss", "auth_time", "nonce", "email"] {
        assert!(claims.iter().any(|c| c == claim), "{claim}");
    }

    let rfc8414 = get_json(&provider, "/.well-known/oauth-authorization-server").await;
    assert_eq!(rfc8414, discovery);
}

#[tokio::test]
async fn the_jwks_publishes_public_rs256_and_es256_signing_keys_and_no_private_member() {
    let provider = spawn_provider().await;
    let response = provider
        .api
        .get(provider.url("/.well-known/jwks.json"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/jwk-set+json"
    );
    let jwks: Value = response.json().await.expect("JSON");
    let keys = jwks["keys"].as_array().expect("keys");
    assert!(!keys.is_empty());
    for key in keys {
        assert_eq!(key["use"], "sig");
        assert!(key["kid"].as_str().is_some_and(|kid| !kid.is_empty()));
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(key.get(private).is_none(), "{private} published: {key}");
        }
    }
    for (alg, kty) in [("RS256", "RSA"), ("ES256", "EC")] {
        assert!(
            keys.iter()
                .any(|key| key["alg"] == alg && key["kty"] == kty),
            "no {alg} key: {keys:?}"
        );
    }
}

#[tokio::test]
async fn a_signing_key_file_is_the_one_key_of_its_algorithm_and_rs256_keys_are_still_published() {
    let key = SigningKey::generate(Algorithm::ES256).expect("a key");
    let der = URL_SAFE_NO_PAD
        .decode(key.to_stored().pkcs8)
        .expect("base64url");
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        STANDARD.encode(der)
    );
    let path = std::env::temp_dir().join(format!("signing-key-{}.pem", key.kid()));
    std::fs::write(&path, pem).expect("a temporary file");
    let provider =
        spawn_provider_with(&[("SIGNING_KEY_FILE", path.to_str().expect("UTF-8"))]).await;
    let _ = std::fs::remove_file(&path);

    let jwks = get_json(&provider, "/.well-known/jwks.json").await;
    let es256_kids: Vec<&str> = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter(|jwk| jwk["alg"] == "ES256")
        .filter_map(|jwk| jwk["kid"].as_str())
        .collect();
    assert_eq!(es256_kids, vec![key.kid()]);
    let discovery = get_json(&provider, "/.well-known/openid-configuration").await;
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256", "ES256"]),
        "Discovery 3: RS256 MUST be included"
    );
    // The demo client registered ES256: the file's key signs its ID tokens.
    let tokens = openid_tokens(&provider, "openid", None).await;
    let (header, _) = verified_id_token(&provider, &tokens).await;
    assert_eq!(header["kid"], key.kid());
}

/// An `openid` request with this nonce, through login and consent, exchanged: the token
/// response's JSON.
async fn openid_tokens(provider: &TestProvider, scope: &str, nonce: Option<&str>) -> Value {
    let request = AuthorizationRequest {
        scope: Some(scope.into()),
        extra: nonce
            .map(|nonce| vec![("nonce".to_owned(), nonce.to_owned())])
            .unwrap_or_default(),
        ..AuthorizationRequest::default()
    };
    tokens_in(provider, &testkit::new_browser(), &request).await
}

/// `request` through login (unless `browser` is signed in) and consent, exchanged: the
/// token response's JSON.
async fn tokens_in(
    provider: &TestProvider,
    browser: &reqwest::Client,
    request: &AuthorizationRequest,
) -> Value {
    let code = provider
        .authorize_in(browser, request)
        .await
        .param("code")
        .expect("a code");
    let response = provider.exchange_code(&code).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("JSON")
}

/// The ID token of a token response, verified with the provider's published JWKS (as a
/// Relying Party does, Core §3.1.3.7 step 6): its header and claims.
pub(crate) async fn verified_id_token(
    provider: &TestProvider,
    tokens: &Value,
) -> (Map<String, Value>, Map<String, Value>) {
    let id_token = tokens["id_token"].as_str().expect("an id_token");
    let jwks: Jwks = serde_json::from_value(get_json(provider, "/.well-known/jwks.json").await)
        .expect("a JWK Set");
    let verified = verify(id_token, &jwks, &Algorithm::ALL).expect("signed with a published key");
    (verified.header, verified.claims)
}

#[tokio::test]
async fn an_openid_code_exchange_returns_an_id_token_for_this_user_client_and_request() {
    let provider = spawn_provider().await;
    let tokens = openid_tokens(&provider, "openid profile email", Some("n-0S6_WzA2Mj")).await;
    let (header, claims) = verified_id_token(&provider, &tokens).await;

    assert!(header["kid"].as_str().is_some_and(|kid| !kid.is_empty()));
    assert_eq!(
        header["alg"], "ES256",
        "the algorithm the demo client registered"
    );
    assert_eq!(claims["iss"], provider.issuer.as_str());
    assert_eq!(claims["sub"], "user1");
    assert_eq!(claims["aud"], CLIENT_ID);
    assert_eq!(claims["azp"], CLIENT_ID);
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj", "the nonce exactly as sent");
    let access_token = tokens["access_token"].as_str().expect("an access token");
    assert_eq!(
        claims["at_hash"],
        token_hash(Algorithm::ES256, access_token),
        "at_hash is the left half of the access token's SHA-256 (Core 3.1.3.6)"
    );
    let number = |name: &str| claims[name].as_u64().unwrap_or_else(|| panic!("{name}"));
    assert!(number("exp") > number("iat"));
    assert!(number("auth_time") <= number("iat"));
    assert_eq!(
        number("exp") - number("iat"),
        tokens["expires_in"].as_u64().expect("expires_in"),
        "it lives as long as the access token"
    );
    assert_eq!(tokens["scope"], "openid profile email");
}

#[tokio::test]
async fn a_request_without_openid_gets_no_id_token_even_with_a_nonce() {
    let provider = spawn_provider().await;
    let tokens = openid_tokens(&provider, "profile:read", Some("n-123")).await;
    assert!(tokens.get("id_token").is_none(), "{tokens}");
    assert!(tokens["access_token"].is_string());
}

#[tokio::test]
async fn an_openid_request_without_a_nonce_gets_an_id_token_without_one() {
    let provider = spawn_provider().await;
    let tokens = openid_tokens(&provider, "openid", None).await;
    let (_, claims) = verified_id_token(&provider, &tokens).await;
    assert!(claims.get("nonce").is_none());
    assert_eq!(claims["sub"], "user1");
}

#[tokio::test]
async fn a_refresh_of_an_openid_grant_returns_a_new_id_token_with_the_same_sub_and_auth_time() {
    let provider = spawn_provider().await;
    let first = openid_tokens(&provider, "openid profile:read", Some("n-abc")).await;
    let (_, before) = verified_id_token(&provider, &first).await;

    let response = provider
        .refresh(first["refresh_token"].as_str().expect("a refresh token"))
        .await;
    assert_eq!(response.status(), 200);
    let second: Value = response.json().await.expect("JSON");
    let (_, after) = verified_id_token(&provider, &second).await;
    for claim in ["iss", "sub", "aud", "azp", "auth_time"] {
        assert_eq!(after[claim], before[claim], "{claim} (Core 12.2)");
    }
    assert!(
        after.get("nonce").is_none(),
        "no authentication request, no nonce"
    );
    assert_eq!(
        after["at_hash"],
        token_hash(
            Algorithm::ES256,
            second["access_token"].as_str().expect("an access token")
        ),
        "at_hash of the new access token"
    );

    // Narrowed to a scope without `openid`, a refresh is plain OAuth again.
    let narrowed = provider
        .token_request(&[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                second["refresh_token"].as_str().expect("rotated"),
            ),
            ("scope", "profile:read"),
        ])
        .await;
    assert_eq!(narrowed.status(), 200);
    let narrowed: Value = narrowed.json().await.expect("JSON");
    assert!(narrowed.get("id_token").is_none(), "{narrowed}");
}

/// The `alg` an ID token's header names, after checking that the key it names is published
/// with that `alg`, `use: sig`, and verifies it, with only `alg` allowed.
async fn published_alg_of(provider: &TestProvider, tokens: &Value, alg: Algorithm) -> String {
    let id_token = tokens["id_token"].as_str().expect("an id_token");
    let jwks: Jwks = serde_json::from_value(get_json(provider, "/.well-known/jwks.json").await)
        .expect("a JWK Set");
    let verified = verify(id_token, &jwks, &[alg])
        .unwrap_or_else(|error| panic!("not an {alg} token from a published key: {error}"));
    let kid = verified.header["kid"].as_str().expect("a kid");
    let jwk = jwks.find(kid).expect("the kid is published");
    assert_eq!(
        (jwk.alg.as_str(), jwk.key_use.as_str()),
        (alg.as_str(), "sig")
    );
    verified.header["alg"].as_str().expect("an alg").to_owned()
}

/// The public client's openid tokens (PKCE, no secret).
async fn public_openid_tokens(provider: &TestProvider) -> Value {
    let request = AuthorizationRequest {
        scope: Some("openid".into()),
        ..AuthorizationRequest::public_client()
    };
    let code = provider
        .authorize(&request)
        .await
        .param("code")
        .expect("a code");
    let response = provider.public_exchange_code(&code).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("JSON")
}

#[tokio::test]
async fn each_client_gets_id_tokens_in_the_alg_it_registered_es256_for_the_demo_client_rs256_by_default()
 {
    let provider = spawn_provider().await;
    let confidential = openid_tokens(&provider, "openid", None).await;
    assert_eq!(
        published_alg_of(&provider, &confidential, Algorithm::ES256).await,
        "ES256",
        "CLIENT_ID_TOKEN_SIGNED_RESPONSE_ALG's default"
    );

    let public = public_openid_tokens(&provider).await;
    assert_eq!(
        published_alg_of(&provider, &public, Algorithm::RS256).await,
        "RS256",
        "the public client registered none: RS256 (Dynamic Client Registration 2)"
    );
    let (_, claims) = verified_id_token(&provider, &public).await;
    assert_eq!(claims["aud"], PUBLIC_CLIENT_ID);
}

#[tokio::test]
async fn a_refresh_signs_the_new_id_token_with_the_alg_the_client_registered() {
    let provider = spawn_provider().await;
    let first = openid_tokens(&provider, "openid", None).await;
    let response = provider
        .refresh(first["refresh_token"].as_str().expect("a refresh token"))
        .await;
    assert_eq!(response.status(), 200);
    let refreshed: Value = response.json().await.expect("JSON");
    assert_eq!(
        published_alg_of(&provider, &refreshed, Algorithm::ES256).await,
        "ES256"
    );

    let public = public_openid_tokens(&provider).await;
    let response = provider
        .public_refresh(public["refresh_token"].as_str().expect("a refresh token"))
        .await;
    assert_eq!(response.status(), 200);
    let refreshed: Value = response.json().await.expect("JSON");
    assert_eq!(
        published_alg_of(&provider, &refreshed, Algorithm::RS256).await,
        "RS256"
    );
}

#[tokio::test]
async fn a_demo_client_registered_for_rs256_gets_rs256_id_tokens() {
    let provider = spawn_provider_with(&[("CLIENT_ID_TOKEN_SIGNED_RESPONSE_ALG", "RS256")]).await;
    let tokens = openid_tokens(&provider, "openid", None).await;
    assert_eq!(
        published_alg_of(&provider, &tokens, Algorithm::RS256).await,
        "RS256"
    );
}

#[tokio::test]
async fn a_nonce_that_cannot_be_kept_is_invalid_request_redirected_to_the_client() {
    let provider = spawn_provider().await;
    let request = AuthorizationRequest {
        scope: Some("openid".into()),
        extra: vec![("nonce".into(), "x".repeat(513))],
        ..AuthorizationRequest::default()
    };
    let response = provider
        .start_authorization(&testkit::new_browser(), &request)
        .await;
    testkit::assert_redirected_with_error(&response, "invalid_request", &provider.issuer);
}

#[tokio::test]
async fn the_openid_scopes_are_offered_with_their_descriptions_on_the_consent_page() {
    let provider = spawn_provider().await;
    let request = AuthorizationRequest {
        scope: Some("openid profile email".into()),
        ..AuthorizationRequest::default()
    };
    let html = provider
        .reach_consent(&testkit::new_browser(), &request)
        .await;
    for scope in ["openid", "profile", "email"] {
        assert!(html.contains(scope), "{scope}");
    }
    assert!(html.contains("Know your email address"));
}

#[tokio::test]
async fn userinfo_answers_the_id_tokens_sub_and_the_claims_of_the_granted_scopes() {
    let provider = spawn_provider().await;
    let discovery = get_json(&provider, "/.well-known/openid-configuration").await;
    let userinfo = discovery["userinfo_endpoint"]
        .as_str()
        .expect("a userinfo_endpoint")
        .to_owned();
    assert_eq!(userinfo, format!("{}/userinfo", provider.issuer));

    let tokens = openid_tokens(&provider, "openid profile email", None).await;
    let (_, id_claims) = verified_id_token(&provider, &tokens).await;
    let access_token = tokens["access_token"].as_str().expect("an access token");
    for post in [false, true] {
        let request = if post {
            provider.api.post(&userinfo)
        } else {
            provider.api.get(&userinfo)
        };
        let response = request
            .bearer_auth(access_token)
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), 200, "POST: {post}");
        let claims: Value = response.json().await.expect("JSON");
        assert_eq!(claims["sub"], id_claims["sub"], "Core 5.3.2");
        assert_eq!(claims["preferred_username"], "demo");
        assert_eq!(claims["name"], "Demo User");
        assert_eq!(claims["email"], "demo@example.com");
        assert!(claims["email_verified"].is_boolean());
    }

    // `openid` alone: `sub` and nothing else.
    let bare = openid_tokens(&provider, "openid", None).await;
    let claims: Value = provider
        .api
        .get(&userinfo)
        .bearer_auth(bare["access_token"].as_str().expect("an access token"))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(claims, serde_json::json!({"sub": "user1"}));
}

#[tokio::test]
async fn userinfo_refuses_a_token_without_openid_and_a_request_without_a_token_per_rfc_6750() {
    let provider = spawn_provider().await;
    let plain = provider.user_tokens_with_scope("profile:read").await;
    let response = provider
        .api
        .get(provider.url("/userinfo"))
        .bearer_auth(plain.access_token.expose())
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 403);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    assert!(
        challenge.starts_with("Bearer") && challenge.contains("insufficient_scope"),
        "{challenge}"
    );

    let anonymous = provider
        .api
        .get(provider.url("/userinfo"))
        .send()
        .await
        .expect("answers");
    assert_eq!(anonymous.status(), 401);
    assert!(anonymous.headers().contains_key("www-authenticate"));

    let forged = provider
        .api
        .post(provider.url("/userinfo"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .expect("answers");
    assert_eq!(forged.status(), 401);
    let challenge = forged.headers()["www-authenticate"]
        .to_str()
        .expect("ASCII");
    assert!(challenge.contains("invalid_token"), "{challenge}");
}

/// The ID token of an `openid` authorization made in `browser` (signing in if it is not
/// yet), exchanged: the token response.
async fn openid_tokens_in(provider: &TestProvider, browser: &reqwest::Client) -> Value {
    let request = AuthorizationRequest {
        scope: Some("openid profile:read".into()),
        ..AuthorizationRequest::default()
    };
    tokens_in(provider, browser, &request).await
}

#[tokio::test]
async fn the_id_token_names_its_provider_session_in_sid_the_same_for_the_session_and_its_refreshes()
{
    let provider = spawn_provider().await;
    let configuration = get_json(&provider, "/.well-known/openid-configuration").await;
    assert!(
        configuration["claims_supported"]
            .as_array()
            .expect("claims_supported")
            .iter()
            .any(|claim| claim == "sid"),
        "{configuration}"
    );

    let first = openid_tokens_in(&provider, &provider.browser).await;
    let (_, claims) = verified_id_token(&provider, &first).await;
    let sid = claims["sid"].as_str().expect("a sid").to_owned();
    assert!(sid.len() >= 22, "random enough to be unguessable: {sid}");

    let again = openid_tokens_in(&provider, &provider.browser).await;
    let (_, claims) = verified_id_token(&provider, &again).await;
    assert_eq!(
        claims["sid"],
        sid.as_str(),
        "same browser session, same sid"
    );

    let refreshed: Value = provider
        .refresh(first["refresh_token"].as_str().expect("a refresh token"))
        .await
        .json()
        .await
        .expect("JSON");
    let (_, claims) = verified_id_token(&provider, &refreshed).await;
    assert_eq!(
        claims["sid"],
        sid.as_str(),
        "a refresh keeps the login's sid"
    );

    let elsewhere = openid_tokens_in(&provider, &testkit::new_browser()).await;
    let (_, claims) = verified_id_token(&provider, &elsewhere).await;
    assert_ne!(claims["sid"], sid.as_str(), "another session, another sid");
}

/// The page RP-Initiated Logout shows for this `id_token_hint`, in the provider's browser.
async fn logout_page(provider: &TestProvider, hint: &str) -> String {
    provider
        .browser
        .get(provider.url("/oauth/end_session"))
        .query(&[("id_token_hint", hint)])
        .send()
        .await
        .expect("the provider answers")
        .text()
        .await
        .expect("a body")
}

#[tokio::test]
async fn logout_with_an_id_token_of_an_earlier_session_asks_before_ending_the_current_one() {
    let provider = spawn_provider().await;
    let browser = &provider.browser;
    let earlier = openid_tokens_in(&provider, browser).await;
    let earlier_hint = earlier["id_token"]
        .as_str()
        .expect("an id_token")
        .to_owned();
    // The hint of this very session ends it at once (RP-Initiated Logout 1.0 §2).
    let page = logout_page(&provider, &earlier_hint).await;
    assert!(page.contains("You are signed out"), "{page}");

    // The same user signs in again: a new provider session.
    let current = openid_tokens_in(&provider, browser).await;
    let (_, claims) = verified_id_token(&provider, &current).await;
    let (_, old_claims) = verified_id_token(&provider, &earlier).await;
    assert_eq!(claims["sub"], old_claims["sub"]);
    assert_ne!(claims["sid"], old_claims["sid"]);

    // The old ID token does not belong to the current session: the user is asked.
    let page = logout_page(&provider, &earlier_hint).await;
    assert!(
        page.contains("Sign out of the provider?") && page.contains("csrf_token"),
        "a confirmation form: {page}"
    );
}
