//! The provider's memory (docs/performance.md): bytes per live token, a million short-lived
//! tokens issued and purged (`--memory`), and grants rotated many times (`--only rotations`:
//! retired refresh tokens, RFC 9700 §4.14.2, must not cost memory).

use std::time::{Duration, Instant};

use anyhow::Context;

use crate::flow;
use crate::options::Options;
use crate::proc::megabytes;
use crate::report::verdict;
use crate::server;
use crate::table::seed_refresh_tokens;
use crate::wrk;

/// What the rotation measurement found.
pub struct RotationFigures {
    pub grants: usize,
    pub rotations: usize,
    /// RSS with every grant rotated once.
    pub once: u64,
    /// RSS with every grant rotated `rotations` times.
    pub many: u64,
    pub refreshes: u64,
    pub seconds: f64,
}

/// Issue 18: `grants` grants from complete flows (each ends with one refresh), RSS; then
/// each rotated until it has rotated `rotations` times, from 32 keep-alive connections,
/// RSS again and the rotation rate. Retired refresh tokens must not cost memory.
pub fn measure_rotations(
    runtime: &tokio::runtime::Runtime,
    options: &Options,
) -> anyhow::Result<RotationFigures> {
    use std::sync::{Arc, Mutex};
    pub const CONCURRENCY: usize = 32;
    let (grants, rotations) = if options.smoke {
        (20, 20)
    } else {
        (1_000, 1_000)
    };
    eprintln!("bench | {grants} grants x {rotations} rotations");
    let provider = server::start_provider(options.workers, &[])?;
    let base = provider.url();
    let seeds = runtime.block_on(seed_refresh_tokens(&base, grants))?;
    let once = provider.sample()?.rss;
    let chains = Arc::new(Mutex::new(seeds));
    let started = Instant::now();
    let refreshes = runtime.block_on(async {
        let client = flow::api_client()?;
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..CONCURRENCY {
            let (client, chains, base) = (client.clone(), Arc::clone(&chains), base.clone());
            tasks.spawn(async move {
                let mut done = 0_u64;
                loop {
                    // One chain at a time: its rotations are sequential, as a client's are.
                    let Some(mut refresh) = chains.lock().expect("not poisoned").pop() else {
                        break;
                    };
                    for _ in 1..rotations {
                        refresh = flow::refresh(&client, &base, &refresh).await?.refresh_token;
                        done += 1;
                    }
                }
                anyhow::Ok(done)
            });
        }
        let mut done = 0;
        while let Some(result) = tasks.join_next().await {
            done += result.context("a rotation task panicked")??;
        }
        anyhow::Ok(done)
    })?;
    let seconds = started.elapsed().as_secs_f64();
    let many = provider.sample()?.rss;
    Ok(RotationFigures {
        grants,
        rotations,
        once,
        many,
        refreshes,
        seconds,
    })
}

pub fn print_rotations(figures: &RotationFigures) {
    let growth = (figures.many as f64 / figures.once.max(1) as f64 - 1.0) * 100.0;
    println!();
    println!("| what | figure | target |");
    println!("|---|---|---|");
    println!(
        "| RSS, {} grants rotated once → each rotated {} times | {} → {} ({growth:+.1} %) | within 10 %: {} |",
        figures.grants,
        figures.rotations,
        megabytes(figures.once),
        megabytes(figures.many),
        verdict(growth.abs() <= 10.0)
    );
    println!(
        "| rotation rate ({} refreshes, 32 connections, each grant's refreshes in sequence) | {:.0} /s | not lower than before |",
        figures.refreshes,
        figures.refreshes as f64 / figures.seconds.max(f64::EPSILON)
    );
}

/// What the memory-per-token measurement found.
pub struct TokenFigures {
    pub issued: u64,
    pub before: u64,
    pub after: u64,
    pub per_token: f64,
}

/// Memory per live token: a fresh provider (tokens live an hour, so none expires), a warm-up
/// of 1,000 tokens, then `tokens` more; RSS after minus RSS before, divided by the count.
pub fn measure_token_memory(
    runtime: &tokio::runtime::Runtime,
    options: &Options,
) -> anyhow::Result<TokenFigures> {
    eprintln!("bench | memory per live token ({} tokens)", options.tokens);
    let provider = server::start_provider(options.workers, &[])?;
    let url = format!("{}/oauth/token", provider.url());
    issue_tokens(runtime, &url, 1_000)?;
    let before = provider.sample()?.rss;
    let issued = issue_tokens(runtime, &url, options.tokens)?;
    let after = provider.sample()?.rss;
    Ok(TokenFigures {
        issued,
        before,
        after,
        per_token: after.saturating_sub(before) as f64 / issued.max(1) as f64,
    })
}

/// Issues exactly `count` client_credentials tokens from 32 keep-alive connections (a Rust
/// driver: wrk cannot stop after a number of requests) and returns how many were issued.
pub fn issue_tokens(
    runtime: &tokio::runtime::Runtime,
    url: &str,
    count: u64,
) -> anyhow::Result<u64> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    pub const CONCURRENCY: usize = 32;
    runtime.block_on(async {
        let client = flow::api_client()?;
        let next = Arc::new(AtomicU64::new(0));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..CONCURRENCY {
            let (client, next, url) = (client.clone(), Arc::clone(&next), url.to_owned());
            tasks.spawn(async move {
                let mut issued = 0_u64;
                while next.fetch_add(1, Ordering::Relaxed) < count {
                    let response = client
                        .post(&url)
                        .header("Authorization", wrk::DEMO_CLIENT_BASIC)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .body("grant_type=client_credentials&scope=profile%3Aread")
                        .send()
                        .await?;
                    let ok = response.status().is_success();
                    // Read the body to the end, so the connection is reused.
                    response.bytes().await?;
                    issued += u64::from(ok);
                }
                anyhow::Ok(issued)
            });
        }
        let mut issued = 0;
        while let Some(result) = tasks.join_next().await {
            issued += result.context("a token task panicked")??;
        }
        anyhow::Ok(issued)
    })
}

/// What the million-token run found.
pub struct MillionFigures {
    pub issued: u64,
    pub seconds: f64,
    pub before: u64,
    pub peak: u64,
    pub after: u64,
    pub live_estimate: f64,
    pub ttl: u64,
    pub purge_interval: u64,
}

/// A million tokens that live 5 s, purged every second: RSS before, at the peak (`VmHWM`),
/// and once every one of them has expired and been purged.
pub fn measure_million(
    runtime: &tokio::runtime::Runtime,
    options: &Options,
) -> anyhow::Result<MillionFigures> {
    pub const TTL: u64 = 5;
    pub const PURGE_INTERVAL: u64 = 1;
    eprintln!("bench | {} tokens with a {TTL} s lifetime", options.million);
    let provider = server::start_provider(
        options.workers,
        &[
            ("ACCESS_TOKEN_TTL", TTL.to_string()),
            ("PURGE_INTERVAL", PURGE_INTERVAL.to_string()),
        ],
    )?;
    let url = format!("{}/oauth/token", provider.url());
    let before = provider.sample()?.rss;
    let started = Instant::now();
    let issued = issue_tokens(runtime, &url, options.million)?;
    let seconds = started.elapsed().as_secs_f64();
    let peak = provider.sample()?.peak_rss;
    // Every token has expired TTL seconds after the last one was issued; the purge after
    // that drops them. Wait a little longer than both.
    std::thread::sleep(Duration::from_secs(TTL + 2 * PURGE_INTERVAL + 1));
    let after = provider.sample()?.rss;
    let rate = issued as f64 / seconds.max(1e-9);
    Ok(MillionFigures {
        issued,
        seconds,
        before,
        peak,
        after,
        live_estimate: rate * (TTL + PURGE_INTERVAL) as f64,
        ttl: TTL,
        purge_interval: PURGE_INTERVAL,
    })
}
