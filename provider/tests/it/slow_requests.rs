//! Slow peers (README, "Security choices", request bodies read within a deadline): a body sent one byte at a time must not hold a connection
//! for as long as the peer likes, and must not keep real users out meanwhile.

use std::net::SocketAddr;
use std::time::Duration;

use testkit::slow_peer::{Outcome, slow_post};
use testkit::spawn_provider_with;

/// How many slow connections the test holds open.
const SLOW_PEERS: usize = 300;

/// The body announced: 60,000 bytes, sent one a second.
const ANNOUNCED: usize = 60_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_request_bodies_are_cut_at_the_deadline_while_the_code_flow_still_succeeds() {
    shared::limits::raise_open_file_limit();
    let provider = spawn_provider_with(&[("REQUEST_BODY_TIMEOUT", "4")]).await;
    let address: SocketAddr = provider
        .base
        .trim_start_matches("http://")
        .parse()
        .expect("an address");
    let (connected, mut each_connected) = tokio::sync::mpsc::channel(SLOW_PEERS);
    let slow: Vec<_> = (0..SLOW_PEERS)
        .map(|_| {
            tokio::spawn(slow_post(
                address,
                "/oauth/token",
                ANNOUNCED,
                connected.clone(),
            ))
        })
        .collect();
    for _ in 0..SLOW_PEERS {
        each_connected
            .recv()
            .await
            .expect("every slow peer connects");
    }

    // All of them open and trickling: a real user still gets through the whole flow.
    let tokens = provider.user_tokens().await;
    assert!(!tokens.access_token.expose().is_empty());

    // The slow ones are cut by the deadline (bounded wait: without it they never end).
    let ended = tokio::time::timeout(
        Duration::from_secs(60),
        futures_util::future::join_all(slow),
    )
    .await;
    let outcomes: Vec<Outcome> = match ended {
        Ok(outcomes) => outcomes
            .into_iter()
            .map(|outcome| outcome.expect("no panic"))
            .collect(),
        Err(_) => Vec::new(),
    };
    let timed_out = outcomes
        .iter()
        .filter(|outcome| {
            outcome
                .status_line
                .as_deref()
                .is_some_and(|line| line.starts_with("HTTP/1.1 408"))
        })
        .count();
    println!(
        "provider: {SLOW_PEERS} slow-body connections held open during a complete code flow; \
         {} closed by the server, {timed_out} of them with 408 Request Timeout",
        outcomes.len()
    );
    assert_eq!(
        outcomes.len(),
        SLOW_PEERS,
        "every slow connection is closed by the server"
    );
    assert_eq!(
        timed_out, SLOW_PEERS,
        "each one is told 408 before the close"
    );
}
