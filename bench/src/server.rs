//! The servers under load, each a child process (so its CPU and memory can be read from
//! `/proc`): the release `provider` with benchmark settings, the notes `api`, the
//! `reference` hello-world,
//! and for the Redis rows a throwaway `redis-server`. Each listens on a free loopback port;
//! dropping a [`Server`] stops it.

use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use testkit::process::free_port;

use crate::proc::{self, Sample};

/// A server process started by the benchmark.
pub struct Server {
    child: Child,
    pub address: SocketAddr,
    ticks_per_second: u64,
    /// With [`Logs::Default`]: the thread reading the provider's stdout, which returns the
    /// number of lines it read once the pipe closes.
    log_reader: Option<JoinHandle<u64>>,
}

/// How much the provider logs in a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logs {
    /// `RUST_LOG=warn`: no line per request; stdout discarded.
    Quiet,
    /// No `RUST_LOG` at all, as a user runs it (`info`: a line per request). Stdout is a
    /// pipe that the benchmark reads and counts, as a terminal or `cargo run`'s prefixer
    /// would, so the cost of writing the lines is in the figures.
    Default,
}

impl Server {
    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The process's CPU time and memory now.
    pub fn sample(&self) -> anyhow::Result<Sample> {
        proc::sample(self.child.id(), self.ticks_per_second)
    }

    /// Stops the server as a service manager does (SIGTERM: graceful, logs flushed) and,
    /// for a provider started with [`Logs::Default`], returns how many lines it logged.
    pub fn stop(mut self) -> anyhow::Result<Option<u64>> {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .context("running kill -TERM")?;
        if !status.success() {
            bail!("kill -TERM {} failed", self.child.id());
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait()?.is_none() {
            if Instant::now() > deadline {
                bail!("the server did not stop within 30 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        match self.log_reader.take() {
            Some(reader) => Ok(Some(
                reader
                    .join()
                    .map_err(|_| anyhow::anyhow!("the log reader panicked"))?,
            )),
            None => Ok(None),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the release binaries are: beside the running `bench` binary (`target/release/`).
pub fn release_dir() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("finding the bench binary")?;
    exe.parent()
        .map(Path::to_path_buf)
        .context("the bench binary has no directory")
}

/// Builds the provider and the reference in release mode (a no-op when they are fresh).
pub fn build_release() -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let started = Instant::now();
    let mut build = Command::new(cargo);
    // `cargo run` gives the bench its package's variables (`CARGO_PKG_NAME`,
    // `CARGO_MANIFEST_DIR`, ...). Some build scripts (ring's) ask to be rerun when those
    // change, so a build that inherited them rebuilt ring and all above it (a minute) every
    // time, and the next `cargo run` rebuilt them back.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if [
            "CARGO_PKG_",
            "CARGO_MANIFEST_",
            "CARGO_CRATE_",
            "CARGO_BIN_",
        ]
        .iter()
        .any(|prefix| key.starts_with(prefix))
            || key == "CARGO_PRIMARY_PACKAGE"
            || key == "OUT_DIR"
        {
            build.env_remove(&*key);
        }
    }
    let status = build
        .args([
            "build",
            "--release",
            "-p",
            "provider",
            "-p",
            "api",
            "-p",
            "bench",
            "--bin",
            "provider",
            "--bin",
            "api",
            "--bin",
            "reference",
        ])
        .status()
        .context("running cargo build --release")?;
    if !status.success() {
        bail!("cargo build --release -p provider -p api failed");
    }
    eprintln!(
        "bench | release build ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Starts the release provider with rate limits off, request logs off, and `extra` settings.
pub fn start_provider(workers: usize, extra: &[(&str, String)]) -> anyhow::Result<Server> {
    start_provider_logging(workers, Logs::Quiet, extra)
}

/// Starts the release provider with rate limits off, `logs`, and `extra` settings.
pub fn start_provider_logging(
    workers: usize,
    logs: Logs,
    extra: &[(&str, String)],
) -> anyhow::Result<Server> {
    let port = free_port();
    let mut env: Vec<(&str, String)> = vec![
        ("PROVIDER_BIND", format!("127.0.0.1:{port}")),
        ("ISSUER", format!("http://127.0.0.1:{port}")),
        ("REDIRECT_URI", crate::flow::REDIRECT_URI.into()),
        ("RATE_LIMIT", "off".into()),
        ("WORKERS", workers.to_string()),
    ];
    if logs == Logs::Quiet {
        // No line per request: the rows that measure the provider's own work.
        env.push(("RUST_LOG", "warn".into()));
    }
    env.extend(extra.iter().cloned());
    start(
        "provider",
        &release_dir()?.join("provider"),
        port,
        &[],
        &env,
        logs,
    )
}

/// A throwaway `redis-server` on a free loopback port: nothing written to disk (no RDB
/// snapshots, no append-only file), so it measures the store, not the disk.
pub fn start_redis() -> anyhow::Result<Server> {
    let port = free_port();
    let port_text = port.to_string();
    let args = [
        "--port",
        port_text.as_str(),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ];
    start(
        "redis-server",
        Path::new("redis-server"),
        port,
        &args,
        &[],
        Logs::Quiet,
    )
}

/// The provider on the Redis at `redis` (tokens, codes, grants and browser sessions there).
pub fn start_provider_on_redis(workers: usize, redis: &Server) -> anyhow::Result<Server> {
    // Sessions in Redis need a fixed cookie key (any instance must read any cookie): 64
    // random bytes, hex.
    let session_key: String = (0..64)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect();
    start_provider(
        workers,
        &[
            ("STORE", format!("redis://{}", redis.address)),
            ("SESSION_KEY", session_key),
        ],
    )
}

/// The release notes API (`api`, a resource server that is not the provider) on `port`,
/// which must be the port of the `API_URL` its provider was started with, trusting the
/// provider at `auth_server`, with request logs off and `extra` settings. It takes one actix
/// worker per CPU (it has no setting for it).
pub fn start_api(port: u16, auth_server: &str, extra: &[(&str, String)]) -> anyhow::Result<Server> {
    let mut env: Vec<(&str, String)> = vec![
        ("API_BIND", format!("127.0.0.1:{port}")),
        ("API_URL", format!("http://127.0.0.1:{port}")),
        ("AUTH_SERVER", auth_server.to_owned()),
        ("RUST_LOG", "warn".into()),
    ];
    env.extend(extra.iter().cloned());
    start(
        "api",
        &release_dir()?.join("api"),
        port,
        &[],
        &env,
        Logs::Quiet,
    )
}

/// Starts the hello-world reference with the same number of workers.
pub fn start_reference(workers: usize) -> anyhow::Result<Server> {
    let port = free_port();
    let env = [
        ("BIND", format!("127.0.0.1:{port}")),
        ("WORKERS", workers.to_string()),
    ];
    start(
        "reference",
        &release_dir()?.join("reference"),
        port,
        &[],
        &env,
        Logs::Quiet,
    )
}

fn start(
    name: &'static str,
    binary: &Path,
    port: u16,
    args: &[&str],
    env: &[(&str, String)],
    logs: Logs,
) -> anyhow::Result<Server> {
    // The benchmark's settings only: a developer's `.env` (or the caller's RUST_LOG) must
    // not change what is measured, so the child starts in a directory without one.
    let mut child = Command::new(binary)
        .args(args)
        .env_remove("RUST_LOG")
        .envs(env.iter().map(|(key, value)| (*key, value.as_str())))
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null())
        .stdout(match logs {
            Logs::Quiet => Stdio::null(),
            Logs::Default => Stdio::piped(),
        })
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let log_reader = child
        .stdout
        .take()
        .map(|stdout| std::thread::spawn(move || count_lines(stdout)));
    let mut server = Server {
        child,
        address: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        ticks_per_second: proc::ticks_per_second(),
        log_reader,
    };
    let started = Instant::now();
    while TcpStream::connect_timeout(&server.address, Duration::from_millis(200)).is_err() {
        if let Some(status) = server.child.try_wait()? {
            bail!("{name} exited at start ({status})");
        }
        if started.elapsed() > Duration::from_secs(20) {
            bail!("{name} did not listen on {} within 20 s", server.address);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // Let the workers finish starting before the first reading.
    std::thread::sleep(Duration::from_millis(300));
    if let Some(status) = server.child.try_wait()? {
        bail!("{name} exited at start ({status})");
    }
    Ok(server)
}

/// Reads `stream` to its end in 64 KiB reads and counts the newlines.
fn count_lines(mut stream: impl Read) -> u64 {
    let mut buffer = vec![0u8; 64 * 1024];
    let mut lines = 0;
    loop {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return lines,
            Ok(read) => {
                lines += buffer[..read].iter().filter(|byte| **byte == b'\n').count() as u64;
            }
        }
    }
}
