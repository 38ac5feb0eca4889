//! Builds the provider from [`Settings`] and runs it.
//!
//! The same shape as the client's `startup.rs`: anything shared between workers (the app's
//! state with its store, the sessions, the cookie key, the rate limiters) is made once here,
//! outside the per-worker factory of `HttpServer::new`, or each worker would get its own
//! copy; the middleware wraps every request, outermost last; each area of the provider adds
//! its routes through a function that returns what to register ([`authorization_server`],
//! [`resource_server`], [`assets`]), passed to `App::configure`.

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Weak};
use std::time::Duration;

use actix_cors::Cors;
use actix_session::SessionMiddleware;
use actix_session::config::CookieContentSecurity;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::{Condition, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context;

use shared::server::middleware::{answer_head_as_get, read_bodies_within_deadline};
use shared::server::telemetry::log_requests;

use crate::config::Settings;
use crate::config::StoreSetting;
use crate::domain::Clock;
use crate::error::{PageError, see_other};
use crate::middleware::{
    BODY_LIMIT, KnownHosts, answer_only_known_hosts, refuse_large_bodies, security_headers,
};
use crate::openid::keys::SigningKey;
use crate::openid::keyset::KeySet;
use crate::openid::signing::{KeysSynced, RELOAD_EVERY};
use crate::rate_limit::{AuthorizeLimit, RateLimits, limit_authorization_requests, limit_logins};
use crate::state::AppState;
use crate::store::{GrantStore, Store};
use crate::web::pages::ErrorPage;
use crate::web::session_store::{MemorySessionStore, RedisSessions, SessionBackend};
use crate::{api, oauth, web as pages};

/// The provider's session cookie. Named for the provider: the client runs on the same
/// host, and browsers share cookies across ports of one host.
pub const SESSION_COOKIE: &str = "provider_session";

/// A provider bound to its address, ready to run.
pub struct Application {
    server: Server,
    address: SocketAddr,
    app: web::Data<AppState>,
    sessions: SessionBackend,
    rate_limits: web::Data<RateLimits>,
}

/// Where the provider keeps its data: the grant store and the browser sessions, opened per
/// `STORE`.
struct Backends {
    store: Arc<Store>,
    sessions: SessionBackend,
}

impl Backends {
    /// Both in this process.
    fn in_memory() -> Self {
        Self {
            store: Arc::new(Store::Memory(crate::store::MemoryStore::new())),
            sessions: SessionBackend::Memory(MemorySessionStore::default()),
        }
    }

    /// Opens what `STORE` names; an unreachable Redis fails here, naming `STORE`.
    async fn connect(settings: &Settings) -> anyhow::Result<Self> {
        let store = Store::connect(settings).await?;
        let sessions = match &store {
            Store::Memory(_) => SessionBackend::Memory(MemorySessionStore::default()),
            // Sessions share the store's connection, and so its reconnection policy.
            Store::Redis(redis) => SessionBackend::Redis(RedisSessions::new(
                redis.connection(),
                &settings.store_prefix,
            )),
        };
        Ok(Self {
            store: Arc::new(store),
            sessions,
        })
    }
}

impl Application {
    /// Binds `PROVIDER_BIND`, opens the store `STORE` names and builds the server. A bind
    /// or store failure names the setting.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.bind)
            .with_context(|| format!("cannot listen on PROVIDER_BIND={}", settings.bind))?;
        Self::connect(settings, listener).await
    }

    /// Opens the store `STORE` names and builds the server on an already bound listener
    /// (tests bind 127.0.0.1:0).
    pub async fn connect(settings: Settings, listener: TcpListener) -> anyhow::Result<Self> {
        Self::connect_with_clock(settings, listener, Clock::System).await
    }

    /// As [`Application::connect`], telling time by `clock` instead of the system's: a
    /// test moves a [`ManualClock`](crate::domain::ManualClock) to expire codes and tokens
    /// without waiting for them.
    pub async fn connect_with_clock(
        settings: Settings,
        listener: TcpListener,
        clock: Clock,
    ) -> anyhow::Result<Self> {
        let backends = Backends::connect(&settings).await?;
        let application = Self::with_backends(settings, listener, backends, clock)?;
        // Before the first request: sign with, and publish, the keys the store holds (or
        // store ours, at the very first start), so every instance serves the same set.
        application
            .app
            .sync_signing_keys()
            .await
            .map_err(|error| anyhow::anyhow!("cannot load the ID token signing keys: {error}"))?;
        Ok(application)
    }

    /// Builds the server on a bound listener with the in-memory store, without awaiting
    /// anything (for callers outside an async context). `STORE=redis://…` needs
    /// [`Application::connect`].
    pub fn from_listener(settings: Settings, listener: TcpListener) -> anyhow::Result<Self> {
        if settings.store != StoreSetting::Memory {
            anyhow::bail!("STORE is redis: build the provider with Application::connect");
        }
        Self::with_backends(settings, listener, Backends::in_memory(), Clock::System)
    }

    /// Builds the server over opened backends.
    fn with_backends(
        settings: Settings,
        listener: TcpListener,
        backends: Backends,
        clock: Clock,
    ) -> anyhow::Result<Self> {
        let address = listener
            .local_addr()
            .context("the listener has no local address")?;
        let workers = settings.workers.max(1);
        // With several instances every one must read the others' cookies: `SESSION_KEY`
        // (required with Redis). One instance alone may make its own.
        let cookie_key = settings
            .session_key
            .as_ref()
            .map_or_else(Key::generate, |key| Key::from(key.expose()));
        let app = web::Data::new(
            AppState::new(settings, backends.store, clock)
                .context("cannot make the keys that sign ID tokens")?,
        );
        let settings = &app.settings;
        let sessions = backends.sessions;
        let rate_limits = web::Data::new(RateLimits::new(
            settings.login_per_minute,
            settings.token_per_second,
            settings.client_auth_failures_per_minute,
        ));
        let rate_limit = settings.rate_limit;
        let known_hosts =
            web::Data::new(KnownHosts::new(&settings.issuer, &settings.allowed_hosts));
        let authorize_limit = web::Data::new(AuthorizeLimit::new(settings.authorize_per_minute));
        let limits = settings.limits;
        // The open-file limit is the process's, so it is raised here as well as in `main`:
        // raising is idempotent, and the bound must know the limit in force.
        let connections_per_worker =
            limits.per_worker(workers, shared::limits::raise_open_file_limit());

        let worker_app = app.clone();
        let worker_sessions = sessions.clone();
        let worker_rate_limits = rate_limits.clone();
        let server = HttpServer::new(move || {
            let settings = &worker_app.settings;
            let session = SessionMiddleware::builder(worker_sessions.clone(), cookie_key.clone())
                .cookie_name(SESSION_COOKIE.into())
                .cookie_http_only(true)
                .cookie_same_site(SameSite::Lax)
                .cookie_secure(settings.is_https())
                .cookie_content_security(CookieContentSecurity::Private)
                .build();
            App::new()
                .app_data(worker_app.clone())
                .app_data(worker_rate_limits.clone())
                .app_data(known_hosts.clone())
                .app_data(authorize_limit.clone())
                .app_data(web::PayloadConfig::new(BODY_LIMIT))
                .app_data(
                    web::FormConfig::default()
                        .limit(BODY_LIMIT)
                        .error_handler(|error, _| {
                            let status = match error {
                                actix_web::error::UrlencodedError::Overflow { .. } => {
                                    StatusCode::PAYLOAD_TOO_LARGE
                                }
                                _ => StatusCode::BAD_REQUEST,
                            };
                            PageError::Shown {
                                status,
                                title: "This form could not be read".into(),
                                message: "Send the page's own form again.".into(),
                            }
                            .into()
                        }),
                )
                // Innermost of the app's own middleware, so a refused host's page still
                // gets the security headers and its log line.
                .wrap(from_fn(answer_head_as_get))
                .wrap(from_fn(answer_only_known_hosts))
                .wrap(security_headers())
                .wrap(from_fn(move |req, next| {
                    read_bodies_within_deadline(limits.body_timeout, req, next)
                }))
                .wrap(from_fn(refuse_large_bodies))
                .wrap(from_fn(log_requests))
                .configure(authorization_server(settings, rate_limit, session))
                .configure(resource_server(settings))
                .configure(assets())
                .default_service(web::to(not_found))
        })
        .workers(workers)
        // Slow peers: headers must arrive within actix's `client_request_timeout` (5 s)
        // and bodies within `REQUEST_BODY_TIMEOUT` (the middleware above); at most
        // `MAX_CONNECTIONS` are open at once, so the open files never run out.
        .max_connections(connections_per_worker)
        .shutdown_timeout(5)
        // actix treats SIGINT (Ctrl-C) as a forced stop that drops requests in flight;
        // `main` listens for SIGINT and SIGTERM itself and stops gracefully on either.
        .disable_signals()
        .listen(listener)
        .with_context(|| format!("cannot serve on {address}"))?
        .run();
        Ok(Self {
            server,
            address,
            app,
            sessions,
            rate_limits,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The store, for benchmarks and tests that measure it.
    pub fn store(&self) -> Arc<Store> {
        self.app.store.clone()
    }

    /// The provider's state, for tests that drive what the background tasks do (such as
    /// [`AppState::sync_signing_keys`] after moving the clock) instead of waiting for them.
    pub fn app_state(&self) -> web::Data<AppState> {
        self.app.clone()
    }

    /// A handle to stop the server gracefully.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Runs until the server stops (through [`Self::handle`]; `main` stops it gracefully on
    /// Ctrl-C or SIGTERM, so in-flight requests finish first),
    /// purging expired entries in the background meanwhile.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let purge = tokio::spawn(purge_periodically(
            Arc::downgrade(&self.app.store),
            self.app.clock.clone(),
            self.sessions.clone(),
            self.rate_limits.clone(),
            self.app.settings.purge_interval,
        ));
        let keys = tokio::spawn(sync_signing_keys_periodically(self.app.clone()));
        let result = self.server.await;
        purge.abort();
        keys.abort();
        result
    }
}

/// Every [`RELOAD_EVERY`]: reads the stored signing keys, rotates them when due and uses
/// them (see [`crate::openid::signing`]), so every instance behind one store signs with the
/// same key and publishes the same JWKS. A failure (Redis down) keeps the keys in use and
/// tries again at the next tick.
async fn sync_signing_keys_periodically(app: web::Data<AppState>) {
    let mut ticker = tokio::time::interval(RELOAD_EVERY);
    loop {
        ticker.tick().await;
        match app.sync_signing_keys().await {
            Ok(KeysSynced::Changed {
                version,
                added,
                rotated,
                pruned,
            }) => {
                let ring = app.keys.key_ring();
                let kids = |pick: fn(&KeySet) -> &SigningKey| {
                    ring.sets()
                        .iter()
                        .map(|set| format!("{}:{}", set.alg(), pick(set).kid()))
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                tracing::info!(
                    version,
                    added = ?added,
                    rotated = ?rotated,
                    pruned,
                    signing_kids = %kids(KeySet::signing_key),
                    next_kids = %kids(KeySet::next_key),
                    "rotated the ID token signing keys"
                );
            }
            Ok(KeysSynced::Loaded { .. }) => {}
            Err(error) => {
                tracing::warn!(error = %error, "reloading the ID token signing keys failed");
            }
        }
    }
}

/// Drops expired codes, tokens and sessions, and idle rate-limit buckets, every `interval`,
/// until the store is gone (with Redis there is no code or token to drop: its keys expire by
/// themselves).
async fn purge_periodically(
    store: Weak<Store>,
    clock: Clock,
    sessions: SessionBackend,
    rate_limits: web::Data<RateLimits>,
    interval: Duration,
) {
    let mut ticker = tokio::time::interval(interval);
    loop {
        ticker.tick().await;
        let Some(store) = store.upgrade() else { break };
        let purged = match store.purge_expired(clock.now_millis()).await {
            Ok(purged) => purged,
            Err(error) => {
                tracing::warn!(error = %error, "purging the store failed");
                continue;
            }
        };
        let sessions_purged = sessions.purge_expired();
        rate_limits.forget_idle();
        if purged.tokens + purged.codes + purged.grants + sessions_purged > 0 {
            tracing::debug!(
                tokens = purged.tokens,
                codes = purged.codes,
                grants = purged.grants,
                sessions = sessions_purged,
                "purged expired entries"
            );
        }
    }
}

/// CORS for the endpoints a browser app (the public client) calls: the origins of
/// `ALLOWED_ORIGINS` and no other, no credentials (cookies) ever.
fn cors(settings: &Settings) -> Cors {
    settings
        .allowed_origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods([Method::GET, Method::POST, Method::DELETE])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        // A browser client reads the RFC 6750 challenge (`error="invalid_token"`, the scope
        // needed) from this header; CORS hides every non-simple response header otherwise.
        .expose_headers([header::WWW_AUTHENTICATE, header::RETRY_AFTER])
        .max_age(600)
}

/// The authorization server's routes (RFC 6749, 7009, 7662, 8414, OpenID Connect Discovery
/// 1.0) and its pages.
///
/// Only the pages a browser signs in through carry the session (`session`): the
/// authorization endpoint, login, logout and `/account`. The token, revocation and
/// introspection endpoints, the metadata and the APIs serve programs, which authenticate
/// on each request (RFC 6749 §2.3, RFC 6750): they never read or set the session cookie,
/// so no cookie a browser sends along can ever act there.
fn authorization_server(
    settings: &Settings,
    rate_limit: bool,
    session: SessionMiddleware<SessionBackend>,
) -> impl FnOnce(&mut web::ServiceConfig) + '_ {
    move |cfg| {
        cfg.route(
            "/.well-known/oauth-authorization-server",
            web::get().to(oauth::metadata::metadata),
        )
        .route(
            "/.well-known/openid-configuration",
            web::get().to(oauth::discovery::openid_configuration),
        )
        .route(
            oauth::discovery::JWKS_PATH,
            web::get().to(oauth::discovery::jwks),
        )
        .service(
            web::resource("/oauth/token")
                .wrap(cors(settings))
                .route(web::post().to(oauth::token::token)),
        )
        .service(
            web::resource("/oauth/revoke")
                .wrap(cors(settings))
                .route(web::post().to(oauth::revoke::revoke)),
        )
        .route(
            "/oauth/introspect",
            web::post().to(oauth::introspect::introspect),
        )
        // The browser's pages, with the session.
        .service(
            web::resource("/oauth/authorize")
                .wrap(Condition::new(
                    rate_limit,
                    from_fn(limit_authorization_requests),
                ))
                .wrap(session.clone())
                .route(web::get().to(oauth::authorize::authorize))
                .route(web::post().to(oauth::consent::decide)),
        )
        .service(
            web::resource("/login")
                .wrap(Condition::new(rate_limit, from_fn(limit_logins)))
                .wrap(session.clone())
                .route(web::get().to(pages::login::show_login))
                .route(web::post().to(pages::login::submit_login)),
        )
        .service(
            web::resource("/logout")
                .wrap(session.clone())
                .route(web::post().to(pages::logout::logout)),
        )
        .service(
            web::resource(crate::openid::end_session::END_SESSION_PATH)
                .wrap(session.clone())
                .route(web::get().to(pages::logout::end_session_get))
                .route(web::post().to(pages::logout::end_session_post)),
        )
        .service(
            web::resource(crate::openid::end_session::CONFIRM_PATH)
                .wrap(session.clone())
                .route(web::post().to(pages::logout::confirm_end_session)),
        )
        .service(
            web::resource("/account")
                .wrap(session)
                .route(web::get().to(pages::account::show_account))
                .route(web::post().to(pages::account::revoke_grant)),
        );
    }
}

/// The resource server's routes (RFC 6750), OpenID Connect's UserInfo among them.
fn resource_server(settings: &Settings) -> impl FnOnce(&mut web::ServiceConfig) + '_ {
    move |cfg| {
        cfg.service(
            web::scope("/api")
                .wrap(cors(settings))
                .route("/auth/me", web::get().to(api::profile::me))
                .route("/user/teams", web::get().to(api::teams::list_teams))
                .service(
                    web::resource("/user/teams/{team_id}/members")
                        .route(web::get().to(api::teams::list_members))
                        .route(web::post().to(api::teams::add_member)),
                )
                .route(
                    "/user/teams/{team_id}/members/{username}",
                    web::delete().to(api::teams::remove_member),
                ),
        )
        .service(
            web::resource(api::userinfo::USERINFO_PATH)
                .wrap(cors(settings))
                .route(web::get().to(api::userinfo::userinfo))
                .route(web::post().to(api::userinfo::userinfo)),
        )
        .route("/protected", web::get().to(api::demo::protected))
        .route("/resource", web::get().to(api::demo::protected))
        .route("/public", web::get().to(api::demo::public));
    }
}

/// The stylesheet, the icon, and `/` (the account page).
fn assets() -> impl FnOnce(&mut web::ServiceConfig) {
    |cfg| {
        cfg.route("/static/style.css", web::get().to(stylesheet))
            .route("/static/favicon.svg", web::get().to(favicon))
            .route("/favicon.ico", web::get().to(favicon))
            .route("/", web::get().to(|| async { see_other("/account") }));
    }
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(shared::style::STYLESHEET)
}

/// The icon both apps share, so no browser console shows a 404 on every page.
async fn favicon() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(shared::style::FAVICON_SVG)
}

async fn not_found() -> HttpResponse {
    ErrorPage::new(
        StatusCode::NOT_FOUND,
        "Not found",
        "There is no page at this address on the provider.",
    )
    .into_response()
}
