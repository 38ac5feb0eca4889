//! Builds the API from [`Settings`] and runs it; tests bind 127.0.0.1:0 and call
//! [`Application::from_listener`].

use std::net::{SocketAddr, TcpListener};

use actix_web::dev::{Server, ServerHandle};
use actix_web::error::JsonPayloadError;
use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context;
use shared::{ErrorBody, ErrorCode};

use crate::app_state::AppState;
use crate::config::Settings;
use crate::{metadata, notes};

/// The largest JSON body `POST /notes` reads: 1,000 characters, even escaped, fit.
pub const JSON_LIMIT: usize = 16 * 1024;

/// An API bound to its address, ready to run.
pub struct Application {
    server: Server,
    address: SocketAddr,
    app: web::Data<AppState>,
}

impl Application {
    /// Binds `API_BIND`; a bind failure names the key.
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.bind)
            .with_context(|| format!("cannot listen on API_BIND={}", settings.bind))?;
        Self::from_listener(settings, listener)
    }

    /// Builds the server on an already bound listener.
    pub fn from_listener(settings: Settings, listener: TcpListener) -> anyhow::Result<Self> {
        let address = listener
            .local_addr()
            .context("the listener has no local address")?;
        let limits = settings.limits;
        let workers = std::thread::available_parallelism().map_or(1, usize::from);
        let connections_per_worker =
            limits.per_worker(workers, shared::limits::raise_open_file_limit());
        let app = web::Data::new(AppState::new(settings)?);
        let shared_app = app.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared_app.clone())
                .app_data(
                    web::JsonConfig::default()
                        .limit(JSON_LIMIT)
                        .error_handler(|error, _| bad_json(&error).into()),
                )
                .configure(configure)
                .default_service(web::to(not_found))
        })
        .workers(workers)
        .max_connections(connections_per_worker)
        .client_request_timeout(limits.body_timeout)
        .shutdown_timeout(5)
        // `program` listens for Ctrl-C and SIGTERM itself and stops gracefully on either.
        .disable_signals()
        .listen(listener)
        .with_context(|| format!("cannot serve on {address}"))?
        .run();
        Ok(Self {
            server,
            address,
            app,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The shared state, for tests that look inside (the introspection cache, the notes).
    pub fn app(&self) -> web::Data<AppState> {
        self.app.clone()
    }

    /// A handle to stop the server gracefully.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// The API's routes: its metadata (RFC 9728) and the notes (RFC 6750).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/.well-known/oauth-protected-resource",
        web::get().to(metadata::protected_resource_metadata),
    )
    .service(
        web::resource("/notes")
            .route(web::get().to(notes::list_notes))
            .route(web::post().to(notes::add_note)),
    );
}

/// A body that is not `{"text": "…"}`: 400 `invalid_request` (413 when too large).
fn bad_json(error: &JsonPayloadError) -> actix_web::error::InternalError<&'static str> {
    let status = match error {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            StatusCode::PAYLOAD_TOO_LARGE
        }
        _ => StatusCode::BAD_REQUEST,
    };
    let response = HttpResponse::build(status).json(ErrorBody::new(
        ErrorCode::InvalidRequest,
        "send a JSON body {\"text\": \"...\"} with Content-Type: application/json",
    ));
    actix_web::error::InternalError::from_response("bad JSON body", response)
}

async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(ErrorBody::new(
        ErrorCode::NotFound,
        "no such resource: this API serves /notes and /.well-known/oauth-protected-resource",
    ))
}
