//! A provider restarted while the client holds tokens. The provider keeps its grants in
//! memory, so the new process knows none of them: the next API call is 401 `invalid_token`
//! (RFC 6750 §3.1), the one refresh the client tries is `invalid_grant` (RFC 6749 §5.2), and
//! the user is told to log in again. Nothing crashes and nothing is a 500; logging in again
//! works at once.

use std::net::TcpListener;

use reqwest::StatusCode;

use testkit::{Browser, TestApps, spawn_client_on, spawn_provider_on};

/// Provider and client on free ports; answers the apps and the provider's address.
async fn apps_with_restartable_provider() -> (TestApps, std::net::SocketAddr) {
    let provider_listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let client_listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let provider_address = provider_listener.local_addr().expect("bound");
    let provider = format!("http://{provider_address}");
    let client = format!("http://{}", client_listener.local_addr().expect("bound"));
    let provider_handle = spawn_provider_on(provider_listener, &format!("{client}/callback"), &[]);
    spawn_client_on(client_listener, &provider, &[]);
    let apps = TestApps {
        provider,
        client,
        browser: Browser::new(),
        provider_handle,
    };
    (apps, provider_address)
}

/// Stops the provider and starts a new one (empty memory) on the same address.
async fn restart_provider(apps: TestApps, address: std::net::SocketAddr) -> TestApps {
    apps.provider_handle.stop(true).await;
    let listener = TcpListener::bind(address).expect("the provider's port is free again");
    let provider_handle = spawn_provider_on(listener, &apps.client_url("/callback"), &[]);
    TestApps {
        provider_handle,
        ..apps
    }
}

#[tokio::test]
async fn after_a_provider_restart_the_next_page_says_log_in_again_and_logging_in_works() {
    let (apps, address) = apps_with_restartable_provider().await;
    // Two users, signed in before the restart: one opens a page (an API call), the other
    // presses "Refresh now".
    let reader = Browser::new();
    let refresher = Browser::new();
    apps.log_in(&reader).await;
    let refresher_home = apps.log_in(&refresher).await;

    let apps = restart_provider(apps, address).await;

    let home = apps.home(&reader).await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    home.assert_contains("log in again");
    home.assert_contains("invalid_grant");
    home.assert_contains("href=\"/login\"");
    assert!(!home.body.contains("Signed in"), "{}", home.body);
    // The inspector shows why: the API's 401, then the refused refresh.
    let flow = reader.get(&apps.client_url("/flow")).await;
    flow.assert_contains("Refresh: the API answered 401");
    flow.assert_contains("error=\"invalid_token\"");

    let refreshed = apps
        .submit(&refresher, &refresher_home, "/refresh", &[])
        .await;
    assert!(
        !refreshed.status.is_server_error(),
        "{}: {}",
        refreshed.status,
        refreshed.body
    );
    // The refresh is refused; the session ends and the next page says why.
    assert_eq!(
        refreshed.redirect_target(StatusCode::SEE_OTHER),
        apps.client_url("/")
    );
    let after = apps.home(&refresher).await;
    after.assert_contains("log in again");
    after.assert_contains("invalid_grant");
    after.assert_contains("href=\"/login\"");
    assert!(!after.body.contains("Signed in"), "{}", after.body);

    for browser in [&reader, &refresher] {
        let page = apps.home(browser).await;
        page.assert_contains("Log in with the provider");
        let home = apps.log_in(browser).await;
        home.assert_contains("Signed in");
        home.assert_contains("<th>Username</th><td>demo</td>");
    }
    // Nothing the browsers saw, before or after the restart, was a 5xx.
    for page in reader.seen().iter().chain(refresher.seen().iter()) {
        assert!(
            !page.status.is_server_error(),
            "{} {}: {}",
            page.status,
            page.url,
            page.body
        );
    }
}
