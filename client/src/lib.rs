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
//! Modules in reading order: settings and start-up, then the protocol (discovery, oauth,
//! the wire it travels on, the record of it), the session, the API, the pages and routes.

pub mod config;
pub mod discovery;
pub mod error;
pub mod flow;
pub mod lab;
pub mod middleware;
pub mod oauth;
pub mod pages;
pub mod program;
pub mod provider_api;
pub mod routes;
pub mod session;
pub mod startup;
pub mod wire;

pub use program::run;
