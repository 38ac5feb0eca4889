//! # The provider's key set at start-up (Core §10.1, Discovery 1.0 §3)
//!
//! Where the keys that sign ID tokens come from, in this order:
//!
//! 1. **a key file**: `SIGNING_KEY_FILE` names a PKCS#8 PEM (read and checked by
//!    [`crate::config`], so a bad file stops start-up naming the key). That one key signs and
//!    is the only one published: nothing rotates it but the operator, who replaces the file.
//! 2. **generated**: two RS256 keys (Discovery 1.0 §3: "The algorithm RS256 MUST be
//!    included" in `id_token_signing_alg_values_supported`; a Relying Party that registered
//!    no algorithm expects RS256, Core §2 and Dynamic Client Registration §2). The current
//!    one signs, the next one is already published (see [`super::keyset`]).
//!
//! Generating a 2048-bit RSA key takes a second or two of CPU, so a process generates its
//! key set once ([`generated_once`]): a second provider in the same process (the test
//! suites start dozens) publishes and signs with the same keys, as two instances behind one
//! store would.

use std::sync::OnceLock;

use super::keys::{Algorithm, KeyError, SigningKey};
use super::keyset::KeySet;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_is_the_one_key_that_signs_and_is_published() {
        let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
        let set = startup_key_set(Some(&key), 0).unwrap();
        assert_eq!(set.signing_key().kid(), key.kid());
        let kids: Vec<_> = set.jwks().keys.into_iter().map(|jwk| jwk.kid).collect();
        assert_eq!(kids, vec![key.kid().to_owned()]);
    }
}
