//! The authorization code flow through the client's pages (RFC 6749 §4.1, RFC 7636).

use reqwest::StatusCode;

use testkit::{Browser, code_after, query_param, spawn_provider_and_client};

#[tokio::test]
async fn a_user_logs_in_through_the_provider_and_sees_profile_teams_and_token_facts() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();

    let signed_out = apps.home(&browser).await;
    signed_out.assert_contains("You are on the CLIENT app");
    signed_out.assert_contains("href=\"/login\"");

    let hops = apps.authorize(&browser, "/login", "approve").await;
    let request = &hops.authorization_url;
    assert_eq!(
        query_param(request, "response_type").as_deref(),
        Some("code")
    );
    assert_eq!(
        query_param(request, "client_id").as_deref(),
        Some("testclient")
    );
    assert_eq!(
        query_param(request, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(
        query_param(request, "scope").as_deref(),
        // The configured scopes (the notes API's too: the provider offers them), then OpenID
        // Connect's: the provider is an OpenID Provider (its discovery document has a
        // `jwks_uri` and offers `openid`), so the client asks who the user is as well as for
        // API access (Core §3.1.2.1).
        Some("profile:read teams:read notes:read notes:write openid profile email")
    );
    assert_eq!(
        query_param(request, "redirect_uri"),
        Some(apps.client_url("/callback"))
    );
    let challenge = query_param(request, "code_challenge").expect("a PKCE challenge");
    assert_eq!(
        challenge.len(),
        43,
        "base64url of a SHA-256, without padding"
    );
    let state = query_param(request, "state").expect("a state");
    assert!(state.len() >= 22, "at least 128 bits of state");

    let callback = &hops.callback_url;
    assert_eq!(
        query_param(callback, "state"),
        Some(state),
        "state echoed as sent"
    );
    assert_eq!(
        query_param(callback, "iss"),
        Some(apps.provider.clone()),
        "RFC 9207 iss"
    );
    assert!(query_param(callback, "code").is_some());

    let home = apps.finish(&browser, callback).await;
    home.assert_contains("Signed in");
    home.assert_contains("demo");
    home.assert_contains("id=\"profile\"");
    for needed in [
        "Username",
        "Display name",
        "Email",
        "Your teams",
        "profile:read",
        "teams:read",
    ] {
        home.assert_contains(needed);
    }
    // The demo user belongs to at least two teams (contract), each listed with its role.
    assert!(
        home.body.matches("class=\"team\"").count() >= 2,
        "{}",
        home.body
    );
    home.assert_contains("active</th><td><code>true</code>");
    home.assert_contains("action=\"/refresh\"");
    home.assert_contains("action=\"/logout\"");
}

#[tokio::test]
async fn the_session_cookie_is_http_only_lax_and_named_client_session() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    let start = browser.get(&apps.client_url("/login")).await;
    assert_eq!(start.status, StatusCode::SEE_OTHER);
    let cookies: Vec<&str> = start
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    let session = cookies
        .iter()
        .find(|cookie| cookie.starts_with("client_session="))
        .unwrap_or_else(|| panic!("a client_session cookie: {cookies:?}"));
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    assert!(
        !session.contains("Secure"),
        "plain http on localhost: {session}"
    );
}

#[tokio::test]
async fn denying_consent_shows_access_denied_and_offers_to_try_again() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    let hops = apps.authorize(&browser, "/login", "deny").await;
    assert_eq!(
        query_param(&hops.callback_url, "error").as_deref(),
        Some("access_denied")
    );
    let page = browser.get(&hops.callback_url).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    page.assert_contains("access_denied");
    page.assert_contains("href=\"/login\"");
    page.assert_contains("href=\"/\"");
    // Still signed out.
    let home = apps.home(&browser).await;
    home.assert_contains("Log in with the provider");
}

#[tokio::test]
async fn the_client_starts_a_new_flow_while_signed_in_and_replaces_the_old_grant() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    apps.log_in(&browser).await;
    // The provider remembers the user: straight to consent this time.
    let home = apps.log_in(&browser).await;
    home.assert_contains("Signed in");
    let flow = browser.get(&apps.client_url("/flow")).await;
    flow.assert_contains("Revocation of the refresh token: the new grant replaces it");
}

#[tokio::test]
async fn a_new_login_revokes_both_tokens_of_the_grant_it_replaces_as_logout_does() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    let first = apps.log_in(&browser).await;
    let old_access = code_after(&first.body, "Access token fingerprint").expect("shown");
    apps.log_in(&browser).await;
    let flow = browser.get(&apps.client_url("/flow")).await;
    let refresh = flow
        .body
        .find("Revocation of the refresh token: the new grant replaces it")
        .expect("the refresh token is revoked first");
    let access = flow
        .body
        .find("Revocation of the access token: the new grant replaces it")
        .unwrap_or_else(|| panic!("the old access token is revoked too: {}", flow.body));
    assert!(refresh < access, "refresh token first, as at logout");
    flow.assert_contains(&old_access);
}
