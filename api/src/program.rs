//! The API as a program: load settings, start logging, serve until Ctrl-C or SIGTERM.
//!
//! `cargo run -p api` calls [`run`]. A bad setting stops start-up with one line naming the
//! key and the value, and exit code 1.

use std::io::IsTerminal;
use std::process::ExitCode;

use shared::env::{EnvSource, SettingError};
use tracing_subscriber::EnvFilter;

use crate::config::Settings;
use crate::startup::Application;

/// Runs the API until it is told to stop; the exit code says how it ended.
pub fn run() -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => return fail(error),
    };
    if let Err(error) = init_logging() {
        return fail(error);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => return fail(error),
    };
    match runtime.block_on(serve(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(format!("{error:#}")),
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let summary = format!(
        "(resource {}, authorization server {}, introspecting as {})",
        settings.api_url, settings.auth_server, settings.client_id
    );
    let app = Application::build(settings)?;
    tracing::info!("api listening on http://{} {summary}", app.address());
    let handle = app.handle();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("stopping: requests in flight finish first");
        handle.stop(true).await;
    });
    app.run_until_stopped().await?;
    Ok(())
}

/// `tracing` to stdout filtered by `RUST_LOG` (default `info`), as in the other binaries.
/// Tokens are logged only by fingerprint.
fn init_logging() -> Result<(), SettingError> {
    let env = EnvSource::from_process()?;
    let filter = EnvFilter::try_new(env.string("RUST_LOG", "info"))
        .map_err(|_| env.error("RUST_LOG", "a log filter such as info or api=debug"))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::stdout().is_terminal())
        .log_internal_errors(false)
        .init();
    Ok(())
}

fn fail(error: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::FAILURE
}

/// Ctrl-C or SIGTERM, whichever comes first.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let (Ok(mut interrupt), Ok(mut terminate)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
