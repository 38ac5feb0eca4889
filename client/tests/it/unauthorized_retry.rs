//! A 401 from the API (RFC 6750 §3.1 `invalid_token`) triggers one refresh and one retry.

use testkit::{Browser, code_after, spawn_behind_fault_injector};

#[tokio::test]
async fn an_api_401_makes_the_client_refresh_once_and_retry_the_call() {
    let faulty = spawn_behind_fault_injector().await;
    let apps = &faulty.apps;
    let browser = Browser::new();
    let home = apps.log_in(&browser).await;
    let access = code_after(&home.body, "Access token fingerprint").expect("shown");

    faulty.fail_next("/api/auth/me");
    let home = apps.home(&browser).await;
    home.assert_contains("Signed in");
    home.assert_contains("<th>Username</th><td>demo</td>");
    let new_access = code_after(&home.body, "Access token fingerprint").expect("shown");
    assert_ne!(access, new_access, "refreshed after the 401");
    home.assert_contains("1 refresh(es) since login");

    let flow = browser.get(&apps.client_url("/flow")).await;
    flow.assert_contains("Refresh: the API answered 401");
    flow.assert_contains("error=\"invalid_token\"");
}

#[tokio::test]
async fn a_second_401_after_the_refresh_ends_the_session_and_says_why() {
    let faulty = spawn_behind_fault_injector().await;
    let apps = &faulty.apps;
    let browser = Browser::new();
    apps.log_in(&browser).await;

    faulty.fail_next("/api/auth/me");
    faulty.fail_next("/api/auth/me");
    let home = apps.home(&browser).await;
    home.assert_contains("The provider no longer accepts this session, log in again");
    home.assert_contains("refused even a freshly refreshed access token");
    home.assert_contains("Log in with the provider");
}

#[tokio::test]
async fn revoking_the_access_token_alone_shows_a_401_then_a_refresh_then_a_retry() {
    let apps = testkit::spawn_provider_and_client().await;
    let browser = Browser::new();
    let home = apps.log_in(&browser).await;
    let access = code_after(&home.body, "Access token fingerprint").expect("shown");

    let revoked = apps.submit(&browser, &home, "/revoke-access", &[]).await;
    assert_eq!(revoked.status, reqwest::StatusCode::SEE_OTHER);
    let home = apps.home(&browser).await;
    home.assert_contains("Signed in");
    home.assert_contains("The access token was revoked at the provider");
    let new_access = code_after(&home.body, "Access token fingerprint").expect("shown");
    assert_ne!(access, new_access, "refreshed after the 401");

    let flow = browser.get(&apps.client_url("/flow")).await;
    flow.assert_contains("Refresh: the API answered 401");
}
