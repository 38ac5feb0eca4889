//! Memory anonymous requests can grow, at the client (docs/robustness.md). A test binary of
//! its own: resident memory is the process's, so no other test may run beside it.

use reqwest::StatusCode;

use testkit::process::rss_kib;
use testkit::spawn_provider_and_client;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_anonymous_logins_grow_memory_by_a_bounded_amount() {
    use futures_util::StreamExt;
    let apps = spawn_provider_and_client().await;
    // Cookieless, like a script: every request is a new browser.
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // A new connection each time: a kept-alive one may close as the next request goes.
        .pool_max_idle_per_host(0)
        .build()
        .expect("a client");
    let warm = anonymous
        .get(apps.client_url("/login"))
        .send()
        .await
        .expect("answers");
    assert_eq!(warm.status(), StatusCode::SEE_OTHER);
    let flood = |url: String| {
        let anonymous = anonymous.clone();
        futures_util::stream::iter(0..10_000)
            .map(move |_| {
                let (anonymous, url) = (anonymous.clone(), url.clone());
                async move { anonymous.get(url).send().await.expect("answers").status() }
            })
            .buffer_unordered(16)
            .collect::<Vec<_>>()
    };
    let before = rss_kib();
    let started = flood(apps.client_url("/login")).await;
    assert!(
        started
            .iter()
            .all(|status| *status == StatusCode::SEE_OTHER)
    );
    let after_started = rss_kib();
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "client RSS: {:.1} MiB before; {:.1} MiB after 10000 anonymous logins (kept 10 minutes)",
        mib(before),
        mib(after_started)
    );
    assert!(
        after_started.saturating_sub(before) < 96 * 1024,
        "anonymous logins grew memory too much"
    );
}
