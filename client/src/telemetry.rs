//! Logging set-up: the shared shape (`shared::server::telemetry`): `tracing` to stdout, one
//! line per event, filtered by `RUST_LOG` (default `info`), a line per request carrying its
//! request id. Nothing secret is ever logged: tokens and codes appear only as fingerprints.

use shared::env::{EnvSource, SettingError};

/// Installs the global subscriber. Call once, from [`crate::run`].
pub fn init(env: &EnvSource) -> Result<(), SettingError> {
    shared::server::telemetry::init(env, "info or client=debug")
}
