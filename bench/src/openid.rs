//! What OpenID Connect costs the provider (docs/performance.md, "OpenID Connect"): the same
//! authorization-code flow with and without `openid` in the scope, so the only difference is
//! the ID token the provider signs at the code exchange (Core 1.0 §3.1.3.3) and again at
//! every refresh (§12.2), signed with the algorithm the client registered: ES256 (the demo
//! client's `CLIENT_ID_TOKEN_SIGNED_RESPONSE_ALG` default) and RS256 (the registration
//! default, Dynamic Client Registration 1.0 §2), each measured; and, in this process, what one signature and one verification
//! cost with each algorithm the provider can sign with (RFC 7518 §3.3, §3.4; RFC 8037 §3.1).
//!
//! Server CPU comes from `/proc/PID/stat`, which counts in clock ticks (10 ms on Linux), so
//! each figure is a total over many requests divided by their number; the table prints that
//! resolution beside it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use provider::openid::jws::{sign_jws, verify};
use provider::openid::keys::{Algorithm, Jwks, SigningKey};
use serde_json::json;

use crate::flow::{self, Ask, Code};
use crate::server::{self, Server};
use crate::{Options, micros, run_concurrently, verdict};

/// The goal: a complete flow with `openid` costs at most this many times the server CPU of
/// the same flow without it.
const FLOW_RATIO_GOAL: f64 = 1.3;

/// Server CPU per step of one kind of flow, on its own fresh provider.
pub struct FlowCost {
    pub ask: &'static str,
    pub exchanges: usize,
    pub per_exchange: Duration,
    pub per_refresh: Duration,
    pub flows: usize,
    pub per_flow: Duration,
    /// The clock-tick resolution divided by the count: what one tick more or less moves
    /// the per-exchange figure by.
    pub exchange_resolution: Duration,
}

/// One algorithm's cost in this process.
pub struct AlgorithmCost {
    pub alg: Algorithm,
    pub sign: Duration,
    pub verify: Duration,
    pub signature_bytes: usize,
}

/// The same flow without `openid`, and with it for a client registered for ES256 and for
/// one registered for RS256.
pub struct OpenIdFigures {
    pub plain: FlowCost,
    pub openid: FlowCost,
    pub openid_rs256: FlowCost,
}

/// The three flows, each on a fresh provider with its generated keys.
pub fn measure(
    runtime: &tokio::runtime::Runtime,
    options: &Options,
) -> anyhow::Result<OpenIdFigures> {
    Ok(OpenIdFigures {
        plain: flow_cost(runtime, options, "without openid", Ask::PLAIN, "ES256")?,
        openid: flow_cost(runtime, options, "with openid", Ask::OPENID, "ES256")?,
        openid_rs256: flow_cost(runtime, options, "with openid", Ask::OPENID, "RS256")?,
    })
}

/// Sign and verify with each algorithm, in this process.
pub fn measure_algorithms(options: &Options) -> anyhow::Result<Vec<AlgorithmCost>> {
    let budget = if options.smoke {
        Duration::from_millis(50)
    } else {
        Duration::from_secs(1)
    };
    eprintln!("bench | JWS sign and verify, in process, {budget:?} per algorithm and step");
    Algorithm::ALL
        .into_iter()
        .map(|alg| algorithm_cost(alg, budget))
        .collect()
}

/// On a fresh provider: `exchanges` authorization codes obtained through the forms, then
/// CPU for redeeming them all (one keep-alive back-channel client, so no connection set-up
/// is counted), then for one refresh of each grant, then `flows` complete flows.
fn flow_cost(
    runtime: &tokio::runtime::Runtime,
    options: &Options,
    what: &'static str,
    ask: Ask<'static>,
    id_token_alg: &str,
) -> anyhow::Result<FlowCost> {
    let exchanges = options.exchanges;
    let concurrency = options.flow_concurrency;
    eprintln!("bench | {exchanges} code exchanges and refreshes, {what} ({id_token_alg} client)");
    let provider = server::start_provider(
        options.workers,
        &[("CLIENT_ID_TOKEN_SIGNED_RESPONSE_ALG", id_token_alg.into())],
    )?;
    let base = provider.url();

    let codes = {
        let base = base.clone();
        run_concurrently(runtime, exchanges, concurrency, move || {
            let base = base.clone();
            async move { flow::authorization_code(&base, ask).await }
        })?
    };
    let api = flow::api_client()?;

    let (tokens, per_exchange) = timed(&provider, exchanges, || {
        let (api, base) = (api.clone(), base.clone());
        each_concurrently(runtime, codes, concurrency, move |code: Code| {
            let (api, base) = (api.clone(), base.clone());
            async move { flow::exchange_code(&api, &base, &code, ask).await }
        })
    })?;

    let refresh_tokens: Vec<String> = tokens.into_iter().map(|t| t.refresh_token).collect();
    let ((), per_refresh) = timed(&provider, exchanges, || {
        let (api, base) = (api.clone(), base.clone());
        each_concurrently(
            runtime,
            refresh_tokens,
            concurrency,
            move |refresh: String| {
                let (api, base) = (api.clone(), base.clone());
                async move { flow::refresh_asking(&api, &base, &refresh, ask).await }
            },
        )
        .map(drop)
    })?;

    let flows = options.flows;
    let ((), per_flow) = timed(&provider, flows, || {
        let base = base.clone();
        run_concurrently(runtime, flows, concurrency, move || {
            let base = base.clone();
            async move { flow::complete_flow_asking(&base, ask).await.map(drop) }
        })
        .map(drop)
    })?;
    Ok(FlowCost {
        ask: what,
        exchanges,
        per_exchange,
        per_refresh,
        flows,
        per_flow,
        exchange_resolution: Duration::from_secs(1)
            / u32::try_from(crate::proc::ticks_per_second()).unwrap_or(100)
            / u32::try_from(exchanges.max(1)).unwrap_or(u32::MAX),
    })
}

/// Runs `job` once for each of `items`, `concurrency` at a time, and returns the results.
fn each_concurrently<T, R, F, Fut>(
    runtime: &tokio::runtime::Runtime,
    items: Vec<T>,
    concurrency: usize,
    job: F,
) -> anyhow::Result<Vec<R>>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(T) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<R>> + Send + 'static,
{
    let total = items.len();
    let pending = Arc::new(Mutex::new(items));
    run_concurrently(runtime, total, concurrency, move || {
        let item = pending.lock().expect("not poisoned").pop();
        let job = job.clone();
        async move { job(item.expect("one item per job")).await }
    })
}

/// Runs `work` and returns its result with the provider's CPU per each of `count` requests.
fn timed<T>(
    provider: &Server,
    count: usize,
    work: impl FnOnce() -> anyhow::Result<T>,
) -> anyhow::Result<(T, Duration)> {
    let before = provider.sample()?.cpu;
    let result = work()?;
    let cpu = provider.sample()?.cpu.saturating_sub(before);
    Ok((
        result,
        cpu / u32::try_from(count.max(1)).unwrap_or(u32::MAX),
    ))
}

/// µs per `sign_jws` and per `verify` (the provider's own functions, `ring` underneath) of
/// an ID-token-sized claims set with a freshly generated key, each looped for `budget`.
fn algorithm_cost(alg: Algorithm, budget: Duration) -> anyhow::Result<AlgorithmCost> {
    let key = SigningKey::generate(alg)?;
    let jwks = Jwks {
        keys: vec![key.public_jwk()],
    };
    let claims = json!({
        "iss": "http://127.0.0.1:8080",
        "sub": "user-1",
        "aud": "testclient",
        "exp": 1_900_000_000_u64,
        "iat": 1_800_000_000_u64,
        "auth_time": 1_800_000_000_u64,
        "nonce": "n-0S6_WzA2Mj",
        "azp": "testclient",
        "at_hash": "77QmUPtjPfzWtF2AnpK9RQ",
        "sid": "08a5019c-17e1-4977-8f42-65a12843ea02",
    });
    let header = serde_json::Map::from_iter([("typ".to_owned(), json!("JWT"))]);
    let jws = sign_jws(&key, header.clone(), &claims)?;
    let signature_bytes = jws.rsplit('.').next().map_or(0, |s| s.len() * 3 / 4);
    let sign = per_op(budget, || {
        sign_jws(&key, header.clone(), &claims)?;
        Ok(())
    })?;
    let verify = per_op(budget, || {
        verify(&jws, &jwks, &[alg])?;
        Ok(())
    })?;
    Ok(AlgorithmCost {
        alg,
        sign,
        verify,
        signature_bytes,
    })
}

/// Calls `op` until `budget` has passed (at least 10 times) and returns the mean wall time.
fn per_op(
    budget: Duration,
    mut op: impl FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut count = 0_u32;
    while count < 10 || started.elapsed() < budget {
        op()?;
        count += 1;
    }
    Ok(started.elapsed() / count)
}

pub fn print_flows(figures: &OpenIdFigures) {
    let (plain, openid, rs256) = (&figures.plain, &figures.openid, &figures.openid_rs256);
    // Below the clock tick nothing was measured: no ratio rather than a huge one.
    let ratio = |a: Duration, b: Duration| {
        if b.is_zero() {
            "below resolution".to_owned()
        } else {
            format!("{:.2}", a.as_secs_f64() / b.as_secs_f64())
        }
    };
    println!();
    println!(
        "| OpenID Connect: server CPU per request | without openid | with openid, ES256 ID token (the demo client's) | ratio | with openid, RS256 ID token (the default) | ratio | goal (ES256) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---|");
    println!(
        "| code exchange, POST /oauth/token authorization_code ({} each, keep-alive; ± {} per clock tick) | {} | {} | {} | {} | {} | |",
        plain.exchanges,
        micros(plain.exchange_resolution),
        micros(plain.per_exchange),
        micros(openid.per_exchange),
        ratio(openid.per_exchange, plain.per_exchange),
        micros(rs256.per_exchange),
        ratio(rs256.per_exchange, plain.per_exchange),
    );
    println!(
        "| refresh, POST /oauth/token refresh_token (a new ID token with openid, Core §12.2) | {} | {} | {} | {} | {} | |",
        micros(plain.per_refresh),
        micros(openid.per_refresh),
        ratio(openid.per_refresh, plain.per_refresh),
        micros(rs256.per_refresh),
        ratio(rs256.per_refresh, plain.per_refresh),
    );
    let flow_ratio = openid.per_flow.as_secs_f64() / plain.per_flow.as_secs_f64().max(1e-9);
    println!(
        "| complete flow (7 requests on 2 new connections, {} flows each: {} / {}) | {} | {} | {flow_ratio:.2} | {} | {} | ≤ {FLOW_RATIO_GOAL}×: {} |",
        plain.flows,
        plain.ask,
        openid.ask,
        micros(plain.per_flow),
        micros(openid.per_flow),
        micros(rs256.per_flow),
        ratio(rs256.per_flow, plain.per_flow),
        verdict(flow_ratio <= FLOW_RATIO_GOAL),
    );
}

pub fn print_algorithms(algorithms: &[AlgorithmCost]) {
    println!();
    println!(
        "| JWS algorithm (in process, ring via provider::openid::jws) | sign (sign_jws) | verify (verify) | signature |"
    );
    println!("|---|---:|---:|---:|");
    for cost in algorithms {
        println!(
            "| {} | {} | {} | {} bytes |",
            cost.alg,
            micros(cost.sign),
            micros(cost.verify),
            cost.signature_bytes,
        );
    }
}
