//! The provider as a program: load settings, start logging, serve until Ctrl-C or SIGTERM
//! (both graceful: requests in flight are answered first).
//!
//! Both ways of starting the provider call [`run`]: its own binary (`cargo run -p provider`)
//! and the workspace launcher (`cargo run` in the root), which runs each program in a
//! process of its own. A bad setting stops start-up with one line naming the key and the
//! value, and exit code 1.

use std::process::ExitCode;

use crate::config::Settings;
use crate::startup::Application;

/// Runs the provider until it is told to stop; the exit code says how it ended.
pub fn run() -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => return fail(error),
    };
    if let Err(error) = crate::telemetry::init() {
        return fail(error);
    }
    // What servers do: the soft limit of open files (often 1024) is a default for shells;
    // every connection is one open file.
    match shared::limits::raise_open_file_limit() {
        Some(limit) => tracing::info!(
            open_files = limit,
            max_connections = settings.limits.total(Some(limit)),
            "open-file limit"
        ),
        None => tracing::info!("no open-file limit to raise on this system"),
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
    let stop = shutdown_signal();
    tracing::info!("provider listening on http://{} {summary}", app.address());
    let handle = app.handle();
    tokio::spawn(async move {
        stop.await;
        tracing::info!("stopping: requests in flight finish first");
        handle.stop(true).await;
    });
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

fn fail(error: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::FAILURE
}

/// Ctrl-C (SIGINT) or SIGTERM, whichever comes first: both mean "stop gracefully".
/// The handlers are installed by this call, not when the future is first polled, so a
/// signal that arrives right after the "listening" line (`cargo run` stopped at once) is
/// not lost, nor does it kill the process the default way.
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
