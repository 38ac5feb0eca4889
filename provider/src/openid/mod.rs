//! # OpenID Connect: the provider's signing keys and JSON Web Signatures
//!
//! An ID token (OpenID Connect Core 1.0 §2) is a JWT signed by the provider; a Relying Party
//! checks the signature with a public key it fetched from our `jwks_uri` (Core §10.1,
//! Discovery 1.0 §3). This module is that signing half, free of the web framework:
//!
//! - [`keys`]: one signing key, its algorithm (RFC 7518 §3: `RS256`, `ES256`; RFC 8037:
//!   `EdDSA`), its `kid` (the RFC 7638 thumbprint) and its public JWK (RFC 7517 §4).
//! - [`keyset`]: rotation as pure logic (Core §10.1.1): a key is published before it signs
//!   and stays published until everything it signed has expired; one key set per
//!   algorithm, kept together in a key ring.
//! - [`jws`]: the compact JWS (RFC 7515 §7.1) a key signs, its verification as ordered steps,
//!   and `at_hash`/`c_hash` (Core §3.1.3.6).
//! - [`id_token`]: the ID token's claims (Core §2, §3.1.3.6, §12.2), signed with the current key
//!   of the algorithm the client registered (RS256 by default, ES256 for the demo client).
//! - [`signing`]: the keys in use: RS256 and ES256 key sets kept in the store (generated at the
//!   first start), or a key file for its algorithm, reloaded and rotated on schedule so
//!   instances behind one store share them.
//! - [`prompt`]: what an authentication request says about signing in (`prompt`,
//!   `max_age`, `login_hint`, `id_token_hint`, Core §3.1.2.1).
//! - [`end_session`]: RP-Initiated Logout 1.0, the checks of a logout request: an
//!   `id_token_hint` is verified with the same published keys.
//!
//! Which crate does what: `ring` (already in the tree through rustls) signs and verifies all
//! three algorithms and generates EC and Ed25519 keys; `rsa` only generates RSA keys, which
//! `ring` cannot (see [`keys`] for why that use is outside RUSTSEC-2023-0071).

pub mod end_session;
pub mod id_token;
pub mod jws;
pub mod keys;
pub mod keyset;
pub mod prompt;
pub mod signing;
