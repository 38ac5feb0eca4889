//! RFC 8707 resource indicators: which resource server a token is for. The authorization
//! request names the resources the client wants (one or more `resource` parameters); each
//! token request asks for one of them (§2.2: "a token request per resource"). Registered:
//! the issuer (the provider's own API) and `API_URL` (the notes API). Anything else is
//! `invalid_target`, and a token is valid only at the resource it was issued for.

use reqwest::StatusCode;
use serde_json::Value;
use testkit::{
    AuthorizationRequest, TestProvider, assert_json_error, assert_redirected_with_error,
    spawn_provider,
};

/// The notes API's resource identifier: the default `API_URL`.
pub const API_URL: &str = "http://localhost:8082";

/// The default request, asking for `resources`.
pub fn request_for(resources: &[&str], scope: &str) -> AuthorizationRequest {
    AuthorizationRequest {
        scope: Some(scope.into()),
        extra: resources
            .iter()
            .map(|resource| ("resource".to_owned(), (*resource).to_owned()))
            .collect(),
        ..AuthorizationRequest::default()
    }
}

/// A code for an authorization of `resources`.
pub async fn code_for(provider: &TestProvider, resources: &[&str], scope: &str) -> String {
    provider
        .authorize(&request_for(resources, scope))
        .await
        .param("code")
        .expect("a code")
}

/// Exchanges `code` asking for `resource`.
pub async fn exchange_for(
    provider: &TestProvider,
    code: &str,
    resource: &str,
) -> reqwest::Response {
    provider
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", testkit::REDIRECT_URI),
            ("code_verifier", testkit::VERIFIER),
            ("resource", resource),
        ])
        .await
}

/// The token response's JSON, expecting success.
pub async fn issued(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("a JSON token response")
}

#[tokio::test]
async fn an_unknown_or_malformed_resource_at_the_authorization_endpoint_is_an_invalid_target_redirect()
 {
    let provider = spawn_provider().await;
    for resource in [
        "https://elsewhere.example",
        "notes",
        "http://localhost:8082#fragment",
    ] {
        let response = provider
            .start_authorization(
                &provider.browser,
                &request_for(&[API_URL, resource], "notes:read"),
            )
            .await;
        assert_redirected_with_error(&response, "invalid_target", &provider.issuer);
        let location = testkit::location(&response);
        assert_eq!(
            testkit::query_param(&location, "state").as_deref(),
            Some("state-123")
        );
    }
}

#[tokio::test]
async fn one_authorization_gives_a_token_per_resource_opaque_for_the_provider_and_a_jwt_for_the_api()
 {
    let provider = spawn_provider().await;
    let code = code_for(
        &provider,
        &[&provider.issuer, API_URL],
        "profile:read notes:read",
    )
    .await;
    let for_provider = issued(exchange_for(&provider, &code, &provider.issuer).await).await;
    let opaque = for_provider["access_token"].as_str().expect("a token");
    assert!(
        !opaque.contains('.'),
        "the provider's own tokens stay opaque"
    );
    let me = provider.get_with_token("/api/auth/me", opaque).await;
    assert_eq!(me.status(), StatusCode::OK);

    let refresh_token = for_provider["refresh_token"]
        .as_str()
        .expect("a refresh token");
    let for_api = issued(
        provider
            .token_request(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("resource", API_URL),
            ])
            .await,
    )
    .await;
    let jwt = for_api["access_token"].as_str().expect("a token");
    assert_eq!(jwt.split('.').count(), 3, "a JWT for the notes API");
    assert_eq!(for_api["expires_in"], 300, "API_ACCESS_TOKEN_TTL");
    assert!(for_api["refresh_token"].is_string());
}

#[tokio::test]
async fn the_providers_own_api_refuses_a_token_issued_for_the_notes_api() {
    let provider = spawn_provider().await;
    let code = code_for(&provider, &[API_URL], "profile:read notes:read").await;
    let for_api = issued(exchange_for(&provider, &code, API_URL).await).await;
    let jwt = for_api["access_token"].as_str().expect("a token");
    let response = provider.get_with_token("/api/auth/me", jwt).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = testkit::header_value(&response, "www-authenticate").expect("a challenge");
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "{challenge}"
    );
}

#[tokio::test]
async fn a_token_request_for_a_resource_the_authorization_did_not_cover_is_invalid_target() {
    let provider = spawn_provider().await;
    // No `resource` at the authorization endpoint: the provider's own API only.
    let code = provider.authorization_code().await;
    assert_json_error(
        exchange_for(&provider, &code, API_URL).await,
        StatusCode::BAD_REQUEST,
        "invalid_target",
    )
    .await;
    // The code was not spent by the refused request.
    let tokens = issued(provider.exchange_code(&code).await).await;
    let refresh_token = tokens["refresh_token"].as_str().expect("a refresh token");
    for resource in [API_URL, "https://elsewhere.example", "not a uri"] {
        assert_json_error(
            provider
                .token_request(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh_token),
                    ("resource", resource),
                ])
                .await,
            StatusCode::BAD_REQUEST,
            "invalid_target",
        )
        .await;
    }
}

#[tokio::test]
async fn a_token_request_naming_two_resources_is_invalid_target() {
    let provider = spawn_provider().await;
    let code = code_for(&provider, &[&provider.issuer, API_URL], "notes:read").await;
    let response = provider
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", testkit::REDIRECT_URI),
            ("code_verifier", testkit::VERIFIER),
            ("resource", &provider.issuer),
            ("resource", API_URL),
        ])
        .await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_target").await;
}

#[tokio::test]
async fn without_resource_an_api_only_authorization_gets_a_token_for_the_api() {
    let provider = spawn_provider().await;
    let code = code_for(&provider, &[API_URL], "notes:read").await;
    let tokens = issued(provider.exchange_code(&code).await).await;
    let access = tokens["access_token"].as_str().expect("a token");
    assert_eq!(access.split('.').count(), 3, "the grant's only resource");
}

/// Refreshes with `refresh_token` for `resource`, expecting success.
async fn refresh_for(provider: &TestProvider, refresh_token: &str, resource: &str) -> Value {
    issued(
        provider
            .token_request(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("resource", resource),
            ])
            .await,
    )
    .await
}

#[tokio::test]
async fn getting_the_notes_api_token_by_refresh_leaves_the_provider_token_working() {
    let provider = spawn_provider().await;
    let code = code_for(
        &provider,
        &[&provider.issuer, API_URL],
        "profile:read notes:read",
    )
    .await;
    // RFC 8707 §2.2: the code buys the provider's token, a refresh buys the API's.
    let for_provider = issued(exchange_for(&provider, &code, &provider.issuer).await).await;
    let provider_token = for_provider["access_token"].as_str().expect("a token");
    let for_api = refresh_for(
        &provider,
        for_provider["refresh_token"]
            .as_str()
            .expect("a refresh token"),
        API_URL,
    )
    .await;
    let me = provider
        .get_with_token("/api/auth/me", provider_token)
        .await;
    assert_eq!(
        me.status(),
        StatusCode::OK,
        "the token for the other audience survives the rotation"
    );

    // A later refresh for the provider replaces the provider's token, and only it.
    let again = refresh_for(
        &provider,
        for_api["refresh_token"].as_str().expect("a refresh token"),
        &provider.issuer,
    )
    .await;
    let replaced = provider
        .get_with_token("/api/auth/me", provider_token)
        .await;
    assert_eq!(replaced.status(), StatusCode::UNAUTHORIZED);
    let current = again["access_token"].as_str().expect("a token");
    let me = provider.get_with_token("/api/auth/me", current).await;
    assert_eq!(me.status(), StatusCode::OK);
}
