//! The real-browser test of `/spa` (README, "Two kinds of client"): there the JavaScript *is* the OAuth client
//! (a public client, RFC 6749 §2.1), so only a browser can test it. Headless Chromium logs
//! in through the page, approves, comes back to `/spa/callback`, sees the profile, refreshes,
//! revokes; and nothing of the tokens is left in `localStorage`, `sessionStorage` or a
//! cookie. The page's S256 function is checked against RFC 7636 Appendix B.
//!
//! Run it with `just e2e` (`cargo test -p e2e --features browser -- --test-threads=1`).
#![cfg(feature = "browser")]

use anyhow::{Context, ensure};
use e2e::browser::Browser;
use serde_json::{Value, json};
use testkit::{PASSWORD, TestApps, USERNAME, spawn_localhost_apps};

/// What the page's origin keeps in the browser: storage sizes and the cookies a script sees.
async fn browser_storage(browser: &Browser) -> anyhow::Result<Value> {
    browser
        .execute(
            "return { local: localStorage.length, session: sessionStorage.length, \
             cookie: document.cookie };",
            vec![],
        )
        .await
}

/// Nothing in `localStorage`, nothing left in `sessionStorage` (the verifier and state are
/// removed at the callback), and no cookie a script can read.
async fn expect_no_token_in_storage(browser: &Browser, when: &str) -> anyhow::Result<()> {
    let storage = browser_storage(browser).await?;
    ensure!(
        storage == json!({ "local": 0, "session": 0, "cookie": "" }),
        "{when}: the browser's storage holds nothing: {storage}"
    );
    Ok(())
}

/// The text of the element matching `css`.
async fn text_of(browser: &Browser, css: &str) -> anyhow::Result<String> {
    Ok(browser.find(css).await?.text().await?)
}

/// Home → "Log in in the browser" → `/spa` → its login button → the provider's login page,
/// filled in, then consent approved. Returns with the browser on its way back to the client.
async fn log_in_through_the_spa(browser: &Browser, apps: &TestApps) -> anyhow::Result<()> {
    browser.open(&apps.client).await?;
    browser
        .click_text("Log in in the browser (public client)")
        .await?;
    browser.find("#spa-login:not([disabled])").await?;
    browser.click("#spa-login").await?;
    browser.find("input[name=username]").await?;
    let url = browser.url().await?;
    ensure!(
        url.starts_with(&format!("{}/oauth/authorize?", apps.provider))
            && url.contains("client_id=spa-client")
            && url.contains("code_challenge_method=S256"),
        "the script sends the browser to the provider as the public client: {url}"
    );
    let pending = browser_storage(browser).await?;
    ensure!(
        pending["local"] == json!(0),
        "nothing in localStorage: {pending}"
    );
    browser.fill("input[name=username]", USERNAME).await?;
    browser.fill("input[name=password]", PASSWORD).await?;
    browser.click("form button[type=submit]").await?;
    browser.find("button[name=decision][value=approve]").await?;
    let consent = browser.page_text().await?;
    ensure!(
        consent.contains("Browser app (public client)"),
        "the consent page names the public client:\n{consent}"
    );
    browser.click("button[name=decision][value=approve]").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_s256_function_gives_the_rfc_7636_appendix_b_challenge() -> anyhow::Result<()> {
    let apps = spawn_localhost_apps().await;
    let browser = Browser::launch().await?;
    browser.open(&format!("{}/spa", apps.client)).await?;
    browser.find("#spa-login:not([disabled])").await?;
    let challenge = browser
        .execute(
            "return window.spaPkce.s256(arguments[0]);",
            vec![json!("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")],
        )
        .await?;
    ensure!(
        challenge == json!("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
        "RFC 7636 Appendix B: S256 of the example verifier, got {challenge}"
    );
    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_logs_in_as_a_public_client_refreshes_and_revokes_with_tokens_in_memory_only()
-> anyhow::Result<()> {
    let apps = spawn_localhost_apps().await;
    let browser = Browser::launch().await?;
    log_in_through_the_spa(&browser, &apps).await?;

    // Back at /spa/callback: the script checked state and iss, exchanged the code through
    // CORS, and called /api/auth/me with the token.
    browser.find("#spa-profile:not([hidden])").await?;
    let profile = text_of(&browser, "#spa-profile").await?;
    ensure!(
        profile.contains("Demo User") && profile.contains("demo@example.com"),
        "the profile from /api/auth/me: {profile}"
    );
    let url = browser.url().await?;
    ensure!(
        url == format!("{}/spa", apps.client),
        "the code is removed from the address bar: {url}"
    );
    expect_no_token_in_storage(&browser, "after the code exchange").await?;
    let first = text_of(&browser, "#spa-access").await?;
    ensure!(
        first.starts_with("fingerprint "),
        "an access token in memory: {first}"
    );

    browser.click("#spa-refresh").await?;
    browser
        .find_xpath("//li[contains(., '(refresh_token) → 200, rotated')]")
        .await?;
    let second = text_of(&browser, "#spa-access").await?;
    ensure!(
        second.starts_with("fingerprint ") && second != first,
        "a new access token after the refresh: {first} then {second}"
    );
    expect_no_token_in_storage(&browser, "after the refresh").await?;
    let log = text_of(&browser, "#spa-log").await?;
    ensure!(
        !log.contains("Step 2: refused") && log.contains("Step 3"),
        "the page's own log shows each step:\n{log}"
    );
    // The buttons scrolled the page; the screenshot starts at its top.
    browser.execute("window.scrollTo(0, 0);", vec![]).await?;
    browser.screenshot("10-client-spa").await?;

    browser.click("#spa-revoke").await?;
    browser
        .find_xpath("//li[contains(., 'the revoked access token is refused')]")
        .await?;
    let after = text_of(&browser, "#spa-access").await?;
    ensure!(after == "none in memory", "both tokens forgotten: {after}");
    browser
        .find("#spa-refresh[disabled]")
        .await
        .context("nothing left to refresh: the button is off")?;
    expect_no_token_in_storage(&browser, "after revocation").await?;
    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_callback_is_refused_with_state_mismatch_and_reload_loses_the_tokens()
-> anyhow::Result<()> {
    let apps = spawn_localhost_apps().await;
    let browser = Browser::launch().await?;

    // The login starts (verifier and state parked in this tab's sessionStorage), then a
    // response arrives that answers some other request.
    browser.open(&format!("{}/spa", apps.client)).await?;
    browser.find("#spa-login:not([disabled])").await?;
    browser.click("#spa-login").await?;
    browser.find("input[name=username]").await?;
    browser
        .open(&format!(
            "{}/spa/callback?code=forged-code&state=not-ours&iss={}",
            apps.client, apps.provider
        ))
        .await?;
    browser
        .find_xpath("//p[@id='spa-callback-result' and contains(., 'state mismatch')]")
        .await?;
    ensure!(
        text_of(&browser, "#spa-access").await? == "none in memory",
        "no token from a forged response"
    );
    expect_no_token_in_storage(&browser, "after a refused callback").await?;

    // A real login, then a reload: the tokens lived in the page, so they are gone.
    log_in_through_the_spa(&browser, &apps).await?;
    browser.find("#spa-profile:not([hidden])").await?;
    browser.open(&format!("{}/spa", apps.client)).await?;
    browser.find("#spa-login:not([disabled])").await?;
    ensure!(
        text_of(&browser, "#spa-access").await? == "none in memory",
        "a reload starts with no token"
    );
    browser.close().await
}
