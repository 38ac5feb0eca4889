//! RFC 6749 §4.1.1 (the resource owner authenticates and decides), with this provider's
//! form rules: CSRF tokens, 401 on a wrong password, the pending request survives.

use provider::store::GrantStore;
use reqwest::StatusCode;

use testkit::{
    AuthorizationRequest, PASSWORD, REDIRECT_URI, USERNAME, hidden_input, location, new_browser,
    query_param, spawn_provider,
};

#[tokio::test]
async fn a_new_browser_is_shown_the_login_form_with_csrf_token_and_request_id() {
    let provider = spawn_provider().await;
    let response = provider
        .start_authorization(&new_browser(), &AuthorizationRequest::default())
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.expect("a page");
    assert!(html.contains("<form method=\"post\" action=\"/login\">"));
    assert!(html.contains("name=\"username\"") && html.contains("name=\"password\""));
    assert!(hidden_input(&html, "csrf_token").is_some());
    assert!(hidden_input(&html, "request_id").is_some());
    assert!(
        html.contains("Demo Client App"),
        "the login page names the client"
    );
}

#[tokio::test]
async fn a_wrong_password_shows_the_login_page_again_with_401_and_the_request_survives() {
    let provider = spawn_provider().await;
    let browser = new_browser();
    let login = provider
        .start_authorization(&browser, &AuthorizationRequest::default())
        .await;
    let login_html = login.text().await.expect("a page");
    let wrong = provider
        .log_in(&browser, &login_html, USERNAME, "not-the-password")
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let retry_html = wrong.text().await.expect("a page");
    assert!(retry_html.contains("Wrong username or password"));
    assert_eq!(
        hidden_input(&retry_html, "request_id"),
        hidden_input(&login_html, "request_id")
    );
    let right = provider
        .log_in(&browser, &retry_html, USERNAME, PASSWORD)
        .await;
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    let consent = provider.follow(&browser, &right).await;
    let consent_html = consent.text().await.expect("a page");
    let approved = provider.decide(&browser, &consent_html, "approve").await;
    let location = location(&approved);
    assert!(location.starts_with(REDIRECT_URI));
    assert_eq!(
        query_param(&location, "state").as_deref(),
        Some("state-123")
    );
    assert!(query_param(&location, "code").is_some());
}

#[tokio::test]
async fn the_consent_page_names_the_client_and_describes_each_scope() {
    let provider = spawn_provider().await;
    let request = AuthorizationRequest {
        scope: Some(shared::scope::join_scopes(&shared::scope::Scope::ALL)),
        ..AuthorizationRequest::default()
    };
    let html = provider.reach_consent(&new_browser(), &request).await;
    assert!(html.contains("Demo Client App") && html.contains("testclient"));
    for scope in shared::scope::Scope::ALL {
        assert!(
            html.contains(scope.as_str()) && html.contains(scope.description()),
            "{scope}"
        );
    }
    assert!(html.contains("<form method=\"post\" action=\"/oauth/authorize\">"));
    assert!(html.contains("name=\"decision\" value=\"approve\""));
    assert!(html.contains("name=\"decision\" value=\"deny\""));
    assert!(hidden_input(&html, "csrf_token").is_some());
}

#[tokio::test]
async fn denying_redirects_with_access_denied_state_and_iss() {
    let provider = spawn_provider().await;
    let browser = new_browser();
    let html = provider
        .reach_consent(&browser, &AuthorizationRequest::default())
        .await;
    let denied = provider.decide(&browser, &html, "deny").await;
    assert_eq!(denied.status(), StatusCode::SEE_OTHER);
    let location = location(&denied);
    assert!(location.starts_with(REDIRECT_URI));
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("access_denied")
    );
    assert!(query_param(&location, "error_description").is_some());
    assert_eq!(
        query_param(&location, "state").as_deref(),
        Some("state-123")
    );
    assert_eq!(
        query_param(&location, "iss").as_deref(),
        Some(provider.issuer.as_str())
    );
    assert!(query_param(&location, "code").is_none());
}

#[tokio::test]
async fn a_login_without_a_valid_csrf_token_is_refused_and_the_real_form_still_works() {
    let provider = spawn_provider().await;
    let browser = new_browser();
    let login_html = provider
        .start_authorization(&browser, &AuthorizationRequest::default())
        .await
        .text()
        .await
        .expect("a page");
    let request_id = hidden_input(&login_html, "request_id").expect("an id");
    for csrf in [None, Some("forged")] {
        let mut form = vec![
            ("username", USERNAME),
            ("password", PASSWORD),
            ("request_id", request_id.as_str()),
        ];
        if let Some(token) = csrf {
            form.push(("csrf_token", token));
        }
        let refused = browser
            .post(provider.url("/login"))
            .form(&form)
            .send()
            .await
            .expect("answers");
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    }
    let account = browser
        .get(provider.url("/account"))
        .send()
        .await
        .expect("answers");
    assert!(
        account
            .text()
            .await
            .expect("a page")
            .contains("name=\"password\""),
        "still signed out"
    );
    let right = provider
        .log_in(&browser, &login_html, USERNAME, PASSWORD)
        .await;
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_consent_without_a_valid_csrf_token_is_refused_and_issues_no_code() {
    let provider = spawn_provider().await;
    let browser = new_browser();
    let html = provider
        .reach_consent(&browser, &AuthorizationRequest::default())
        .await;
    let request_id = hidden_input(&html, "request_id").expect("an id");
    let forged = browser
        .post(provider.url("/oauth/authorize"))
        .form(&[
            ("request_id", request_id.as_str()),
            ("decision", "approve"),
            ("csrf_token", "forged"),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(forged.headers().get("location").is_none());
    assert_eq!(
        provider
            .store
            .size()
            .await
            .expect("the store answers")
            .codes,
        0,
        "nothing was issued"
    );
    let approved = provider.decide(&browser, &html, "approve").await;
    assert_eq!(
        approved.status(),
        StatusCode::SEE_OTHER,
        "the page's own form still works"
    );
}

#[tokio::test]
async fn a_decision_is_made_once() {
    let provider = spawn_provider().await;
    let browser = new_browser();
    let html = provider
        .reach_consent(&browser, &AuthorizationRequest::default())
        .await;
    assert_eq!(
        provider.decide(&browser, &html, "approve").await.status(),
        StatusCode::SEE_OTHER
    );
    let again = provider.decide(&browser, &html, "approve").await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(again.headers().get("location").is_none());
}

#[tokio::test]
async fn another_browser_cannot_use_someone_elses_pending_request() {
    let provider = spawn_provider().await;
    let victim = new_browser();
    let victim_html = provider
        .reach_consent(&victim, &AuthorizationRequest::default())
        .await;
    let attacker = new_browser();
    let attacker_html = provider
        .reach_consent(&attacker, &AuthorizationRequest::default())
        .await;
    let stolen_id = hidden_input(&victim_html, "request_id").expect("an id");
    let attempt = attacker
        .post(provider.url("/oauth/authorize"))
        .form(&[
            ("request_id", stolen_id.as_str()),
            ("decision", "approve"),
            (
                "csrf_token",
                hidden_input(&attacker_html, "csrf_token")
                    .expect("token")
                    .as_str(),
            ),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(
        attempt.status(),
        StatusCode::BAD_REQUEST,
        "the id means nothing in another session"
    );
}

#[tokio::test]
async fn a_signed_in_browser_goes_straight_to_consent() {
    let provider = spawn_provider().await;
    let browser = new_browser();
    provider
        .authorize_in(&browser, &AuthorizationRequest::default())
        .await;
    let second = provider
        .start_authorization(&browser, &AuthorizationRequest::default())
        .await;
    let html = second.text().await.expect("a page");
    assert!(html.contains("name=\"decision\""), "consent, not login");
}

#[tokio::test]
async fn a_consent_page_left_open_for_ten_minutes_approves_nothing() {
    let provider = spawn_provider().await;
    let browser = new_browser();
    let consent = provider
        .reach_consent(&browser, &AuthorizationRequest::default())
        .await;
    // A pending request lives ten minutes (the longest a code may, RFC 6749 §4.1.2).
    provider
        .clock
        .advance(std::time::Duration::from_secs(10 * 60));
    let response = provider.decide(&browser, &consent, "approve").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let page = response.text().await.expect("a page");
    assert!(page.contains("already decided or has expired"), "{page}");
    let size = provider.store.size().await.expect("the store answers");
    assert_eq!(size.codes, 0, "no code was issued");
}
