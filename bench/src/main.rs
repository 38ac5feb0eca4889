//! The provider's benchmark (docs/performance.md): `cargo run --release -p bench -- [--smoke] [--memory]`,
//! or `just bench`.
//!
//! It builds the provider and a hello-world actix server (`src/bin/reference.rs`) in release
//! mode, starts each as a child process on a free loopback port, loads them with `wrk`
//! (server and reference alternating, round after round), and prints one table: req/s,
//! p50/p99 latency, server CPU per request (from `/proc/PID/stat`), peak RSS (`VmHWM`), and
//! the ratio to the reference. Then the rows wrk cannot give: CPU per complete
//! authorization-code flow (a Rust driver filling the HTML forms) beside the reference's CPU
//! for the same requests (the floor), idle RSS, memory per live token, and with `--memory` a
//! million short-lived tokens issued and purged. When `redis-server` is installed, two rows
//! again with the provider on a throwaway Redis (`STORE=redis://…`). OpenID Connect's cost
//! (`openid.rs`: code exchange, refresh and flow with and without `openid`, UserInfo, and
//! RS256/ES256/EdDSA in process) and the notes API's token checks (`api.rs`: JWT against
//! introspection, beside the same floor) have their own modules.
//!
//! Every provider scenario runs on a freshly started provider, so one scenario's tokens do
//! not weigh on the next one's memory or speed. The provider runs with `RATE_LIMIT=off`
//! and `RUST_LOG=warn` (no line per request), except in the two "default configuration"
//! rows (docs/performance.md, "The default configuration"): there `RUST_LOG` is unset, as a user runs it, a line per request goes to
//! a pipe the benchmark reads, and after the run the provider is stopped with SIGTERM and
//! its lines are counted: one per answered request, or the row says how many were lost.
//!
//! `--smoke` runs each part briefly (a second of load, a few flows) to prove the benchmark
//! still works; it exits non-zero when any request failed, never because a target was
//! missed. Figures from it mean nothing.
//!
//! This file runs the parts in order and decides the exit status; each part lives in its own
//! module: `options.rs` (the command line), `table.rs` (the wrk table's scenarios, rows and
//! targets), `flow_cpu.rs` (CPU per complete flow), `memory.rs` (memory per token, the
//! million tokens, rotations), `openid.rs`, `api.rs`, and `report.rs` (the printed tables).
//! Below them: `wrk.rs` (runs wrk), `server.rs` and `proc.rs` (the servers and their CPU and
//! memory), `flow.rs` (a Rust driver for the authorization-code flow).

mod api;
mod flow;
mod flow_cpu;
mod memory;
mod openid;
mod options;
mod proc;
mod report;
mod server;
mod table;
mod wrk;

use std::time::Instant;

use anyhow::{Context, bail};

// What this file runs, and the names `api.rs` and `openid.rs` reach through the crate root.
use crate::flow_cpu::{measure_flows, run_concurrently};
use crate::memory::{measure_million, measure_rotations, measure_token_memory, print_rotations};
use crate::options::{Options, Part};
use crate::report::{RedisRows, ReferenceMemory, micros, print_report, verdict};
use crate::table::{Backend, Row, Scenario, Target, alternate, measure};

fn main() -> anyhow::Result<()> {
    let options = Options::parse()?;
    wrk::check_installed()?;
    server::build_release()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    let started = Instant::now();
    let mut failures: Vec<String> = Vec::new();

    eprintln!(
        "bench | wrk: {} thread(s), {} connections, {} s per run, {} round(s); {} actix worker(s) per server",
        options.load.threads,
        options.load.connections,
        options.load.duration.as_secs(),
        options.rounds,
        options.workers
    );
    let reference = server::start_reference(options.workers)?;
    let reference_idle = reference.sample()?;

    let mut rows = Vec::new();
    let mut runs: Vec<(Scenario, Backend)> = Scenario::ALL
        .into_iter()
        .filter(|scenario| options.runs(Part::Scenario(*scenario)))
        .map(|scenario| (scenario, Backend::Memory))
        .collect();
    let redis = if !options.runs(Part::Redis) {
        RedisRows::NotAsked
    } else if testkit::process::redis_installed() {
        runs.extend(
            [Scenario::ClientCredentials, Scenario::Protected]
                .map(|scenario| (scenario, Backend::Redis)),
        );
        RedisRows::Run
    } else {
        RedisRows::NotInstalled
    };
    if options.runs(Part::Default) {
        runs.extend(
            [Scenario::Public, Scenario::ClientCredentials]
                .map(|scenario| (scenario, Backend::DefaultConfig)),
        );
    }
    let api_rows = api::ApiToken::ALL
        .into_iter()
        .filter(|token| options.runs(Part::Api(*token)))
        .map(|token| api::measure(&runtime, &options, &reference, token));
    let provider_rows = runs
        .into_iter()
        .map(|(scenario, backend)| measure(&runtime, &options, &reference, scenario, backend));
    for row in provider_rows.chain(api_rows) {
        let row = row?;
        if row.provider.status_errors + row.provider.socket_errors > 0 {
            failures.push(format!(
                "{}: {} status errors, {} socket errors",
                row.what, row.provider.status_errors, row.provider.socket_errors
            ));
        }
        if let Some((lines, responses)) = row.log_lines
            && lines < responses
        {
            failures.push(format!(
                "{}: {} log lines lost ({lines} lines for {responses} responses)",
                row.what,
                responses - lines
            ));
        }
        rows.push(row);
    }
    let reference_end = reference.sample()?;
    let flow = if options.runs(Part::Flow) {
        Some(measure_flows(&runtime, &options, &reference)?)
    } else {
        None
    };
    let openid = if options.runs(Part::OpenId) {
        Some(openid::measure(&runtime, &options)?)
    } else {
        None
    };
    drop(reference);
    let algorithms = if options.runs(Part::Jws) {
        Some(openid::measure_algorithms(&options)?)
    } else {
        None
    };
    let tokens = if options.runs(Part::Tokens) {
        Some(measure_token_memory(&runtime, &options)?)
    } else {
        None
    };
    let million = if options.memory {
        Some(measure_million(&runtime, &options)?)
    } else {
        None
    };
    let rotations = if options
        .only
        .as_ref()
        .is_some_and(|only| only.contains(&Part::Rotations))
    {
        Some(measure_rotations(&runtime, &options)?)
    } else {
        None
    };

    print_report(
        &options,
        &rows,
        redis,
        &ReferenceMemory {
            idle: reference_idle,
            end: reference_end,
        },
        flow.as_ref(),
        tokens.as_ref(),
        million.as_ref(),
    );
    if let Some(openid) = &openid {
        openid::print_flows(openid);
    }
    if let Some(algorithms) = &algorithms {
        openid::print_algorithms(algorithms);
    }
    if let Some(rotations) = &rotations {
        print_rotations(rotations);
    }
    eprintln!(
        "bench | finished in {:.0} s",
        started.elapsed().as_secs_f64()
    );

    if options.smoke {
        let checks = rows.len()
            + usize::from(flow.is_some())
            + usize::from(tokens.is_some())
            + usize::from(openid.is_some())
            + usize::from(algorithms.is_some());
        let failed = failures.len();
        for failure in &failures {
            println!("smoke failure: {failure}");
        }
        println!("smoke: {} passed, {failed} failed", checks - failed);
        if failed > 0 {
            bail!("the smoke run saw failed requests");
        }
    } else {
        for failure in &failures {
            println!("note: {failure}");
        }
    }
    Ok(())
}
