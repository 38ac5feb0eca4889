//! # The provider: an OAuth 2.0 authorization server and resource server
//!
//! The authorization code flow (RFC 6749 §4.1), redrawn with the function that serves
//! each step:
//!
//! ```text
//!  +----------+
//!  | Resource |   (B) logs in, approves
//!  |  Owner   |<--------------------------------+
//!  +----------+                                 |
//!       ^                                       v
//!       |            (A) GET /oauth/authorize  +---------------+
//!  +----|-----+     --------------------------->|               |
//!  | Browser  |                                 | Authorization |
//!  +----|-----+<----------------------------    |    Server     |
//!       |        (C) 303 to redirect_uri with   |               |
//!       |            code, state, iss           |               |
//!       v                                       |               |
//!  +----------+  (D) POST /oauth/token          |               |
//!  |  Client  |---------------------------------->|               |
//!  |          |<----------------------------------|               |
//!  +----------+  (E) access + refresh token      +---------------+
//!       |
//!       |  (F) GET /api/... with Authorization: Bearer
//!       v
//!  resource server (this crate, `api/`)
//! ```
//!
//! - (A) [`oauth::authorize::authorize`] validates the request as an ordered list of checks.
//! - (B) [`web::login::submit_login`], then [`oauth::consent::decide`].
//! - (C) [`oauth::consent::decide`] starts a grant with a single-use code.
//! - (D)–(E) [`oauth::token::token`] dispatches to
//!   [`oauth::token::authorization_code::exchange_code`]; later
//!   [`oauth::token::refresh_token::refresh`] rotates the refresh token.
//! - (F) [`api::bearer::Authorized`] checks the token and its scope.
//!
//! Modules in reading order (the `mod` lines below follow the flow): settings, the domain
//! (framework-free), the store, the authorization server's endpoints, the browser pages,
//! the resource server, then the wiring.

pub mod api;
pub mod config;
pub mod domain;
pub mod error;
pub mod middleware;
pub mod oauth;
pub mod openid;
pub mod program;
pub mod rate_limit;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod web;

pub use program::run;
