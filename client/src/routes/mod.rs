//! The client's pages, one file per route, in the order a learner meets them.
//!
//! Handlers stay thin: read the request, call one function of `oauth/` or
//! `provider_api.rs`, answer with a page or a redirect.

pub mod callback;
pub mod discover;
pub mod errors;
pub mod flow;
pub mod home;
pub mod lab;
pub mod login;
pub mod logout;
pub mod notes;
pub mod refresh;
pub mod spa;
pub mod static_files;
pub mod teams;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::error::ClientError;
use crate::oauth::OAuth;
use crate::session::vault::Vault;

/// What every handler shares: the OAuth client and the browsers' server-side state.
pub struct AppState {
    pub oauth: OAuth,
    pub vault: Vault,
    /// `GET /login`s per remote address (`RATE_LIMIT_CLIENT_LOGIN_PER_MINUTE`), or none
    /// with `RATE_LIMIT=off`: each one keeps a pending request for ten minutes.
    pub login_limit: Option<governor::DefaultKeyedRateLimiter<std::net::IpAddr>>,
}

/// The body of this app's own POST forms: its CSRF token.
///
/// A form without the field at all reads as an empty token, which [`check_csrf`] refuses
/// with 403 like a wrong one: a cross-site form that simply leaves the field out must not
/// get a different answer (a 400) from one that guesses it.
///
/// [`check_csrf`]: crate::session::ClientSession::check_csrf
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf_token: String,
}

/// `303 See Other` to a path of this app (after a POST, or to the provider after `/login`).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Mounts every route. The callback lives at the redirect URI's path.
pub fn configure(callback_path: String) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.route("/", web::get().to(home::home))
            .route("/login", web::get().to(login::login))
            .route(&callback_path, web::get().to(callback::callback))
            .route("/refresh", web::post().to(refresh::refresh))
            .route("/expire", web::post().to(refresh::expire))
            .route("/revoke-access", web::post().to(refresh::revoke_access))
            .route(
                "/teams/{team_id}/members",
                web::post().to(teams::add_member),
            )
            .route(
                "/teams/{team_id}/members/{username}/remove",
                web::post().to(teams::remove_member),
            )
            .route("/notes", web::post().to(notes::add_note))
            .route("/discover", web::get().to(discover::discover))
            .route("/logout", web::post().to(logout::logout))
            .route("/logged-out", web::get().to(logout::logged_out))
            .route("/flow", web::get().to(flow::flow))
            .route("/static/style.css", web::get().to(static_files::stylesheet))
            .route("/static/favicon.svg", web::get().to(static_files::favicon))
            .route("/favicon.ico", web::get().to(static_files::favicon))
            .route(
                "/static/client.css",
                web::get().to(static_files::client_stylesheet),
            )
            .route("/static/client.js", web::get().to(static_files::script))
            .app_data(
                web::QueryConfig::default()
                    .error_handler(|error, _| ClientError::BadRequest(error.to_string()).into()),
            )
            .app_data(
                web::FormConfig::default()
                    .limit(16 * 1024)
                    .error_handler(|error, _| ClientError::BadRequest(error.to_string()).into()),
            )
            .app_data(
                web::PathConfig::default()
                    .error_handler(|error, _| ClientError::BadRequest(error.to_string()).into()),
            )
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(ClientError::NotFound)
            }));
    }
}
