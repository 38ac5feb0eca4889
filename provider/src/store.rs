//! The store: codes, tokens and grants, keyed by hash, in memory or in Redis.
//!
//! A small vocabulary, [`GrantStore`], with one promise per operation that both backends
//! keep ([`memory::MemoryStore`], the default, and [`redis::RedisStore`], `STORE=redis://…`):
//!
//! | operation | promise |
//! |---|---|
//! | [`GrantStore::start_grant`] | a new family exists with its code; tokens can only be added to a live grant |
//! | [`GrantStore::redeem_code`] | a code is redeemed at most once, even by concurrent requests on several instances, and its tokens join the grant in the same step; `check` (the code's binding) runs first, so a refused check changes nothing, not even for a used code; a second use that passes it reports the grant so it can be revoked |
//! | [`GrantStore::save_tokens`] | tokens join a grant only while it is not revoked |
//! | [`GrantStore::save_standalone_token`] | a token of no grant (`client_credentials`) is kept until it expires |
//! | [`GrantStore::find_active`] | one lookup by hash; expired, retired or revoked tokens are never returned |
//! | [`GrantStore::find_known`] | one lookup by hash that also finds retired and expired tokens (for revocation), never revoked ones |
//! | [`GrantStore::rotate_refresh`] | a refresh token is exchanged at most once; `check` (its binding) runs first, so only its own client's second use revokes the family and reports reuse |
//! | [`GrantStore::revoke_grant`] | every token of the family is gone when it returns, and none can join it afterwards |
//! | [`GrantStore::revoke_token`] | an access token goes alone; a refresh token takes its grant with it |
//! | [`GrantStore::purge_expired`] | memory follows live tokens, not tokens ever issued (Redis: every key carries a TTL, so Redis expires them itself) |
//!
//! Only SHA-256 hashes of tokens and codes are kept, in either backend.
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

use std::sync::Arc;

use crate::config::{Settings, StoreSetting};
use crate::domain::grant::{AuthorizationCode, GrantId, TokenKind, TokenRecord};
use crate::domain::scope::ScopeSet;
use crate::domain::token::TokenHash;

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
    pub client_id: Arc<str>,
    pub scopes: ScopeSet,
    pub created_at: u64,
    pub code_fingerprint: String,
    /// Each token of the family, oldest first.
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
    /// A refresh token exchanged by rotation.
    Retired,
    Expired,
}

/// Why a code could not be redeemed.
#[derive(Debug, PartialEq, Eq)]
pub enum RedeemError<E> {
    /// No such code (never issued, or purged after expiry).
    Unknown,
    Expired,
    /// Already redeemed: the caller must revoke this grant (RFC 6749 §4.1.2).
    Replayed(GrantId),
    /// The grant was revoked (on `/account`, say) before its code was redeemed.
    Revoked,
    /// The caller's check refused it; the code is left unused.
    Rejected(E),
}

/// Why a refresh token could not be rotated.
#[derive(Debug, PartialEq, Eq)]
pub enum RotateError<E> {
    Unknown,
    Expired,
    /// Already rotated: the whole grant has been revoked by this call.
    Reused,
    Rejected(E),
}

/// The grant was revoked (or purged) before the tokens could join it.
#[derive(Debug, PartialEq, Eq)]
pub struct GrantRevoked;

/// How many entries a purge removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub codes: usize,
    pub tokens: usize,
    pub grants: usize,
}

/// Counts of what the store holds now (for benchmarks and tests).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct StoreSize {
    pub codes: usize,
    pub tokens: usize,
    pub grants: usize,
}

/// The store's vocabulary. `check` and `new_tokens` closures run at most once, before the
/// operation's atomic step: a refused check changes nothing.
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

    /// Redeems a code once, and adds the tokens `new_tokens` mints for it to its grant in the
    /// same atomic step. `check` (client, redirect URI, PKCE) runs first, before replay
    /// detection and before the code is marked used; if it refuses, nothing changes: an
    /// attacker's failed attempt neither burns the legitimate client's code nor, for a used
    /// code, revokes the grant it bought (RFC 6749 §10.4: only the code's own client may
    /// trigger that). One step, not "redeem, then save": a replay that
    /// arrives in between would revoke the grant before the tokens joined it, and the
    /// first request would lose too.
    async fn redeem_code<E>(
        &self,
        code_hash: &TokenHash,
        now: u64,
        check: impl FnOnce(&AuthorizationCode) -> Result<(), E>,
        new_tokens: impl FnOnce(&AuthorizationCode) -> Vec<(TokenHash, TokenRecord)>,
    ) -> Result<Result<AuthorizationCode, RedeemError<E>>, StoreError>;

    /// Adds tokens to a live grant; refuses if the grant was revoked meanwhile (a replayed
    /// code revoked it between redemption and issuance), so no token outlives its family.
    async fn save_tokens(
        &self,
        grant_id: &GrantId,
        tokens: Vec<(TokenHash, TokenRecord)>,
    ) -> Result<Result<(), GrantRevoked>, StoreError>;

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

    /// The token with this hash if the store still knows it, active or not: revocation must
    /// find a refresh token that a concurrent rotation has just retired, or the new pair
    /// would outlive the client's "I am done with this grant" (RFC 7009 §2.1).
    async fn find_known(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError>;

    /// Exchanges a refresh token for `new_tokens`, once. `check` (client binding, scope
    /// narrowing) runs before anything changes, also for a retired token, so another
    /// client cannot trigger the revocation (RFC 6749 §10.4). A second use of a retired
    /// token that passes `check` revokes the whole grant: either the client or an attacker
    /// holds a copy, and the server cannot tell which (RFC 9700 §4.14.2).
    async fn rotate_refresh<E>(
        &self,
        refresh_hash: &TokenHash,
        now: u64,
        check: impl FnOnce(&TokenRecord) -> Result<(), E>,
        new_tokens: impl FnOnce(&TokenRecord) -> Vec<(TokenHash, TokenRecord)>,
    ) -> Result<Result<TokenRecord, RotateError<E>>, StoreError>;

    /// Revokes a grant: every token of the family is removed before this returns, and no
    /// token can join it afterwards. Revoking an unknown grant does nothing.
    async fn revoke_grant(&self, grant_id: &GrantId) -> Result<(), StoreError>;

    /// Revokes one token by hash (RFC 7009). A refresh token takes its whole grant with it;
    /// an access token goes alone. Returns what it was, if it existed.
    async fn revoke_token(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError>;

    /// The live grants of one resource owner, newest first, with their families.
    async fn grants_of_user(
        &self,
        user_id: &str,
        now: u64,
    ) -> Result<Vec<GrantSummary>, StoreError>;

    /// Whether this grant belongs to `user_id` (so `/account` cannot revoke someone else's).
    async fn grant_belongs_to(&self, grant_id: &str, user_id: &str) -> Result<bool, StoreError>;

    /// Drops expired codes and tokens, and grants with nothing left alive.
    async fn purge_expired(&self, now: u64) -> Result<Purged, StoreError>;

    /// What the store holds now.
    async fn size(&self) -> Result<StoreSize, StoreError>;
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

    async fn redeem_code<E>(
        &self,
        code_hash: &TokenHash,
        now: u64,
        check: impl FnOnce(&AuthorizationCode) -> Result<(), E>,
        new_tokens: impl FnOnce(&AuthorizationCode) -> Vec<(TokenHash, TokenRecord)>,
    ) -> Result<Result<AuthorizationCode, RedeemError<E>>, StoreError> {
        forward!(self, store => GrantStore::redeem_code(store, code_hash, now, check, new_tokens))
    }

    async fn save_tokens(
        &self,
        grant_id: &GrantId,
        tokens: Vec<(TokenHash, TokenRecord)>,
    ) -> Result<Result<(), GrantRevoked>, StoreError> {
        forward!(self, store => GrantStore::save_tokens(store, grant_id, tokens))
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

    async fn rotate_refresh<E>(
        &self,
        refresh_hash: &TokenHash,
        now: u64,
        check: impl FnOnce(&TokenRecord) -> Result<(), E>,
        new_tokens: impl FnOnce(&TokenRecord) -> Vec<(TokenHash, TokenRecord)>,
    ) -> Result<Result<TokenRecord, RotateError<E>>, StoreError> {
        forward!(self, store => GrantStore::rotate_refresh(store, refresh_hash, now, check, new_tokens))
    }

    async fn revoke_grant(&self, grant_id: &GrantId) -> Result<(), StoreError> {
        forward!(self, store => GrantStore::revoke_grant(store, grant_id))
    }

    async fn revoke_token(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError> {
        forward!(self, store => GrantStore::revoke_token(store, hash))
    }

    async fn grants_of_user(
        &self,
        user_id: &str,
        now: u64,
    ) -> Result<Vec<GrantSummary>, StoreError> {
        forward!(self, store => GrantStore::grants_of_user(store, user_id, now))
    }

    async fn grant_belongs_to(&self, grant_id: &str, user_id: &str) -> Result<bool, StoreError> {
        forward!(self, store => GrantStore::grant_belongs_to(store, grant_id, user_id))
    }

    async fn purge_expired(&self, now: u64) -> Result<Purged, StoreError> {
        forward!(self, store => GrantStore::purge_expired(store, now))
    }

    async fn size(&self) -> Result<StoreSize, StoreError> {
        forward!(self, store => GrantStore::size(store))
    }
}
