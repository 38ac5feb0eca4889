//! The resource server (RFC 6750): APIs that accept bearer access tokens.
//!
//! [`bearer`] turns the `Authorization` header into an [`bearer::Authorized`] caller with
//! the scope each handler names in its signature; the handlers then only do their work.

pub mod bearer;
pub mod demo;
pub mod profile;
pub mod teams;
