//! Memory anonymous requests can grow (docs/robustness.md): a cookieless
//! `GET /oauth/authorize` keeps a small session for minutes, and an over-long `state` is
//! refused and kept nowhere.

use futures_util::StreamExt;
use reqwest::StatusCode;

use testkit::process::rss_kib;
use testkit::{AuthorizationRequest, assert_redirected_with_error, spawn_provider};

const REQUESTS: usize = 10_000;

/// Sends `REQUESTS` cookieless authorization requests with this `state`, 16 at a time;
/// answers how many got each status.
async fn flood(provider: &testkit::TestProvider, state: &str) -> Vec<StatusCode> {
    let url = provider.url(&format!(
        "/oauth/authorize?{}",
        AuthorizationRequest {
            state: Some(state.to_owned()),
            ..AuthorizationRequest::default()
        }
        .query()
    ));
    futures_util::stream::iter(0..REQUESTS)
        .map(|_| {
            let url = url.clone();
            let api = provider.api.clone();
            async move { api.get(url).send().await.expect("answers").status() }
        })
        .buffer_unordered(16)
        .collect()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_anonymous_authorization_requests_grow_memory_by_a_bounded_amount() {
    let provider = spawn_provider().await;
    // Over the limit: refused before anything is kept, and the state is not echoed back.
    let huge = "s".repeat(20_000);
    let refused = provider
        .api
        .get(provider.url(&format!(
            "/oauth/authorize?{}",
            AuthorizationRequest {
                state: Some(huge.clone()),
                ..AuthorizationRequest::default()
            }
            .query()
        )))
        .send()
        .await
        .expect("answers");
    assert_redirected_with_error(&refused, "invalid_request", &provider.issuer);
    assert!(!testkit::location(&refused).contains(&huge));

    let before = rss_kib();
    let statuses = flood(&provider, &huge).await;
    assert!(
        statuses
            .iter()
            .all(|status| *status == StatusCode::SEE_OTHER),
        "each one is refused"
    );
    let after_refused = rss_kib();
    let at_limit = "s".repeat(512);
    let statuses = flood(&provider, &at_limit).await;
    assert!(
        statuses.iter().all(|status| *status == StatusCode::OK),
        "each one gets the login page"
    );
    let after_kept = rss_kib();
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "provider RSS: {:.1} MiB before; {:.1} MiB after {REQUESTS} requests with a 20,000-character \
         state (refused); {:.1} MiB after {REQUESTS} more with a 512-character state (kept 10 minutes)",
        mib(before),
        mib(after_refused),
        mib(after_kept)
    );
    // Refused requests keep nothing: allow for allocator noise only.
    assert!(
        after_refused.saturating_sub(before) < 16 * 1024,
        "refused requests grew memory"
    );
    // Kept ones: about 1 KiB of session each, 10,000 of them, well under 48 MiB.
    assert!(
        after_kept.saturating_sub(before) < 48 * 1024,
        "kept requests grew memory too much"
    );
}

#[tokio::test]
async fn authorization_requests_are_rate_limited_per_address_when_limits_are_on() {
    let provider = testkit::spawn_provider_with(&[
        ("RATE_LIMIT", "on"),
        ("RATE_LIMIT_AUTHORIZE_PER_MINUTE", "3"),
    ])
    .await;
    let url = provider.url(&format!(
        "/oauth/authorize?{}",
        AuthorizationRequest::default().query()
    ));
    for _ in 0..3 {
        let page = provider.api.get(&url).send().await.expect("answers");
        assert_eq!(page.status(), StatusCode::OK, "the login page");
    }
    let limited = provider.api.get(&url).send().await.expect("answers");
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
}
