//! Server CPU per complete authorization-code flow (RFC 6749 §4.1 with PKCE, driven by
//! `flow.rs` filling the HTML forms), beside the reference's CPU for the same requests: the
//! floor; and the helper that runs such jobs a few at a time.

use std::time::{Duration, Instant};

use anyhow::Context;

use crate::flow;
use crate::options::Options;
use crate::proc::Sample;
use crate::server::{self, Server};

/// What the complete-flow measurement found.
pub struct FlowFigures {
    pub flows: usize,
    pub concurrency: usize,
    pub cpu_per_flow: Duration,
    pub wall: Duration,
    /// The reference's CPU for the same HTTP exchanges ([`flow::reference_pattern`]).
    pub reference_cpu_per_flow: Duration,
    pub idle: Sample,
}

/// Server CPU per complete authorization-code flow, on a fresh provider: `flows` flows,
/// `flow_concurrency` at a time, each a new person (new cookie jar, new connections). The
/// same exchanges against the reference first, for the floor.
pub fn measure_flows(
    runtime: &tokio::runtime::Runtime,
    options: &Options,
    reference: &Server,
) -> anyhow::Result<FlowFigures> {
    eprintln!(
        "bench | {} complete authorization-code flows, {} at a time",
        options.flows, options.flow_concurrency
    );
    let concurrency = options.flow_concurrency.min(options.flows);
    let per_flow = |cpu: Duration| cpu / u32::try_from(options.flows).unwrap_or(u32::MAX);

    let base = reference.url();
    let before = reference.sample()?;
    run_concurrently(runtime, options.flows, concurrency, move || {
        let base = base.clone();
        async move { flow::reference_pattern(&base).await }
    })?;
    let reference_cpu = reference.sample()?.cpu.saturating_sub(before.cpu);

    let provider = server::start_provider(options.workers, &[])?;
    let idle = provider.sample()?;
    let base = provider.url();
    let before = provider.sample()?;
    let started = Instant::now();
    run_concurrently(runtime, options.flows, concurrency, move || {
        let base = base.clone();
        async move { flow::complete_flow(&base).await.map(drop) }
    })?;
    let wall = started.elapsed();
    let cpu = provider.sample()?.cpu.saturating_sub(before.cpu);
    Ok(FlowFigures {
        flows: options.flows,
        concurrency,
        cpu_per_flow: per_flow(cpu),
        wall,
        reference_cpu_per_flow: per_flow(reference_cpu),
        idle,
    })
}

/// Runs `total` jobs made by `job`, `concurrency` at a time, fails on the first error, and
/// returns what the jobs returned (in no particular order).
pub fn run_concurrently<T, F, Fut>(
    runtime: &tokio::runtime::Runtime,
    total: usize,
    concurrency: usize,
    job: F,
) -> anyhow::Result<Vec<T>>
where
    T: Send + 'static,
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<T>> + Send + 'static,
{
    runtime.block_on(async {
        let concurrency = concurrency.clamp(1, total.max(1));
        let mut tasks = tokio::task::JoinSet::new();
        for worker in 0..concurrency {
            let job = job.clone();
            let count = total / concurrency + usize::from(worker < total % concurrency);
            tasks.spawn(async move {
                let mut results = Vec::with_capacity(count);
                for _ in 0..count {
                    results.push(job().await?);
                }
                anyhow::Ok(results)
            });
        }
        let mut results = Vec::with_capacity(total);
        while let Some(result) = tasks.join_next().await {
            results.extend(result.context("a flow task panicked")??);
        }
        anyhow::Ok(results)
    })
}
