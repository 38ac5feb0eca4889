//! Logging set-up: `tracing` to stdout, one line per event, filtered by `RUST_LOG`
//! (default `info`). Nothing secret is ever logged: tokens and codes appear only as
//! fingerprints (the first 8 hex digits of their SHA-256).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. Call once, from `main`.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::stdout().is_terminal())
        .init();
}
