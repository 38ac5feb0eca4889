//! `cargo run -p provider`: load settings, start logging, serve until Ctrl-C or SIGTERM
//! (both graceful: requests in flight are answered first).
//! A bad setting stops start-up with one line naming the key and the value.

use provider::config::Settings;
use provider::startup::Application;

#[tokio::main]
async fn main() {
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(1);
        }
    };
    if let Err(error) = provider::telemetry::init() {
        eprintln!("error: {error}");
        std::process::exit(1);
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
    let summary = format!(
        "(issuer {}, store {}); registered clients: {} (confidential, redirect {}), {} (public); demo user: {}",
        settings.issuer,
        settings.store,
        settings.client_id,
        settings.redirect_uri,
        settings.public_client_id,
        settings.username,
    );
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::exit(1);
        }
    };
    tracing::info!("provider listening on http://{} {summary}", app.address());
    let handle = app.handle();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("stopping: requests in flight finish first");
        handle.stop(true).await;
    });
    if let Err(error) = app.run_until_stopped().await {
        eprintln!("error: {error}");
        std::process::exit(1);
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
