//! Proof Key for Code Exchange (RFC 7636), S256 only.
//!
//! The client makes a random `code_verifier`, sends `code_challenge =
//! BASE64URL(SHA256(code_verifier))` with the authorization request (§4.2), and the
//! verifier with the token request (§4.5). A stolen code is useless without the verifier.
//! `plain` is refused: it protects nothing once the authorization request is seen.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The only method this server supports (RFC 7636 §4.2; RFC 9700 §2.1.1).
pub const S256: &str = "S256";

/// A `code_challenge` as sent with the authorization request: 43 base64url characters, the
/// length of an encoded SHA-256 digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeChallenge(String);

impl CodeChallenge {
    /// Accepts a challenge of the S256 shape: exactly 43 characters of the base64url alphabet.
    pub fn parse(value: &str) -> Option<CodeChallenge> {
        let well_formed = value.len() == 43
            && value
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
        well_formed.then(|| CodeChallenge(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// RFC 7636 §4.6: recompute the challenge from the verifier and compare. The
    /// comparison is constant-time so response timing says nothing about how close a
    /// guess came.
    pub fn is_satisfied_by(&self, code_verifier: &str) -> bool {
        is_valid_verifier(code_verifier)
            && s256_challenge(code_verifier)
                .as_bytes()
                .ct_eq(self.0.as_bytes())
                .into()
    }
}

/// `BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))` (RFC 7636 §4.2).
pub fn s256_challenge(code_verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(code_verifier.as_bytes()))
}

/// RFC 7636 §4.1: 43 to 128 characters of `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
pub fn is_valid_verifier(code_verifier: &str) -> bool {
    (43..=128).contains(&code_verifier.len())
        && code_verifier
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~'))
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn the_rfc_7636_appendix_b_vector_holds() {
        assert_eq!(s256_challenge(VERIFIER), CHALLENGE);
        let challenge =
            CodeChallenge::parse(CHALLENGE).expect("the RFC's challenge is well formed");
        assert!(challenge.is_satisfied_by(VERIFIER));
    }

    #[test]
    fn a_different_or_malformed_verifier_fails() {
        let challenge = CodeChallenge::parse(CHALLENGE).expect("well formed");
        assert!(!challenge.is_satisfied_by(&VERIFIER.replace('d', "e")));
        assert!(!challenge.is_satisfied_by("short"));
        assert!(!challenge.is_satisfied_by(&format!("{VERIFIER} ")));
    }

    #[test]
    fn challenges_of_the_wrong_shape_are_refused() {
        assert!(CodeChallenge::parse("abc").is_none());
        assert!(CodeChallenge::parse(&"a".repeat(44)).is_none());
        assert!(CodeChallenge::parse(&"+".repeat(43)).is_none());
    }
}
