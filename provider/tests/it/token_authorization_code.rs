//! RFC 6749 §4.1.3, §5.1–5.2 and the contract: exchanging a code.

use reqwest::StatusCode;

use testkit::{
    AuthorizationRequest, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, VERIFIER, assert_json_error,
    spawn_provider, spawn_provider_with,
};

#[tokio::test]
async fn a_code_becomes_an_access_token_and_a_refresh_token_with_no_store() {
    let provider = spawn_provider().await;
    let code = provider.authorization_code().await;
    let response = provider.exchange_code(&code).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "profile:read teams:read");
    let access = body["access_token"].as_str().expect("an access token");
    let refresh = body["refresh_token"].as_str().expect("a refresh token");
    assert_eq!(access.len(), 43);
    assert_ne!(access, refresh);
    assert!(provider.is_active(access).await);
}

#[tokio::test]
async fn client_secret_post_works_as_well_as_basic() {
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
            ("client_secret", CLIENT_SECRET),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_second_use_of_a_code_fails_and_revokes_what_the_first_produced() {
    let provider = spawn_provider().await;
    let code = provider.authorization_code().await;
    let first: shared::token::TokenResponse = provider
        .exchange_code(&code)
        .await
        .json()
        .await
        .expect("tokens");
    let access = first.access_token.expose().to_owned();
    let refresh = first
        .refresh_token
        .expect("a refresh token")
        .expose()
        .to_owned();
    let second = provider.exchange_code(&code).await;
    assert_json_error(second, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(
        !provider.is_active(&access).await,
        "the first access token died"
    );
    assert!(
        !provider.is_active(&refresh).await,
        "the first refresh token died"
    );
    let protected = provider.get_with_token("/protected", &access).await;
    assert_eq!(protected.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_code_bound_to_another_redirect_uri_is_invalid_grant() {
    let provider = spawn_provider().await;
    let code = provider.authorization_code().await;
    let response = provider
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://localhost:3000/other"),
            ("code_verifier", VERIFIER),
        ])
        .await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn a_redirect_uri_sent_in_the_request_must_be_repeated_at_the_token_endpoint() {
    let provider = spawn_provider().await;
    let code = provider.authorization_code().await;
    let response = provider
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", VERIFIER),
        ])
        .await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn a_code_issued_to_one_client_is_invalid_grant_for_another() {
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
            ("client_id", "spa-client"),
        ])
        .send()
        .await
        .expect("answers");
    assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn an_unknown_code_is_invalid_grant() {
    let provider = spawn_provider().await;
    let response = provider
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("code", "made-up"),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ])
        .await;
    let body = assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(body["error_description"].is_string());
}

#[tokio::test]
async fn an_expired_code_is_invalid_grant() {
    let provider = spawn_provider_with(&[("CODE_TTL", "1")]).await;
    let code = provider.authorization_code().await;
    provider
        .clock
        .advance(std::time::Duration::from_millis(1100));
    let response = provider.exchange_code(&code).await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn a_missing_code_is_invalid_request() {
    let provider = spawn_provider().await;
    let response = provider
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("code_verifier", VERIFIER),
        ])
        .await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn the_granted_scope_is_the_one_approved() {
    let provider = spawn_provider().await;
    let tokens = provider.user_tokens_with_scope("teams:write").await;
    assert_eq!(tokens.scope, "teams:write");
    let request = AuthorizationRequest::default();
    assert_eq!(request.scope.as_deref(), Some("profile:read teams:read"));
}

/// POSTs `form` to the token endpoint as the public `spa-client`: `client_id` only, no
/// secret (RFC 6749 §2.1: anyone can do this).
async fn as_public_client(
    provider: &testkit::TestProvider,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = form.to_vec();
    form.push(("client_id", testkit::PUBLIC_CLIENT_ID));
    provider
        .api
        .post(provider.url("/oauth/token"))
        .form(&form)
        .send()
        .await
        .expect("the provider answers")
}

#[tokio::test]
async fn a_used_code_presented_by_another_client_is_invalid_grant_and_the_owners_tokens_stay_live()
{
    let provider = spawn_provider().await;
    let code = provider.authorization_code().await;
    let first = provider.exchange_code(&code).await;
    assert_eq!(first.status(), StatusCode::OK);
    let tokens: serde_json::Value = first.json().await.expect("JSON");
    let access = tokens["access_token"].as_str().expect("an access token");
    let refresh = tokens["refresh_token"].as_str().expect("a refresh token");
    // Anyone can call himself spa-client: no secret, and here not even a verifier.
    let replay = as_public_client(
        &provider,
        &[("grant_type", "authorization_code"), ("code", &code)],
    )
    .await;
    assert_json_error(replay, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(
        provider.is_active(access).await,
        "a stranger's replay must not revoke the owner's grant (RFC 6749 §10.4)"
    );
    assert_eq!(
        provider.refresh(refresh).await.status(),
        StatusCode::OK,
        "the owner's refresh token still works"
    );
}

#[tokio::test]
async fn a_used_code_replayed_by_its_own_client_still_revokes_what_it_bought() {
    let provider = spawn_provider().await;
    let code = provider.authorization_code().await;
    let first = provider.exchange_code(&code).await;
    let tokens: serde_json::Value = first.json().await.expect("JSON");
    let access = tokens["access_token"].as_str().expect("an access token");
    let replay = provider.exchange_code(&code).await;
    assert_json_error(replay, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(
        !provider.is_active(access).await,
        "§4.1.2: the replay revokes"
    );
}
