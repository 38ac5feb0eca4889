//! The data both binaries speak: what travels between the `provider` and the `client`.
//!
//! Pure serde, no web framework, so the shapes on the wire are written down once.
//! Field docs start with REQUIRED / OPTIONAL / RECOMMENDED, as the RFCs do.
//!
//! Read in this order: [`scope`] (what can be asked for), [`token`] (RFC 6749 §5.1),
//! [`error`] (RFC 6749 §5.2 and RFC 6750 §3.1), [`metadata`] (RFC 8414),
//! [`introspection`] (RFC 7662), [`jose`] (JWS and JWK, for whoever checks a signed token), then the resource server's types [`profile`], [`team`]
//! and [`demo`]. [`secret`] keeps tokens out of `Debug` output. Not protocol, but shared
//! plumbing: [`env`] reads the settings, [`limits`] raises the open-file limit, and with the
//! `server` feature, `server` holds what both web apps do alike (start and stop, the log
//! with its request ids, the middleware they share, the in-memory session store).

pub mod demo;
pub mod env;
pub mod error;
pub mod introspection;
pub mod jose;
pub mod limits;
pub mod metadata;
pub mod profile;
pub mod scope;
pub mod secret;
#[cfg(feature = "server")]
pub mod server;
pub mod style;
pub mod team;
pub mod token;

pub use error::{
    ApiErrorCode, AuthorizationErrorCode, BearerErrorCode, ErrorBody, ErrorCode, TokenErrorCode,
};
pub use secret::Secret;

/// Masks a secret for display: its first four characters, then `…` (the flow inspector and
/// the service example both show secrets this way).
pub fn mask(secret: &str) -> String {
    let head: String = secret.chars().take(4).collect();
    format!("{head}…")
}

/// Hides a long-lived secret (a client secret, a password) whole: only its length shows.
///
/// [`mask`]'s four characters are fine for a code or a token, which die within minutes and
/// are also named by [`fingerprint`]; a client secret lives for years, and four of its
/// characters on a public page (`/lab`, `/errors`) are four fewer to guess.
pub fn hide(secret: &str) -> String {
    format!("[{} characters, hidden]", secret.chars().count())
}

/// A token's short fingerprint: the first 8 hex digits of its SHA-256.
///
/// Both binaries log tokens only by this, and the flow inspector shows it, so a learner can
/// follow one token across both terminals without the token itself ever being printed.
pub fn fingerprint(token: &str) -> String {
    use sha2::{Digest, Sha256};
    fingerprint_of_digest(&Sha256::digest(token.as_bytes()).into())
}

/// The [`fingerprint`] of a token whose SHA-256 is all there is (the provider keeps only
/// that): its first four bytes in hex.
pub fn fingerprint_of_digest(digest: &[u8; 32]) -> String {
    let [a, b, c, d, ..] = *digest;
    format!("{:08x}", u32::from_be_bytes([a, b, c, d]))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_fingerprint_is_eight_hex_digits_of_the_sha256() {
        // SHA-256("abc") = ba7816bf...
        assert_eq!(super::fingerprint("abc"), "ba7816bf");
        // Leading zeros are kept: always eight digits.
        let mut digest = [0u8; 32];
        digest[..4].copy_from_slice(&[0x00, 0x0a, 0xb0, 0x01]);
        assert_eq!(super::fingerprint_of_digest(&digest), "000ab001");
    }

    #[test]
    fn a_masked_secret_shows_four_characters() {
        assert_eq!(super::mask("testsecret"), "test…");
    }

    #[test]
    fn a_hidden_secret_shows_only_its_length() {
        assert_eq!(super::hide("testsecret"), "[10 characters, hidden]");
    }
}
