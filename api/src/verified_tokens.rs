//! Remembering JWT access tokens already verified, so a client that sends the same token on
//! every call (as RFC 6750 §2.1 clients do) costs one signature check, not one per request.
//!
//! Why: checking an RS256 signature is the most expensive step of RFC 9068 §4 by far (an
//! RSA public-key operation, tens of microseconds); everything else is a few string compares.
//! A verified token cannot change (the signature covers every byte of header and claims),
//! so what was true of its signature, `typ`, `alg`, `iss` and `aud` stays true. Only time
//! and the issuer's key set can change the answer, and those are checked on every request:
//!
//! 1. The token is looked up by its SHA-256, never kept itself (a memory dump or a debug
//!    print of the map gives nothing that can be replayed). A different token, even one
//!    with the same `jti` or claims but another signature, has another hash: it is checked
//!    in full.
//! 2. Step 9 of [`crate::access_token`] again, against now: "The current time MUST be before
//!    the time represented by the `exp` Claim" (RFC 7519 §4.1.4). An entry is never used past
//!    its token's `exp`.
//! 3. The key set it was verified under is still the one the API holds: when a refetch of
//!    the JWK Set drops or changes a key the API had, every remembered token is checked in
//!    full again, so a key rotated away is refused exactly as without this cache.
//!
//! The scope a route needs is checked after, per request, in [`crate::bearer`]. Only tokens
//! that passed every step are remembered (a refused one would let anyone fill the map), and
//! the map holds at most `JWT_CACHE_ENTRIES` of them: when full, expired ones go; if none has
//! expired, the new token is simply not remembered. `JWT_CACHE_ENTRIES=0` turns this off.

use std::collections::HashMap;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::access_token::{self, Refused, Step};
use crate::authorization_server::AuthorizationServer;
use crate::bearer::Caller;

/// Verified tokens by SHA-256: who they speak for, until when, under which key set.
pub struct VerifiedTokens {
    capacity: usize,
    entries: Mutex<Entries>,
}

/// The map, and the earliest `exp` in it: while that is still ahead, a full map has nothing
/// to drop and is not scanned (a full map of live tokens would otherwise be walked, lock
/// held, for every new token).
#[derive(Default)]
struct Entries {
    by_hash: HashMap<[u8; 32], Remembered>,
    /// At most the smallest `exp` of the entries (removals may leave it lower: that only
    /// costs one scan, which sets it right).
    earliest_exp: u64,
}

struct Remembered {
    caller: Caller,
    /// The token's `exp` (seconds since the epoch).
    exp: u64,
    /// [`AuthorizationServer::keys_generation`] when its signature was checked.
    keys_generation: u64,
}

impl VerifiedTokens {
    /// A cache of at most `capacity` tokens; 0 remembers nothing.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(Entries::default()),
        }
    }

    /// How many tokens are remembered now (for tests and operators).
    pub fn len(&self) -> usize {
        self.lock().by_hash.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// RFC 9068 §4 for `token`: from memory when it was verified before (steps 1–3 above),
    /// else every step of [`access_token::verify`], remembering the token if it passes.
    pub async fn validate(
        &self,
        token: &str,
        issuer: &AuthorizationServer,
        audience: &str,
        now: u64,
    ) -> Result<Caller, Refused> {
        if self.capacity == 0 {
            return access_token::validate(token, issuer, audience, now).await;
        }
        // 1. By hash.
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        // Read before the check, so a key set replaced during it makes the entry stale.
        let generation = issuer.keys_generation();
        if let Some(remembered) = self.recall(&key, generation, now)? {
            return Ok(remembered);
        }
        let verified = access_token::verify(token, issuer, audience, now).await?;
        self.remember(key, &verified.caller, verified.exp, generation, now);
        Ok(verified.caller)
    }

    /// Steps 2 and 3 on the entry for `key`, if there is one. `Ok(None)`: check in full.
    fn recall(&self, key: &[u8; 32], generation: u64, now: u64) -> Result<Option<Caller>, Refused> {
        let entries = &mut self.lock().by_hash;
        let Some(remembered) = entries.get(key) else {
            return Ok(None);
        };
        // 2. Lifetime, against now: an expired token is refused, and forgotten.
        if !access_token::within_lifetime(remembered.exp, None, now) {
            entries.remove(key);
            return Err(Refused::At(Step::Lifetime));
        }
        // 3. Same key set: otherwise forget it and check it in full against the new one.
        if remembered.keys_generation != generation {
            entries.remove(key);
            return Ok(None);
        }
        Ok(Some(remembered.caller.clone()))
    }

    fn remember(&self, key: [u8; 32], caller: &Caller, exp: u64, generation: u64, now: u64) {
        let mut entries = self.lock();
        let Entries {
            by_hash,
            earliest_exp,
        } = &mut *entries;
        if by_hash.len() >= self.capacity && !by_hash.contains_key(&key) {
            if access_token::within_lifetime(*earliest_exp, None, now) {
                return; // Full, and not one entry has expired yet.
            }
            by_hash
                .retain(|_, remembered| access_token::within_lifetime(remembered.exp, None, now));
            *earliest_exp = by_hash
                .values()
                .map(|remembered| remembered.exp)
                .min()
                .unwrap_or(0);
            if by_hash.len() >= self.capacity {
                return;
            }
        }
        *earliest_exp = if by_hash.is_empty() {
            exp
        } else {
            (*earliest_exp).min(exp)
        };
        by_hash.insert(
            key,
            Remembered {
                caller: caller.clone(),
                exp,
                keys_generation: generation,
            },
        );
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // Each operation is one insert, remove or retain: a panic elsewhere while the lock
        // was held cannot leave the map half-written, so a poisoned lock is still usable.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
