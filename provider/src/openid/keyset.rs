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
//!
//! A [`KeySet`] holds keys of one algorithm. The provider signs with more than one (each
//! client's ID tokens with the `id_token_signed_response_alg` it registered, OpenID Connect
//! Dynamic Client Registration 1.0 §2), so it keeps a [`KeyRing`]: one key set per
//! algorithm, each with its own life cycle, published together in one JWK Set.

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

    /// The algorithm of the set's keys (the current key's: a set holds one algorithm).
    pub fn alg(&self) -> Algorithm {
        self.current.alg()
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

/// The provider's key sets, one per algorithm, in [`Algorithm::ALL`]'s order (RS256 first).
/// Each set rotates on its own schedule; the JWK Set publishes all of them.
#[derive(Clone, Debug)]
pub struct KeyRing {
    sets: Vec<KeySet>,
}

impl KeyRing {
    /// The ring of these sets, ordered by algorithm; of two sets of one algorithm the first
    /// is kept.
    pub fn new(sets: impl IntoIterator<Item = KeySet>) -> KeyRing {
        let mut ring = KeyRing { sets: Vec::new() };
        for set in sets {
            ring.insert(set);
        }
        ring
    }

    /// Adds `set` unless the ring has one of its algorithm already.
    fn insert(&mut self, set: KeySet) {
        if self.set_for(set.alg()).is_none() {
            self.sets.push(set);
            self.sets.sort_by_key(|set| set.alg());
        }
    }

    /// The key sets, one per algorithm, RS256 first.
    pub fn sets(&self) -> &[KeySet] {
        &self.sets
    }

    /// The key sets, to rotate and prune each.
    pub fn sets_mut(&mut self) -> &mut [KeySet] {
        &mut self.sets
    }

    /// The key set of `alg`, if the ring has one.
    pub fn set_for(&self, alg: Algorithm) -> Option<&KeySet> {
        self.sets.iter().find(|set| set.alg() == alg)
    }

    /// The key that signs `alg` tokens now, if the ring has keys of that algorithm.
    pub fn signing_key(&self, alg: Algorithm) -> Option<&SigningKey> {
        self.set_for(alg).map(KeySet::signing_key)
    }

    /// The ring with `set` in place of its algorithm's set (or added).
    pub fn with_set(mut self, set: KeySet) -> KeyRing {
        self.sets.retain(|kept| kept.alg() != set.alg());
        self.insert(set);
        self
    }

    /// The ring without the set of `alg`.
    pub fn without(mut self, alg: Algorithm) -> KeyRing {
        self.sets.retain(|kept| kept.alg() != alg);
        self
    }

    /// The public JWK Set to serve at `jwks_uri`: each algorithm's keys (RS256 first), in
    /// the order of [`KeySet::jwks`].
    pub fn jwks(&self) -> Jwks {
        Jwks {
            keys: self.sets.iter().flat_map(|set| set.jwks().keys).collect(),
        }
    }

    /// The form the store keeps.
    pub fn to_stored(&self) -> StoredKeyRing {
        StoredKeyRing {
            sets: self.sets.iter().map(KeySet::to_stored).collect(),
        }
    }

    /// The ring back from the store; any key that does not load is an error.
    pub fn from_stored(stored: &StoredKeyRing) -> Result<KeyRing, KeyError> {
        Ok(KeyRing::new(
            stored
                .sets
                .iter()
                .map(KeySet::from_stored)
                .collect::<Result<Vec<_>, KeyError>>()?,
        ))
    }
}

/// [`KeyRing`] as the store keeps it (JSON). Holds private keys: never log it.
///
/// It also reads the single [`StoredKeySet`] a store written before the provider signed
/// with more than one algorithm holds: that set becomes the ring's only one, and the next
/// sync adds the missing algorithm's keys (see [`super::signing`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredKeysAnyVersion")]
pub struct StoredKeyRing {
    pub sets: Vec<StoredKeySet>,
}

/// What a store may hold: a ring, or one key set (written by an earlier version).
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredKeysAnyVersion {
    Ring { sets: Vec<StoredKeySet> },
    Single(StoredKeySet),
}

impl From<StoredKeysAnyVersion> for StoredKeyRing {
    fn from(stored: StoredKeysAnyVersion) -> StoredKeyRing {
        match stored {
            StoredKeysAnyVersion::Ring { sets } => StoredKeyRing { sets },
            StoredKeysAnyVersion::Single(set) => StoredKeyRing { sets: vec![set] },
        }
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

    #[test]
    fn a_key_ring_holds_one_set_per_algorithm_rs256_first_and_publishes_them_all() {
        let es256 = KeySet::generate(Algorithm::ES256, 0).unwrap();
        let rs256 = KeySet::new(
            crate::openid::keys::tests::rsa_key(),
            crate::openid::keys::tests::rsa_key(),
            0,
        );
        let ring = KeyRing::new([
            es256.clone(),
            rs256.clone(),
            KeySet::generate(Algorithm::ES256, 0).unwrap(),
        ]);
        let algs: Vec<Algorithm> = ring.sets().iter().map(KeySet::alg).collect();
        assert_eq!(algs, [Algorithm::RS256, Algorithm::ES256]);
        assert_eq!(
            ring.signing_key(Algorithm::ES256).unwrap().kid(),
            es256.signing_key().kid()
        );
        assert!(ring.signing_key(Algorithm::EdDSA).is_none());
        let published: Vec<String> = ring.jwks().keys.into_iter().map(|jwk| jwk.kid).collect();
        let mut expected = kids(&rs256);
        expected.extend(kids(&es256));
        assert_eq!(published, expected);
    }

    #[test]
    fn a_stored_key_ring_comes_back_and_a_stored_single_set_reads_as_a_ring_of_one() {
        let ring = KeyRing::new([
            KeySet::generate(Algorithm::ES256, 0).unwrap(),
            KeySet::generate(Algorithm::EdDSA, 0).unwrap(),
        ]);
        let json = serde_json::to_string(&ring.to_stored()).unwrap();
        let back: StoredKeyRing = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ring.to_stored());

        // What a store written by an earlier version holds: one key set, not a ring.
        let single = KeySet::generate(Algorithm::EdDSA, 0).unwrap();
        let json = serde_json::to_string(&single.to_stored()).unwrap();
        let back: StoredKeyRing = serde_json::from_str(&json).unwrap();
        assert_eq!(back.sets, vec![single.to_stored()]);
    }
}
