//! The command line: what to run (`--smoke`, `--memory`, `--only PARTS`, the load's size),
//! parsed into [`Options`], and the parts of the benchmark by the names `--only` takes.

use std::time::Duration;

use anyhow::{Context, bail};

use crate::api;
use crate::table::Scenario;
use crate::wrk::Load;

/// What to run, from the command line.
#[derive(Debug, Clone)]
pub struct Options {
    pub smoke: bool,
    pub memory: bool,
    pub load: Load,
    pub rounds: usize,
    pub workers: usize,
    pub flows: usize,
    /// Authorization codes redeemed (and grants refreshed) per kind in the OpenID part.
    pub exchanges: usize,
    pub flow_concurrency: usize,
    pub tokens: u64,
    pub million: u64,
    /// Parts to run (`--only`); `None` runs them all.
    pub only: Option<Vec<Part>>,
    pub no_redis: bool,
}

/// A part of the benchmark, by the name `--only` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
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

impl Part {
    pub const NAMES: [(&'static str, Part); 16] = [
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

    pub fn parse_list(list: &str) -> anyhow::Result<Vec<Part>> {
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
    pub fn parse() -> anyhow::Result<Self> {
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
    pub fn runs(&self, part: Part) -> bool {
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
