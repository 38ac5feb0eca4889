//! # Key rotation: which keys sign, which are published (Core §10.1.1, RFC 7517 §5)
//!
//! OpenID Connect Core §10.1.1: "The Signer can rotate its keys by publishing the new key at
//! its `jwks_uri` ... and to start using it. The Verifier knows to go back to the `jwks_uri`
//! location to re-retrieve the keys when it sees an unfamiliar `kid` value."
//!
//! A verifier that cached our JWKS should never meet an unfamiliar `kid`, and a token we
//! signed should never outlive the key that checks it. So a key goes through three roles,
//! always in this order, and [`KeySet`] is that life cycle as pure logic (no clock, no store,
//! no HTTP: `now` is a parameter, in seconds since the Unix epoch):
//!
//! ```text
//!   generated ──> next ──rotate──> current ──rotate──> retired ──prune──> gone
//!                 published        published, signs    published          (nothing it
//!                 (not signing)                        (not signing)       signed is alive)
//! ```
//!
//! - **next**: published, never signs. A verifier that fetches the JWKS now already knows it
//!   when it starts signing. Rotate less often than verifiers cache the JWKS.
//! - **current**: the one key that signs.
//! - **retired**: published until everything it signed has expired, that is until
//!   `retired_at + max_signed_lifetime` (the longest lifetime of a token it signed, plus any
//!   clock skew the verifiers allow).

use serde::{Deserialize, Serialize};

use super::keys::{Algorithm, Jwks, KeyError, SigningKey, StoredKey};

/// A key that stopped signing at `retired_at` (seconds since the epoch).
#[derive(Clone, Debug)]
pub struct Retired {
    pub key: SigningKey,
    pub retired_at: u64,
}

/// The provider's keys in their three roles (see the module doc).
#[derive(Clone, Debug)]
pub struct KeySet {
    next: SigningKey,
    current: SigningKey,
    /// Since when `current` signs.
    current_since: u64,
    retired: Vec<Retired>,
}

impl KeySet {
    /// A first key set: `current` signs from `now`, `next` is published beside it.
    pub fn new(current: SigningKey, next: SigningKey, now: u64) -> KeySet {
        KeySet {
            next,
            current,
            current_since: now,
            retired: Vec::new(),
        }
    }

    /// A key set of one key that signs and is the only one published (a key file): `next`
    /// is the same key, so a rotation changes nothing until another key is given.
    pub fn single(key: SigningKey, now: u64) -> KeySet {
        KeySet::new(key.clone(), key, now)
    }

    /// A first key set of two fresh `alg` keys, as at the provider's first start when no
    /// key file is set and the store has none yet.
    pub fn generate(alg: Algorithm, now: u64) -> Result<KeySet, KeyError> {
        Ok(KeySet::new(
            SigningKey::generate(alg)?,
            SigningKey::generate(alg)?,
            now,
        ))
    }

    /// The key that signs now.
    pub fn signing_key(&self) -> &SigningKey {
        &self.current
    }

    /// The key that will sign after the next rotation (already published).
    pub fn next_key(&self) -> &SigningKey {
        &self.next
    }

    /// Keys that stopped signing and are still published.
    pub fn retired(&self) -> &[Retired] {
        &self.retired
    }

    /// Since when the current key signs.
    pub fn current_since(&self) -> u64 {
        self.current_since
    }

    /// Whether the current key has signed for `rotate_every` seconds or longer.
    pub fn rotation_due(&self, now: u64, rotate_every: u64) -> bool {
        now.saturating_sub(self.current_since) >= rotate_every
    }

    /// One rotation at `now`: the current key retires, the next key (published since the
    /// previous rotation) starts signing, and `new_next` is published in its place.
    pub fn rotate(&mut self, new_next: SigningKey, now: u64) {
        let signing = std::mem::replace(&mut self.next, new_next);
        let retiring = std::mem::replace(&mut self.current, signing);
        self.retired.push(Retired {
            key: retiring,
            retired_at: now,
        });
        self.current_since = now;
    }

    /// Drops the retired keys whose last signature has expired at `now`: a key retired at
    /// `t` signed nothing after `t`, so nothing it signed is alive after
    /// `t + max_signed_lifetime`.
    pub fn prune(&mut self, now: u64, max_signed_lifetime: u64) {
        self.retired
            .retain(|old| old.retired_at.saturating_add(max_signed_lifetime) > now);
    }

    /// The public JWK Set to serve at `jwks_uri`: the current key first, then the next one,
    /// then the retired ones, newest first, each `kid` once (a [`KeySet::single`] key is both
    /// current and next). Public members only (see [`SigningKey::public_jwk`]).
    pub fn jwks(&self) -> Jwks {
        let retired = self.retired.iter().rev().map(|old| &old.key);
        let mut keys: Vec<_> = Vec::new();
        for key in [&self.current, &self.next].into_iter().chain(retired) {
            if !keys
                .iter()
                .any(|known: &&SigningKey| known.kid() == key.kid())
            {
                keys.push(key);
            }
        }
        Jwks {
            keys: keys.into_iter().map(SigningKey::public_jwk).collect(),
        }
    }

    /// The form the store keeps, so that every instance behind one store signs with the same
    /// key and publishes the same set.
    pub fn to_stored(&self) -> StoredKeySet {
        StoredKeySet {
            next: self.next.to_stored(),
            current: self.current.to_stored(),
            current_since: self.current_since,
            retired: self
                .retired
                .iter()
                .map(|old| StoredRetired {
                    key: old.key.to_stored(),
                    retired_at: old.retired_at,
                })
                .collect(),
        }
    }

    /// The key set back from the store; any key that does not load is an error.
    pub fn from_stored(stored: &StoredKeySet) -> Result<KeySet, KeyError> {
        Ok(KeySet {
            next: SigningKey::from_stored(&stored.next)?,
            current: SigningKey::from_stored(&stored.current)?,
            current_since: stored.current_since,
            retired: stored
                .retired
                .iter()
                .map(|old| {
                    Ok(Retired {
                        key: SigningKey::from_stored(&old.key)?,
                        retired_at: old.retired_at,
                    })
                })
                .collect::<Result<_, KeyError>>()?,
        })
    }
}

/// [`KeySet`] as the store keeps it (JSON). Holds private keys: never log it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredKeySet {
    pub next: StoredKey,
    pub current: StoredKey,
    pub current_since: u64,
    pub retired: Vec<StoredRetired>,
}

/// A retired key as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRetired {
    pub key: StoredKey,
    pub retired_at: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openid::jws::{sign_jws, verify};
    use serde_json::{Map, json};

    fn key() -> SigningKey {
        // EdDSA: generated in microseconds, and rotation does not depend on the algorithm.
        SigningKey::generate(Algorithm::EdDSA).unwrap()
    }

    fn kids(set: &KeySet) -> Vec<String> {
        set.jwks().keys.into_iter().map(|jwk| jwk.kid).collect()
    }

    const HOUR: u64 = 3600;

    #[test]
    fn the_next_key_is_published_before_it_signs() {
        let (first, second) = (key(), key());
        let mut set = KeySet::new(first.clone(), second.clone(), 0);
        assert_eq!(set.signing_key().kid(), first.kid());
        assert!(kids(&set).contains(&second.kid().to_string()));

        set.rotate(key(), 24 * HOUR);
        assert_eq!(set.signing_key().kid(), second.kid());
    }

    #[test]
    fn a_token_signed_before_a_rotation_still_verifies_with_the_jwks_after_it() {
        let mut set = KeySet::new(key(), key(), 0);
        let jws = sign_jws(set.signing_key(), Map::new(), &json!({"sub": "user1"})).unwrap();
        let cached_before = set.jwks();

        set.rotate(key(), 24 * HOUR);
        set.prune(24 * HOUR + 1, HOUR);
        assert!(verify(&jws, &set.jwks(), &Algorithm::ALL).is_ok());

        // And a verifier that cached the JWKS before the rotation knows the new signer.
        let after = sign_jws(set.signing_key(), Map::new(), &json!({})).unwrap();
        assert!(verify(&after, &cached_before, &Algorithm::ALL).is_ok());
    }

    #[test]
    fn a_retired_key_stays_published_until_what_it_signed_has_expired() {
        let first = key();
        let mut set = KeySet::new(first.clone(), key(), 0);
        let retired_at = 24 * HOUR;
        set.rotate(key(), retired_at);
        let published = |set: &KeySet| kids(set).contains(&first.kid().to_string());

        set.prune(retired_at + HOUR - 1, HOUR);
        assert!(
            published(&set),
            "a token it signed at {retired_at} is still alive"
        );
        set.prune(retired_at + HOUR, HOUR);
        assert!(!published(&set), "everything it signed has expired");
        assert_eq!(set.jwks().keys.len(), 2);
    }

    #[test]
    fn a_generated_key_set_has_two_different_keys_of_the_asked_algorithm() {
        let set = KeySet::generate(Algorithm::ES256, 7).unwrap();
        assert_ne!(set.signing_key().kid(), set.next_key().kid());
        assert_eq!(set.signing_key().alg(), Algorithm::ES256);
        assert_eq!(set.next_key().alg(), Algorithm::ES256);
        assert_eq!(set.current_since(), 7);
        assert!(set.retired().is_empty());
    }

    #[test]
    fn the_jwks_lists_current_then_next_then_retired_newest_first() {
        let mut set = KeySet::new(key(), key(), 0);
        let original = set.signing_key().clone();
        set.rotate(key(), 10);
        let second = set.signing_key().clone();
        set.rotate(key(), 20);
        let expected = vec![
            set.signing_key().kid().to_string(),
            set.next_key().kid().to_string(),
            second.kid().to_string(),
            original.kid().to_string(),
        ];
        assert_eq!(kids(&set), expected);
    }

    #[test]
    fn rotation_is_due_after_the_period_the_current_key_has_signed() {
        let mut set = KeySet::new(key(), key(), 100);
        assert!(!set.rotation_due(100 + HOUR - 1, HOUR));
        assert!(set.rotation_due(100 + HOUR, HOUR));
        set.rotate(key(), 100 + HOUR);
        assert_eq!(set.current_since(), 100 + HOUR);
        assert!(!set.rotation_due(100 + HOUR, HOUR));
    }

    #[test]
    fn a_stored_key_set_comes_back_with_the_same_roles() {
        let mut set = KeySet::new(key(), key(), 0);
        set.rotate(key(), 50);
        let json = serde_json::to_string(&set.to_stored()).unwrap();
        let back = KeySet::from_stored(&serde_json::from_str(&json).unwrap()).unwrap();
        assert_eq!(kids(&back), kids(&set));
        assert_eq!(back.signing_key().kid(), set.signing_key().kid());
        assert_eq!(back.retired()[0].retired_at, 50);
        assert_eq!(back.current_since(), 50);
    }
}
