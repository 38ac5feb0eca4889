//! Opaque tokens and codes: how they are made and how they are kept.
//!
//! 256 bits from a CSPRNG, base64url without padding (RFC 6749 §10.10: "the probability of
//! an attacker guessing generated tokens ... MUST be less than or equal to 2^(-128)"). The
//! generator is `rand`'s thread-local ChaCha12, seeded from the operating system and
//! reseeded from it as it goes: as unpredictable as asking the kernel, without a system call
//! per token (the token endpoint's profile showed one `getrandom` for each response). The store keys everything by the SHA-256 of the token, so a leak of the
//! store's memory does not leak usable tokens (RFC 9700 §4.14 spirit).
//!
//! Refresh tokens are the exception to "256 random bits": see [`RefreshTokenKey`]. They
//! carry their grant and generation, so that a token retired any number of rotations ago
//! is still recognised (RFC 9700 §4.14.2) while the store keeps one fixed-size record
//! per grant instead of one hash per retired token.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::{RngCore, TryRngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use shared::Secret;

use super::ids::GrantId;

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
        shared::fingerprint_of_digest(&self.0)
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

/// Mints a 256-bit random token.
pub fn mint() -> Minted {
    let [minted] = mint_many::<1>();
    minted
}

/// Mints `N` independent 256-bit tokens.
pub fn mint_many<const N: usize>() -> [Minted; N] {
    let mut bytes = [[0u8; 32]; N];
    rand::rng().fill_bytes(bytes.as_flattened_mut());
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
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The provider's secret for refresh tokens: HMAC-SHA256 key. Never in the store, so a
/// leak of the store alone cannot forge a refresh token.
///
/// With `SESSION_KEY` set (required with Redis, where every instance must recognise the
/// others' tokens) it is derived from it: HMAC(SESSION_KEY, a fixed label), so the two
/// uses of one setting never share a key. Without it, 256 fresh random bits at start:
/// the in-memory store, and every grant in it, dies with the process anyway.
#[derive(Clone)]
pub struct RefreshTokenKey([u8; 32]);

/// The label that separates the refresh-token key from the cookie key derived from the
/// same `SESSION_KEY`.
const REFRESH_KEY_LABEL: &[u8] = b"oauth-flow-rs refresh-token key v1";

impl RefreshTokenKey {
    /// Derived from `SESSION_KEY`'s bytes, or random when there are none.
    pub fn new(session_key: Option<&[u8]>) -> RefreshTokenKey {
        match session_key {
            Some(secret) => RefreshTokenKey(hmac_sha256(secret, &[REFRESH_KEY_LABEL])),
            None => {
                // A long-lived key: straight from the operating system.
                let mut key = [0u8; 32];
                OsRng
                    .try_fill_bytes(&mut key)
                    .expect("the operating system's random number generator is available");
                RefreshTokenKey(key)
            }
        }
    }

    /// The MAC of generation `generation` of grant `grant_id`, whose family salt is `salt`.
    fn mac(&self, grant_id: &str, generation: u64, salt: &FamilySalt) -> [u8; 32] {
        hmac_sha256(
            &self.0,
            &[
                grant_id.as_bytes(),
                b".",
                &generation.to_be_bytes(),
                &salt.0,
            ],
        )
    }

    /// Mints the refresh token of generation `generation` of a grant:
    /// `<grant id>.<generation>.<mac>`, the MAC base64url. Opaque to clients.
    pub fn mint(&self, grant_id: &str, generation: u64, salt: &FamilySalt) -> Minted {
        let mac = self.mac(grant_id, generation, salt);
        let value = format!("{grant_id}.{generation}.{}", URL_SAFE_NO_PAD.encode(mac));
        let hash = TokenHash::of(&value);
        Minted {
            value: Secret::new(value),
            hash,
        }
    }

    /// Whether `token` is genuine for this family's salt: a constant-time compare of its
    /// MAC. A forged or guessed token fails here, before it can touch the grant.
    pub fn verify(&self, token: &FamilyToken, salt: &FamilySalt) -> bool {
        let expected = self.mac(&token.grant_id, token.generation, salt);
        bool::from(expected.ct_eq(&token.mac))
    }
}

impl std::fmt::Debug for RefreshTokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshTokenKey([redacted])")
    }
}

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// A per-grant random value kept in the grant's record and mixed into every refresh
/// token's MAC: the key alone (without the store) cannot forge a token either.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct FamilySalt(pub [u8; 16]);

impl FamilySalt {
    pub fn random() -> FamilySalt {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        FamilySalt(salt)
    }
}

impl std::fmt::Debug for FamilySalt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FamilySalt([redacted])")
    }
}

/// A refresh token read back: which grant and generation it claims, and its MAC. Claims
/// only, until [`RefreshTokenKey::verify`] says the MAC is genuine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyToken {
    pub grant_id: GrantId,
    pub generation: u64,
    mac: [u8; 32],
}

impl FamilyToken {
    /// Reads `<grant id>.<generation>.<mac>`; anything else is `None` (not a refresh token
    /// this provider minted).
    pub fn parse(token: &str) -> Option<FamilyToken> {
        let mut parts = token.split('.');
        let (grant_id, generation, mac) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || grant_id.is_empty() || grant_id.len() > 64 {
            return None;
        }
        if !grant_id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
        {
            return None;
        }
        // Only the spelling this provider writes: `+1` or `01` would be another string for
        // the same token.
        let written = generation;
        let generation: u64 = written.parse().ok()?;
        if generation.to_string() != written {
            return None;
        }
        let mac = URL_SAFE_NO_PAD.decode(mac).ok()?.try_into().ok()?;
        Some(FamilyToken {
            grant_id: grant_id.into(),
            generation,
            mac,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refresh_token_is_recognised_by_its_family_and_nothing_else() {
        let key = RefreshTokenKey::new(None);
        let salt = FamilySalt::random();
        let minted = key.mint("grant1", 7, &salt);
        let token = FamilyToken::parse(minted.value.expose()).expect("well formed");
        assert_eq!((token.grant_id.as_str(), token.generation), ("grant1", 7));
        assert!(key.verify(&token, &salt));
        assert!(!key.verify(&token, &FamilySalt::random()), "another family");
        assert!(
            !RefreshTokenKey::new(None).verify(&token, &salt),
            "another key"
        );
        let forged = FamilyToken {
            generation: 6,
            ..token.clone()
        };
        assert!(!key.verify(&forged, &salt), "another generation");
    }

    #[test]
    fn the_key_derived_from_one_session_key_is_the_same_on_every_instance() {
        let salt = FamilySalt::random();
        let first = RefreshTokenKey::new(Some(&[1; 64])).mint("g", 1, &salt);
        let second = RefreshTokenKey::new(Some(&[1; 64])).mint("g", 1, &salt);
        assert_eq!(first.value.expose(), second.value.expose());
        let other = RefreshTokenKey::new(Some(&[2; 64])).mint("g", 1, &salt);
        assert_ne!(first.value.expose(), other.value.expose());
    }

    #[test]
    fn malformed_refresh_tokens_are_not_parsed() {
        for token in [
            "", "a.b", "g.x.AAAA", "g.1.AAAA", "g.1.!!", "g.1.a.b", ".1.AAAA",
        ] {
            assert_eq!(FamilyToken::parse(token), None, "{token}");
        }
    }

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
