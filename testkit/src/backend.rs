//! Which store the provider's tests run against. Codes, grants and token families live in
//! the store, and RFC 6749 §4.1.2 ("the authorization code MUST NOT be used more than
//! once") or §10.4 (refresh token rotation) must hold on every backend, so the whole suite
//! runs on either: `TEST_STORE=redis` on Redis; `TEST_STORE=memory`, or no `TEST_STORE`,
//! on the in-memory store.
//!
//! With Redis, the first test that needs it starts one `redis-server` for the whole test
//! binary, on a free loopback port, with persistence off (`--save '' --appendonly no`).
//! Each provider (and each contract test's store) gets its own key prefix
//! (`STORE_PREFIX=t<n>:`), so tests never see each other's keys. The server is started by
//! a small shell watcher that stops it as soon as the test binary is gone, even when a
//! test panics. [`PrivateRedis`] is one test's own server, to stop and start again.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use provider::config::Settings;
use provider::store::Store;
use shared::env::EnvSource;

pub use crate::process::redis_installed;

/// A `SESSION_KEY` for tests (64 bytes as hex): every instance of one test shares it.
pub const TEST_SESSION_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\
     202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";

/// Whether this run is the Redis run (`TEST_STORE=redis`). Any other value than `memory`
/// or `redis` stops the run: a typo must not quietly test the memory store instead.
pub fn redis_requested() -> bool {
    let value = std::env::var("TEST_STORE").unwrap_or_default();
    match value.to_ascii_lowercase().as_str() {
        "" | "memory" => false,
        "redis" => true,
        _ => panic!("TEST_STORE={value:?}: expected memory or redis"),
    }
}

/// The test binary's Redis.
pub struct RedisServer {
    pub port: u16,
    /// The shell that watches this test binary and stops Redis when it is gone.
    _watcher: Child,
}

impl RedisServer {
    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

static SERVER: OnceLock<RedisServer> = OnceLock::new();
static NEXT_PREFIX: AtomicU64 = AtomicU64::new(1);

/// The Redis of this test binary, started on first use.
pub fn redis_server() -> &'static RedisServer {
    SERVER.get_or_init(start_redis)
}

/// A key prefix no other test in this binary uses.
pub fn fresh_prefix() -> String {
    format!("t{}:", NEXT_PREFIX.fetch_add(1, Ordering::Relaxed))
}

/// The settings that put a provider on this run's store: nothing for memory; for Redis,
/// `STORE`, a fresh `STORE_PREFIX` and the shared `SESSION_KEY`.
pub fn store_settings() -> Vec<(String, String)> {
    if !redis_requested() {
        return Vec::new();
    }
    vec![
        ("STORE".into(), redis_server().url()),
        ("STORE_PREFIX".into(), fresh_prefix()),
        ("SESSION_KEY".into(), TEST_SESSION_KEY.into()),
    ]
}

/// A fresh, empty store of this run's kind (for the contract tests).
pub async fn test_store() -> Store {
    let mut env = EnvSource::default();
    for (key, value) in store_settings() {
        env.set(key, value);
    }
    let settings = Settings::from_source(&env).expect("test settings are valid");
    Store::connect(&settings).await.expect("the store opens")
}

fn start_redis() -> RedisServer {
    assert!(
        redis_installed(),
        "TEST_STORE=redis needs redis-server on the PATH: apt-get install redis-server"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port on loopback")
        .port();
    // The watcher starts redis-server, then waits while this test binary lives, then stops
    // it: statics are never dropped, so nothing in Rust would.
    let script = format!(
        "redis-server --bind 127.0.0.1 --port {port} --save '' --appendonly no \
         --dir \"$TMPDIR_REDIS\" --logfile '' --loglevel warning >/dev/null 2>&1 & \
         server=$!; \
         while kill -0 {parent} 2>/dev/null && kill -0 $server 2>/dev/null; do sleep 0.5; done; \
         kill $server 2>/dev/null",
        parent = std::process::id(),
    );
    let watcher = Command::new("sh")
        .arg("-c")
        .arg(script)
        .env("TMPDIR_REDIS", std::env::temp_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sh starts redis-server");
    wait_until_ready(port);
    RedisServer {
        port,
        _watcher: watcher,
    }
}

/// Waits (at most 10 s) until the server answers PING.
fn wait_until_ready(port: u16) {
    for _ in 0..200 {
        if ping(port) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("redis-server did not answer on 127.0.0.1:{port} within 10 s");
}

fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut reply = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}

/// A `redis-server` of one test's own, which the test can stop and start again on the same
/// port (a Redis restart, persistence off). Stopped when dropped, panics included.
pub struct PrivateRedis {
    pub port: u16,
    server: Option<Child>,
}

impl PrivateRedis {
    pub fn start() -> Self {
        assert!(
            redis_installed(),
            "this test needs redis-server on the PATH: apt-get install redis-server"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port on loopback")
            .port();
        let mut redis = PrivateRedis { port, server: None };
        redis.restart();
        redis
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server at once (SIGKILL), as in a crash.
    pub fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
            let _ = server.kill();
            let _ = server.wait();
        }
    }

    /// Starts it (again), empty, and waits until it answers.
    pub fn restart(&mut self) {
        self.stop();
        let server = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--loglevel", "warning"])
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.server = Some(server);
        wait_until_ready(self.port);
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}
