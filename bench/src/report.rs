//! The report: the wrk table and the rows wrk cannot give (complete flows, idle RSS, memory
//! per token, the million tokens), printed as Markdown tables with each target's verdict.

use std::time::Duration;

use crate::flow_cpu::FlowFigures;
use crate::memory::{MillionFigures, TokenFigures};
use crate::options::Options;
use crate::proc::{Sample, megabytes};
use crate::table::{Row, Target, median_outcome};
use crate::wrk::Outcome;

/// Whether the Redis rows ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedisRows {
    Run,
    NotInstalled,
    NotAsked,
}

pub fn micros(duration: Duration) -> String {
    let us = duration.as_secs_f64() * 1e6;
    if us >= 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{us:.1} µs")
    }
}

pub fn verdict(holds: bool) -> &'static str {
    if holds { "holds" } else { "misses" }
}

/// The reference's memory: at start, and after all its runs.
pub struct ReferenceMemory {
    pub idle: Sample,
    pub end: Sample,
}

pub fn print_report(
    options: &Options,
    rows: &[Row],
    redis: RedisRows,
    reference_memory: &ReferenceMemory,
    flow: Option<&FlowFigures>,
    tokens: Option<&TokenFigures>,
    million: Option<&MillionFigures>,
) {
    println!();
    if options.smoke {
        println!("Smoke run: a second per scenario, figures mean nothing.");
    }
    println!(
        "wrk {} thread(s), {} connections, {} s x {} round(s), server and reference alternating; {} actix worker(s) each.",
        options.load.threads,
        options.load.connections,
        options.load.duration.as_secs(),
        options.rounds,
        options.workers
    );
    println!();
    println!(
        "| what | req/s | p50 | p99 | server CPU/req | peak RSS | vs reference req/s | p99 vs reference | target |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---|");
    if !rows.is_empty() {
        let all_reference: Vec<Outcome> = rows.iter().map(|row| row.reference).collect();
        let reference = median_outcome(&all_reference);
        let cpu = rows
            .iter()
            .map(|row| row.reference_cpu_per_request)
            .sum::<Duration>()
            / u32::try_from(rows.len()).unwrap_or(1);
        println!(
            "| reference: actix hello-world GET / | {:.0} | {} | {} | {} | {} | 1.00 | 1.00 | |",
            reference.requests_per_second(),
            micros(reference.p50),
            micros(reference.p99),
            micros(cpu),
            megabytes(reference_memory.end.peak_rss),
        );
    }
    for row in rows {
        let errors = row.provider.status_errors + row.provider.socket_errors;
        let target = match row.target {
            Target::Share(target) => format!(
                "≥ {target:.2}, p99 ≤ 2×: {}",
                verdict(row.ratio >= target && row.p99_ratio <= 2.0)
            ),
            Target::None(instead) => instead.to_owned(),
        };
        println!(
            "| {}{} | {:.0} | {} | {} | {} | {} | {:.2} | {:.2} | {target} |",
            row.what,
            if errors > 0 {
                format!(" ({errors} errors)")
            } else {
                String::new()
            },
            row.provider.requests_per_second(),
            micros(row.provider.p50),
            micros(row.provider.p99),
            micros(row.cpu_per_request),
            megabytes(row.peak_rss),
            row.ratio,
            row.p99_ratio,
        );
    }
    for row in rows {
        if let Some((lines, responses)) = row.log_lines {
            println!(
                "| {}: request log lines after SIGTERM | {lines} for {responses} responses: {} | | | | | | | |",
                row.what,
                if lines >= responses {
                    "none lost".to_owned()
                } else {
                    format!("{} lost", responses - lines)
                }
            );
        }
    }
    if redis == RedisRows::NotInstalled {
        println!(
            "| Redis store rows | not run: redis-server is not installed (`sudo apt-get install redis-server`) | | | | | | | |"
        );
    }
    println!();
    println!("| what | measured | target |");
    println!("|---|---:|---|");
    if let Some(flow) = flow {
        println!(
            "| server CPU per complete authorization-code flow (authorize → login → consent → token → API → refresh: 7 requests on 2 new connections; {} flows, {} at a time, {:.0} flows/s) | {} | ≤ 0.2 ms: {} |",
            flow.flows,
            flow.concurrency,
            flow.flows as f64 / flow.wall.as_secs_f64().max(1e-9),
            micros(flow.cpu_per_flow),
            verdict(flow.cpu_per_flow <= Duration::from_micros(200)),
        );
        println!(
            "| the floor: the reference's CPU for the same 7 requests on 2 new connections | {} | |",
            micros(flow.reference_cpu_per_flow),
        );
        println!(
            "| idle RSS (reference: {}) | {} | ≤ 10 MB: {} |",
            megabytes(reference_memory.idle.rss),
            megabytes(flow.idle.rss),
            verdict(flow.idle.rss <= 10_000_000),
        );
    }
    if let Some(tokens) = tokens {
        println!(
            "| memory per live token ({} client_credentials tokens: RSS {} → {}) | {:.0} bytes | ≤ 300 bytes: {} |",
            tokens.issued,
            megabytes(tokens.before),
            megabytes(tokens.after),
            tokens.per_token,
            verdict(tokens.per_token <= 300.0),
        );
    }
    match million {
        Some(million) => {
            // The bound needs the measured cost per token; without it (`--only` left the
            // tokens part out) only the first check can be made.
            let bound = tokens.map(|tokens| million.live_estimate * tokens.per_token.max(1.0));
            let peak_check = match bound {
                Some(bound) => format!(
                    "peak − before ≤ live ({:.0}) × per-token ({}): {}",
                    million.live_estimate,
                    megabytes(bound as u64),
                    verdict((million.peak.saturating_sub(million.before) as f64) <= bound),
                ),
                None => "peak bound: not checked (run the tokens part too)".to_owned(),
            };
            println!(
                "| {} tokens, {} s lifetime, purge every {} s ({:.0} s to issue): RSS before / peak / after purge | {} / {} / {} | after ≤ 2× before: {}; {peak_check} |",
                million.issued,
                million.ttl,
                million.purge_interval,
                million.seconds,
                megabytes(million.before),
                megabytes(million.peak),
                megabytes(million.after),
                verdict(million.after <= 2 * million.before),
            );
        }
        None => println!("| a million 5 s tokens | not run | `just bench --memory` |"),
    }
}
