//! The wrk table (docs/performance.md): one row per provider scenario, each on a freshly
//! started provider, wrk against it and against the hello-world reference in alternation;
//! req/s, latency, server CPU per request and peak RSS, held to a target as a share of the
//! reference's req/s.

use std::time::Duration;

use anyhow::Context;

use crate::flow;
use crate::options::Options;
use crate::server::{self, Server};
use crate::wrk::{self, Outcome};

/// One row of the wrk table.
pub struct Row {
    pub what: String,
    pub provider: Outcome,
    pub reference: Outcome,
    pub cpu_per_request: Duration,
    pub reference_cpu_per_request: Duration,
    pub peak_rss: u64,
    pub ratio: f64,
    pub p99_ratio: f64,
    pub target: Target,
    /// Default-configuration rows: (lines the provider logged, responses wrk received).
    pub log_lines: Option<(u64, u64)>,
}

/// What a row of the wrk table is held to.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// The target as a share of the reference's req/s (and p99 within 2×).
    Share(f64),
    /// No target; the text says what to compare the row with instead.
    None(&'static str),
}

/// Where the provider keeps its state for a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Memory,
    /// A `redis-server` started for the row (`STORE=redis://…`).
    Redis,
    /// In memory, with the default `RUST_LOG`: what a user runs.
    DefaultConfig,
}

/// A provider scenario: what wrk sends, and what must be prepared first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    ClientCredentials,
    RefreshToken,
    Protected,
    Me,
    /// OpenID Connect UserInfo (Core §5.3) with a token whose scope has `openid`.
    UserInfo,
    Public,
}

impl Scenario {
    pub const ALL: [Scenario; 6] = [
        Scenario::ClientCredentials,
        Scenario::RefreshToken,
        Scenario::Protected,
        Scenario::Me,
        Scenario::UserInfo,
        Scenario::Public,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Scenario::ClientCredentials => "POST /oauth/token client_credentials",
            Scenario::RefreshToken => "POST /oauth/token refresh_token (rotation)",
            Scenario::Protected => "GET /protected (bearer)",
            Scenario::Me => "GET /api/auth/me (bearer)",
            Scenario::UserInfo => "GET /userinfo (bearer with openid: OpenID Connect UserInfo)",
            Scenario::Public => "GET /public",
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            Scenario::ClientCredentials | Scenario::RefreshToken => "/oauth/token",
            Scenario::Protected => "/protected",
            Scenario::Me => "/api/auth/me",
            Scenario::UserInfo => "/userinfo",
            Scenario::Public => "/public",
        }
    }

    /// Issue 14's target for the default configuration (a log line per request).
    pub fn default_config_target(self) -> f64 {
        match self {
            Scenario::Public => 0.85,
            _ => 0.5,
        }
    }

    /// The target, as a share of the reference's req/s; `None` when no issue set one.
    pub fn target(self) -> Option<f64> {
        match self {
            Scenario::ClientCredentials => Some(0.5),
            Scenario::RefreshToken => Some(0.4),
            Scenario::Protected | Scenario::Me => Some(0.7),
            Scenario::UserInfo => None,
            Scenario::Public => Some(0.9),
        }
    }

    /// What to compare a row without a target with.
    pub fn no_target(self) -> &'static str {
        match self {
            Scenario::UserInfo => "none set (compare with GET /api/auth/me)",
            _ => "none",
        }
    }
}

/// One scenario on a fresh provider: `rounds` times the reference, then the provider.
pub fn measure(
    runtime: &tokio::runtime::Runtime,
    options: &Options,
    reference: &Server,
    scenario: Scenario,
    backend: Backend,
) -> anyhow::Result<Row> {
    let what = match backend {
        Backend::Memory => scenario.label().to_owned(),
        Backend::Redis => format!(
            "{}, Redis store (CPU: provider + redis-server)",
            scenario.label()
        ),
        Backend::DefaultConfig => format!(
            "{}, default configuration (RUST_LOG unset: a line per request)",
            scenario.label()
        ),
    };
    eprintln!("bench | {what}");
    let redis = match backend {
        Backend::Memory | Backend::DefaultConfig => None,
        Backend::Redis => Some(server::start_redis()?),
    };
    let provider = match (&redis, backend) {
        (Some(redis), _) => server::start_provider_on_redis(options.workers, redis)?,
        (None, Backend::DefaultConfig) => {
            server::start_provider_logging(options.workers, server::Logs::Default, &[])?
        }
        (None, _) => server::start_provider(options.workers, &[])?,
    };
    // The server side's CPU: the provider's, and Redis's when it holds the state.
    let server_cpu = || -> anyhow::Result<Duration> {
        let mut cpu = provider.sample()?.cpu;
        if let Some(redis) = &redis {
            cpu += redis.sample()?.cpu;
        }
        Ok(cpu)
    };
    let base = provider.url();
    let url = format!("{base}{}", scenario.path());

    // A user's access token (scopes profile:read teams:read, and openid for UserInfo) for
    // the bearer GETs.
    let user_token = match scenario {
        Scenario::Protected | Scenario::Me => {
            Some(runtime.block_on(flow::complete_flow(&base))?.access_token)
        }
        Scenario::UserInfo => Some(
            runtime
                .block_on(flow::complete_flow_asking(&base, flow::Ask::OPENID))?
                .access_token,
        ),
        _ => None,
    };

    let runs = alternate(
        options,
        reference,
        &url,
        || {
            Ok(match scenario {
                Scenario::ClientCredentials => wrk::client_credentials_script(),
                Scenario::RefreshToken => {
                    // One rotation chain per connection, each seeded by a complete flow, plus
                    // one spare per wrk thread: wrk calls `request()` once on the first thread
                    // before the run to check the script, and that spends a token.
                    let chains = options.load.connections + options.load.threads;
                    let seeds = runtime.block_on(seed_refresh_tokens(&base, chains))?;
                    wrk::refresh_script(&seeds, options.load.threads)
                }
                Scenario::Protected | Scenario::Me | Scenario::UserInfo => {
                    wrk::get_script(user_token.as_deref())
                }
                Scenario::Public => wrk::get_script(None),
            })
        },
        server_cpu,
    )?;
    let target = match backend {
        Backend::Memory => scenario
            .target()
            .map_or(Target::None(scenario.no_target()), Target::Share),
        Backend::Redis => Target::None("none (compare with the in-memory row)"),
        Backend::DefaultConfig => Target::Share(scenario.default_config_target()),
    };
    let total_requests = runs.total_requests();
    let row = runs.row(what, provider.sample()?.peak_rss, target);
    let logged = provider.stop()?;
    let row = match logged {
        Some(lines) => Row {
            // Besides one line per request: "listening" at start, "stopping" at the end.
            log_lines: Some((lines.saturating_sub(2), total_requests)),
            ..row
        },
        None => row,
    };
    Ok(row)
}

/// What [`alternate`] measured: wrk runs against a server and the reference, and the server
/// side's CPU over each side's runs.
pub struct Runs {
    pub server: Vec<Outcome>,
    pub reference: Vec<Outcome>,
    pub server_cpu: Duration,
    pub reference_cpu: Duration,
}

impl Runs {
    pub fn total_requests(&self) -> u64 {
        self.server
            .iter()
            .map(|run| run.requests)
            .sum::<u64>()
            .max(1)
    }

    /// The table's row: medians of the runs and of the per-round ratios.
    pub fn row(self, what: String, peak_rss: u64, target: Target) -> Row {
        let ratios = |of: fn(&Outcome) -> f64| -> Vec<f64> {
            self.server
                .iter()
                .zip(&self.reference)
                .map(|(s, r)| of(s) / of(r).max(1e-9))
                .collect()
        };
        let per_request = |cpu: Duration, runs: &[Outcome]| {
            let total = runs.iter().map(|run| run.requests).sum::<u64>().max(1);
            cpu / u32::try_from(total).unwrap_or(u32::MAX)
        };
        Row {
            what,
            provider: median_outcome(&self.server),
            reference: median_outcome(&self.reference),
            cpu_per_request: per_request(self.server_cpu, &self.server),
            reference_cpu_per_request: per_request(self.reference_cpu, &self.reference),
            peak_rss,
            ratio: median(ratios(Outcome::requests_per_second)),
            p99_ratio: median(ratios(|run| run.p99.as_secs_f64())),
            target,
            log_lines: None,
        }
    }
}

/// `options.rounds` times: wrk against the reference, then against `url` with the script
/// `script` makes (called before each round, so a round can be seeded afresh). `server_cpu`
/// reads the CPU of everything on the server side (the server, and its store or
/// authorization server when those work for it).
pub fn alternate(
    options: &Options,
    reference: &Server,
    url: &str,
    mut script: impl FnMut() -> anyhow::Result<String>,
    server_cpu: impl Fn() -> anyhow::Result<Duration>,
) -> anyhow::Result<Runs> {
    let mut runs = Runs {
        server: Vec::new(),
        reference: Vec::new(),
        server_cpu: Duration::ZERO,
        reference_cpu: Duration::ZERO,
    };
    for _ in 0..options.rounds {
        let before = reference.sample()?;
        let outcome = wrk::run(&reference.url(), &wrk::get_script(None), options.load)?;
        runs.reference_cpu += reference.sample()?.cpu.saturating_sub(before.cpu);
        runs.reference.push(outcome);

        let script = script()?;
        let before = server_cpu()?;
        let outcome = wrk::run(url, &script, options.load)?;
        runs.server_cpu += server_cpu()?.saturating_sub(before);
        runs.server.push(outcome);
    }
    Ok(runs)
}

/// `count` refresh tokens, each from its own complete flow (its own grant).
pub async fn seed_refresh_tokens(base: &str, count: usize) -> anyhow::Result<Vec<String>> {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..count {
        let base = base.to_owned();
        tasks.spawn(async move { flow::complete_flow(&base).await });
    }
    let mut seeds = Vec::with_capacity(count);
    while let Some(result) = tasks.join_next().await {
        seeds.push(result.context("a seeding flow panicked")??.refresh_token);
    }
    Ok(seeds)
}

pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// The run with the median req/s.
pub fn median_outcome(runs: &[Outcome]) -> Outcome {
    let mut sorted = runs.to_vec();
    sorted.sort_by(|a, b| a.requests_per_second().total_cmp(&b.requests_per_second()));
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}
