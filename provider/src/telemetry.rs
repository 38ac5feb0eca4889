//! Logging set-up: `tracing` to stdout, one line per event, filtered by `RUST_LOG`
//! (default `info`). Nothing secret is ever logged: tokens and codes appear only as
//! fingerprints (the first 8 hex digits of their SHA-256).

use std::io::IsTerminal;

use shared::env::{EnvSource, SettingError};
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. Call once, from `main`. `RUST_LOG` is read like every
/// other setting (the environment over `.env`), so the filter in `.env` is the one used.
pub fn init() -> Result<(), SettingError> {
    let env = EnvSource::from_process()?;
    let filter = EnvFilter::try_new(env.string("RUST_LOG", "info"))
        .map_err(|_| env.error("RUST_LOG", "a log filter such as info or provider=debug"))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::stdout().is_terminal())
        // When stdout is gone (`just dev`'s log prefixer ended on Ctrl-C, `| head`), drop the
        // line: the default reports it on stderr, and printing to a closed stderr panics,
        // in whichever task was logging (the graceful shutdown, say).
        .log_internal_errors(false)
        .init();
    Ok(())
}
