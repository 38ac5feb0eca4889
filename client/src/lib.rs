//! The client: a web app that logs its users in with the provider (RFC 6749 §4.1, the
//! authorization code grant, with PKCE) and calls the provider's API with their token.
//!
//! ```text
//!  browser            client (this crate, :3000)                 provider (:8080)
//!     |  GET /login         |                                        |
//!     |-------------------->| (A) begin_login: state + PKCE S256     |
//!     |<-- 303 to /oauth/authorize?... ----------------------------->| (B) login + consent
//!     |  GET /callback?code&state&iss  (redirect from the provider)  |
//!     |-------------------->| (C) finish_login: state, iss, error    |
//!     |                     |---- (D) POST /oauth/token ------------>|
//!     |                     |<--- (E) access + refresh token --------|
//!     |<-- 303 to / --------|  tokens stay here, in the session      |
//!     |  GET /              |---- GET /api/... Bearer -------------->|
//!     |                     |     401? refresh once, retry once      |
//! ```
//!
//! - (A) [`routes::login::login`] → [`oauth::OAuth::begin_login`]
//! - (C) [`routes::callback::callback`] → [`oauth::OAuth::finish_login`]
//! - (D)–(E) [`oauth::OAuth::exchange_code`], called by `finish_login` once its checks pass
//! - API calls, refresh on expiry or 401: [`provider_api::ProviderApi`]
//! - `/refresh` [`routes::refresh`], `/logout` (RFC 7009) [`routes::logout`],
//!   the inspector `/flow` [`routes::flow`]
//!
//! Modules in reading order, as the `mod` lines below: settings; the protocol (discovery,
//! oauth, the wire it travels on, the record of it for the inspector); the session; the
//! API; the pages and routes, and the lab; then the wiring (start-up, middleware, log, the
//! program).

// Settings.
pub mod config;

// The protocol.
pub mod discovery;

pub mod oauth;

pub mod wire;

pub mod flow;

// The browser's session: its cookie and the tokens kept for it.
pub mod session;

// The provider's API, called with the user's token.
pub mod provider_api;
// The notes API at API_URL: a resource server that is not the provider (RFC 8707, RFC 9728).
pub mod notes_api;
// Starting from the API alone: 401 → RFC 9728 metadata → RFC 8414 metadata.
pub mod resource_discovery;

// What the browser sees.
pub mod error;
pub mod pages;
pub mod routes;

pub mod lab;

// The wiring.
pub mod startup;

pub mod middleware;
pub mod telemetry;

pub mod program;

pub use program::run;
