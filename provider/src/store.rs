//! The store: codes, tokens and grants, keyed by hash, in memory or in Redis.
//!
//! A small vocabulary, [`GrantStore`], with one promise per operation that both backends
//! keep ([`memory::MemoryStore`], the default, and [`redis::RedisStore`], `STORE=redis://…`):
//!
//! | operation | promise |
//! |---|---|
//! | [`GrantStore::start_grant`] | a new family exists with its code; tokens can only be added to a live grant |
//! | [`GrantStore::find_code`] | one lookup by hash: the code and whether it was already redeemed |
//! | [`GrantStore::commit_code`] | a code is redeemed at most once, even by concurrent requests on several instances; its first token pair and its refresh family (generation 0) join the grant in the same step; otherwise it answers replayed (lost to another use) or revoked |
//! | [`GrantStore::save_standalone_token`] | a token of no grant (`client_credentials`) is kept until it expires |
//! | [`GrantStore::find_active`] | one lookup by hash; expired, superseded or revoked tokens are never returned |
//! | [`GrantStore::find_known`] | one lookup by hash that also finds expired tokens (for revocation), never revoked or superseded ones |
//! | [`GrantStore::find_family`] | a grant's refresh family: its generation and salt, fixed-size however often it rotated |
//! | [`GrantStore::commit_rotation`] | compare-and-set on the generation: of any number of concurrent rotations from one generation exactly one commits; in the same step it removes the refresh token it replaces and the access token of the new one's audience, while an access token for another audience stays valid (RFC 8707 §2.2: one authorization, a token per resource) |
//! | [`GrantStore::revoke_grant`] | every token of the family is gone when it returns, and none can join it afterwards |
//! | [`GrantStore::revoke_token`] | an access token goes alone; a refresh token takes its grant with it |
//! | [`GrantStore::purge_expired`] | memory follows live tokens, not tokens ever issued (Redis: every key carries a TTL, so Redis expires them itself) |
//! | [`GrantStore::signing_keys_or_insert`] | the one stored key set, or `candidate` stored as version 1 if there was none: instances starting at once all end with the same set |
//! | [`GrantStore::replace_signing_keys`] | compare-and-set on the key set's version: of concurrent rotations from one version exactly one replaces it, so the set never forks |
//!
//! Only SHA-256 hashes of tokens and codes are kept, in either backend, and a grant's
//! refresh family is a fixed-size record: its current generation and a random salt (see
//! [`RefreshTokenKey`](crate::domain::token::RefreshTokenKey)). Nothing is kept per
//! retired refresh token, so a grant's footprint does not grow as it rotates (one
//! refresh token, and one access token per audience at most).
//!
//! ## Two phases: find, then commit
//!
//! The protocol's decisions live in the token endpoint, not here. A handler *finds* what
//! it needs ([`find_code`](GrantStore::find_code), [`find_family`](GrantStore::find_family)),
//! runs its checks in the RFC's order and mints the new tokens, then makes *one* atomic
//! commit, which answers [`Commit`]: committed, or replayed (someone else used the code or
//! rotated the generation first), or revoked. The commit re-checks exactly what can change
//! between the two phases (the used flag, the generation, the grant's existence), so the
//! gap between them cannot be exploited.
//!
//! ## Why a trait *and* an enum
//!
//! The trait is the contract, written once, that both backends implement with plain
//! `async fn` (Rust 2024, no `async-trait` crate). Native `async fn` in traits cannot be
//! called through `dyn`, and the provider picks its backend at start from a setting, so
//! [`Store`] is an enum of the two that implements the same trait by forwarding each call:
//! handlers hold a concrete `Store` and the compiler sees every future's real type (and
//! that it is `Send`, for the purge task). Generics (`AppState<S: GrantStore>`) would do
//! too, but would spread a type parameter through every handler for no gain.
//!
//! Every operation answers `Result<T, StoreError>`, where `T` is what the in-memory store
//! answers: a `StoreError` only ever means the backend could not be reached or read
//! (Redis down, a malformed record), never a protocol decision.

pub mod memory;
pub mod redis;

use crate::config::{Settings, StoreSetting};
use crate::domain::grant::{Audience, AuthorizationCode, Resources, TokenKind, TokenRecord};
use crate::domain::ids::{ClientId, GrantId, UserId};
use crate::domain::scope::ScopeSet;
use crate::domain::token::{FamilySalt, TokenHash};
use crate::openid::keyset::StoredKeyRing;

pub use self::memory::MemoryStore;
pub use self::redis::RedisStore;

/// The backend failed: unreachable, timed out, or it held something unreadable.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("redis: {0}")]
    Redis(#[from] ::redis::RedisError),
    #[error("a stored record is malformed: {0}")]
    Malformed(String),
}

/// A grant as `/account` shows it.
#[derive(Debug, Clone)]
pub struct GrantSummary {
    pub id: GrantId,
    pub client_id: ClientId,
    pub scopes: ScopeSet,
    pub created_at: u64,
    pub code_fingerprint: String,
    /// Each token of the family, soonest to expire first.
    pub tokens: Vec<TokenSummary>,
}

/// One token of a family.
#[derive(Debug, Clone)]
pub struct TokenSummary {
    pub kind: TokenKind,
    pub fingerprint: String,
    pub status: TokenStatus,
    pub expires_at: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStatus {
    Active,
    Expired,
}

// The projections both backends make of what they hold, written once here so that
// `/account` reads the same whichever store is in use.

impl TokenStatus {
    /// A token is active until the millisecond it expires, then expired.
    pub fn at(record: &TokenRecord, now: u64) -> TokenStatus {
        if record.is_expired(now) {
            TokenStatus::Expired
        } else {
            TokenStatus::Active
        }
    }
}

impl TokenSummary {
    /// How `/account` shows a token: its kind, its fingerprint (never the token, never its
    /// full hash), its status now.
    pub fn of(hash: &TokenHash, record: &TokenRecord, now: u64) -> TokenSummary {
        TokenSummary {
            kind: record.kind,
            fingerprint: hash.fingerprint(),
            status: TokenStatus::at(record, now),
            expires_at: record.expires_at,
        }
    }
}

impl GrantSummary {
    /// The grant with its tokens soonest-to-expire first (the access token before its
    /// refresh token), or `None` if none of them is active: a grant whose tokens have all
    /// expired holds nothing the user could revoke.
    pub fn if_live(mut self) -> Option<GrantSummary> {
        self.tokens.sort_by_key(|token| token.expires_at);
        self.tokens
            .iter()
            .any(|token| token.status == TokenStatus::Active)
            .then_some(self)
    }

    /// The grants newest first, as `/account` lists them.
    pub fn newest_first(grants: impl IntoIterator<Item = GrantSummary>) -> Vec<GrantSummary> {
        let mut grants: Vec<GrantSummary> = grants.into_iter().collect();
        grants.sort_by_key(|grant| std::cmp::Reverse(grant.created_at));
        grants
    }
}

/// When the refresh token among `tokens` expires (0 if there is none): what a family
/// records of its live refresh token.
fn refresh_expiry(tokens: &[(TokenHash, TokenRecord)]) -> u64 {
    tokens
        .iter()
        .filter(|(_, record)| record.kind == TokenKind::Refresh)
        .map(|(_, record)| record.expires_at)
        .max()
        .unwrap_or(0)
}

/// The audience of the access token among `tokens`, if there is one: a rotation removes
/// the previous access token for this audience and leaves the other audience's alone.
fn access_audience(tokens: &[(TokenHash, TokenRecord)]) -> Option<Audience> {
    tokens
        .iter()
        .find(|(_, record)| record.kind == TokenKind::Access)
        .map(|(_, record)| record.audience)
}

/// A code as [`GrantStore::find_code`] finds it.
#[derive(Debug, Clone)]
pub struct FoundCode {
    pub code: AuthorizationCode,
    /// Already exchanged for tokens: a second use is a replay (RFC 6749 §4.1.2).
    pub used: bool,
}

/// What the atomic step of a redemption or a rotation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commit {
    /// Done: the new tokens are live.
    Committed,
    /// Someone else redeemed the code, or rotated this generation, first: the caller holds
    /// a copy of something already used, and must revoke the grant.
    Replayed,
    /// The grant (or its code) is gone: revoked, or expired meanwhile. Nothing was written.
    Revoked,
}

/// A grant's refresh family: the fixed-size record a refresh token is checked against.
#[derive(Debug, Clone)]
pub struct Family {
    pub grant_id: GrantId,
    pub client_id: ClientId,
    pub user_id: UserId,
    /// The grant's scopes: the most any refresh may ask for (RFC 6749 §6).
    pub scopes: ScopeSet,
    /// The resources the grant covers (RFC 8707 §2.1): a refresh may ask for any one.
    pub resources: Resources,
    pub created_at: u64,
    /// When the user logged in, in seconds: the `auth_time` of every ID token the grant's
    /// refreshes carry (OpenID Connect Core §12.2).
    pub auth_time: u64,
    /// The provider session of that login: the `sid` of the refreshes' ID tokens.
    pub sid: Option<String>,
    /// The generation of the one live refresh token; every lower one is retired.
    pub generation: u64,
    pub salt: FamilySalt,
    /// When the live refresh token expires.
    pub refresh_expires_at: u64,
}

/// How many entries a purge removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub codes: usize,
    pub tokens: usize,
    pub grants: usize,
}

/// Counts of what the store holds now: what an operator watches to see that memory (or
/// Redis) follows the live tokens, not every token ever issued. The benchmark reports it,
/// and the tests use it to check that rotations and purges leave nothing behind.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct StoreSize {
    pub codes: usize,
    pub tokens: usize,
    pub grants: usize,
}

/// The keys that sign ID tokens as the store keeps them (OpenID Connect Core §10.1.1), and
/// the version a replacement names. Holds private keys: `Debug` shows none of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionedKeySet {
    /// 1 when first stored, one up at each replacement.
    pub version: u64,
    pub keys: StoredKeyRing,
}

/// What [`GrantStore::replace_signing_keys`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySetSwap {
    /// The stored set was at the expected version and is now the new one.
    Replaced,
    /// Another instance replaced it first (or it is gone): nothing was written; read the
    /// stored set again and use that one.
    Outdated,
}

/// The store's vocabulary: lookups that change nothing, and atomic steps that answer what
/// they did.
#[allow(
    async_fn_in_trait,
    reason = "every caller names a concrete backend (or the `Store` enum), so the futures' \
              real types, and their `Send`-ness, are visible where they are awaited"
)]
pub trait GrantStore {
    /// Starts a grant together with its authorization code (the resource owner just
    /// approved the request).
    async fn start_grant(
        &self,
        code_hash: TokenHash,
        code: AuthorizationCode,
        now: u64,
    ) -> Result<(), StoreError>;

    /// The code with this hash and whether it was already redeemed, or `None` if it is
    /// unknown (never issued, or purged after expiry). Changes nothing: the token endpoint
    /// checks the binding before anything happens, so a stranger's attempt burns nothing.
    async fn find_code(&self, code_hash: &TokenHash) -> Result<Option<FoundCode>, StoreError>;

    /// Redeems a code, once: marks it used and starts its refresh family (generation 0,
    /// `salt`) with `tokens`, the first pair, in one atomic step. `Replayed` if it was
    /// already used (a concurrent request won); `Revoked` if the grant or the code is gone.
    /// One step, not "redeem, then save": a replay that arrives in between would revoke
    /// the grant before the tokens joined it, and the first request would lose too.
    async fn commit_code(
        &self,
        code_hash: &TokenHash,
        code: &AuthorizationCode,
        salt: FamilySalt,
        tokens: Vec<(TokenHash, TokenRecord)>,
    ) -> Result<Commit, StoreError>;

    /// Saves a token that belongs to no grant (`client_credentials`).
    async fn save_standalone_token(
        &self,
        hash: TokenHash,
        record: TokenRecord,
    ) -> Result<(), StoreError>;

    /// The token with this hash if it is active now: known, not expired, not retired.
    async fn find_active(
        &self,
        hash: &TokenHash,
        now: u64,
    ) -> Result<Option<TokenRecord>, StoreError>;

    /// The token with this hash if the store still holds it, expired or not (for
    /// revocation). A retired refresh token is no longer held: revocation recognises it by
    /// its family instead ([`find_family`](GrantStore::find_family)).
    async fn find_known(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError>;

    /// The refresh family of a grant, if the grant is live and has issued a refresh token.
    async fn find_family(&self, grant_id: &GrantId) -> Result<Option<Family>, StoreError>;

    /// Moves a family from generation `from` to `from + 1`, atomically: compare-and-set on
    /// the generation, so of any number of concurrent rotations from one generation exactly
    /// one commits and the others get `Replayed` (the grant never forks). The committed
    /// rotation removes the refresh token it supersedes and the access token(s) for the
    /// audience of the new access token, then adds `tokens`. An access token for another
    /// audience survives: RFC 8707 §2.2 has a client get one token per resource from one
    /// authorization, by refreshing with each `resource` in turn, and the second refresh
    /// must not kill the first token. So a family holds one refresh token and at most one
    /// live access token per registered audience, however often it has rotated.
    async fn commit_rotation(
        &self,
        family: &Family,
        from: u64,
        tokens: Vec<(TokenHash, TokenRecord)>,
    ) -> Result<Commit, StoreError>;

    /// Revokes a grant: every token of the family is removed before this returns, and no
    /// token can join it afterwards. Revoking an unknown grant does nothing.
    async fn revoke_grant(&self, grant_id: &GrantId) -> Result<(), StoreError>;

    /// Revokes one token by hash (RFC 7009). A refresh token takes its whole grant with it;
    /// an access token goes alone. Returns what it was, if it existed.
    async fn revoke_token(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError>;

    /// The live grants of one resource owner, newest first, with their families.
    async fn grants_of_user(
        &self,
        user_id: &UserId,
        now: u64,
    ) -> Result<Vec<GrantSummary>, StoreError>;

    /// Whether this grant belongs to `user_id` (so `/account` cannot revoke someone else's).
    async fn grant_belongs_to(
        &self,
        grant_id: &GrantId,
        user_id: &UserId,
    ) -> Result<bool, StoreError>;

    /// Drops expired codes and tokens, and grants with nothing left alive.
    async fn purge_expired(&self, now: u64) -> Result<Purged, StoreError>;

    /// What the store holds now (on Redis a bounded `SCAN`: for an operator, not for
    /// request paths).
    async fn size(&self) -> Result<StoreSize, StoreError>;

    /// The stored signing key set, or, when the store holds none, `candidate` stored as
    /// version 1 and returned: get-or-insert in one atomic step, so two instances starting
    /// at once against one store both end up with the same keys (whichever came first).
    async fn signing_keys_or_insert(
        &self,
        candidate: &StoredKeyRing,
    ) -> Result<VersionedKeySet, StoreError>;

    /// Replaces the stored key set with `keys` if it is still at `from_version` (then at
    /// `from_version + 1`): compare-and-set, so of two instances rotating the same set at
    /// once exactly one wins and the other reads the winner's keys.
    async fn replace_signing_keys(
        &self,
        from_version: u64,
        keys: &StoredKeyRing,
    ) -> Result<KeySetSwap, StoreError>;
}

/// The backend chosen by `STORE`: share it as `Arc<Store>`.
#[derive(Debug)]
pub enum Store {
    Memory(MemoryStore),
    Redis(RedisStore),
}

impl Store {
    /// Opens the backend `settings.store` names. Redis is connected and pinged here, so an
    /// unreachable server stops start-up instead of failing the first request.
    pub async fn connect(settings: &Settings) -> anyhow::Result<Store> {
        match &settings.store {
            StoreSetting::Memory => Ok(Store::Memory(MemoryStore::new())),
            StoreSetting::Redis(url) => Ok(Store::Redis(
                RedisStore::connect(url, &settings.store_prefix).await?,
            )),
        }
    }
}

/// Forwards one call to whichever backend is in use.
macro_rules! forward {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            Store::Memory($store) => $call.await,
            Store::Redis($store) => $call.await,
        }
    };
}

impl GrantStore for Store {
    async fn start_grant(
        &self,
        code_hash: TokenHash,
        code: AuthorizationCode,
        now: u64,
    ) -> Result<(), StoreError> {
        forward!(self, store => GrantStore::start_grant(store, code_hash, code, now))
    }

    async fn find_code(&self, code_hash: &TokenHash) -> Result<Option<FoundCode>, StoreError> {
        forward!(self, store => GrantStore::find_code(store, code_hash))
    }

    async fn commit_code(
        &self,
        code_hash: &TokenHash,
        code: &AuthorizationCode,
        salt: FamilySalt,
        tokens: Vec<(TokenHash, TokenRecord)>,
    ) -> Result<Commit, StoreError> {
        forward!(self, store => GrantStore::commit_code(store, code_hash, code, salt, tokens))
    }

    async fn save_standalone_token(
        &self,
        hash: TokenHash,
        record: TokenRecord,
    ) -> Result<(), StoreError> {
        forward!(self, store => GrantStore::save_standalone_token(store, hash, record))
    }

    async fn find_active(
        &self,
        hash: &TokenHash,
        now: u64,
    ) -> Result<Option<TokenRecord>, StoreError> {
        forward!(self, store => GrantStore::find_active(store, hash, now))
    }

    async fn find_known(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError> {
        forward!(self, store => GrantStore::find_known(store, hash))
    }

    async fn find_family(&self, grant_id: &GrantId) -> Result<Option<Family>, StoreError> {
        forward!(self, store => GrantStore::find_family(store, grant_id))
    }

    async fn commit_rotation(
        &self,
        family: &Family,
        from: u64,
        tokens: Vec<(TokenHash, TokenRecord)>,
    ) -> Result<Commit, StoreError> {
        forward!(self, store => GrantStore::commit_rotation(store, family, from, tokens))
    }

    async fn revoke_grant(&self, grant_id: &GrantId) -> Result<(), StoreError> {
        forward!(self, store => GrantStore::revoke_grant(store, grant_id))
    }

    async fn revoke_token(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError> {
        forward!(self, store => GrantStore::revoke_token(store, hash))
    }

    async fn grants_of_user(
        &self,
        user_id: &UserId,
        now: u64,
    ) -> Result<Vec<GrantSummary>, StoreError> {
        forward!(self, store => GrantStore::grants_of_user(store, user_id, now))
    }

    async fn grant_belongs_to(
        &self,
        grant_id: &GrantId,
        user_id: &UserId,
    ) -> Result<bool, StoreError> {
        forward!(self, store => GrantStore::grant_belongs_to(store, grant_id, user_id))
    }

    async fn purge_expired(&self, now: u64) -> Result<Purged, StoreError> {
        forward!(self, store => GrantStore::purge_expired(store, now))
    }

    async fn size(&self) -> Result<StoreSize, StoreError> {
        forward!(self, store => GrantStore::size(store))
    }

    async fn signing_keys_or_insert(
        &self,
        candidate: &StoredKeyRing,
    ) -> Result<VersionedKeySet, StoreError> {
        forward!(self, store => GrantStore::signing_keys_or_insert(store, candidate))
    }

    async fn replace_signing_keys(
        &self,
        from_version: u64,
        keys: &StoredKeyRing,
    ) -> Result<KeySetSwap, StoreError> {
        forward!(self, store => GrantStore::replace_signing_keys(store, from_version, keys))
    }
}
