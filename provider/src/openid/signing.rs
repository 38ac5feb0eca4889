//! # The provider's signing keys: where they come from, and how they rotate (Core §10.1.1)
//!
//! The provider signs with two algorithms, [`ALGORITHMS`], and keeps a key set of each in
//! one [`KeyRing`]:
//!
//! - **RS256**: OpenID Connect Dynamic Client Registration 1.0 §2 makes it the default
//!   `id_token_signed_response_alg` ("The default, if omitted, is RS256") and Discovery 1.0
//!   §3 says "The algorithm RS256 MUST be included" in `id_token_signing_alg_values_supported`.
//!   A client that registered nothing gets RS256 ID tokens; the JWT access tokens for the
//!   API are RS256 too.
//! - **ES256**: for clients that registered it. The same security for a fraction of the
//!   CPU: signing costs about 20 µs against about 500 µs for RS256 (`docs/performance.md`,
//!   "OpenID Connect"), and every code exchange and refresh of an `openid` grant signs one.
//!
//! Where each algorithm's keys come from, in this order:
//!
//! 1. **a key file**: `SIGNING_KEY_FILE` names a PKCS#8 PEM (read and checked by
//!    [`crate::config`], so a bad file stops start-up naming the key). That one key signs its
//!    algorithm's tokens and is the only key of that algorithm published: nothing rotates it
//!    but the operator, who replaces the file. It is never written to the store. The other
//!    algorithm's keys come from the store, as below.
//! 2. **the store**: the key ring another instance (or this one, before a restart) stored.
//!    Instances behind one Redis all sign with the same current keys and publish the same
//!    JWKS, so an ID token from any of them verifies with the keys any of them serves.
//! 3. **generated**: at the very first start, two keys of each algorithm. The current one
//!    signs, the next one is already published (see [`super::keyset`]). They are offered to
//!    the store with a get-or-insert, so of two instances starting at once the first one's
//!    keys win and the other adopts them.
//!
//! ## Rotation, and why every instance reloads
//!
//! [`SigningKeys::sync`] runs at start and then every [`RELOAD_EVERY`] in the background
//! (`crate::startup`), in these steps:
//!
//! 1. **read** the stored ring (get-or-insert: the first start stores ours);
//! 2. **complete** it: an algorithm of [`ALGORITHMS`] the ring has no keys for (a store
//!    written when the provider signed with RS256 only) gets two fresh keys;
//! 3. **rotate** each key set whose current key has signed for `SIGNING_KEY_ROTATION`: its
//!    next key (published for a whole period already) signs, a fresh next key is published;
//! 4. **prune** retired keys whose signatures have all expired ([`Rotation::retired_for`]);
//! 5. **store** the result if it changed, with a compare-and-set on the ring's version: when
//!    two instances rotate at once, one wins and the other adopts the winner's ring, so the
//!    keys never fork;
//! 6. **use** the stored ring: sign with its current keys, publish its JWKS.
//!
//! An instance that has not reloaded yet still signs with a key another instance just
//! retired, for at most [`RELOAD_EVERY`]. That is why a retired key stays published for
//! the ID token lifetime *plus* the reload interval (and the clock skew verifiers allow):
//! every token signed with it expires before it leaves the JWKS. And its stale JWKS already
//! lists the new current key, which was published as "next" a whole period earlier.
//!
//! Generating a 2048-bit RSA key takes a second or two of CPU, so a process generates its
//! first keys once ([`generated_once`]): a second provider in the same process (the test
//! suites start dozens) starts with the same keys, as two instances behind one store would.

use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::time::Duration;

use super::keys::{Algorithm, Jwks, KeyError, SigningKey};
use super::keyset::{KeyRing, KeySet};
use crate::store::{GrantStore, KeySetSwap, Store, StoreError};

/// The algorithms the provider always has keys for (see the module doc for why each).
pub const ALGORITHMS: [Algorithm; 2] = [Algorithm::RS256, Algorithm::ES256];

/// The algorithm of the JWT access tokens for the API (RFC 9068): RS256, whatever a client
/// registered for its ID tokens. The API verifies one on every call, and an RSA signature
/// verifies faster than an ECDSA one; signing happens once per token.
pub const ACCESS_TOKEN_ALG: Algorithm = Algorithm::RS256;

/// How often each instance reads the stored key ring (and rotates it when due).
pub const RELOAD_EVERY: Duration = Duration::from_secs(30);

/// How far past `exp` a verifier may still accept a token (the clock skew it allows):
/// a retired key stays published this much longer.
pub const VERIFIER_SKEW: Duration = Duration::from_secs(60);

/// The key ring the provider starts with: generated keys for each of [`ALGORITHMS`], the
/// key file's one key in place of its algorithm's.
pub fn startup_key_ring(file_key: Option<&SigningKey>, now: u64) -> Result<KeyRing, KeyError> {
    let file_alg = file_key.map(SigningKey::alg);
    let generated = ALGORITHMS
        .into_iter()
        .filter(|alg| Some(*alg) != file_alg)
        .map(|alg| generated_once(alg, now))
        .collect::<Result<Vec<_>, _>>()?;
    let file_set = file_key.map(|key| KeySet::single(key.clone(), now));
    Ok(KeyRing::new(file_set.into_iter().chain(generated)))
}

/// Two `alg` keys made at the first call for `alg` in this process, the same ones afterwards.
fn generated_once(alg: Algorithm, now: u64) -> Result<KeySet, KeyError> {
    static RS256: OnceLock<KeySet> = OnceLock::new();
    static ES256: OnceLock<KeySet> = OnceLock::new();
    static EDDSA: OnceLock<KeySet> = OnceLock::new();
    let generated = match alg {
        Algorithm::RS256 => &RS256,
        Algorithm::ES256 => &ES256,
        Algorithm::EdDSA => &EDDSA,
    };
    if let Some(set) = generated.get() {
        return Ok(set.clone());
    }
    // Two callers racing here both generate; the first to finish wins and both use its keys.
    let fresh = KeySet::generate(alg, now)?;
    Ok(generated.get_or_init(|| fresh).clone())
}

/// When keys rotate and how long a retired one stays published, in seconds.
#[derive(Debug, Clone, Copy)]
pub struct Rotation {
    /// `SIGNING_KEY_ROTATION`: how long a key signs before the next one takes over.
    pub every: u64,
    /// The longest an ID token lives (`ACCESS_TOKEN_TTL`: an ID token expires with the
    /// access token it came with).
    pub id_token_ttl: u64,
}

impl Rotation {
    /// How long a retired key stays published: the last token it signed may have been
    /// signed up to [`RELOAD_EVERY`] after it retired (by an instance that had not reloaded
    /// yet), lives `id_token_ttl`, and may be accepted [`VERIFIER_SKEW`] past its `exp`.
    pub fn retired_for(&self) -> u64 {
        self.id_token_ttl + RELOAD_EVERY.as_secs() + VERIFIER_SKEW.as_secs()
    }
}

/// What one [`SigningKeys::sync`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeysSynced {
    /// The stored ring (at `version`) is in use; this instance changed nothing.
    Loaded { version: u64 },
    /// This instance completed, rotated and/or pruned the ring and stored it as `version`.
    Changed {
        version: u64,
        /// Algorithms whose keys were missing and were generated.
        added: Vec<Algorithm>,
        /// Algorithms whose key sets rotated.
        rotated: Vec<Algorithm>,
        /// Retired keys dropped.
        pruned: usize,
    },
}

/// Why a sync failed; the keys in use stay as they were.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("the store: {0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Key(#[from] KeyError),
    #[error("generating a signing key stopped: {0}")]
    Generation(#[from] tokio::task::JoinError),
}

/// The key ring in use: the keys that sign now and the JWKS published now. Shared by every
/// worker; [`SigningKeys::sync`] swaps in the stored ring.
#[derive(Debug)]
pub struct SigningKeys {
    in_use: RwLock<Arc<KeyRing>>,
    /// A key file's key: signs its algorithm's tokens, never stored, never rotated.
    file_key: Option<SigningKey>,
}

impl SigningKeys {
    /// The keys at start: the key file's, and this process's generated ones (replaced by the
    /// stored ring at the first [`SigningKeys::sync`]).
    pub fn at_start(file_key: Option<&SigningKey>, now: u64) -> Result<SigningKeys, KeyError> {
        Ok(SigningKeys {
            in_use: RwLock::new(Arc::new(startup_key_ring(file_key, now)?)),
            file_key: file_key.cloned(),
        })
    }

    /// The key ring in use, as one consistent snapshot.
    pub fn key_ring(&self) -> Arc<KeyRing> {
        // A panic elsewhere cannot leave the ring half replaced: it is swapped whole.
        self.in_use
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The key that signs `alg` tokens now. Every algorithm of [`ALGORITHMS`] has one; the
    /// error is for another algorithm that no key file provides.
    pub fn signing_key(&self, alg: Algorithm) -> Result<SigningKey, KeyError> {
        self.key_ring()
            .signing_key(alg)
            .cloned()
            .ok_or(KeyError::NoKey { alg })
    }

    /// The public JWK Set to serve at `jwks_uri` now.
    pub fn jwks(&self) -> Jwks {
        self.key_ring().jwks()
    }

    /// Uses `stored`, with the key file's key in place of its algorithm's stored keys.
    fn use_ring(&self, stored: KeyRing) {
        let ring = match &self.file_key {
            Some(key) => stored.with_set(KeySet::single(key.clone(), 0)),
            None => stored,
        };
        *self.in_use.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(ring);
    }

    /// The part of the ring in use the store keeps: all but the key file's.
    fn storable(&self) -> KeyRing {
        let ring = KeyRing::clone(&self.key_ring());
        match &self.file_key {
            Some(key) => ring.without(key.alg()),
            None => ring,
        }
    }

    /// Reads the stored ring, completes, rotates and prunes it when due, stores the result
    /// and uses it: the steps of the module doc, at `now` (seconds since the epoch).
    pub async fn sync(
        &self,
        store: &Store,
        now: u64,
        rotation: Rotation,
    ) -> Result<KeysSynced, SyncError> {
        // 1. Read: the stored ring, or ours stored as the first one.
        let ours = self.storable().to_stored();
        let stored = store.signing_keys_or_insert(&ours).await?;
        let loaded = KeyRing::from_stored(&stored.keys)?;
        let mut changed = loaded.clone();

        // 2. Complete: keys for each algorithm the ring lacks (the key file's is not stored).
        let file_alg = self.file_key.as_ref().map(SigningKey::alg);
        let mut added = Vec::new();
        for alg in ALGORITHMS {
            if Some(alg) != file_alg && changed.set_for(alg).is_none() {
                // Generating an RSA key is seconds of CPU: off the async workers.
                let set = tokio::task::spawn_blocking(move || KeySet::generate(alg, now)).await??;
                changed = changed.with_set(set);
                added.push(alg);
            }
        }

        // 3. Rotate each set whose current key has signed for a whole period.
        let mut rotated = Vec::new();
        for set in changed.sets_mut() {
            if set.rotation_due(now, rotation.every) {
                let alg = set.alg();
                let new_next =
                    tokio::task::spawn_blocking(move || SigningKey::generate(alg)).await??;
                set.rotate(new_next, now);
                rotated.push(alg);
            }
        }

        // 4. Prune retired keys whose signatures have all expired.
        let mut pruned = 0;
        for set in changed.sets_mut() {
            let before = set.retired().len();
            set.prune(now, rotation.retired_for());
            pruned += before - set.retired().len();
        }

        if added.is_empty() && rotated.is_empty() && pruned == 0 {
            // 6. Use the stored ring as it is.
            self.use_ring(loaded);
            return Ok(KeysSynced::Loaded {
                version: stored.version,
            });
        }
        // 5. Store, if nobody else changed the ring since step 1.
        match store
            .replace_signing_keys(stored.version, &changed.to_stored())
            .await?
        {
            KeySetSwap::Replaced => {
                self.use_ring(changed);
                Ok(KeysSynced::Changed {
                    version: stored.version + 1,
                    added,
                    rotated,
                    pruned,
                })
            }
            KeySetSwap::Outdated => {
                // Another instance changed it first: its ring is the one everybody uses.
                let winner = store.signing_keys_or_insert(&ours).await?;
                self.use_ring(KeyRing::from_stored(&winner.keys)?);
                Ok(KeysSynced::Loaded {
                    version: winner.version,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    fn algorithms_published(keys: &SigningKeys) -> Vec<String> {
        let mut algs: Vec<String> = keys.jwks().keys.into_iter().map(|jwk| jwk.alg).collect();
        algs.dedup();
        algs
    }

    #[test]
    fn a_key_file_is_the_one_key_of_its_algorithm_and_the_others_are_generated() {
        let key = SigningKey::generate(Algorithm::ES256).unwrap();
        let ring = startup_key_ring(Some(&key), 0).unwrap();
        assert_eq!(ring.signing_key(Algorithm::ES256).unwrap().kid(), key.kid());
        let es256: Vec<_> = ring.set_for(Algorithm::ES256).unwrap().jwks().keys;
        assert_eq!(es256.len(), 1, "only the file's key of its algorithm");
        assert!(ring.signing_key(Algorithm::RS256).is_some(), "RS256 always");
    }

    #[tokio::test]
    async fn a_key_file_is_never_stored_nor_rotated_and_the_other_algorithm_is() {
        let key = SigningKey::generate(Algorithm::ES256).unwrap();
        let keys = SigningKeys::at_start(Some(&key), 0).unwrap();
        let store = Store::Memory(MemoryStore::new());
        let rotation = Rotation {
            every: 10,
            id_token_ttl: 5,
        };
        keys.sync(&store, 0, rotation).await.unwrap();
        let synced = keys.sync(&store, 1_000_000, rotation).await.unwrap();
        assert!(
            matches!(&synced, KeysSynced::Changed { rotated, .. } if rotated == &[Algorithm::RS256]),
            "{synced:?}"
        );
        assert_eq!(keys.signing_key(Algorithm::ES256).unwrap().kid(), key.kid());
        assert_eq!(algorithms_published(&keys), ["RS256", "ES256"]);
        // What the store holds: the RS256 set only.
        let other = KeyRing::new([KeySet::generate(Algorithm::EdDSA, 0).unwrap()]);
        let stored = store
            .signing_keys_or_insert(&other.to_stored())
            .await
            .unwrap();
        let stored_algs: Vec<Algorithm> =
            stored.keys.sets.iter().map(|set| set.current.alg).collect();
        assert_eq!(stored_algs, [Algorithm::RS256]);
    }

    #[tokio::test]
    async fn a_stored_ring_without_es256_keys_gets_them_at_the_next_sync() {
        // A store written when the provider signed with RS256 only: one key set.
        let store = Store::Memory(MemoryStore::new());
        let rs256_only = KeyRing::new([generated_once(Algorithm::RS256, 0).unwrap()]);
        store
            .signing_keys_or_insert(&rs256_only.to_stored())
            .await
            .unwrap();
        let keys = SigningKeys::at_start(None, 0).unwrap();
        let rotation = Rotation {
            every: 3600,
            id_token_ttl: 600,
        };
        let synced = keys.sync(&store, 10, rotation).await.unwrap();
        assert!(
            matches!(&synced, KeysSynced::Changed { added, .. } if added == &[Algorithm::ES256]),
            "{synced:?}"
        );
        assert_eq!(algorithms_published(&keys), ["RS256", "ES256"]);
        let rs256 = keys.signing_key(Algorithm::RS256).unwrap();
        assert_eq!(
            rs256.kid(),
            rs256_only.signing_key(Algorithm::RS256).unwrap().kid()
        );
    }
}
