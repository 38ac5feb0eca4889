//! The in-memory store (`STORE=memory`, the default): codes, tokens and grants, keyed by
//! hash, in `DashMap`s of this process.
//!
//! Each operation is atomic under the map's locks and keeps the promises of
//! [`GrantStore`](super::GrantStore), implemented once, by the trait: nothing here awaits,
//! so every future is ready at its first poll. The commits re-check,
//! under the entry's lock, what may have changed since the handler's lookup (a code's
//! used flag, a family's generation). Expired entries stay until
//! [`GrantStore::purge_expired`](super::GrantStore::purge_expired), which the server runs every `PURGE_INTERVAL`.
//!
//! Only SHA-256 hashes of tokens and codes are kept. Locks are always taken in one order,
//! codes, then grants, then tokens, so two operations can never wait on each other in a cycle.

use std::collections::HashSet;
use std::sync::Mutex;

use dashmap::DashMap;

use crate::domain::grant::{AuthorizationCode, Resources, TokenKind, TokenRecord};
use crate::domain::ids::{ClientId, GrantId, UserId};
use crate::domain::scope::ScopeSet;
use crate::domain::token::{FamilySalt, TokenHash};

use crate::openid::keyset::StoredKeyRing;

use super::{
    Commit, Family, FoundCode, GrantStore, GrantSummary, KeySetSwap, Purged, StoreError, StoreSize,
    TokenSummary, VersionedKeySet, access_audience, refresh_expiry,
};

/// A code and whether it has been used.
#[derive(Debug)]
struct CodeEntry {
    code: AuthorizationCode,
    redeemed: bool,
}

/// A token. Only live ones are kept: a rotation removes the tokens it supersedes, and reuse
/// of a retired refresh token is detected from its family's generation instead.
#[derive(Debug)]
struct TokenEntry {
    record: TokenRecord,
}

/// A grant's refresh family: fixed size, however often it rotates.
#[derive(Debug, Clone, Copy)]
struct FamilyEntry {
    generation: u64,
    salt: FamilySalt,
    refresh_expires_at: u64,
}

/// One authorization and the hashes of every token it produced.
#[derive(Debug)]
struct GrantEntry {
    client_id: ClientId,
    user_id: UserId,
    scopes: ScopeSet,
    resources: Resources,
    created_at: u64,
    /// The user's login time (seconds), for the ID tokens of refreshes.
    auth_time: u64,
    /// The provider session of that login, for the ID tokens' `sid`.
    sid: Option<String>,
    /// The grant's code, kept for the family view; not the code itself.
    code: TokenHash,
    /// Kept at least this long even without tokens (the code may still be redeemed).
    keep_until: u64,
    /// The live tokens: the current refresh token and an access token per audience (and,
    /// until the next rotation or purge, the hashes of any revoked one by one).
    tokens: Vec<TokenHash>,
    /// Set when the code is redeemed.
    family: Option<FamilyEntry>,
    revoked: bool,
}

/// A map keeps the room it grew to after its entries are removed. Once three quarters of
/// it stands empty, hand the room back: after a burst of short-lived tokens, memory returns
/// to what the live ones need. (Not at every purge: a map at its steady size, or a small
/// one, is left alone.)
fn shrink_if_mostly_empty<K, V>(map: &DashMap<K, V>)
where
    K: Eq + std::hash::Hash,
{
    const SMALL: usize = 4096;
    if map.capacity() > SMALL && map.len() * 4 < map.capacity() {
        map.shrink_to_fit();
    }
}

/// The in-memory store.
#[derive(Debug, Default)]
pub struct MemoryStore {
    codes: DashMap<TokenHash, CodeEntry>,
    tokens: DashMap<TokenHash, TokenEntry>,
    grants: DashMap<GrantId, GrantEntry>,
    /// The keys that sign ID tokens, once stored: one record, replaced whole (boxed: it is
    /// large, and most stores hold it for good).
    signing_keys: Mutex<Option<Box<VersionedKeySet>>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds tokens to a grant whose lock the caller holds.
    fn add_to_grant(&self, grant: &mut GrantEntry, tokens: Vec<(TokenHash, TokenRecord)>) {
        for (hash, record) in tokens {
            grant.keep_until = grant.keep_until.max(record.expires_at);
            grant.tokens.push(hash);
            self.tokens.insert(hash, TokenEntry { record });
        }
    }

    /// Empties a grant whose lock the caller holds, and marks it revoked so nothing joins it.
    fn revoke_locked(&self, grant: &mut GrantEntry) {
        grant.revoked = true;
        for hash in grant.tokens.drain(..) {
            self.tokens.remove(&hash);
        }
    }
}

/// The contract, kept under the maps' locks: the memory store never fails, and never
/// waits (every future below is ready at its first poll).
impl GrantStore for MemoryStore {
    async fn start_grant(
        &self,
        code_hash: TokenHash,
        code: AuthorizationCode,
        now: u64,
    ) -> Result<(), StoreError> {
        self.grants.insert(
            code.grant_id.clone(),
            GrantEntry {
                client_id: code.client_id.clone(),
                user_id: code.user_id.clone(),
                scopes: code.scopes,
                resources: code.resources,
                created_at: now,
                auth_time: code.auth_time,
                sid: code.sid.clone(),
                code: code_hash,
                keep_until: code.expires_at,
                tokens: Vec::new(),
                family: None,
                revoked: false,
            },
        );
        self.codes.insert(
            code_hash,
            CodeEntry {
                code,
                redeemed: false,
            },
        );
        Ok(())
    }

    async fn find_code(&self, code_hash: &TokenHash) -> Result<Option<FoundCode>, StoreError> {
        Ok(self.codes.get(code_hash).map(|entry| FoundCode {
            code: entry.code.clone(),
            used: entry.redeemed,
        }))
    }

    async fn commit_code(
        &self,
        code_hash: &TokenHash,
        _code: &AuthorizationCode,
        salt: FamilySalt,
        tokens: Vec<(TokenHash, TokenRecord)>,
    ) -> Result<Commit, StoreError> {
        let Some(mut entry) = self.codes.get_mut(code_hash) else {
            return Ok(Commit::Revoked);
        };
        if entry.redeemed {
            return Ok(Commit::Replayed);
        }
        // Still holding the code's lock: a replay waits for it, and then finds the tokens
        // it must revoke already in the family.
        let Some(mut grant) = self
            .grants
            .get_mut(&entry.code.grant_id)
            .filter(|grant| !grant.revoked)
        else {
            return Ok(Commit::Revoked);
        };
        entry.redeemed = true;
        grant.family = Some(FamilyEntry {
            generation: 0,
            salt,
            refresh_expires_at: refresh_expiry(&tokens),
        });
        self.add_to_grant(&mut grant, tokens);
        Ok(Commit::Committed)
    }

    async fn save_standalone_token(
        &self,
        hash: TokenHash,
        record: TokenRecord,
    ) -> Result<(), StoreError> {
        self.tokens.insert(hash, TokenEntry { record });
        Ok(())
    }

    async fn find_active(
        &self,
        hash: &TokenHash,
        now: u64,
    ) -> Result<Option<TokenRecord>, StoreError> {
        Ok(self
            .tokens
            .get(hash)
            .filter(|entry| !entry.record.is_expired(now))
            .map(|entry| entry.record.clone()))
    }

    async fn find_known(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError> {
        Ok(self.tokens.get(hash).map(|entry| entry.record.clone()))
    }

    async fn find_family(&self, grant_id: &GrantId) -> Result<Option<Family>, StoreError> {
        let Some(grant) = self.grants.get(grant_id).filter(|grant| !grant.revoked) else {
            return Ok(None);
        };
        Ok(grant.family.map(|family| Family {
            grant_id: grant.key().clone(),
            client_id: grant.client_id.clone(),
            user_id: grant.user_id.clone(),
            scopes: grant.scopes,
            resources: grant.resources,
            created_at: grant.created_at,
            auth_time: grant.auth_time,
            sid: grant.sid.clone(),
            generation: family.generation,
            salt: family.salt,
            refresh_expires_at: family.refresh_expires_at,
        }))
    }

    /// Compare-and-set on the family's generation, under the grant's lock.
    async fn commit_rotation(
        &self,
        family: &Family,
        from: u64,
        tokens: Vec<(TokenHash, TokenRecord)>,
    ) -> Result<Commit, StoreError> {
        let Some(mut grant) = self
            .grants
            .get_mut(&family.grant_id)
            .filter(|grant| !grant.revoked)
        else {
            return Ok(Commit::Revoked);
        };
        let Some(current) = grant
            .family
            .as_mut()
            .filter(|current| current.generation == from)
        else {
            return Ok(Commit::Replayed);
        };
        current.generation = from + 1;
        current.refresh_expires_at = refresh_expiry(&tokens);
        // RFC 8707 §2.2: one authorization, a token per resource. The new access token
        // replaces the one for its own audience; the other audience's stays valid.
        let audience = access_audience(&tokens);
        // Grant first, then the tokens: the order every operation locks in. A hash whose
        // token is already gone (revoked one by one) leaves the list too.
        grant.tokens.retain(|hash| {
            let superseded = match self.tokens.get(hash) {
                None => return false,
                Some(entry) => match entry.record.kind {
                    TokenKind::Refresh => true,
                    TokenKind::Access => Some(entry.record.audience) == audience,
                },
            };
            if superseded {
                self.tokens.remove(hash);
            }
            !superseded
        });
        self.add_to_grant(&mut grant, tokens);
        Ok(Commit::Committed)
    }

    async fn revoke_grant(&self, grant_id: &GrantId) -> Result<(), StoreError> {
        if let Some(mut grant) = self.grants.get_mut(grant_id) {
            self.revoke_locked(&mut grant);
        }
        Ok(())
    }

    async fn revoke_token(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError> {
        let Some(record) = self.tokens.get(hash).map(|entry| entry.record.clone()) else {
            return Ok(None);
        };
        match (&record.kind, &record.grant_id) {
            (TokenKind::Refresh, Some(grant_id)) => self.revoke_grant(grant_id).await?,
            _ => {
                self.tokens.remove(hash);
            }
        }
        Ok(Some(record))
    }

    async fn grants_of_user(
        &self,
        user_id: &UserId,
        now: u64,
    ) -> Result<Vec<GrantSummary>, StoreError> {
        let grants = self
            .grants
            .iter()
            .filter(|grant| !grant.revoked && grant.user_id == *user_id)
            .filter_map(|grant| {
                let tokens = grant.tokens.iter().filter_map(|hash| {
                    let entry = self.tokens.get(hash)?;
                    Some(TokenSummary::of(hash, &entry.record, now))
                });
                GrantSummary {
                    id: grant.key().clone(),
                    client_id: grant.client_id.clone(),
                    scopes: grant.scopes,
                    created_at: grant.created_at,
                    code_fingerprint: grant.code.fingerprint(),
                    tokens: tokens.collect(),
                }
                .if_live()
            });
        Ok(GrantSummary::newest_first(grants))
    }

    async fn grant_belongs_to(
        &self,
        grant_id: &GrantId,
        user_id: &UserId,
    ) -> Result<bool, StoreError> {
        Ok(self
            .grants
            .get(grant_id)
            .is_some_and(|grant| grant.user_id == *user_id))
    }

    /// Drops expired codes and tokens, and grants with nothing left alive; then gives the
    /// maps' spare room back, so memory follows the tokens alive now rather than the most
    /// that were ever alive at once.
    async fn purge_expired(&self, now: u64) -> Result<Purged, StoreError> {
        // Counted as they go: requests keep inserting while this runs, so "length before
        // minus length after" could be negative.
        let mut purged = Purged::default();
        self.codes.retain(|_, entry| {
            let keep = now < entry.code.expires_at;
            purged.codes += usize::from(!keep);
            keep
        });
        // The grants that lost a token here. Only their lists are pruned below: walking
        // every token of every grant would hold the grants' locks (and stall token
        // requests) for as long as there are tokens, even when nothing had expired.
        let mut touched: HashSet<GrantId> = HashSet::new();
        self.tokens.retain(|_, entry| {
            let keep = !entry.record.is_expired(now);
            if !keep {
                purged.tokens += 1;
                if let Some(grant_id) = &entry.record.grant_id {
                    touched.insert(grant_id.clone());
                }
            }
            keep
        });
        self.grants.retain(|grant_id, grant| {
            // Past `keep_until` every token of the grant has expired; the list may still
            // name tokens revoked one by one, which no expiry reports.
            if touched.contains(grant_id) || now >= grant.keep_until {
                grant.tokens.retain(|hash| self.tokens.contains_key(hash));
            }
            let keep = !grant.revoked && (now < grant.keep_until || !grant.tokens.is_empty());
            purged.grants += usize::from(!keep);
            keep
        });
        shrink_if_mostly_empty(&self.codes);
        shrink_if_mostly_empty(&self.tokens);
        shrink_if_mostly_empty(&self.grants);
        Ok(purged)
    }

    async fn size(&self) -> Result<StoreSize, StoreError> {
        Ok(StoreSize {
            codes: self.codes.len(),
            tokens: self.tokens.len(),
            grants: self.grants.len(),
        })
    }

    async fn signing_keys_or_insert(
        &self,
        candidate: &StoredKeyRing,
    ) -> Result<VersionedKeySet, StoreError> {
        let mut stored = self.signing_keys_lock();
        let stored = stored.get_or_insert_with(|| {
            Box::new(VersionedKeySet {
                version: 1,
                keys: candidate.clone(),
            })
        });
        Ok(VersionedKeySet::clone(stored))
    }

    async fn replace_signing_keys(
        &self,
        from_version: u64,
        keys: &StoredKeyRing,
    ) -> Result<KeySetSwap, StoreError> {
        let mut stored = self.signing_keys_lock();
        match stored.as_mut() {
            Some(current) if current.version == from_version => {
                **current = VersionedKeySet {
                    version: from_version + 1,
                    keys: keys.clone(),
                };
                Ok(KeySetSwap::Replaced)
            }
            _ => Ok(KeySetSwap::Outdated),
        }
    }
}

impl MemoryStore {
    /// The stored key set's lock. A panic while it was held cannot leave it half written
    /// (each write replaces the whole value), so a poisoned lock is still safe to use.
    fn signing_keys_lock(&self) -> std::sync::MutexGuard<'_, Option<Box<VersionedKeySet>>> {
        self.signing_keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;
    use crate::domain::pkce::CodeChallenge;
    use crate::domain::token::mint;

    const NOW: u64 = 1_000_000;

    fn code(grant_id: &str) -> AuthorizationCode {
        AuthorizationCode {
            grant_id: grant_id.into(),
            client_id: "testclient".into(),
            nonce: None,
            auth_time: 0,
            sid: None,
            user_id: "user1".into(),
            redirect_uri: Some("http://localhost:3000/callback".into()),
            scopes: ScopeSet::DEFAULT,
            resources: Resources::DEFAULT,
            code_challenge: CodeChallenge::parse("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
                .expect("well formed"),
            expires_at: NOW + 60_000,
        }
    }

    fn token(kind: TokenKind, grant_id: &str, expires_at: u64) -> (TokenHash, TokenRecord) {
        (
            mint().hash,
            TokenRecord {
                kind,
                grant_id: Some(grant_id.into()),
                client_id: "testclient".into(),
                user_id: Some("user1".into()),
                scopes: ScopeSet::DEFAULT,
                audience: crate::domain::grant::Audience::Provider,
                issued_at: NOW,
                expires_at,
            },
        )
    }

    /// What a memory store operation answered: it never waits and never fails.
    fn ready<T>(operation: impl Future<Output = Result<T, StoreError>>) -> T {
        operation
            .now_or_never()
            .expect("the memory store never waits")
            .expect("the memory store never fails")
    }

    /// A store whose grant `g1` has redeemed its code with `tokens`.
    fn redeemed(store: &MemoryStore, tokens: Vec<(TokenHash, TokenRecord)>) -> Family {
        let (code_hash, issued) = (mint().hash, code("g1"));
        ready(store.start_grant(code_hash, issued.clone(), NOW));
        let salt = FamilySalt::random();
        let committed = ready(store.commit_code(&code_hash, &issued, salt, tokens));
        assert_eq!(committed, Commit::Committed);
        ready(store.find_family(&"g1".into())).expect("started")
    }

    #[test]
    fn a_code_is_committed_once_and_the_second_commit_is_a_replay() {
        let store = MemoryStore::new();
        let (hash, issued) = (mint().hash, code("g1"));
        ready(store.start_grant(hash, issued.clone(), NOW));
        assert!(!ready(store.find_code(&hash)).expect("known").used);
        let salt = FamilySalt::random();
        assert_eq!(
            ready(store.commit_code(&hash, &issued, salt, Vec::new())),
            Commit::Committed
        );
        assert!(ready(store.find_code(&hash)).expect("known").used);
        assert_eq!(
            ready(store.commit_code(&hash, &issued, salt, Vec::new())),
            Commit::Replayed
        );
        assert_eq!(
            ready(store.find_family(&"g1".into()))
                .expect("started")
                .generation,
            0
        );
    }

    #[test]
    fn revoking_a_grant_removes_every_token_and_refuses_new_ones() {
        let store = MemoryStore::new();
        let access = token(TokenKind::Access, "g1", NOW + 1000);
        let refresh = token(TokenKind::Refresh, "g1", NOW + 1000);
        let (access_hash, refresh_hash) = (access.0, refresh.0);
        let family = redeemed(&store, vec![access, refresh]);
        ready(store.revoke_grant(&"g1".into()));
        assert!(ready(store.find_active(&access_hash, NOW)).is_none());
        assert!(ready(store.find_active(&refresh_hash, NOW)).is_none());
        let late = token(TokenKind::Access, "g1", NOW + 1000);
        let late_hash = late.0;
        assert_eq!(
            ready(store.commit_rotation(&family, 0, vec![late])),
            Commit::Revoked
        );
        assert!(ready(store.find_known(&late_hash)).is_none());
    }

    #[test]
    fn a_rotation_commits_once_per_generation_and_removes_the_pair_it_supersedes() {
        let store = MemoryStore::new();
        let first = token(TokenKind::Refresh, "g1", NOW + 1000);
        let first_hash = first.0;
        let family = redeemed(&store, vec![first]);
        let next = token(TokenKind::Refresh, "g1", NOW + 2000);
        let next_hash = next.0;
        assert_eq!(
            ready(store.commit_rotation(&family, 0, vec![next])),
            Commit::Committed
        );
        assert!(
            ready(store.find_active(&first_hash, NOW)).is_none(),
            "superseded"
        );
        assert!(ready(store.find_active(&next_hash, NOW)).is_some());
        let moved = ready(store.find_family(&"g1".into())).expect("live");
        assert_eq!(
            (moved.generation, moved.refresh_expires_at),
            (1, NOW + 2000)
        );
        let late = token(TokenKind::Refresh, "g1", NOW + 2000);
        assert_eq!(
            ready(store.commit_rotation(&family, 0, vec![late])),
            Commit::Replayed
        );
        assert_eq!(
            ready(store.size()).tokens,
            1,
            "the loser's tokens never joined"
        );
    }

    #[test]
    fn purging_drops_expired_entries_and_keeps_live_ones() {
        let store = MemoryStore::new();
        let short = token(TokenKind::Access, "g1", NOW + 10);
        let long = token(TokenKind::Refresh, "g1", NOW + 100_000);
        let long_hash = long.0;
        redeemed(&store, vec![short, long]);
        let purged = ready(store.purge_expired(NOW + 70_000));
        assert_eq!(
            purged,
            Purged {
                codes: 1,
                tokens: 1,
                grants: 0
            }
        );
        assert!(ready(store.find_active(&long_hash, NOW + 70_000)).is_some());
        let purged = ready(store.purge_expired(NOW + 200_000));
        assert_eq!(
            purged,
            Purged {
                codes: 0,
                tokens: 1,
                grants: 1
            }
        );
        assert_eq!(ready(store.size()), StoreSize::default());
    }

    #[test]
    fn a_grant_whose_token_was_revoked_alone_is_still_purged_after_its_lifetime() {
        let store = MemoryStore::new();
        let access = token(TokenKind::Access, "g1", NOW + 1000);
        let access_hash = access.0;
        redeemed(&store, vec![access]);
        // Revoked alone (RFC 7009): gone from the tokens, so no expiry will report it.
        assert!(ready(store.revoke_token(&access_hash)).is_some());
        let purged = ready(store.purge_expired(NOW + 200_000));
        assert_eq!(purged.grants, 1, "the grant outlived all its tokens");
        assert_eq!(ready(store.size()), StoreSize::default());
    }

    #[test]
    fn after_a_burst_of_tokens_expires_the_maps_give_their_room_back() {
        let store = MemoryStore::new();
        for _ in 0..20_000 {
            let mut record = token(TokenKind::Access, "unused", NOW + 10).1;
            record.grant_id = None;
            ready(store.save_standalone_token(mint().hash, record));
        }
        let grown = store.tokens.capacity();
        assert!(grown >= 20_000);
        let purged = ready(store.purge_expired(NOW + 20));
        assert_eq!(purged.tokens, 20_000);
        assert!(
            store.tokens.capacity() < grown / 4,
            "the map kept room for {} tokens",
            store.tokens.capacity()
        );
    }

    #[test]
    fn purging_while_tokens_are_being_saved_counts_only_what_it_removed() {
        let store = MemoryStore::new();
        let rounds = 4_000;
        let purged = std::thread::scope(|scope| {
            // Tokens keep arriving, as requests do, while purges run: half already expired.
            let writer = scope.spawn(|| {
                for _ in 0..rounds {
                    for expires_at in [NOW, NOW + 60_000] {
                        let (hash, record) = token(TokenKind::Access, "g1", expires_at);
                        ready(store.save_standalone_token(hash, record));
                    }
                }
            });
            let mut purged = 0;
            while !writer.is_finished() {
                purged += ready(store.purge_expired(NOW)).tokens;
            }
            purged + ready(store.purge_expired(NOW)).tokens
        });
        assert_eq!(purged, rounds);
        assert_eq!(ready(store.size()).tokens, rounds);
    }
}
