//! What `/callback` refuses (RFC 6749 §4.1.2 and §10.12, RFC 9207 §2.4), politely.

use reqwest::StatusCode;

use testkit::{Browser, spawn_provider_and_client, with_param};

#[tokio::test]
async fn a_state_this_browser_never_sent_is_refused_as_state_mismatch_and_nothing_is_exchanged() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    let hops = apps.authorize(&browser, "/login", "approve").await;
    let forged = with_param(&hops.callback_url, "state", "attacker-chosen-state");
    let page = browser.get(&forged).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    page.assert_contains("state mismatch");
    page.assert_contains("href=\"/login\"");
    // Plain words on the page: no Markdown backticks shown raw.
    assert!(!page.body.contains('`'), "raw backticks: {}", page.body);
    // The code was not spent: the genuine response still works.
    let home = apps.finish(&browser, &hops.callback_url).await;
    home.assert_contains("Signed in");
}

#[tokio::test]
async fn a_replayed_callback_is_refused_politely_and_the_session_survives() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    let hops = apps.authorize(&browser, "/login", "approve").await;
    apps.finish(&browser, &hops.callback_url).await;
    let replay = browser.get(&hops.callback_url).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
    replay.assert_contains("already used");
    // The code was not sent again (which would make the provider revoke its tokens).
    let home = apps.home(&browser).await;
    home.assert_contains("Signed in");
    home.assert_contains("active</th><td><code>true</code>");
}

#[tokio::test]
async fn a_callback_in_a_browser_that_started_no_login_is_refused() {
    let apps = spawn_provider_and_client().await;
    let victim = Browser::new();
    let attacker = Browser::new();
    let hops = apps.authorize(&attacker, "/login", "approve").await;
    // Login CSRF: the attacker's authorization response, opened in the victim's browser.
    let page = victim.get(&hops.callback_url).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    page.assert_contains("No login in progress");
    let home = apps.home(&victim).await;
    home.assert_contains("Log in with the provider");
}

#[tokio::test]
async fn a_response_whose_iss_is_another_issuer_is_refused_as_a_mix_up() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    let hops = apps.authorize(&browser, "/login", "approve").await;
    let mixed_up = with_param(&hops.callback_url, "iss", "https://evil.example");
    let page = browser.get(&mixed_up).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    page.assert_contains("iss mismatch");
    page.assert_contains("https://evil.example");
}

#[tokio::test]
async fn a_response_without_iss_is_refused_because_the_provider_promises_it() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    let hops = apps.authorize(&browser, "/login", "approve").await;
    let mut url = url::Url::parse(&hops.callback_url).expect("a URL");
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(key, _)| key != "iss")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut().clear().extend_pairs(kept);
    let page = browser.get(url.as_str()).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    page.assert_contains("iss mismatch");
}

#[tokio::test]
async fn a_callback_without_state_is_refused() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    browser.get(&apps.client_url("/login")).await;
    let page = browser.get(&apps.client_url("/callback?code=abc")).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    page.assert_contains("state missing");
}
