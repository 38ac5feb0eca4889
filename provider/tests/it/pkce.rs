//! RFC 7636: PKCE with S256 is required; `plain` is refused; the verifier must match.

use reqwest::StatusCode;

use testkit::{
    AuthorizationRequest, REDIRECT_URI, VERIFIER, assert_json_error, assert_redirected_with_error,
    new_browser, spawn_provider,
};

#[tokio::test]
async fn a_request_without_code_challenge_is_refused_with_invalid_request() {
    let provider = spawn_provider().await;
    let request = AuthorizationRequest {
        code_challenge: None,
        code_challenge_method: None,
        ..AuthorizationRequest::default()
    };
    let response = provider.start_authorization(&new_browser(), &request).await;
    assert_redirected_with_error(&response, "invalid_request", &provider.issuer);
}

#[tokio::test]
async fn the_plain_method_is_refused() {
    let provider = spawn_provider().await;
    let request = AuthorizationRequest {
        code_challenge: Some(VERIFIER.into()),
        code_challenge_method: Some("plain".into()),
        ..AuthorizationRequest::default()
    };
    let response = provider.start_authorization(&new_browser(), &request).await;
    assert_redirected_with_error(&response, "invalid_request", &provider.issuer);
}

#[tokio::test]
async fn a_challenge_without_a_method_is_refused_because_it_would_mean_plain() {
    let provider = spawn_provider().await;
    let request = AuthorizationRequest {
        code_challenge_method: None,
        ..AuthorizationRequest::default()
    };
    let response = provider.start_authorization(&new_browser(), &request).await;
    assert_redirected_with_error(&response, "invalid_request", &provider.issuer);
}

#[tokio::test]
async fn a_malformed_challenge_is_refused() {
    let provider = spawn_provider().await;
    let request = AuthorizationRequest {
        code_challenge: Some("too-short".into()),
        ..AuthorizationRequest::default()
    };
    let response = provider.start_authorization(&new_browser(), &request).await;
    assert_redirected_with_error(&response, "invalid_request", &provider.issuer);
}

#[tokio::test]
async fn a_stolen_code_without_the_verifier_is_useless() {
    let provider = spawn_provider().await;
    let code = provider.authorization_code().await;
    let without = provider
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
        ])
        .await;
    assert_json_error(without, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let wrong = provider
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &"x".repeat(43)),
        ])
        .await;
    assert_json_error(wrong, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn a_failed_verifier_does_not_burn_the_code_for_the_real_client() {
    let provider = spawn_provider().await;
    let code = provider.authorization_code().await;
    let attacker = provider
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &"a".repeat(64)),
        ])
        .await;
    assert_eq!(attacker.status(), StatusCode::BAD_REQUEST);
    let legitimate = provider.exchange_code(&code).await;
    assert_eq!(legitimate.status(), StatusCode::OK);
}
