//! The registered parties of every test: the provider ships them (RFC 6749 §2, client
//! registration) so that a test, like a learner, can sign in without setting anything up.
//!
//! - a confidential client (`testclient`, RFC 6749 §2.1), which authenticates at the token
//!   endpoint with its secret (§2.3.1);
//! - a public client (`spa-client`), which has no secret and relies on PKCE alone;
//! - the resource owner `demo`, who logs in and approves.

/// The confidential client's `client_id`.
pub const CLIENT_ID: &str = "testclient";
/// Its secret, sent with HTTP Basic (`client_secret_basic`, RFC 6749 §2.3.1).
pub const CLIENT_SECRET: &str = "testsecret";
/// Its registered redirect URI when the provider runs alone (nothing listens there: the
/// tests read the code from the redirect's `Location`).
pub const REDIRECT_URI: &str = "http://localhost:3000/callback";
/// The public client's `client_id` (a browser app, RFC 6749 §2.1 "public").
pub const PUBLIC_CLIENT_ID: &str = "spa-client";
/// Its registered redirect URI when the provider runs alone.
pub const PUBLIC_REDIRECT_URI: &str = "http://localhost:3000/spa/callback";
/// The demo user's name and password on the provider's login page.
pub const USERNAME: &str = "demo";
pub const PASSWORD: &str = "demo";
