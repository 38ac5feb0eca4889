//! Revocation (RFC 7009): at the provider's `/account` (the client notices), and at logout.

use reqwest::StatusCode;

use testkit::{Browser, spawn_provider_and_client};

#[tokio::test]
async fn revoking_at_the_provider_account_page_ends_the_client_session_with_a_reason() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    apps.log_in(&browser).await;

    // The same browser holds the provider's session: revoke the grant on /account.
    let account = browser.get(&apps.provider_url("/account")).await;
    assert_eq!(account.status, StatusCode::OK, "{}", account.body);
    account.assert_contains("testclient");
    let revoke = browser
        .post(
            &apps.provider_url("/account"),
            &[
                ("csrf_token", account.hidden("csrf_token").as_str()),
                ("grant_id", account.hidden("grant_id").as_str()),
            ],
        )
        .await;
    assert_eq!(revoke.status, StatusCode::SEE_OTHER);

    // The client's next API call gets 401, its refresh gets invalid_grant: session over.
    let home = apps.home(&browser).await;
    home.assert_contains("The provider no longer accepts this session, log in again");
    home.assert_contains("invalid_grant");
    home.assert_contains("The provider no longer knows this session");
    assert!(!home.body.contains("Access was revoked"), "{}", home.body);
    home.assert_contains("href=\"/login\"");
    assert!(!home.body.contains("Signed in"), "{}", home.body);
    // And it stays signed out.
    let again = apps.home(&browser).await;
    again.assert_contains("Log in with the provider");
}

#[tokio::test]
async fn logout_revokes_both_tokens_at_the_provider_then_clears_the_session() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    let home = apps.log_in(&browser).await;
    let before = browser.get(&apps.provider_url("/account")).await;
    before.assert_contains("testclient");

    let out = apps.submit(&browser, &home, "/logout", &[]).await;
    // The tokens are revoked before the browser leaves; then, the provider being an OpenID
    // Provider, the logout goes on to its end_session_endpoint (RP-Initiated Logout 1.0).
    let next = out.redirect_target(StatusCode::SEE_OTHER);
    assert!(
        next.starts_with(&apps.provider_url("/oauth/end_session?")),
        "{next}"
    );
    let home = apps.home(&browser).await;
    home.assert_contains("Log in with the provider");
    home.assert_contains("Log in with the provider");

    // The provider holds no live token for the client any more.
    let after = browser.get(&apps.provider_url("/account")).await;
    assert_eq!(after.status, StatusCode::OK);
    assert!(!after.body.contains("name=\"grant_id\""), "{}", after.body);

    let flow = browser.get(&apps.client_url("/flow")).await;
    flow.assert_contains("Revocation of the refresh token: logout");
    flow.assert_contains("Revocation of the access token: logout");
    flow.assert_contains("token_type_hint=refresh_token");
}
