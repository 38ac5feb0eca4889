//! The provider as a program: read the settings, start the log, serve on `PROVIDER_BIND`
//! until Ctrl-C or SIGTERM (both graceful: requests in flight are answered first).
//!
//! Both ways of starting the provider call [`run`]: its own binary (`cargo run -p provider`)
//! and the workspace launcher (`cargo run` in the root), which runs each program in a
//! process of its own. A bad setting stops start-up with one line naming the key and the
//! value, and exit code 1. The client's `program.rs` has the same shape; the pieces both use
//! are in `shared::server::program`.

use std::process::ExitCode;

use shared::server::program::{
    fail, raise_and_log_open_file_limit, start_log_and_read_settings, stop_gracefully_on_signal,
    stopped,
};

use crate::config::Settings;
use crate::startup::Application;

/// Runs the provider until it is told to stop; the exit code says how it ended.
pub fn run() -> ExitCode {
    let settings = match start_log_and_read_settings(crate::telemetry::init, Settings::from_source)
    {
        Ok(settings) => settings,
        Err(error) => return fail(error),
    };
    raise_and_log_open_file_limit(&settings.limits);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => return fail(error),
    };
    match runtime.block_on(serve(settings)) {
        Ok(()) => stopped(),
        Err(error) => fail(format!("{error:#}")),
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let summary = format!(
        "(issuer {}, store {}{}); registered clients: {} (confidential, redirect {}), {} (public, redirect {}); demo user: {}",
        settings.issuer,
        settings.store,
        workshop_note(&settings),
        settings.client_id,
        settings.redirect_uri,
        settings.public_client_id,
        settings.public_redirect_uri,
        settings.username,
    );
    let app = Application::build(settings).await?;
    stop_gracefully_on_signal(app.handle());
    tracing::info!("provider listening on http://{} {summary}", app.address());
    app.run_until_stopped().await?;
    Ok(())
}

/// `, WORKSHOP on: access 30 s, refresh 180 s, code 30 s` when the workshop profile is on, so
/// the room (and whoever helps it) can see at a glance why tokens die so fast.
fn workshop_note(settings: &Settings) -> String {
    if settings.workshop {
        format!(
            ", WORKSHOP on: access {} s, refresh {} s, code {} s",
            settings.access_token_ttl.as_secs(),
            settings.refresh_token_ttl.as_secs(),
            settings.code_ttl.as_secs()
        )
    } else {
        String::new()
    }
}
