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

mod api;
mod flow;
mod openid;
mod proc;
mod server;
mod wrk;

use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::proc::{Sample, megabytes};
use crate::server::Server;
use crate::wrk::{Load, Outcome};

/// What to run, from the command line.
#[derive(Debug, Clone)]
struct Options {
    smoke: bool,
    memory: bool,
    load: Load,
    rounds: usize,
    workers: usize,
    flows: usize,
    /// Authorization codes redeemed (and grants refreshed) per kind in the OpenID part.
    exchanges: usize,
    flow_concurrency: usize,
    tokens: u64,
    million: u64,
    /// Parts to run (`--only`); `None` runs them all.
    only: Option<Vec<Part>>,
    no_redis: bool,
}

/// A part of the benchmark, by the name `--only` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Scenario(Scenario),
    Flow,
    Tokens,
    /// client_credentials and /protected again with the Redis store.
    Redis,
    /// /public and client_credentials again with the default `RUST_LOG`.
    Default,
    /// Memory of 1,000 grants rotated 1,000 times each against once (docs/performance.md); only when
    /// `--only` names it.
    Rotations,
    /// Code exchange, refresh and complete flow with and without `openid`.
    OpenId,
    /// RS256, ES256 and EdDSA sign and verify, in process.
    Jws,
    /// The notes API's `GET /notes` with one kind of access token.
    Api(api::ApiToken),
}

/// Whether the Redis rows ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RedisRows {
    Run,
    NotInstalled,
    NotAsked,
}

impl Part {
    const NAMES: [(&'static str, Part); 16] = [
        (
            "client_credentials",
            Part::Scenario(Scenario::ClientCredentials),
        ),
        ("refresh", Part::Scenario(Scenario::RefreshToken)),
        ("protected", Part::Scenario(Scenario::Protected)),
        ("me", Part::Scenario(Scenario::Me)),
        ("userinfo", Part::Scenario(Scenario::UserInfo)),
        ("public", Part::Scenario(Scenario::Public)),
        ("flow", Part::Flow),
        ("tokens", Part::Tokens),
        ("redis", Part::Redis),
        ("default", Part::Default),
        ("rotations", Part::Rotations),
        ("openid", Part::OpenId),
        ("jws", Part::Jws),
        ("api_jwt", Part::Api(api::ApiToken::Jwt)),
        ("api_opaque", Part::Api(api::ApiToken::OpaqueCached)),
        (
            "api_opaque_nocache",
            Part::Api(api::ApiToken::OpaqueUncached),
        ),
    ];

    fn parse_list(list: &str) -> anyhow::Result<Vec<Part>> {
        list.split(',')
            .filter(|name| !name.is_empty())
            .map(|name| {
                Part::NAMES
                    .iter()
                    .find(|(known, _)| *known == name)
                    .map(|(_, part)| *part)
                    .with_context(|| {
                        let names: Vec<&str> = Part::NAMES.iter().map(|(n, _)| *n).collect();
                        format!(
                            "--only: unknown part {name:?} (known: {})",
                            names.join(", ")
                        )
                    })
            })
            .collect()
    }
}

impl Options {
    fn parse() -> anyhow::Result<Self> {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let mut options = Options {
            smoke: false,
            memory: false,
            load: Load {
                threads: 1,
                connections: 64,
                duration: Duration::from_secs(5),
            },
            rounds: 3,
            workers: cores,
            flows: 500,
            exchanges: 2_000,
            flow_concurrency: 4,
            tokens: 200_000,
            million: 1_000_000,
            only: None,
            no_redis: false,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut number = |name: &str| -> anyhow::Result<u64> {
                args.next()
                    .with_context(|| format!("{name} needs a number"))?
                    .parse()
                    .with_context(|| format!("{name} needs a number"))
            };
            match arg.as_str() {
                "--smoke" => {
                    options.smoke = true;
                    options.load.connections = 16;
                    options.load.duration = Duration::from_secs(1);
                    options.rounds = 1;
                    options.flows = 20;
                    options.exchanges = 20;
                    options.tokens = 2_000;
                }
                "--memory" => options.memory = true,
                "--no-redis" => options.no_redis = true,
                "--duration" => options.load.duration = Duration::from_secs(number("--duration")?),
                "--rounds" => options.rounds = usize::try_from(number("--rounds")?)?.max(1),
                "--connections" => {
                    options.load.connections = usize::try_from(number("--connections")?)?
                }
                "--threads" => options.load.threads = usize::try_from(number("--threads")?)?.max(1),
                "--workers" => options.workers = usize::try_from(number("--workers")?)?.max(1),
                "--flows" => options.flows = usize::try_from(number("--flows")?)?.max(1),
                "--exchanges" => {
                    options.exchanges = usize::try_from(number("--exchanges")?)?.max(1)
                }
                "--flow-concurrency" => {
                    options.flow_concurrency =
                        usize::try_from(number("--flow-concurrency")?)?.max(1)
                }
                "--tokens" => options.tokens = number("--tokens")?.max(1),
                "--million" => options.million = number("--million")?.max(1),
                "--only" => {
                    let list = args.next().context("--only needs a list of parts")?;
                    options.only = Some(Part::parse_list(&list)?);
                }
                "-h" | "--help" => {
                    println!("{HELP}");
                    std::process::exit(0);
                }
                other => bail!("unknown argument {other:?}\n{HELP}"),
            }
        }
        options.load.connections = options.load.connections.max(options.load.threads);
        Ok(options)
    }

    /// Whether `part` runs (every part does unless `--only` names some).
    fn runs(&self, part: Part) -> bool {
        if part == Part::Redis && self.no_redis {
            return false;
        }
        self.only.as_ref().is_none_or(|only| only.contains(&part))
    }
}

const HELP: &str = "\
usage: cargo run --release -p bench -- [options]   (or: just bench [options])
  --smoke            a short run that proves the benchmark works (CI); figures mean nothing
  --memory           also issue a million 5-second tokens and watch them purged
  --duration SECS    wrk run length per round (default 5)
  --rounds N         server/reference alternations per scenario (default 3)
  --connections N    wrk connections (default 64)
  --threads N        wrk threads (default 1: wrk keeps one core, the servers the other)
  --workers N        actix workers of both servers (default: one per CPU)
  --flows N          complete authorization-code flows to time (default 500)
  --exchanges N      code exchanges and refreshes timed with and without openid (default 2000)
  --flow-concurrency N
                     flows in progress at once (default 4)
  --tokens N         tokens issued to measure memory per live token (default 200000)
  --million N        tokens issued by --memory (default 1000000)
  --only LIST        run only these parts, comma-separated: client_credentials, refresh,
                     protected, me, userinfo, public, api_jwt, api_opaque, api_opaque_nocache
                     (the notes API's GET /notes with each kind of token), flow, openid (code
                     exchange, refresh and flow with and without openid), jws (RS256, ES256,
                     EdDSA sign and verify in process), tokens, redis, default (the default
                     configuration's rows: a log line per request); rotations (1,000 grants x
                     1,000 refreshes: memory and rate) runs only when named here
  --no-redis         skip the Redis rows (they run when redis-server is installed)";

/// One row of the wrk table.
struct Row {
    what: String,
    provider: Outcome,
    reference: Outcome,
    cpu_per_request: Duration,
    reference_cpu_per_request: Duration,
    peak_rss: u64,
    ratio: f64,
    p99_ratio: f64,
    target: Target,
    /// Default-configuration rows: (lines the provider logged, responses wrk received).
    log_lines: Option<(u64, u64)>,
}

/// What a row of the wrk table is held to.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// The issue's target as a share of the reference's req/s (and p99 within 2×).
    Share(f64),
    /// No target; the text says what to compare the row with instead.
    None(&'static str),
}

/// Where the provider keeps its state for a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Memory,
    /// A `redis-server` started for the row (`STORE=redis://…`).
    Redis,
    /// In memory, with the default `RUST_LOG`: what a user runs.
    DefaultConfig,
}

/// A provider scenario: what wrk sends, and what must be prepared first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    ClientCredentials,
    RefreshToken,
    Protected,
    Me,
    /// OpenID Connect UserInfo (Core §5.3) with a token whose scope has `openid`.
    UserInfo,
    Public,
}

impl Scenario {
    const ALL: [Scenario; 6] = [
        Scenario::ClientCredentials,
        Scenario::RefreshToken,
        Scenario::Protected,
        Scenario::Me,
        Scenario::UserInfo,
        Scenario::Public,
    ];

    fn label(self) -> &'static str {
        match self {
            Scenario::ClientCredentials => "POST /oauth/token client_credentials",
            Scenario::RefreshToken => "POST /oauth/token refresh_token (rotation)",
            Scenario::Protected => "GET /protected (bearer)",
            Scenario::Me => "GET /api/auth/me (bearer)",
            Scenario::UserInfo => "GET /userinfo (bearer with openid: OpenID Connect UserInfo)",
            Scenario::Public => "GET /public",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Scenario::ClientCredentials | Scenario::RefreshToken => "/oauth/token",
            Scenario::Protected => "/protected",
            Scenario::Me => "/api/auth/me",
            Scenario::UserInfo => "/userinfo",
            Scenario::Public => "/public",
        }
    }

    /// Issue 14's target for the default configuration (a log line per request).
    fn default_config_target(self) -> f64 {
        match self {
            Scenario::Public => 0.85,
            _ => 0.5,
        }
    }

    /// The issue's target, as a share of the reference's req/s; `None` when no issue set one.
    fn target(self) -> Option<f64> {
        match self {
            Scenario::ClientCredentials => Some(0.5),
            Scenario::RefreshToken => Some(0.4),
            Scenario::Protected | Scenario::Me => Some(0.7),
            Scenario::UserInfo => None,
            Scenario::Public => Some(0.9),
        }
    }

    /// What to compare a row without a target with.
    fn no_target(self) -> &'static str {
        match self {
            Scenario::UserInfo => "none set (compare with GET /api/auth/me)",
            _ => "none",
        }
    }
}

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

/// One scenario on a fresh provider: `rounds` times the reference, then the provider.
fn measure(
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
struct Runs {
    server: Vec<Outcome>,
    reference: Vec<Outcome>,
    server_cpu: Duration,
    reference_cpu: Duration,
}

impl Runs {
    fn total_requests(&self) -> u64 {
        self.server
            .iter()
            .map(|run| run.requests)
            .sum::<u64>()
            .max(1)
    }

    /// The table's row: medians of the runs and of the per-round ratios.
    fn row(self, what: String, peak_rss: u64, target: Target) -> Row {
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
fn alternate(
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
async fn seed_refresh_tokens(base: &str, count: usize) -> anyhow::Result<Vec<String>> {
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

/// What the rotation measurement found.
struct RotationFigures {
    grants: usize,
    rotations: usize,
    /// RSS with every grant rotated once.
    once: u64,
    /// RSS with every grant rotated `rotations` times.
    many: u64,
    refreshes: u64,
    seconds: f64,
}

/// Issue 18: `grants` grants from complete flows (each ends with one refresh), RSS; then
/// each rotated until it has rotated `rotations` times, from 32 keep-alive connections,
/// RSS again and the rotation rate. Retired refresh tokens must not cost memory.
fn measure_rotations(
    runtime: &tokio::runtime::Runtime,
    options: &Options,
) -> anyhow::Result<RotationFigures> {
    use std::sync::{Arc, Mutex};
    const CONCURRENCY: usize = 32;
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

fn print_rotations(figures: &RotationFigures) {
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

/// What the complete-flow measurement found.
struct FlowFigures {
    flows: usize,
    concurrency: usize,
    cpu_per_flow: Duration,
    wall: Duration,
    /// The reference's CPU for the same HTTP exchanges ([`flow::reference_pattern`]).
    reference_cpu_per_flow: Duration,
    idle: Sample,
}

/// Server CPU per complete authorization-code flow, on a fresh provider: `flows` flows,
/// `flow_concurrency` at a time, each a new person (new cookie jar, new connections). The
/// same exchanges against the reference first, for the floor.
fn measure_flows(
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
fn run_concurrently<T, F, Fut>(
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

/// What the memory-per-token measurement found.
struct TokenFigures {
    issued: u64,
    before: u64,
    after: u64,
    per_token: f64,
}

/// Memory per live token: a fresh provider (tokens live an hour, so none expires), a warm-up
/// of 1,000 tokens, then `tokens` more; RSS after minus RSS before, divided by the count.
fn measure_token_memory(
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
fn issue_tokens(runtime: &tokio::runtime::Runtime, url: &str, count: u64) -> anyhow::Result<u64> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    const CONCURRENCY: usize = 32;
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
struct MillionFigures {
    issued: u64,
    seconds: f64,
    before: u64,
    peak: u64,
    after: u64,
    live_estimate: f64,
    ttl: u64,
    purge_interval: u64,
}

/// A million tokens that live 5 s, purged every second: RSS before, at the peak (`VmHWM`),
/// and once every one of them has expired and been purged.
fn measure_million(
    runtime: &tokio::runtime::Runtime,
    options: &Options,
) -> anyhow::Result<MillionFigures> {
    const TTL: u64 = 5;
    const PURGE_INTERVAL: u64 = 1;
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

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// The run with the median req/s.
fn median_outcome(runs: &[Outcome]) -> Outcome {
    let mut sorted = runs.to_vec();
    sorted.sort_by(|a, b| a.requests_per_second().total_cmp(&b.requests_per_second()));
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

fn micros(duration: Duration) -> String {
    let us = duration.as_secs_f64() * 1e6;
    if us >= 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{us:.1} µs")
    }
}

fn verdict(holds: bool) -> &'static str {
    if holds { "holds" } else { "misses" }
}

/// The reference's memory: at start, and after all its runs.
struct ReferenceMemory {
    idle: Sample,
    end: Sample,
}

fn print_report(
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
