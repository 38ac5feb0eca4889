//! A provider that is down, or limiting requests: a page that says so, never a 500.

use std::net::TcpListener;

use reqwest::StatusCode;

use testkit::{Browser, TestApps, spawn_client_on, spawn_provider_on, spawn_with};

#[tokio::test]
async fn a_provider_that_is_down_gives_a_page_naming_its_url_and_login_works_once_it_is_up() {
    // A port with nothing behind it (bound, then released).
    let provider_port = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let provider_address = provider_port.local_addr().expect("bound");
    drop(provider_port);
    let provider = format!("http://{provider_address}");
    let client_listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let client = format!("http://{}", client_listener.local_addr().expect("bound"));
    // The client starts although the provider is not there.
    spawn_client_on(client_listener, &provider, &[]);
    let browser = Browser::new();

    let home = browser.get(&format!("{client}/")).await;
    assert_eq!(
        home.status,
        StatusCode::OK,
        "the home page needs no provider"
    );
    let page = browser.get(&format!("{client}/login")).await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    page.assert_contains("cannot be reached");
    page.assert_contains(&provider);

    // Now the provider comes up on that address; discovery is retried.
    let listener = TcpListener::bind(provider_address).expect("the port is free again");
    let handle = spawn_provider_on(listener, &format!("{client}/callback"), &[]);
    let apps = TestApps {
        provider,
        client,
        browser: Browser::new(),
        provider_handle: handle,
    };
    let home = apps.log_in(&browser).await;
    home.assert_contains("Signed in");

    // And goes down again while the user is signed in.
    apps.provider_handle.stop(false).await;
    let page = browser.get(&apps.client_url("/")).await;
    assert_eq!(
        page.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        page.body
    );
    page.assert_contains("cannot be reached");
}

#[tokio::test]
async fn a_provider_answering_429_gives_a_page_that_says_so_with_retry_after() {
    let apps = spawn_with(
        &[("RATE_LIMIT", "on"), ("RATE_LIMIT_TOKEN_PER_SECOND", "1")],
        &[],
    )
    .await;
    let browser = Browser::new();
    let mut home = apps.log_in(&browser).await;
    // One token request per second: refreshing quickly soon meets the limit.
    let mut limited = None;
    for _ in 0..10 {
        let page = apps.submit(&browser, &home, "/refresh", &[]).await;
        if page.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(page);
            break;
        }
        home = apps.home(&browser).await;
    }
    let page = limited.expect("the provider's token limit answers 429");
    page.assert_contains("429");
    page.assert_contains("limiting requests");
    let retry_after = page
        .headers
        .get("retry-after")
        .expect("Retry-After is passed on");
    let seconds = retry_after
        .to_str()
        .expect("ASCII")
        .parse::<u64>()
        .expect("Retry-After is a number of seconds");
    // "wait 1 second", "wait 2 seconds": the page says the wait in words that agree.
    let unit = if seconds == 1 { "second" } else { "seconds" };
    page.assert_contains(&format!("wait {seconds} {unit} before"));
    // The session survives a rate limit.
    let home = apps.home(&browser).await;
    home.assert_contains("Signed in");
}
