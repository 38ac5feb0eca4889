//! # The API: a resource server that is not the authorization server
//!
//! RFC 6749 §1.1 names four roles. The provider plays two (authorization server and its
//! own resource server); this crate is the fourth role on its own: a resource server that
//! must check tokens it did not issue, knowing the provider only through HTTP.
//!
//! ```text
//!  +--------+  (A) GET /notes, no token                     +-----------------+
//!  |        |-------------------------------------------->|                 |
//!  |        |<--------------------------------------------|   this API      |
//!  |        |  401 WWW-Authenticate: Bearer               |  (resource      |
//!  |        |      resource_metadata="…"                  |   server)       |
//!  |        |                                             |                 |
//!  | Client |  (B) GET /.well-known/oauth-protected-      |                 |
//!  |        |      resource  → authorization_servers      |                 |
//!  |        |                                             |                 |
//!  |        |  (C) authorization code flow at the         |                 |
//!  |        |      provider, resource=API_URL (RFC 8707)  |                 |
//!  |        |                                             |                 |
//!  |        |  (D) GET /notes, Authorization: Bearer JWT  |                 |
//!  |        |-------------------------------------------->|                 |
//!  +--------+                                             +--------+--------+
//!                                                                  |
//!                (E) once: RFC 8414 metadata, then jwks_uri;       |
//!                    opaque tokens: RFC 7662 introspection         v
//!                                                         +-----------------+
//!                                                         |  provider (AS)  |
//!                                                         +-----------------+
//! ```
//!
//! - (A) [`bearer::Authorized`] answers a missing or bad token with the RFC 6750 challenge
//!   and RFC 9728's `resource_metadata`.
//! - (B) [`metadata::protected_resource_metadata`].
//! - (D) [`access_token::validate`]: RFC 9068 §4's checks as an ordered list of named steps;
//!   the generic JOSE parts are in [`shared::jose`]; a token seen before is remembered by
//!   [`verified_tokens::VerifiedTokens`], so its signature is checked once, not per request.
//! - (E) [`authorization_server::AuthorizationServer`] (metadata, keys) and
//!   [`introspection::validate`] (opaque tokens).
//! - Then [`notes::list_notes`] / [`notes::add_note`] over the [`notebook::Notebook`].
//!
//! Modules in reading order: settings, what is known of the authorization server, the two
//! ways to check a token, the bearer extractor, the resource, then the wiring.

// Settings.
pub mod config;

// What the API knows of the authorization server (RFC 8414, RFC 7517).
pub mod authorization_server;

// The two ways to check a token: a JWT here (RFC 9068), an opaque one at the issuer (RFC 7662).
pub mod access_token;
pub mod introspection;
pub mod verified_tokens;

// The bearer token on each request and the answer when it will not do (RFC 6750, RFC 9728).
pub mod bearer;

// The resource: the notes, and the document that describes this API (RFC 9728).
pub mod metadata;
pub mod notebook;
pub mod notes;

// The wiring.
pub mod app_state;
pub mod program;
pub mod startup;

pub use program::run;
