//! OpenID Connect's say over signing in (Core §3.1.2.1, §3.1.2.3, §3.1.2.6): `prompt`,
//! `max_age`, `login_hint` and `id_token_hint`, end to end through a browser. Each test
//! names the page the user would see, or the redirect the client would get.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use provider::openid::id_token::{IdTokenFor, sign_id_token};
use provider::openid::keys::{Algorithm, SigningKey};
use reqwest::{Response, StatusCode};
use serde_json::Value;
use testkit::{
    AuthorizationRequest, CLIENT_ID, PASSWORD, TestProvider, USERNAME,
    assert_redirected_with_error, hidden_input, location, new_browser, query_param, spawn_provider,
    spawn_provider_with,
};

use crate::openid::verified_id_token;

/// An `openid` request with these extra parameters.
fn openid_request(extra: &[(&str, &str)]) -> AuthorizationRequest {
    AuthorizationRequest {
        scope: Some("openid profile:read".into()),
        extra: extra
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect(),
        ..AuthorizationRequest::default()
    }
}

/// Whether `html` is the login page (it has a password field), not the consent page.
fn is_login_page(html: &str) -> bool {
    html.contains("type=\"password\"")
}

/// Whether `html` is the consent page.
fn is_consent_page(html: &str) -> bool {
    html.contains("name=\"decision\"")
}

/// A browser signed in at the provider, with a live `openid profile:read` grant (the code
/// exchanged); answers the browser and that token response.
async fn signed_in_with_a_grant(provider: &TestProvider) -> (reqwest::Client, Value) {
    let browser = new_browser();
    let redirect = provider.authorize_in(&browser, &openid_request(&[])).await;
    let code = redirect.param("code").expect("a code");
    let response = provider.exchange_code(&code).await;
    assert_eq!(response.status(), 200);
    (browser, response.json().await.expect("JSON"))
}

/// The `auth_time` of the ID token that `code` is exchanged for.
async fn auth_time_for(provider: &TestProvider, code: &str) -> u64 {
    let response = provider.exchange_code(code).await;
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.expect("JSON");
    let (_, claims) = verified_id_token(provider, &tokens).await;
    claims["auth_time"].as_u64().expect("auth_time")
}

async fn body(response: Response) -> String {
    response.text().await.expect("a body")
}

/// The page `browser` is shown for an `openid` request with `extra`: its status and HTML.
async fn page_for(
    provider: &TestProvider,
    browser: &reqwest::Client,
    extra: &[(&str, &str)],
) -> (StatusCode, String) {
    let response = provider
        .start_authorization(browser, &openid_request(extra))
        .await;
    (response.status(), body(response).await)
}

/// Signs in on the login page `login_html` and follows the redirect: the page that comes
/// next (the consent page, when the request goes on).
async fn sign_in_and_follow(
    provider: &TestProvider,
    browser: &reqwest::Client,
    login_html: &str,
) -> String {
    let logged_in = provider
        .log_in(browser, login_html, USERNAME, PASSWORD)
        .await;
    assert_eq!(logged_in.status(), StatusCode::SEE_OTHER);
    body(provider.follow(browser, &logged_in).await).await
}

/// Approves on the consent page `consent` and answers the `auth_time` of the ID token the
/// code is exchanged for.
async fn approve_for_auth_time(
    provider: &TestProvider,
    browser: &reqwest::Client,
    consent: &str,
) -> u64 {
    let approved = provider.decide(browser, consent, "approve").await;
    let code = query_param(&location(&approved), "code").expect("a code");
    auth_time_for(provider, &code).await
}

/// Now on the provider's clock, in seconds.
fn now_seconds(provider: &TestProvider) -> u64 {
    provider::domain::Clock::Manual(provider.clock.clone()).now_millis() / 1000
}

#[tokio::test]
async fn prompt_none_without_a_provider_session_redirects_with_login_required() {
    let provider = spawn_provider().await;
    let response = provider
        .start_authorization(&new_browser(), &openid_request(&[("prompt", "none")]))
        .await;
    assert_redirected_with_error(&response, "login_required", &provider.issuer);
    assert_eq!(
        query_param(&location(&response), "state").as_deref(),
        Some("state-123")
    );
}

#[tokio::test]
async fn prompt_none_with_a_session_but_no_consent_yet_redirects_with_consent_required() {
    let provider = spawn_provider().await;
    let browser = new_browser();
    // Signed in, but the user denied: no grant, so no consent to rely on.
    let consent = provider.reach_consent(&browser, &openid_request(&[])).await;
    let denied = provider.decide(&browser, &consent, "deny").await;
    assert_eq!(denied.status(), StatusCode::SEE_OTHER);

    let response = provider
        .start_authorization(&browser, &openid_request(&[("prompt", "none")]))
        .await;
    assert_redirected_with_error(&response, "consent_required", &provider.issuer);
    assert_eq!(
        query_param(&location(&response), "state").as_deref(),
        Some("state-123")
    );
}

#[tokio::test]
async fn prompt_none_with_a_session_and_a_live_grant_issues_a_code_without_any_page() {
    let provider = spawn_provider().await;
    let (browser, first) = signed_in_with_a_grant(&provider).await;
    let (_, first_claims) = verified_id_token(&provider, &first).await;

    let response = provider
        .start_authorization(&browser, &openid_request(&[("prompt", "none")]))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "no page");
    let redirect = location(&response);
    assert_eq!(
        query_param(&redirect, "state").as_deref(),
        Some("state-123")
    );
    assert_eq!(
        query_param(&redirect, "iss").as_deref(),
        Some(provider.issuer.as_str())
    );
    let code = query_param(&redirect, "code").expect("a code, silently");
    assert_eq!(
        auth_time_for(&provider, &code).await,
        first_claims["auth_time"].as_u64().expect("auth_time"),
        "the same sign-in"
    );

    let wider = openid_request(&[("prompt", "none")]);
    let wider = AuthorizationRequest {
        scope: Some("openid profile:read teams:write".into()),
        ..wider
    };
    let response = provider.start_authorization(&browser, &wider).await;
    assert_redirected_with_error(&response, "consent_required", &provider.issuer);
}

#[tokio::test]
async fn prompt_login_shows_the_login_page_even_with_a_session() {
    let provider = spawn_provider().await;
    let (browser, first) = signed_in_with_a_grant(&provider).await;
    let (_, first_claims) = verified_id_token(&provider, &first).await;
    let first_auth_time = first_claims["auth_time"].as_u64().expect("auth_time");
    provider.clock.advance(Duration::from_secs(120));

    let (status, login_html) = page_for(&provider, &browser, &[("prompt", "login")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(is_login_page(&login_html), "the login page: {login_html}");

    // Signing in again goes on to consent (not back to the login page), and the ID token
    // says when: the new sign-in.
    let consent = sign_in_and_follow(&provider, &browser, &login_html).await;
    assert!(is_consent_page(&consent), "the consent page: {consent}");
    assert!(approve_for_auth_time(&provider, &browser, &consent).await >= first_auth_time + 120);
}

#[tokio::test]
async fn prompt_select_account_is_treated_as_login_and_shows_the_login_page() {
    let provider = spawn_provider().await;
    let (browser, _) = signed_in_with_a_grant(&provider).await;
    let (status, html) = page_for(&provider, &browser, &[("prompt", "select_account")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(is_login_page(&html));
}

#[tokio::test]
async fn prompt_consent_shows_the_consent_page_where_prompt_none_would_have_issued_a_code() {
    let provider = spawn_provider().await;
    let (browser, _) = signed_in_with_a_grant(&provider).await;
    let (status, html) = page_for(&provider, &browser, &[("prompt", "consent")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(is_consent_page(&html));
}

#[tokio::test]
async fn prompt_none_with_another_value_is_invalid_request() {
    let provider = spawn_provider().await;
    let (browser, _) = signed_in_with_a_grant(&provider).await;
    for prompt in ["none login", "consent none", "none create"] {
        let response = provider
            .start_authorization(&browser, &openid_request(&[("prompt", prompt)]))
            .await;
        assert_redirected_with_error(&response, "invalid_request", &provider.issuer);
    }
}

#[tokio::test]
async fn an_unknown_prompt_value_is_ignored() {
    let provider = spawn_provider().await;
    let (status, html) = page_for(&provider, &new_browser(), &[("prompt", "create")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(is_login_page(&html));
}

#[tokio::test]
async fn a_request_without_openid_ignores_prompt_as_plain_oauth_does() {
    let provider = spawn_provider().await;
    let plain = AuthorizationRequest {
        extra: vec![("prompt".into(), "none".into())],
        ..AuthorizationRequest::default()
    };
    let response = provider.start_authorization(&new_browser(), &plain).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the login page, no error"
    );
    assert!(is_login_page(&body(response).await));
}

#[tokio::test]
async fn a_malformed_max_age_is_invalid_request() {
    let provider = spawn_provider().await;
    for max_age in ["-1", "ten", "1.5", "99999999999999999999999"] {
        let response = provider
            .start_authorization(&new_browser(), &openid_request(&[("max_age", max_age)]))
            .await;
        assert_redirected_with_error(&response, "invalid_request", &provider.issuer);
    }
}

#[tokio::test]
async fn max_age_bounds_auth_time() {
    let provider = spawn_provider().await;
    let (browser, _) = signed_in_with_a_grant(&provider).await;
    provider.clock.advance(Duration::from_secs(600));

    // A sign-in 600 seconds old is young enough for max_age=3600: consent straight away.
    let (_, html) = page_for(&provider, &browser, &[("max_age", "3600")]).await;
    assert!(is_consent_page(&html));

    // Too old for max_age=300: the user signs in again, and auth_time is within max_age.
    let (status, login_html) = page_for(&provider, &browser, &[("max_age", "300")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(is_login_page(&login_html), "the login page: {login_html}");
    let consent = sign_in_and_follow(&provider, &browser, &login_html).await;
    let auth_time = approve_for_auth_time(&provider, &browser, &consent).await;
    assert!(
        now_seconds(&provider) - auth_time <= 300,
        "auth_time {auth_time} is within max_age"
    );
}

#[tokio::test]
async fn max_age_zero_asks_for_a_fresh_sign_in_like_prompt_login() {
    let provider = spawn_provider().await;
    let (browser, _) = signed_in_with_a_grant(&provider).await;
    let (_, login_html) = page_for(&provider, &browser, &[("max_age", "0")]).await;
    assert!(is_login_page(&login_html));
    let next = sign_in_and_follow(&provider, &browser, &login_html).await;
    assert!(is_consent_page(&next), "on to consent, not a loop: {next}");
}

#[tokio::test]
async fn max_age_with_prompt_none_and_an_old_sign_in_is_login_required() {
    let provider = spawn_provider().await;
    let (browser, _) = signed_in_with_a_grant(&provider).await;
    provider.clock.advance(Duration::from_secs(600));
    let response = provider
        .start_authorization(
            &browser,
            &openid_request(&[("prompt", "none"), ("max_age", "60")]),
        )
        .await;
    assert_redirected_with_error(&response, "login_required", &provider.issuer);
}

#[tokio::test]
async fn an_id_token_for_a_request_with_max_age_carries_auth_time() {
    let provider = spawn_provider().await;
    let redirect = provider
        .authorize(&openid_request(&[("max_age", "3600")]))
        .await;
    let code = redirect.param("code").expect("a code");
    let auth_time = auth_time_for(&provider, &code).await;
    assert!(auth_time > 0);
}

#[tokio::test]
async fn login_hint_fills_in_the_username_html_escaped_and_an_over_long_one_is_dropped() {
    let provider = spawn_provider().await;
    let hint = "<b>\"demo\"";
    let (_, html) = page_for(&provider, &new_browser(), &[("login_hint", hint)]).await;
    assert!(
        html.contains("value=\"&lt;b&gt;&quot;demo&quot;\""),
        "prefilled and escaped: {html}"
    );
    assert!(!html.contains("<b>"), "never raw markup");

    let long = "d".repeat(300);
    let (_, html) = page_for(&provider, &new_browser(), &[("login_hint", &long)]).await;
    assert!(is_login_page(&html));
    assert!(!html.contains(&long), "a hint that long is not kept");
}

#[tokio::test]
async fn a_wrong_password_after_prompt_login_keeps_the_pending_request() {
    let provider = spawn_provider().await;
    let (browser, _) = signed_in_with_a_grant(&provider).await;
    let (_, login_html) = page_for(&provider, &browser, &[("prompt", "login")]).await;
    let wrong = provider
        .log_in(&browser, &login_html, USERNAME, "not-the-password")
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let again = body(wrong).await;
    assert_eq!(
        hidden_input(&again, "request_id"),
        hidden_input(&login_html, "request_id"),
        "the same request still waits"
    );
    let consent = sign_in_and_follow(&provider, &browser, &again).await;
    assert!(is_consent_page(&consent), "on to consent: {consent}");
}

/// A provider signing with a key the test also holds, so the test can write ID tokens the
/// provider accepts as its own: answers the provider and the key.
async fn provider_with_known_key() -> (TestProvider, SigningKey) {
    let key = SigningKey::generate(Algorithm::ES256).expect("a key");
    let der = URL_SAFE_NO_PAD
        .decode(key.to_stored().pkcs8)
        .expect("base64url");
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        STANDARD.encode(der)
    );
    let path = std::env::temp_dir().join(format!("prompt-key-{}.pem", key.kid()));
    std::fs::write(&path, pem).expect("a temporary file");
    let provider =
        spawn_provider_with(&[("SIGNING_KEY_FILE", path.to_str().expect("UTF-8"))]).await;
    let _ = std::fs::remove_file(&path);
    (provider, key)
}

/// An ID token about `subject` from `issuer`, signed with `key`, expired an hour ago.
fn expired_id_token(key: &SigningKey, issuer: &str, subject: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    sign_id_token(
        key,
        &IdTokenFor {
            issuer,
            subject,
            client_id: CLIENT_ID,
            auth_time: now - 7200,
            nonce: None,
            sid: None,
            access_token: "irrelevant",
            issued_at: now - 7200,
            expires_at: now - 3600,
        },
    )
    .expect("signed")
}

#[tokio::test]
async fn an_id_token_hint_for_the_signed_in_user_is_accepted_even_expired() {
    let (provider, key) = provider_with_known_key().await;
    let (browser, _) = signed_in_with_a_grant(&provider).await;
    let hint = expired_id_token(&key, &provider.issuer, "user1");
    let response = provider
        .start_authorization(
            &browser,
            &openid_request(&[("prompt", "none"), ("id_token_hint", &hint)]),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(query_param(&location(&response), "code").is_some());
}

#[tokio::test]
async fn an_id_token_hint_for_another_user_asks_for_a_sign_in_or_is_login_required_with_prompt_none()
 {
    let (provider, key) = provider_with_known_key().await;
    let (browser, _) = signed_in_with_a_grant(&provider).await;
    let hint = expired_id_token(&key, &provider.issuer, "someone-else");

    let silent = provider
        .start_authorization(
            &browser,
            &openid_request(&[("prompt", "none"), ("id_token_hint", &hint)]),
        )
        .await;
    assert_redirected_with_error(&silent, "login_required", &provider.issuer);

    let (status, html) = page_for(&provider, &browser, &[("id_token_hint", &hint)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(is_login_page(&html));
}

#[tokio::test]
async fn an_id_token_hint_we_did_not_issue_is_invalid_request() {
    let (provider, key) = provider_with_known_key().await;
    let stranger = SigningKey::generate(Algorithm::ES256).expect("a key");
    let hints = [
        expired_id_token(&stranger, &provider.issuer, "user1"),
        expired_id_token(&key, "https://elsewhere.example", "user1"),
        "not-a-jwt".to_owned(),
    ];
    for hint in hints {
        let response = provider
            .start_authorization(&new_browser(), &openid_request(&[("id_token_hint", &hint)]))
            .await;
        assert_redirected_with_error(&response, "invalid_request", &provider.issuer);
    }
}
