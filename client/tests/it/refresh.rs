//! Refresh (RFC 6749 §6): by hand, automatically on expiry, one at a time per session.

use reqwest::StatusCode;
use tokio::task::JoinSet;

use testkit::{Browser, code_after, spawn_provider_and_client};

#[tokio::test]
async fn refreshing_by_hand_rotates_both_tokens_and_the_session_continues() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    let home = apps.log_in(&browser).await;
    let access = code_after(&home.body, "Access token fingerprint").expect("shown");
    let refresh = code_after(&home.body, "Refresh token</th><td>yes (fingerprint").expect("shown");

    let done = apps.submit(&browser, &home, "/refresh", &[]).await;
    assert_eq!(
        done.redirect_target(StatusCode::SEE_OTHER),
        apps.client_url("/")
    );
    let home = apps.home(&browser).await;
    home.assert_contains("Refreshed");
    let new_access = code_after(&home.body, "Access token fingerprint").expect("shown");
    let new_refresh =
        code_after(&home.body, "Refresh token</th><td>yes (fingerprint").expect("shown");
    assert_ne!(access, new_access);
    assert_ne!(refresh, new_refresh, "the provider rotates refresh tokens");
    home.assert_contains("refresh_token</code> grant");
    home.assert_contains("active</th><td><code>true</code>");
}

#[tokio::test]
async fn parallel_calls_on_an_expired_token_refresh_once_and_the_grant_survives() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    let home = apps.log_in(&browser).await;
    let access = code_after(&home.body, "Access token fingerprint").expect("shown");

    // The client now treats its access token as expired.
    let expired = apps.submit(&browser, &home, "/expire", &[]).await;
    assert_eq!(expired.status, StatusCode::SEE_OTHER);

    // Eight pages at once, each making several API calls with the same session.
    let mut pages = JoinSet::new();
    for _ in 0..8 {
        let browser = browser.clone();
        let url = apps.client_url("/");
        pages.spawn(async move { browser.get(&url).await });
    }
    let mut fingerprints = Vec::new();
    while let Some(page) = pages.join_next().await {
        let page = page.expect("the task finishes");
        assert_eq!(page.status, StatusCode::OK);
        page.assert_contains("Signed in");
        fingerprints.push(code_after(&page.body, "Access token fingerprint").expect("shown"));
    }
    fingerprints.dedup();
    assert_eq!(
        fingerprints.len(),
        1,
        "every page used the same refreshed token: {fingerprints:?}"
    );
    assert_ne!(fingerprints[0], access);

    let flow = browser.get(&apps.client_url("/flow")).await;
    assert_eq!(
        flow.body
            .matches("Refresh: the access token expired")
            .count(),
        1,
        "exactly one refresh went out"
    );
    // With rotation and reuse detection, a second refresh with the old token would have
    // revoked the grant; it is alive.
    let home = apps.home(&browser).await;
    home.assert_contains("active</th><td><code>true</code>");
    home.assert_contains("1 refresh(es) since login");
}

#[tokio::test]
async fn a_form_without_the_clients_csrf_token_is_refused_and_changes_nothing() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    let home = apps.log_in(&browser).await;
    let access = code_after(&home.body, "Access token fingerprint").expect("shown");
    for path in ["/refresh", "/logout", "/expire"] {
        let page = browser
            .post(&apps.client_url(path), &[("csrf_token", "forged")])
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        page.assert_contains("CSRF");
    }
    let home = apps.home(&browser).await;
    assert_eq!(
        code_after(&home.body, "Access token fingerprint"),
        Some(access)
    );
}
