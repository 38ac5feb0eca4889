//! The client as a program: read the settings, start the client app on `CLIENT_BIND`, serve
//! until Ctrl-C or SIGTERM (both graceful: requests in flight are answered first).
//!
//! Both ways of starting the client call [`run`]: its own binary (`cargo run -p client`) and
//! the workspace launcher (`cargo run` in the root), which runs each program in a process of
//! its own. A bad setting, or an address already in use, stops it with one line naming the
//! key and the value, and exit code 1.

use std::io::IsTerminal;
use std::net::TcpListener;
use std::process::ExitCode;

use shared::env::{EnvSource, SettingError};

use crate::config::Settings;
use crate::startup::Application;

/// Runs the client until it is told to stop; the exit code says how it ended.
pub fn run() -> ExitCode {
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
    let served = actix_web::rt::System::new().block_on(async move {
        let app = Application::from_listener(settings, listener)?;
        let stop = shutdown_signal();
        tracing::info!(
            "client listening on http://{}; open {} in your browser (the REDIRECT_URI's origin)",
            app.address(),
            app.public_url()
        );
        let handle = app.handle();
        actix_web::rt::spawn(async move {
            stop.await;
            tracing::info!("stopping: requests in flight finish first");
            handle.stop(true).await;
        });
        app.run_until_stopped().await?;
        anyhow::Ok(())
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
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

fn fail(error: &SettingError) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::FAILURE
}
