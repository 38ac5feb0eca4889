//! The authorization server (RFC 6749), one file per endpoint.
//!
//! In flow order: [`authorize`] (§4.1.1, the request), then `web::login`, [`consent`]
//! (§4.1.2, the decision and the redirect with the code), [`token`] (§4.1.3 and the other
//! grants), [`revoke`] (RFC 7009), [`introspect`] (RFC 7662), [`metadata`] (RFC 8414), [`discovery`] (OpenID Connect
//! Discovery 1.0 and the `jwks_uri`).

pub mod authorize;
pub mod consent;
pub mod discovery;
pub mod introspect;
pub mod metadata;
pub mod params;
pub mod revoke;
pub mod token;
