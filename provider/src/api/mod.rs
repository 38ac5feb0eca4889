//! The resource server (RFC 6750): APIs that accept bearer access tokens.
//!
//! [`bearer`] turns the `Authorization` header into an [`bearer::Authorized`] caller with
//! the scope each handler names in its signature; the handlers then only do their work.
//! [`userinfo`] is OpenID Connect's (Core §5.3): the claims about the user an `openid`
//! access token may read.

pub mod bearer;
pub mod demo;
pub mod profile;
pub mod teams;
pub mod userinfo;
