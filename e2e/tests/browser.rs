//! The real-browser test (issue 4): headless Chromium walks the OAuth 2.0 authorization code
//! flow like a person, against a provider (and client) started in-process on free ports,
//! and saves a screenshot of each page to `docs/screenshots/`.
//!
//! Run it with `just e2e` (`cargo test -p e2e --features browser -- --test-threads=1`). It
//! needs the Debian packages `chromium` and `chromium-driver`; without them it fails and says
//! how to install them.
#![cfg(feature = "browser")]

use anyhow::{Context, ensure};
use e2e::browser::Browser;
use e2e::pkce::authorization_request;
use e2e::servers::{free_listener, start_provider};

const USERNAME: &str = "demo";
const PASSWORD: &str = "demo";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_alone_shows_login_then_consent_and_redirects_with_a_code()
-> anyhow::Result<()> {
    // Nothing listens on port 9 (discard): the browser's last navigation fails, and the
    // address bar still shows where the provider sent it.
    let redirect_uri = "http://127.0.0.1:9/callback";
    let provider = start_provider(free_listener()?, redirect_uri)?;
    let browser = Browser::launch().await?;

    let request = authorization_request(
        &provider.url,
        "testclient",
        redirect_uri,
        "profile:read teams:read",
    );
    browser.open(&request.url).await?;
    browser.find("input[name=username]").await?;
    browser.screenshot("tmp/provider-login").await?;
    browser.fill("input[name=username]", USERNAME).await?;
    browser.fill("input[name=password]", PASSWORD).await?;
    browser.click("form button[type=submit]").await?;

    browser.find("button[name=decision][value=approve]").await?;
    let consent = browser.page_text().await?;
    ensure!(
        consent.contains("profile:read") && consent.contains("teams:read"),
        "the consent page lists the scopes: {consent}"
    );
    browser.screenshot("tmp/provider-consent").await?;
    browser
        .click("button[name=decision][value=approve]")
        .await?;

    let url = browser.url().await?;
    println!("{url}");
    let url = url::Url::parse(&url).context("the address bar holds a URL")?;
    let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    ensure!(
        query.get("state") == Some(&request.state),
        "state echoed: {url}"
    );
    ensure!(query.contains_key("code"), "a code: {url}");
    ensure!(query.get("iss") == Some(&provider.url), "iss: {url}");
    browser.close().await
}
