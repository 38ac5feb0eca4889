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
//! With `openid` in the scope the same flow is OpenID Connect's (Core 1.0 §3.1): the client
//! found everything at [`oauth::discovery::openid_configuration`]; (A) keeps the `nonce`;
//! (E) adds an ID token, [`oauth::token::IssuedPair::id_token`], signed with a key
//! published at [`oauth::discovery::jwks`]; [`api::userinfo::userinfo`] answers the claims.
//!
//! Modules in reading order, as the `mod` lines below: settings, the domain
//! (framework-free), the store, the app's state, the authorization server's endpoints, the
//! browser pages, the resource server, then the wiring (errors as answers, rate limits,
//! middleware, log, start-up, the program).

// Settings.
pub mod config;

// The domain: clients, grants, PKCE, scopes, tokens, with no web framework.
pub mod domain;

// Where grants, codes and tokens live.
pub mod store;

// What every handler reads: settings, store, users.
pub mod state;

// The authorization server (RFC 6749 §3, 7009, 7662, 8414).
pub mod oauth;

// Login, logout, the account page.
pub mod web;

// The resource server (RFC 6750).
pub mod api;

// OpenID Connect: signing keys and JWS (Core §10.1, RFC 7515, RFC 7517).
pub mod openid;

// The wiring.
pub mod error;
pub mod rate_limit;

pub mod middleware;
pub mod telemetry;

pub mod startup;

pub mod program;

pub use program::run;
