//! The client as a program: read the settings, start the log, serve on `CLIENT_BIND` until
//! Ctrl-C or SIGTERM (both graceful: requests in flight are answered first).
//!
//! Both ways of starting the client call [`run`]: its own binary (`cargo run -p client`) and
//! the workspace launcher (`cargo run` in the root), which runs each program in a process of
//! its own. A bad setting, or an address already in use, stops it with one line naming the
//! key and the value, and exit code 1. The provider's `program.rs` has the same shape; the
//! pieces both use are in `shared::server::program`.

use std::net::TcpListener;
use std::process::ExitCode;

use shared::env::SettingError;
use shared::server::program::{
    fail, raise_and_log_open_file_limit, start_log_and_read_settings, stop_gracefully_on_signal,
    stopped,
};

use crate::config::Settings;
use crate::startup::Application;

/// Runs the client until it is told to stop; the exit code says how it ended.
pub fn run() -> ExitCode {
    let settings = match start_log_and_read_settings(crate::telemetry::init, Settings::from_source)
    {
        Ok(settings) => settings,
        Err(error) => return fail(error),
    };
    raise_and_log_open_file_limit(&settings.limits);
    let listener = match TcpListener::bind(settings.bind) {
        Ok(listener) => listener,
        Err(error) => {
            return fail(SettingError {
                key: "CLIENT_BIND".into(),
                value: settings.bind.to_string(),
                expected: format!("an address this machine can listen on ({error})"),
            });
        }
    };
    match actix_web::rt::System::new().block_on(serve(settings, listener)) {
        Ok(()) => stopped(),
        Err(error) => fail(format!("{error:#}")),
    }
}

async fn serve(settings: Settings, listener: TcpListener) -> anyhow::Result<()> {
    let app = Application::from_listener(settings, listener)?;
    stop_gracefully_on_signal(app.handle());
    tracing::info!(
        "client listening on http://{}; open {} in your browser (the REDIRECT_URI's origin)",
        app.address(),
        app.public_url()
    );
    app.run_until_stopped().await?;
    Ok(())
}
