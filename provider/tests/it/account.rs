//! The resource owner's side of RFC 6749 §10.5 and RFC 7009's effect: `/account` lists the
//! grants that hold live tokens and revokes any of them; logging out of the provider. Every
//! state-changing form carries a `csrf_token` (RFC 6749 §10.12), and a POST without one is
//! 403 and changes nothing.

use reqwest::StatusCode;

use testkit::{
    AuthorizationRequest, CLIENT_ID, TestProvider, assert_json_error, hidden_input, location,
    new_browser, spawn_provider, token_pair,
};

/// Counts the occurrences of `needle` in `haystack`.
fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

/// POST a form to `path` in `browser`.
async fn post_form(
    provider: &TestProvider,
    browser: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    browser
        .post(provider.url(path))
        .form(form)
        .send()
        .await
        .expect("the provider answers")
}

#[tokio::test]
async fn a_signed_out_visitor_sees_the_login_form() {
    let provider = spawn_provider().await;
    let (status, html) = provider.page(&new_browser(), "/account").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("action=\"/login\""), "{html}");
    assert!(html.contains("name=\"username\"") && html.contains("name=\"password\""));
    assert!(hidden_input(&html, "csrf_token").is_some());
    assert!(!html.contains("name=\"grant_id\""));
}

#[tokio::test]
async fn after_a_flow_the_account_lists_the_grant_with_its_client_scopes_and_one_revoke_form() {
    let provider = spawn_provider().await;
    let browser = new_browser();
    provider.user_tokens_in(&browser).await;
    let (status, html) = provider.page(&browser, "/account").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(CLIENT_ID), "the client id is shown");
    assert!(html.contains("Demo Client App"), "the client name is shown");
    assert!(html.contains("profile:read") && html.contains("teams:read"));
    assert_eq!(count(&html, "name=\"grant_id\""), 1, "one revoke form");
    assert!(html.contains("<form method=\"post\" action=\"/account\">"));
    assert!(hidden_input(&html, "csrf_token").is_some());
    assert!(hidden_input(&html, "grant_id").is_some_and(|id| !id.is_empty()));
}

#[tokio::test]
async fn each_grant_has_its_own_revoke_form() {
    let provider = spawn_provider().await;
    let browser = new_browser();
    provider.user_tokens_in(&browser).await;
    provider.user_tokens_in(&browser).await;
    let (_, html) = provider.page(&browser, "/account").await;
    assert_eq!(count(&html, "name=\"grant_id\""), 2);
}

#[tokio::test]
async fn revoking_a_grant_on_the_account_page_kills_every_token_of_it_at_once() {
    let provider = spawn_provider().await;
    let browser = new_browser();
    let (access, refresh) = token_pair(&provider.user_tokens_in(&browser).await);
    let (_, html) = provider.page(&browser, "/account").await;
    let csrf = hidden_input(&html, "csrf_token").expect("a csrf_token");
    let grant_id = hidden_input(&html, "grant_id").expect("a grant_id");

    let response = post_form(
        &provider,
        &browser,
        "/account",
        &[("csrf_token", &csrf), ("grant_id", &grant_id)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/account");

    assert!(!provider.is_active(&access).await);
    assert!(!provider.is_active(&refresh).await);
    let protected = provider.get_with_token("/protected", &access).await;
    assert_eq!(protected.status(), StatusCode::UNAUTHORIZED);
    let refreshed = provider.refresh(&refresh).await;
    assert_json_error(refreshed, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let (_, html) = provider.page(&browser, "/account").await;
    assert!(!html.contains("name=\"grant_id\""), "the grant is gone");
}

#[tokio::test]
async fn a_revoke_without_csrf_token_is_403_and_the_pages_own_form_still_works() {
    let provider = spawn_provider().await;
    let browser = new_browser();
    let (access, _) = token_pair(&provider.user_tokens_in(&browser).await);
    let (_, html) = provider.page(&browser, "/account").await;
    let csrf = hidden_input(&html, "csrf_token").expect("a csrf_token");
    let grant_id = hidden_input(&html, "grant_id").expect("a grant_id");

    let forged = post_form(&provider, &browser, "/account", &[("grant_id", &grant_id)]).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let wrong = post_form(
        &provider,
        &browser,
        "/account",
        &[("csrf_token", "forged"), ("grant_id", &grant_id)],
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    assert!(provider.is_active(&access).await, "nothing changed");

    let real = post_form(
        &provider,
        &browser,
        "/account",
        &[("csrf_token", &csrf), ("grant_id", &grant_id)],
    )
    .await;
    assert_eq!(real.status(), StatusCode::SEE_OTHER);
    assert!(!provider.is_active(&access).await);
}

#[tokio::test]
async fn another_users_grant_id_revokes_nothing() {
    let provider = spawn_provider().await;
    let browser = new_browser();
    let (access, _) = token_pair(&provider.user_tokens_in(&browser).await);
    let (_, html) = provider.page(&browser, "/account").await;
    let csrf = hidden_input(&html, "csrf_token").expect("a csrf_token");
    let response = post_form(
        &provider,
        &browser,
        "/account",
        &[("csrf_token", &csrf), ("grant_id", "no-such-grant")],
    )
    .await;
    assert!(response.status().is_redirection() || response.status().is_client_error());
    assert!(provider.is_active(&access).await);
}

#[tokio::test]
async fn the_logout_form_posts_to_logout_with_a_csrf_token() {
    let provider = spawn_provider().await;
    let browser = new_browser();
    provider.user_tokens_in(&browser).await;
    let (_, html) = provider.page(&browser, "/account").await;
    let form_start = html
        .find("<form method=\"post\" action=\"/logout\">")
        .expect("a logout form");
    let form = &html[form_start..];
    let form = &form[..form.find("</form>").expect("the form ends")];
    assert!(hidden_input(form, "csrf_token").is_some(), "{form}");
}

#[tokio::test]
async fn a_logout_without_csrf_token_is_403_and_the_session_survives() {
    let provider = spawn_provider().await;
    let browser = new_browser();
    provider.user_tokens_in(&browser).await;
    let forged = post_form(&provider, &browser, "/logout", &[]).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let (_, html) = provider.page(&browser, "/account").await;
    assert!(
        html.contains("action=\"/logout\""),
        "still signed in: {html}"
    );
    assert!(!html.contains("name=\"password\""));
}

#[tokio::test]
async fn after_logout_the_next_authorization_shows_the_login_page_again() {
    let provider = spawn_provider().await;
    let browser = new_browser();
    let (access, _) = token_pair(&provider.user_tokens_in(&browser).await);
    let (_, html) = provider.page(&browser, "/account").await;
    let csrf = hidden_input(&html, "csrf_token").expect("a csrf_token");
    let response = post_form(&provider, &browser, "/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let (_, account) = provider.page(&browser, "/account").await;
    assert!(account.contains("name=\"password\""), "signed out");
    let login = provider
        .start_authorization(&browser, &AuthorizationRequest::default())
        .await;
    assert_eq!(login.status(), StatusCode::OK);
    let html = login.text().await.expect("a page");
    assert!(html.contains("name=\"password\""), "the login page again");
    assert!(!html.contains("name=\"decision\""));
    assert!(
        provider.is_active(&access).await,
        "logging out of the provider does not revoke tokens"
    );
}

#[tokio::test]
async fn an_expired_access_token_shows_as_expired_and_the_grant_goes_when_its_refresh_token_does() {
    let provider = spawn_provider().await;
    let browser = new_browser();
    let (access, refresh) = token_pair(&provider.user_tokens_in(&browser).await);
    let row = |html: &str, token: &str| {
        let fingerprint = shared::fingerprint(token);
        html.lines()
            .find(|line| line.contains(&fingerprint))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("a row for {fingerprint}: {html}"))
    };
    // Past the access token's hour, within the refresh token's fourteen days.
    provider
        .clock
        .advance(std::time::Duration::from_secs(3600 + 1));
    let (_, html) = provider.page(&browser, "/account").await;
    assert!(row(&html, &access).contains("<td>expired</td>"), "{html}");
    assert!(row(&html, &refresh).contains("<td>live</td>"), "{html}");
    assert_eq!(count(&html, "name=\"grant_id\""), 1, "the grant is listed");
    // Past the refresh token too: nothing left to revoke, so the grant is not listed.
    provider
        .clock
        .advance(std::time::Duration::from_secs(14 * 86_400));
    let (_, html) = provider.page(&browser, "/account").await;
    assert_eq!(count(&html, "name=\"grant_id\""), 0, "{html}");
}
