//! Builds the running client from [`Settings`]: the app's state, the session middleware,
//! the routes, bound to a listener (port 0 in tests).
//!
//! The same shape as the provider's `startup.rs`: anything shared between workers (the
//! app's state, the sessions, the cookie key) is made once, outside the per-worker factory
//! of `HttpServer::new`; the middleware wraps every request, outermost last; each area of
//! the app adds its routes through a `configure` function that returns what to register.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_session::SessionMiddleware;
use actix_session::config::BrowserSession;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::http::header::HeaderValue;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;

use crate::config::Settings;
use shared::server::MemorySessionStore;
use shared::server::middleware::{answer_head_as_get, read_bodies_within_deadline};
use shared::server::telemetry::log_requests;

use crate::middleware::{
    CanonicalOrigin, canonical_origin, content_security_policy, security_headers,
};
use crate::oauth::OAuth;
use crate::routes::{self, AppState};
use crate::session::COOKIE_NAME;
use crate::session::vault::Vault;

/// How long an idle session lives, on the server and for the vault.
const SESSION_IDLE: Duration = Duration::from_secs(8 * 3600);

/// The client app, bound and ready to run.
pub struct Application {
    server: Server,
    address: SocketAddr,
    public_url: String,
}

impl Application {
    /// Builds the app on an already-bound listener.
    pub fn from_listener(settings: Settings, listener: TcpListener) -> anyhow::Result<Self> {
        let address = listener.local_addr()?;
        let public_url = format!("{}/", settings.public_origin());
        let canonical = web::Data::new(CanonicalOrigin::from_redirect_uri(&settings.redirect_uri));
        let callback_path = settings.redirect_uri.path().to_owned();
        let spa_callback_path = settings.public_redirect_uri.path().to_owned();
        let secure_cookie = settings.redirect_uri.scheme() == "https";
        let policy = HeaderValue::from_str(&content_security_policy(
            &settings.auth_server.origin().ascii_serialization(),
        ))
        .context("AUTH_SERVER's origin cannot be written in a Content-Security-Policy")?;
        let lab = web::Data::new(crate::lab::Lab::new(&settings)?);
        let limits = settings.limits;
        // actix's default: one worker per CPU; the connection bound is counted per worker.
        let workers = std::thread::available_parallelism().map_or(2, usize::from);
        let connections_per_worker =
            limits.per_worker(workers, shared::limits::raise_open_file_limit());
        let settings = Arc::new(settings);
        let app = web::Data::new(AppState {
            oauth: OAuth::new(Arc::clone(&settings))?,
            vault: Vault::new(SESSION_IDLE),
            login_limit: settings.rate_limit.then(|| {
                governor::RateLimiter::keyed(governor::Quota::per_minute(
                    std::num::NonZeroU32::new(settings.login_per_minute)
                        .unwrap_or(std::num::NonZeroU32::MIN),
                ))
            }),
        });
        // Created once, outside the factory: `HttpServer::new` runs the closure once per
        // worker, and each worker must see the same sessions (and decrypt the same cookies).
        let store = MemorySessionStore::default();
        let key = Key::generate();
        let server = HttpServer::new(move || {
            let session = SessionMiddleware::builder(store.clone(), key.clone())
                .cookie_name(COOKIE_NAME.to_owned())
                .cookie_http_only(true)
                .cookie_same_site(SameSite::Lax)
                // `Secure` only on https: a browser drops Secure cookies on http://localhost.
                .cookie_secure(secure_cookie)
                .session_lifecycle(BrowserSession::default().state_ttl(
                    actix_web::cookie::time::Duration::seconds(
                        SESSION_IDLE.as_secs().try_into().unwrap_or(i64::MAX),
                    ),
                ))
                .build();
            App::new()
                .wrap(from_fn(answer_head_as_get))
                .wrap(session)
                .wrap(security_headers(policy.clone()))
                .wrap(from_fn(canonical_origin))
                .wrap(from_fn(move |req, next| {
                    read_bodies_within_deadline(limits.body_timeout, req, next)
                }))
                .wrap(from_fn(log_requests))
                .app_data(app.clone())
                .app_data(canonical.clone())
                .configure(routes::lab::configure(lab.clone()))
                .configure(routes::spa::configure(spa_callback_path.clone()))
                .configure(routes::configure(callback_path.clone()))
        })
        .workers(workers)
        // Slow peers: headers must arrive within actix's `client_request_timeout` (5 s),
        // bodies within `REQUEST_BODY_TIMEOUT` (the middleware above); at most
        // `MAX_CONNECTIONS` are open at once, so the open files never run out.
        .max_connections(connections_per_worker)
        .listen(listener)?
        .shutdown_timeout(1)
        // actix treats SIGINT (Ctrl-C) as a forced stop that drops requests in flight;
        // `main` listens for SIGINT and SIGTERM itself and stops gracefully on either.
        .disable_signals()
        .run();
        Ok(Self {
            server,
            address,
            public_url,
        })
    }

    /// The bound address (the real port when bound to port 0).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The URL a browser should open: the redirect URI's origin.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// A handle to stop the server (tests stop it to play a client restart).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until the server is stopped.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
