//! Load from `wrk` (Debian package `wrk`): the scripts the benchmark hands it and the figures
//! it reads back.
//!
//! Every script ends with the same `done` function, which prints one machine-readable line
//! (`BENCH requests=… p50_us=…`), so nothing depends on wrk's human output. Scripts are
//! written to a temporary file per run.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};

/// How wrk loads the server.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub threads: usize,
    pub connections: usize,
    pub duration: Duration,
}

/// What one wrk run measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct Outcome {
    /// Responses received (any status).
    pub requests: u64,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
    /// Responses with a status other than 2xx/3xx.
    pub status_errors: u64,
    /// Connect, read, write errors and timeouts.
    pub socket_errors: u64,
}

impl Outcome {
    pub fn requests_per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// `Basic base64(testclient:testsecret)`: the demo client's `client_secret_basic` header.
pub const DEMO_CLIENT_BASIC: &str = "Basic dGVzdGNsaWVudDp0ZXN0c2VjcmV0";

/// The `done` callback every script shares.
const DONE: &str = r#"
done = function(summary, latency, requests)
  if report_errors then report_errors() end
  local errors = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%.0f p99_us=%.0f status_errors=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
"#;

/// A GET, with a bearer token when given.
pub fn get_script(bearer: Option<&str>) -> String {
    let mut script = String::from("wrk.method = \"GET\"\n");
    if let Some(token) = bearer {
        script.push_str(&format!(
            "wrk.headers[\"Authorization\"] = \"Bearer {token}\"\n"
        ));
    }
    script + DONE
}

/// `POST /oauth/token` with `grant_type=client_credentials`, the same body every time.
pub fn client_credentials_script() -> String {
    format!(
        r#"wrk.method = "POST"
wrk.body = "grant_type=client_credentials&scope=profile%3Aread"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "{DEMO_CLIENT_BASIC}"
"#
    ) + DONE
}

/// `POST /oauth/token` with `grant_type=refresh_token`, rotation included: every request
/// spends a refresh token once, and every response's new refresh token goes back into the
/// thread's queue for a later request. Each connection waits for its response before it
/// sends again, so a thread never has more requests in flight than it holds tokens: seeded
/// with one chain per connection, the queue never runs dry unless a request fails (then a
/// placeholder is sent, which the server refuses and wrk counts as a status error).
pub fn refresh_script(seeds: &[String], threads: usize) -> String {
    let list = seeds
        .iter()
        .map(|token| format!("\"{token}\""))
        .collect::<Vec<_>>()
        .join(",\n  ");
    format!(
        r#"local seeds = {{
  {list}
}}
local threads = {threads}
local counter = 0
local queue = {{}}
local headers = {{
  ["Content-Type"] = "application/x-www-form-urlencoded",
  ["Authorization"] = "{DEMO_CLIENT_BASIC}",
}}

local all_threads = {{}}

setup = function(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(all_threads, thread)
end

init = function(args)
  for i, token in ipairs(seeds) do
    if (i - 1) % threads == id then table.insert(queue, token) end
  end
end

request = function()
  local token = table.remove(queue, 1) or "exhausted"
  return wrk.format("POST", nil, headers, "grant_type=refresh_token&refresh_token=" .. token)
end

response = function(status, headers, body)
  local token = string.match(body, '"refresh_token"%s*:%s*"([^"]+)"')
  if token then
    table.insert(queue, token)
  elseif first_error == nil then
    first_error = status .. " " .. body
  end
end

report_errors = function()
  for _, thread in ipairs(all_threads) do
    local error = thread:get("first_error")
    if error then io.write("BENCH_ERROR " .. error .. "\n") end
  end
end
{DONE}"#
    )
}

/// Runs wrk against `url` with `script` and reads its `BENCH` line.
pub fn run(url: &str, script: &str, load: Load) -> anyhow::Result<Outcome> {
    let path = script_path();
    std::fs::write(&path, script).with_context(|| format!("writing {}", path.display()))?;
    let seconds = load.duration.as_secs().max(1);
    let output = Command::new("wrk")
        .arg(format!("--threads={}", load.threads))
        .arg(format!("--connections={}", load.connections))
        .arg(format!("--duration={seconds}s"))
        .arg("--timeout=10s")
        .arg(format!("--script={}", path.display()))
        .arg(url)
        .output();
    let _ = std::fs::remove_file(&path);
    let output = output.context(
        "running wrk; install it with `sudo apt-get install wrk` (Debian/Ubuntu package `wrk`)",
    )?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "wrk failed ({}): {}{}",
            output.status,
            stdout,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    for line in stdout
        .lines()
        .filter_map(|line| line.strip_prefix("BENCH_ERROR "))
    {
        eprintln!("bench | first failed response of a wrk thread: {line}");
    }
    parse(&stdout).with_context(|| format!("reading wrk's output:\n{stdout}"))
}

fn parse(stdout: &str) -> anyhow::Result<Outcome> {
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix("BENCH "))
        .ok_or_else(|| anyhow!("no BENCH line"))?;
    let field = |name: &str| -> anyhow::Result<u64> {
        line.split_whitespace()
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
            .ok_or_else(|| anyhow!("no {name}"))?
            .parse::<u64>()
            .with_context(|| format!("{name} is not a number"))
    };
    Ok(Outcome {
        requests: field("requests")?,
        elapsed: Duration::from_micros(field("duration_us")?),
        p50: Duration::from_micros(field("p50_us")?),
        p99: Duration::from_micros(field("p99_us")?),
        status_errors: field("status_errors")?,
        socket_errors: field("socket_errors")?,
    })
}

fn script_path() -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    std::env::temp_dir().join(format!(
        "oauth-flow-bench-{}-{}.lua",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Whether wrk is on PATH.
pub fn check_installed() -> anyhow::Result<()> {
    match Command::new("wrk").arg("--version").output() {
        Ok(_) => Ok(()),
        Err(_) => bail!(
            "wrk is not installed: `sudo apt-get install wrk` (Debian/Ubuntu), then `just bench`"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bench_line_is_read_field_by_field() {
        let outcome = parse(
            "Running 1s test\nBENCH requests=1000 duration_us=2000000 p50_us=150 p99_us=900 status_errors=2 socket_errors=1\n",
        )
        .expect("a well-formed line");
        assert_eq!(outcome.requests, 1000);
        assert_eq!(outcome.p99, Duration::from_micros(900));
        assert_eq!(outcome.status_errors, 2);
        assert!((outcome.requests_per_second() - 500.0).abs() < 1e-6);
    }

    #[test]
    fn a_missing_bench_line_is_an_error() {
        assert!(parse("Running 1s test\n").is_err());
    }
}
