//! The real-browser test (docs/tests.md): headless Chromium walks the OAuth 2.0 authorization code
//! flow like a person, against a provider (and client) started in-process on free ports,
//! and saves a screenshot of each page to `docs/screenshots/`.
//!
//! Run it with `just e2e` (`cargo test -p e2e --features browser -- --test-threads=1`). It
//! needs the Debian packages `chromium` and `chromium-driver`; without them it fails and says
//! how to install them.
#![cfg(feature = "browser")]

use anyhow::{Context, ensure};
use e2e::browser::Browser;
use testkit::apps::{base_url, free_listener, spawn_provider_at};
use testkit::pkce::fresh_request;
use testkit::{PASSWORD, TestApps, USERNAME, spawn_localhost_apps};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_alone_shows_login_then_consent_and_redirects_with_a_code()
-> anyhow::Result<()> {
    // Nothing listens on port 9 (discard): the browser's last navigation fails, and the
    // address bar still shows where the provider sent it.
    let redirect_uri = "http://127.0.0.1:9/callback";
    let listener = free_listener();
    let issuer = base_url(&listener, "localhost");
    spawn_provider_at(listener, &issuer, redirect_uri, &[]);
    let browser = Browser::launch().await?;

    let request = fresh_request(
        &issuer,
        "testclient",
        redirect_uri,
        "profile:read teams:read",
    );
    browser.open(&request.url).await?;
    browser.find("input[name=username]").await?;
    browser.fill("input[name=username]", USERNAME).await?;
    browser.fill("input[name=password]", PASSWORD).await?;
    browser.click("form button[type=submit]").await?;

    browser.find("button[name=decision][value=approve]").await?;
    let consent = browser.page_text().await?;
    ensure!(
        consent.contains("profile:read") && consent.contains("teams:read"),
        "the consent page lists the scopes: {consent}"
    );
    browser
        .click("button[name=decision][value=approve]")
        .await?;

    let url = browser.wait_for_url(redirect_uri).await?;
    let url = url::Url::parse(&url).context("the address bar holds a URL")?;
    let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    ensure!(
        query.get("state") == Some(&request.state),
        "state echoed: {url}"
    );
    ensure!(query.contains_key("code"), "a code: {url}");
    ensure!(query.get("iss") == Some(&issuer), "iss: {url}");
    browser.close().await
}

/// Client home → "Log in with the provider" → the provider's login page, filled in with
/// `password`. Returns with the browser on whatever page the provider answered.
async fn start_login(browser: &Browser, apps: &TestApps, password: &str) -> anyhow::Result<()> {
    browser.open(&apps.client).await?;
    browser.click_text("Log in with the provider").await?;
    browser.find("input[name=username]").await?;
    ensure!(
        browser.url().await?.starts_with(&apps.provider),
        "\"Log in\" leads to the provider"
    );
    browser.fill("input[name=username]", USERNAME).await?;
    browser.fill("input[name=password]", password).await?;
    browser.click("form button[type=submit]").await
}

/// Waits for the client's signed-in home page and checks the demo user's profile and teams.
async fn expect_signed_in(browser: &Browser, apps: &TestApps) -> anyhow::Result<()> {
    browser.find("#profile").await?;
    browser.find("#teams").await?;
    let url = browser.url().await?;
    ensure!(
        url.starts_with(&apps.client),
        "back on the client, not {url}"
    );
    let page = browser.page_text().await?;
    for expected in [
        "Demo User",
        "demo@example.com",
        "Platform",
        "Design",
        "admin",
    ] {
        ensure!(
            page.contains(expected),
            "the signed-in page shows {expected:?}:\n{page}"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_logs_in_approves_sees_profile_and_teams_opens_the_flow_inspector_and_logs_out()
-> anyhow::Result<()> {
    let apps = spawn_localhost_apps().await;
    let browser = Browser::launch().await?;

    browser.open(&apps.client).await?;
    browser.find_text("Log in with the provider").await?;
    browser.screenshot("01-client-home").await?;

    browser.click_text("Log in with the provider").await?;
    browser.find("input[name=username]").await?;
    browser.screenshot("02-provider-login").await?;
    browser.fill("input[name=username]", USERNAME).await?;
    browser.fill("input[name=password]", PASSWORD).await?;
    browser.click("form button[type=submit]").await?;

    browser.find("button[name=decision][value=approve]").await?;
    let consent = browser.page_text().await?;
    ensure!(
        consent.contains("profile:read") && consent.contains("teams:read"),
        "the consent page names each requested scope:\n{consent}"
    );
    browser.screenshot("03-provider-consent").await?;
    browser
        .click("button[name=decision][value=approve]")
        .await?;

    expect_signed_in(&browser, &apps).await?;
    let source = browser.source().await?;
    ensure!(
        !source.contains("testsecret"),
        "the client secret never reaches the browser"
    );
    browser.screenshot("04-client-signed-in").await?;

    browser.open(&format!("{}/flow", apps.client)).await?;
    let flow = browser.page_text().await?;
    for expected in ["/oauth/authorize", "/oauth/token", "code_verifier"] {
        ensure!(
            flow.contains(expected),
            "the flow inspector shows {expected:?}:\n{flow}"
        );
    }
    ensure!(
        !browser.source().await?.contains("testsecret"),
        "the flow inspector masks the client secret"
    );
    browser.screenshot("05-flow-inspector").await?;
    // The screenshot left the window 1,100 px wide (narrower than the 1,280 px where it was
    // seen): long URLs, headers and masked tokens wrap instead of making it scroll sideways.
    let overflow = browser
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await?
        .as_i64()
        .unwrap_or(i64::MAX);
    if overflow > 0 {
        // Name the elements that stick out, so the failure says what to wrap.
        let wide = browser
            .execute(
                "const d = document.documentElement; const w = d.clientWidth; return `scrollWidth ${d.scrollWidth}, clientWidth ${w}, innerWidth ${window.innerWidth}; ` + [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 1 || e.scrollWidth > w + 1).slice(-5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + '/' + e.scrollWidth + ': ' + (e.textContent || '').slice(0, 60)).join(' | ');",
                vec![],
            )
            .await?;
        anyhow::bail!("the flow inspector scrolls sideways by {overflow} px at 1,100 px: {wide}");
    }

    browser.open(&format!("{}/account", apps.provider)).await?;
    let account = browser.page_text().await?;
    ensure!(
        account.contains("testclient"),
        "the provider's account page lists the grant:\n{account}"
    );
    browser.screenshot("06-provider-account").await?;

    browser.open(&apps.client).await?;
    browser.click_text("Log out").await?;
    browser.find_text("Log in with the provider").await?;
    ensure!(
        browser.find("#profile").await.is_err(),
        "no profile is shown after logging out"
    );
    browser.screenshot("07-client-signed-out").await?;
    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_who_denies_consent_is_told_access_denied_by_the_client() -> anyhow::Result<()> {
    let apps = spawn_localhost_apps().await;
    let browser = Browser::launch().await?;

    start_login(&browser, &apps, PASSWORD).await?;
    browser.click("button[name=decision][value=deny]").await?;
    browser.find_text("Log in").await?;
    let url = browser.url().await?;
    ensure!(
        url.starts_with(&apps.client),
        "back on the client, not {url}"
    );
    let page = browser.page_text().await?;
    ensure!(
        page.contains("access_denied"),
        "the client names the error code:\n{page}"
    );
    browser.screenshot("08-client-access-denied").await?;
    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_refused_and_the_right_one_then_completes_the_login()
-> anyhow::Result<()> {
    let apps = spawn_localhost_apps().await;
    let browser = Browser::launch().await?;

    start_login(&browser, &apps, "not-the-password").await?;
    browser.find("input[name=password]").await?;
    browser.find("[role=alert]").await?;
    browser.screenshot("09-provider-wrong-password").await?;

    browser.fill("input[name=username]", USERNAME).await?;
    browser.fill("input[name=password]", PASSWORD).await?;
    browser.click("form button[type=submit]").await?;
    browser
        .click("button[name=decision][value=approve]")
        .await?;
    expect_signed_in(&browser, &apps).await?;
    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_attack_lab_and_the_error_gallery_work_from_the_browser_without_javascript()
-> anyhow::Result<()> {
    let apps = spawn_localhost_apps().await;
    let browser = Browser::launch().await?;

    browser.open(&format!("{}/lab", apps.client)).await?;
    browser.find("#login-csrf button[type=submit]").await?;
    browser.screenshot("11-client-lab").await?;
    browser.click("#login-csrf button[type=submit]").await?;
    browser.find("#login-csrf .verdict.held").await?;
    let lab = browser.page_text().await?;
    ensure!(
        lab.contains("state mismatch") && lab.contains("SUCCEEDED against the naive handler"),
        "the card shows the real callback refusing and the naive one falling:\n{lab}"
    );
    browser.screenshot("12-lab-login-csrf").await?;

    browser.open(&format!("{}/errors", apps.client)).await?;
    browser.click("#invalid_grant button[type=submit]").await?;
    browser.find("#invalid_grant .verdict.held").await?;
    let gallery = browser.page_text().await?;
    ensure!(
        gallery.contains("The provider answered HTTP 400 invalid_grant"),
        "the gallery shows the wire answer:\n{gallery}"
    );
    browser.screenshot("13-error-gallery").await?;
    browser.close().await
}
