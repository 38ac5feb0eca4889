//! Public clients (RFC 6749 §2.1, RFC 7636, the OAuth 2.0 for Browser-Based Apps draft):
//! the browser-side `spa-client` authenticates with its `client_id` only, PKCE binds its
//! codes, its refresh tokens rotate; it cannot be confused with the confidential client.
//! And CORS, so its page can call the token, revocation and API endpoints, and nothing else.

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, ORIGIN};
use shared::token::TokenResponse;

use testkit::{
    CLIENT_ID, CLIENT_SECRET, PUBLIC_CLIENT_ID, PUBLIC_REDIRECT_URI, REDIRECT_URI, TestProvider,
    VERIFIER, assert_json_error, spawn_provider, spawn_provider_with, token_pair,
};

const ALLOWED_ORIGIN: &str = "http://localhost:3000";
const EVIL_ORIGIN: &str = "http://evil.example";

/// A CORS preflight for `method` on `path` from `origin`, asking for both allowed headers.
async fn preflight(
    provider: &TestProvider,
    path: &str,
    origin: &str,
    method: &str,
) -> reqwest::Response {
    provider
        .api
        .request(reqwest::Method::OPTIONS, provider.url(path))
        .header(ORIGIN, origin)
        .header("access-control-request-method", method)
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .expect("the provider answers")
}

fn allow_origin(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("access-control-allow-origin")
        .and_then(|value| value.to_str().ok())
}

fn has_any_cors_header(headers: &HeaderMap) -> bool {
    headers
        .keys()
        .any(|name| name.as_str().starts_with("access-control-"))
}

#[tokio::test]
async fn the_public_client_exchanges_its_code_with_client_id_and_verifier_and_no_secret() {
    let provider = spawn_provider().await;
    let code = provider.public_authorization_code().await;
    let response = provider.public_exchange_code(&code).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let tokens: TokenResponse = response.json().await.expect("a token response");
    assert!(tokens.refresh_token.is_some(), "a refresh token too");
    assert_eq!(tokens.scope, "profile:read teams:read");
    let me = provider
        .get_with_token("/api/auth/me", tokens.access_token.expose())
        .await;
    assert_eq!(me.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_public_client_must_send_the_code_verifier() {
    let provider = spawn_provider().await;
    let code = provider.public_authorization_code().await;
    let response = provider
        .public_token_request(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", PUBLIC_REDIRECT_URI),
        ])
        .await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn a_public_client_sending_a_secret_is_invalid_client() {
    let provider = spawn_provider().await;
    let code = provider.public_authorization_code().await;
    let in_form = provider
        .public_token_request(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", PUBLIC_REDIRECT_URI),
            ("code_verifier", VERIFIER),
            ("client_secret", "anything"),
        ])
        .await;
    assert_json_error(in_form, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let in_basic = provider
        .api
        .post(provider.url("/oauth/token"))
        .basic_auth(PUBLIC_CLIENT_ID, Some("anything"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", PUBLIC_REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .expect("answers");
    assert_json_error(in_basic, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn the_confidential_client_sending_no_secret_is_invalid_client() {
    let provider = spawn_provider().await;
    let code = provider.authorization_code().await;
    let response = provider
        .api
        .post(provider.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
            ("client_id", CLIENT_ID),
        ])
        .send()
        .await
        .expect("answers");
    assert!(response.headers().contains_key("www-authenticate"));
    assert_json_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn a_code_issued_to_the_public_client_is_invalid_grant_for_the_confidential_one() {
    let provider = spawn_provider().await;
    let code = provider.public_authorization_code().await;
    let response = provider
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", PUBLIC_REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ])
        .await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn a_code_issued_to_the_confidential_client_is_invalid_grant_for_the_public_one() {
    let provider = spawn_provider().await;
    let code = provider.authorization_code().await;
    let response = provider
        .public_token_request(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ])
        .await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn the_public_clients_refresh_tokens_rotate_and_a_reuse_revokes_the_grant() {
    let provider = spawn_provider().await;
    let (first_access, first_refresh) = token_pair(&provider.public_client_tokens().await);
    let rotated = provider.public_refresh(&first_refresh).await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let rotated: TokenResponse = rotated.json().await.expect("a token response");
    let (second_access, second_refresh) = token_pair(&rotated);
    assert_ne!(second_refresh, first_refresh);

    let reuse = provider.public_refresh(&first_refresh).await;
    assert_json_error(reuse, StatusCode::BAD_REQUEST, "invalid_grant").await;
    for token in [&first_access, &second_access, &second_refresh] {
        assert!(!provider.is_active(token).await);
    }
    let me = provider
        .get_with_token("/api/auth/me", &second_access)
        .await;
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_confidential_clients_refresh_token_is_invalid_grant_for_the_public_client() {
    let provider = spawn_provider().await;
    let (_, refresh) = token_pair(&provider.user_tokens().await);
    let response = provider.public_refresh(&refresh).await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(provider.is_active(&refresh).await);
}

#[tokio::test]
async fn the_metadata_lists_none_among_the_token_endpoint_auth_methods() {
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
    let methods = metadata["token_endpoint_auth_methods_supported"]
        .as_array()
        .expect("an array");
    assert!(methods.iter().any(|m| m == "none"), "{methods:?}");
    assert!(methods.iter().any(|m| m == "client_secret_basic"));
}

#[tokio::test]
async fn a_preflight_from_the_allowed_origin_is_answered_without_credentials() {
    let provider = spawn_provider().await;
    for (path, method) in [
        ("/oauth/token", "POST"),
        ("/oauth/revoke", "POST"),
        ("/api/auth/me", "GET"),
    ] {
        let response = preflight(&provider, path, ALLOWED_ORIGIN, method).await;
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        let headers = response.headers();
        assert_eq!(allow_origin(headers), Some(ALLOWED_ORIGIN), "{path}");
        let allowed_headers = headers
            .get("access-control-allow-headers")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(
            allowed_headers.contains("authorization"),
            "{path}: {allowed_headers}"
        );
        assert!(
            allowed_headers.contains("content-type"),
            "{path}: {allowed_headers}"
        );
        assert!(
            !headers.contains_key("access-control-allow-credentials"),
            "{path}: credentials are never allowed"
        );
    }
}

#[tokio::test]
async fn a_cross_origin_token_exchange_from_the_allowed_origin_can_be_read() {
    let provider = spawn_provider().await;
    let code = provider.public_authorization_code().await;
    let response = provider
        .api
        .post(provider.url("/oauth/token"))
        .header(ORIGIN, ALLOWED_ORIGIN)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", PUBLIC_REDIRECT_URI),
            ("code_verifier", VERIFIER),
            ("client_id", PUBLIC_CLIENT_ID),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(allow_origin(response.headers()), Some(ALLOWED_ORIGIN));
    assert!(
        !response
            .headers()
            .contains_key("access-control-allow-credentials")
    );
    let tokens: TokenResponse = response.json().await.expect("a token response");
    let me = provider
        .api
        .get(provider.url("/api/auth/me"))
        .header(ORIGIN, ALLOWED_ORIGIN)
        .bearer_auth(tokens.access_token.expose())
        .send()
        .await
        .expect("answers");
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(allow_origin(me.headers()), Some(ALLOWED_ORIGIN));
}

#[tokio::test]
async fn a_refused_origin_gets_no_allow_origin_header() {
    let provider = spawn_provider().await;
    for (path, method) in [
        ("/oauth/token", "POST"),
        ("/oauth/revoke", "POST"),
        ("/api/auth/me", "GET"),
    ] {
        let response = preflight(&provider, path, EVIL_ORIGIN, method).await;
        assert_eq!(allow_origin(response.headers()), None, "{path}");
    }
    let actual = provider
        .api
        .post(provider.url("/oauth/token"))
        .header(ORIGIN, EVIL_ORIGIN)
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("answers");
    assert_eq!(allow_origin(actual.headers()), None);
}

#[tokio::test]
async fn the_authorization_endpoint_and_the_pages_never_send_cors_headers() {
    let provider = spawn_provider().await;
    let authorize = format!(
        "/oauth/authorize?{}",
        testkit::AuthorizationRequest::default().query()
    );
    for path in [authorize.as_str(), "/account", "/login"] {
        let get = provider
            .api
            .get(provider.url(path))
            .header(ORIGIN, ALLOWED_ORIGIN)
            .send()
            .await
            .expect("answers");
        assert!(!has_any_cors_header(get.headers()), "GET {path}");
        let options = preflight(&provider, path, ALLOWED_ORIGIN, "POST").await;
        assert!(!has_any_cors_header(options.headers()), "OPTIONS {path}");
    }
    let introspect = preflight(&provider, "/oauth/introspect", ALLOWED_ORIGIN, "POST").await;
    assert!(
        !has_any_cors_header(introspect.headers()),
        "introspection is for servers, not browsers"
    );
}

#[tokio::test]
async fn the_allowed_origins_setting_decides_which_origins_are_answered() {
    let provider = spawn_provider_with(&[(
        "ALLOWED_ORIGINS",
        "https://app.example, http://localhost:4000",
    )])
    .await;
    for origin in ["https://app.example", "http://localhost:4000"] {
        let response = preflight(&provider, "/oauth/token", origin, "POST").await;
        assert_eq!(allow_origin(response.headers()), Some(origin));
    }
    let default_origin = preflight(&provider, "/oauth/token", ALLOWED_ORIGIN, "POST").await;
    assert_eq!(
        allow_origin(default_origin.headers()),
        None,
        "the default origin is no longer allowed"
    );
}

#[tokio::test]
async fn errors_are_readable_cross_origin_from_the_allowed_origin() {
    let provider = spawn_provider().await;
    let token_error = provider
        .api
        .post(provider.url("/oauth/token"))
        .header(ORIGIN, ALLOWED_ORIGIN)
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "no-such-token"),
            ("client_id", PUBLIC_CLIENT_ID),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(allow_origin(token_error.headers()), Some(ALLOWED_ORIGIN));
    assert_json_error(token_error, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let api_error = provider
        .api
        .get(provider.url("/api/auth/me"))
        .header(ORIGIN, ALLOWED_ORIGIN)
        .send()
        .await
        .expect("answers");
    assert_eq!(api_error.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(allow_origin(api_error.headers()), Some(ALLOWED_ORIGIN));
    // The browser lets the page read the challenge only if the header is exposed.
    let exposed = api_error
        .headers()
        .get("access-control-expose-headers")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(exposed.contains("www-authenticate"), "exposed: {exposed:?}");
}
