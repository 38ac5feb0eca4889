//! # The provider's signing keys: where they come from, and how they rotate (Core §10.1.1)
//!
//! Where the keys that sign ID tokens come from, in this order:
//!
//! 1. **a key file**: `SIGNING_KEY_FILE` names a PKCS#8 PEM (read and checked by
//!    [`crate::config`], so a bad file stops start-up naming the key). That one key signs and
//!    is the only one published: nothing rotates it but the operator, who replaces the file.
//!    It is never written to the store.
//! 2. **the store**: the key set another instance (or this one, before a restart) stored.
//!    Instances behind one Redis all sign with the same current key and publish the same
//!    JWKS, so an ID token from any of them verifies with the keys any of them serves.
//! 3. **generated**: at the very first start, two RS256 keys (Discovery 1.0 §3: "The
//!    algorithm RS256 MUST be included" in `id_token_signing_alg_values_supported`). The
//!    current one signs, the next one is already published (see [`super::keyset`]). They
//!    are offered to the store with a get-or-insert, so of two instances starting at once
//!    the first one's keys win and the other adopts them.
//!
//! ## Rotation, and why every instance reloads
//!
//! [`SigningKeys::sync`] runs at start and then every [`RELOAD_EVERY`] in the background
//! (`crate::startup`), in these steps:
//!
//! 1. **read** the stored set (get-or-insert: the first start stores ours);
//! 2. **rotate** if the current key has signed for `SIGNING_KEY_ROTATION`: the next key
//!    (published for a whole period already) signs, a fresh next key is published;
//! 3. **prune** retired keys whose signatures have all expired ([`Rotation::retired_for`]);
//! 4. **store** the result if it changed, with a compare-and-set on the set's version: when
//!    two instances rotate at once, one wins and the other adopts the winner's set, so the
//!    keys never fork;
//! 5. **use** the stored set: sign with its current key, publish its JWKS.
//!
//! An instance that has not reloaded yet still signs with the key another instance just
//! retired, for at most [`RELOAD_EVERY`]. That is why a retired key stays published for
//! the ID token lifetime *plus* the reload interval (and the clock skew verifiers allow):
//! every token signed with it expires before it leaves the JWKS. And its stale JWKS already
//! lists the new current key, which was published as "next" a whole period earlier.
//!
//! Generating a 2048-bit RSA key takes a second or two of CPU, so a process generates its
//! first key set once ([`generated_once`]): a second provider in the same process (the test
//! suites start dozens) starts with the same keys, as two instances behind one store would.

use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::time::Duration;

use super::keys::{Algorithm, Jwks, KeyError, SigningKey};
use super::keyset::KeySet;
use crate::store::{GrantStore, KeySetSwap, Store, StoreError};

/// How often each instance reads the stored key set (and rotates it when due).
pub const RELOAD_EVERY: Duration = Duration::from_secs(30);

/// How far past `exp` a verifier may still accept a token (the clock skew it allows):
/// a retired key stays published this much longer.
pub const VERIFIER_SKEW: Duration = Duration::from_secs(60);

/// The key set the provider starts with: the key file's one key, or generated keys.
pub fn startup_key_set(file_key: Option<&SigningKey>, now: u64) -> Result<KeySet, KeyError> {
    match file_key {
        Some(key) => Ok(KeySet::single(key.clone(), now)),
        None => generated_once(now),
    }
}

/// Two RS256 keys made at the first call in this process, the same ones afterwards.
fn generated_once(now: u64) -> Result<KeySet, KeyError> {
    static GENERATED: OnceLock<KeySet> = OnceLock::new();
    if let Some(set) = GENERATED.get() {
        return Ok(set.clone());
    }
    // Two callers racing here both generate; the first to finish wins and both use its keys.
    let fresh = KeySet::generate(Algorithm::RS256, now)?;
    Ok(GENERATED.get_or_init(|| fresh).clone())
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeysSynced {
    /// `SIGNING_KEY_FILE` is set: nothing is stored and nothing rotates.
    KeyFile,
    /// The stored set (at `version`) is in use; this instance changed nothing.
    Loaded { version: u64 },
    /// This instance rotated and/or pruned the set and stored it as `version`.
    Changed {
        version: u64,
        rotated: bool,
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

/// The key set in use: the one that signs now and the JWKS published now. Shared by every
/// worker; [`SigningKeys::sync`] swaps in the stored set.
#[derive(Debug)]
pub struct SigningKeys {
    in_use: RwLock<Arc<KeySet>>,
    /// A key file's key: never stored, never rotated.
    from_file: bool,
}

impl SigningKeys {
    /// The keys at start: the key file's, or this process's generated ones (replaced by the
    /// stored set at the first [`SigningKeys::sync`]).
    pub fn at_start(file_key: Option<&SigningKey>, now: u64) -> Result<SigningKeys, KeyError> {
        Ok(SigningKeys {
            in_use: RwLock::new(Arc::new(startup_key_set(file_key, now)?)),
            from_file: file_key.is_some(),
        })
    }

    /// The key set in use, as one consistent snapshot.
    pub fn key_set(&self) -> Arc<KeySet> {
        // A panic elsewhere cannot leave the set half replaced: it is swapped whole.
        self.in_use
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The key that signs now.
    pub fn signing_key(&self) -> SigningKey {
        self.key_set().signing_key().clone()
    }

    /// The public JWK Set to serve at `jwks_uri` now.
    pub fn jwks(&self) -> Jwks {
        self.key_set().jwks()
    }

    fn use_set(&self, set: KeySet) {
        *self.in_use.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(set);
    }

    /// Reads the stored set, rotates and prunes it when due, stores the result and uses
    /// it: the steps of the module doc, at `now` (seconds since the epoch).
    pub async fn sync(
        &self,
        store: &Store,
        now: u64,
        rotation: Rotation,
    ) -> Result<KeysSynced, SyncError> {
        if self.from_file {
            return Ok(KeysSynced::KeyFile);
        }
        // 1. Read: the stored set, or ours stored as the first one.
        let ours = self.key_set().to_stored();
        let stored = store.signing_keys_or_insert(&ours).await?;
        let loaded = KeySet::from_stored(&stored.keys)?;

        // 2. Rotate when the current key has signed for a whole period.
        let mut changed = loaded.clone();
        let rotated = changed.rotation_due(now, rotation.every);
        if rotated {
            let alg = changed.next_key().alg();
            // Generating an RSA key is seconds of CPU: off the async workers.
            let new_next = tokio::task::spawn_blocking(move || SigningKey::generate(alg)).await??;
            changed.rotate(new_next, now);
        }
        // 3. Prune retired keys whose signatures have all expired.
        let before = changed.retired().len();
        changed.prune(now, rotation.retired_for());
        let pruned = before - changed.retired().len();

        if !rotated && pruned == 0 {
            // 5. Use the stored set as it is.
            self.use_set(loaded);
            return Ok(KeysSynced::Loaded {
                version: stored.version,
            });
        }
        // 4. Store, if nobody else changed the set since step 1.
        match store
            .replace_signing_keys(stored.version, &changed.to_stored())
            .await?
        {
            KeySetSwap::Replaced => {
                self.use_set(changed);
                Ok(KeysSynced::Changed {
                    version: stored.version + 1,
                    rotated,
                    pruned,
                })
            }
            KeySetSwap::Outdated => {
                // Another instance rotated first: its set is the one everybody uses.
                let winner = store.signing_keys_or_insert(&ours).await?;
                self.use_set(KeySet::from_stored(&winner.keys)?);
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

    #[test]
    fn a_key_file_is_the_one_key_that_signs_and_is_published() {
        let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
        let set = startup_key_set(Some(&key), 0).unwrap();
        assert_eq!(set.signing_key().kid(), key.kid());
        let kids: Vec<_> = set.jwks().keys.into_iter().map(|jwk| jwk.kid).collect();
        assert_eq!(kids, vec![key.kid().to_owned()]);
    }

    #[tokio::test]
    async fn a_key_file_is_never_stored_nor_rotated() {
        let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
        let keys = SigningKeys::at_start(Some(&key), 0).unwrap();
        let store = Store::Memory(MemoryStore::new());
        let rotation = Rotation {
            every: 10,
            id_token_ttl: 5,
        };
        let synced = keys.sync(&store, 1_000_000, rotation).await.unwrap();
        assert_eq!(synced, KeysSynced::KeyFile);
        assert_eq!(keys.signing_key().kid(), key.kid());
        // Nothing was stored: a candidate offered now is the one that stays.
        let other = KeySet::generate(Algorithm::EdDSA, 0).unwrap();
        let stored = store
            .signing_keys_or_insert(&other.to_stored())
            .await
            .unwrap();
        assert_eq!(stored.keys, other.to_stored());
    }
}
