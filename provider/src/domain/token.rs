//! Opaque tokens and codes: how they are made and how they are kept.
//!
//! 256 bits from the operating system's CSPRNG, base64url without padding (RFC 6749 §10.10:
//! "the probability of an attacker guessing generated tokens ... MUST be less than or equal
//! to 2^(-128)"). The store keys everything by the SHA-256 of the token, so a leak of the
//! store's memory does not leak usable tokens (RFC 9700 §4.14 spirit).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

use shared::Secret;

/// The SHA-256 of a token or code: the only form the store keeps.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenHash(pub [u8; 32]);

impl TokenHash {
    pub fn of(token: &str) -> TokenHash {
        TokenHash(Sha256::digest(token.as_bytes()).into())
    }

    /// First 8 hex digits: the fingerprint logs and the flow inspector show
    /// (the same as [`shared::fingerprint`] of the token itself).
    pub fn fingerprint(&self) -> String {
        self.0[..4]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenHash({})", self.fingerprint())
    }
}

/// A freshly minted opaque value and its hash.
pub struct Minted {
    pub value: Secret,
    pub hash: TokenHash,
}

/// Mints a 256-bit random token from the OS CSPRNG.
pub fn mint() -> Minted {
    let [minted] = mint_many::<1>();
    minted
}

/// Mints `N` independent 256-bit tokens with one read from the OS CSPRNG: a token pair
/// costs one system call, not two (the token endpoint's profile showed them).
pub fn mint_many<const N: usize>() -> [Minted; N] {
    let mut bytes = [[0u8; 32]; N];
    OsRng
        .try_fill_bytes(bytes.as_flattened_mut())
        .expect("the operating system's random number generator is available");
    bytes.map(|token| {
        let value = URL_SAFE_NO_PAD.encode(token);
        let hash = TokenHash::of(&value);
        Minted {
            value: Secret::new(value),
            hash,
        }
    })
}

/// A random identifier that is not a secret (grant ids, pending-request ids, request ids).
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    OsRng
        .try_fill_bytes(&mut bytes)
        .expect("the operating system's random number generator is available");
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_are_43_base64url_characters_and_all_different() {
        let first = mint();
        let second = mint();
        assert_eq!(first.value.expose().len(), 43);
        assert!(
            first
                .value
                .expose()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_ne!(first.value.expose(), second.value.expose());
        assert_eq!(TokenHash::of(first.value.expose()), first.hash);
    }

    #[test]
    fn tokens_minted_together_are_independent() {
        let [first, second] = mint_many::<2>();
        assert_ne!(first.value.expose(), second.value.expose());
        assert_eq!(second.value.expose().len(), 43);
        assert_eq!(TokenHash::of(second.value.expose()), second.hash);
    }

    #[test]
    fn the_fingerprint_matches_the_shared_one() {
        let minted = mint();
        assert_eq!(
            minted.hash.fingerprint(),
            shared::fingerprint(minted.value.expose())
        );
    }
}
