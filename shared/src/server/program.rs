//! A server's life, the same in both binaries: `run` reads the settings (a bad one stops
//! start-up with one line naming the key, and exit code 1), starts the log, serves, and
//! stops gracefully on Ctrl-C or SIGTERM: requests in flight are answered first.

use std::process::ExitCode;

use actix_web::dev::ServerHandle;

use crate::env::{EnvSource, SettingError};
use crate::limits::ConnectionLimits;

/// The first steps of both programs: read the environment (over `.env`), start the log
/// with `start_log` (so that everything after, a bad setting included, is logged), then
/// read the app's own settings with `read`.
pub fn start_log_and_read_settings<S>(
    start_log: impl FnOnce(&EnvSource) -> Result<(), SettingError>,
    read: impl FnOnce(&EnvSource) -> Result<S, SettingError>,
) -> Result<S, SettingError> {
    let env = EnvSource::from_process()?;
    start_log(&env)?;
    read(&env)
}

/// Prints `error: …` (one line: the key and a value that would work, for a bad setting) and
/// gives the exit code of a failed start.
pub fn fail(error: impl std::fmt::Display) -> ExitCode {
    crate::server::log_writer::flush();
    eprintln!("error: {error}");
    ExitCode::FAILURE
}

/// The exit code of a program that stopped as asked, once the last log lines are out.
pub fn stopped() -> ExitCode {
    crate::server::log_writer::flush();
    ExitCode::SUCCESS
}

/// Raises the open-file limit, as servers do (the soft limit, often 1024, is a default for
/// shells, and every connection is one open file), and logs what the connections get.
pub fn raise_and_log_open_file_limit(limits: &ConnectionLimits) {
    match crate::limits::raise_open_file_limit() {
        Some(limit) => tracing::info!(
            open_files = limit,
            max_connections = limits.total(Some(limit)),
            "open-file limit"
        ),
        None => tracing::info!("no open-file limit to raise on this system"),
    }
}

/// Stops the server behind `handle` gracefully on the first Ctrl-C (SIGINT) or SIGTERM.
///
/// Both servers are built with `.disable_signals()`: actix treats SIGINT as a forced stop
/// that drops requests in flight. The handlers are installed by this call, not when a task
/// first polls them, so a signal that arrives right after the "listening" line (`cargo run`
/// stopped at once) is not lost, nor does it kill the process the default way. Call it from
/// within the runtime that serves.
pub fn stop_gracefully_on_signal(handle: ServerHandle) {
    let signal = shutdown_signal();
    tokio::spawn(async move {
        signal.await;
        tracing::info!("stopping: requests in flight finish first");
        handle.stop(true).await;
    });
}

/// Ctrl-C (SIGINT) or SIGTERM, whichever comes first: both mean "stop gracefully". The
/// handlers are installed when this is called.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
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
