//! `cargo run -p client`: reads the settings, starts the client app on `CLIENT_BIND`, serves
//! until Ctrl-C or SIGTERM (both graceful: requests in flight are answered first).
//!
//! A bad setting, or an address already in use, stops it with one line naming the key and
//! the value, and exit code 1.

use std::io::IsTerminal;
use std::net::TcpListener;
use std::process::ExitCode;

use client::config::Settings;
use client::startup::Application;
use shared::env::{EnvSource, SettingError};

fn main() -> ExitCode {
    let env = match EnvSource::from_process() {
        Ok(env) => env,
        Err(error) => return fail(&error),
    };
    // RUST_LOG is read like every other setting: the environment over `.env`.
    let filter = match tracing_subscriber::EnvFilter::try_new(env.string("RUST_LOG", "info")) {
        Ok(filter) => filter,
        Err(_) => return fail(&env.error("RUST_LOG", "a log filter such as info or client=debug")),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal())
        // A closed stdout drops the line instead of reporting it on a (closed) stderr,
        // which would panic in the logging task; see the provider's telemetry.rs.
        .log_internal_errors(false)
        .init();
    let settings = match Settings::from_source(&env) {
        Ok(settings) => settings,
        Err(error) => return fail(&error),
    };
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
    let listener = match TcpListener::bind(settings.bind) {
        Ok(listener) => listener,
        Err(error) => {
            return fail(&SettingError {
                key: "CLIENT_BIND".into(),
                value: settings.bind.to_string(),
                expected: format!("an address this machine can listen on ({error})"),
            });
        }
    };
    match actix_web::rt::System::new().block_on(async move {
        let app = Application::from_listener(settings, listener)?;
        tracing::info!(
            "client listening on http://{}; open {} in your browser (the REDIRECT_URI's origin)",
            app.address(),
            app.public_url()
        );
        let handle = app.handle();
        actix_web::rt::spawn(async move {
            shutdown_signal().await;
            tracing::info!("stopping: requests in flight finish first");
            handle.stop(true).await;
        });
        app.run_until_stopped().await?;
        anyhow::Ok(())
    }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Ctrl-C (SIGINT) or SIGTERM, whichever comes first: both mean "stop gracefully".
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn fail(error: &SettingError) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::FAILURE
}
