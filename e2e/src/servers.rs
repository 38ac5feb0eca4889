//! The apps under test, started in-process on `127.0.0.1:0` with test settings
//! (`RATE_LIMIT=off`), the way the integration tests start them, and named `localhost` as the
//! README tells a learner to open them (so the screenshots show what the learner sees).

use std::net::TcpListener;

use anyhow::Context;
use shared::env::EnvSource;

/// A provider running on a free port.
pub struct RunningProvider {
    /// `http://localhost:PORT`, also its issuer.
    pub url: String,
}

/// Binds a free loopback port: the listener is handed to the app, so no other process can
/// take the port in between.
pub fn free_listener() -> anyhow::Result<TcpListener> {
    TcpListener::bind("127.0.0.1:0").context("binding 127.0.0.1:0")
}

/// `http://localhost:PORT` for a listener on a loopback address.
fn localhost_url(listener: &TcpListener) -> anyhow::Result<String> {
    Ok(format!(
        "http://localhost:{}",
        listener.local_addr()?.port()
    ))
}

/// Starts the provider on `listener`, registering `redirect_uri` for the demo client, and
/// `/spa/callback` on the same origin for the public client, whose page may call the
/// provider from that origin (CORS, `ALLOWED_ORIGINS`).
pub fn start_provider(
    listener: TcpListener,
    redirect_uri: &str,
) -> anyhow::Result<RunningProvider> {
    let url = localhost_url(&listener)?;
    let client_origin = url::Url::parse(redirect_uri)
        .with_context(|| format!("the redirect URI {redirect_uri}"))?
        .origin()
        .ascii_serialization();
    let settings = provider::config::Settings::from_source(&EnvSource::from_pairs([
        ("ISSUER", url.clone()),
        ("REDIRECT_URI", redirect_uri.to_owned()),
        (
            "PUBLIC_REDIRECT_URI",
            format!("{client_origin}/spa/callback"),
        ),
        ("ALLOWED_ORIGINS", client_origin),
        ("RATE_LIMIT", "off".to_owned()),
    ]))?;
    let app = provider::startup::Application::from_listener(settings, listener)?;
    tokio::spawn(app.run_until_stopped());
    Ok(RunningProvider { url })
}

/// A provider and a client that logs in with it, each on its own free port.
pub struct RunningApps {
    /// The provider's base URL (its issuer).
    pub provider: String,
    /// The client's base URL, `http://localhost:PORT` (its redirect URI's origin).
    pub client: String,
}

/// Starts the provider, then the client pointed at it (`AUTH_SERVER`), with the client's
/// `/callback` registered as the demo client's redirect URI.
pub fn start_provider_and_client() -> anyhow::Result<RunningApps> {
    let client_listener = free_listener()?;
    let client_url = localhost_url(&client_listener)?;
    let redirect_uri = format!("{client_url}/callback");
    let provider = start_provider(free_listener()?, &redirect_uri)?;
    let settings = client::config::Settings::from_source(&EnvSource::from_pairs([
        ("AUTH_SERVER", provider.url.clone()),
        ("REDIRECT_URI", redirect_uri),
        ("RATE_LIMIT", "off".to_owned()),
    ]))?;
    let app = client::startup::Application::from_listener(settings, client_listener)?;
    tokio::spawn(app.run_until_stopped());
    Ok(RunningApps {
        provider: provider.url,
        client: client_url,
    })
}
