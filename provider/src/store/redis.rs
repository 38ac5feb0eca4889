//! The Redis store (`STORE=redis://host:port[/db]`): the same promises as the memory store,
//! shared by every provider instance that points at the same Redis.
//!
//! ## Keys (every one under `STORE_PREFIX`, default `oauth:`)
//!
//! | key | type | holds | lives |
//! |---|---|---|---|
//! | `code:<sha256 hex>` | hash | `data` (the code's record, JSON), `used` (`0`/`1`) | until the code expires |
//! | `token:<sha256 hex>` | hash | `data` (the token's record, JSON) | until the token expires |
//! | `grant:<id>` | hash | client, user, scopes, resources (RFC 8707), created, the code's hash; once redeemed the refresh family: `generation`, `salt`, `refresh_expires_at` | until its longest-lived token expires |
//! | `grant:<id>:tokens` | set | the hex hash of every live token of the family (the current pair) | as the grant |
//! | `user:<id>:grants` | set | the grant ids of one resource owner (for `/account`) | as the longest of its grants |
//! | `signing_keys` | hash | `version` and `keys`: the key ring that signs ID tokens, a key set per algorithm (JSON, private keys as PKCS#8) | for good (no TTL): a few keys, replaced whole at each rotation |
//!
//! Every other key is written with a TTL (`PEXPIRE`), so Redis forgets what the memory store
//! purges; [`RedisStore::purge_expired`] has nothing left to do. Keys hold hashes, never
//! a token or a code. A grant costs a constant number of keys however often it rotates:
//! the grant, its family set and the two tokens of its current pair (and, for 60 s, its
//! code); a retired refresh token leaves nothing behind.
//!
//! ## What is atomic, and how
//!
//! A Redis server runs one command, or one Lua script, at a time: nothing interleaves with
//! a script. Each change that must not race is one Lua script (`redis/*.lua`, named in
//! `redis/scripts.rs`), so it holds across any number of provider instances:
//!
//! - [`COMMIT_CODE`]: *mark used if unused*, and start the family with its first pair.
//!   The token endpoint read the code and checked it first (client, redirect URI, PKCE);
//!   two concurrent redemptions both pass those checks, and the script lets exactly one
//!   through.
//! - [`COMMIT_ROTATION`]: *compare-and-set on the family's generation*: replace the
//!   refresh token, and the access token of the new one's audience, only if nobody
//!   rotated this generation first.
//! - [`REVOKE_GRANT`]: *delete the grant, its family set and every token in it*.
//! - [`SIGNING_KEYS_OR_INSERT`] and [`REPLACE_SIGNING_KEYS`]: *get-or-insert* the key set
//!   that signs ID tokens, and *compare-and-set on its version* after a rotation.
//!
//! `signing_keys` holds private keys. Whoever can read this Redis can sign ID tokens in the
//! provider's name: protect it as you would a key file (docs/redis.md).
//!
//! The scripts build some key names from set members (a family's tokens), which a single
//! Redis (or a Sentinel-managed primary) allows; Redis Cluster would need hash tags.
//! `redis::Script` sends `EVALSHA` and falls back to `EVAL` when a restarted Redis has
//! forgotten the script.

mod scripts;

use std::sync::Arc;
use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use serde::{Deserialize, Serialize};

use crate::config::RedisUrl;
use crate::domain::grant::{Audience, AuthorizationCode, Resources, TokenKind, TokenRecord};
use crate::domain::ids::{GrantId, UserId};
use crate::domain::pkce::CodeChallenge;
use crate::domain::scope::ScopeSet;
use crate::domain::token::{FamilySalt, TokenHash};
use crate::openid::id_token::Nonce;

use crate::openid::keyset::StoredKeyRing;

use scripts::Scripts;
pub use scripts::{
    COMMIT_CODE, COMMIT_ROTATION, REPLACE_SIGNING_KEYS, REVOKE_GRANT, SIGNING_KEYS_OR_INSERT,
    START_GRANT,
};

use super::{
    Commit, Family, FoundCode, GrantStore, GrantSummary, KeySetSwap, Purged, StoreError, StoreSize,
    TokenSummary, VersionedKeySet, access_audience, refresh_expiry,
};

/// The Redis store. Clones share one multiplexed, self-reconnecting connection.
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    prefix: Arc<str>,
    scripts: Arc<Scripts>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// How long a command may take before the request fails (Redis is on the same network).
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long connecting may take, at start and on reconnection.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(2);
/// The longest wait between two reconnection attempts, in milliseconds.
const RECONNECT_MAX_DELAY_MS: u64 = 250;
/// How long start-up waits for Redis to answer `PING`.
const START_TIMEOUT: Duration = Duration::from_secs(5);
/// The most `SCAN` rounds [`GrantStore::size`] makes: an operator's count, never on a
/// request path.
const MAX_SCAN_ROUNDS: usize = 100_000;

/// A key's lifetime in milliseconds from `now` until `expires_at`, at least 1 (Redis
/// refuses a zero TTL; an already expired record then vanishes at once).
fn ttl_millis(now: u64, expires_at: u64) -> u64 {
    expires_at.saturating_sub(now).max(1)
}

fn hex(hash: &TokenHash) -> String {
    hex_bytes(&hash.0)
}

fn hex_bytes(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// `N` bytes from their `2 × N` lowercase hex digits, as [`hex_bytes`] wrote them.
fn parse_hex<const N: usize>(hex: &str, what: &str) -> Result<[u8; N], StoreError> {
    let mut bytes = [0u8; N];
    if hex.len() != 2 * N {
        return Err(malformed(what));
    }
    for (byte, pair) in bytes.iter_mut().zip(hex.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).map_err(|_| malformed(what))?;
        *byte = u8::from_str_radix(pair, 16).map_err(|_| malformed(what))?;
    }
    Ok(bytes)
}

fn parse_salt(hex: &str) -> Result<FamilySalt, StoreError> {
    parse_hex(hex, "family salt").map(FamilySalt)
}

fn parse_hash(hex: &str) -> Result<TokenHash, StoreError> {
    parse_hex(hex, "token hash").map(TokenHash)
}

/// A code as stored (JSON in the `data` field).
#[derive(Serialize, Deserialize)]
struct StoredCode {
    grant_id: String,
    client_id: String,
    /// OpenID Connect's `nonce` and the login time; absent in codes an older release wrote.
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    auth_time: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
    user_id: String,
    redirect_uri: Option<String>,
    scopes: String,
    /// RFC 8707 resources; absent in codes an older release wrote (the provider's API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resources: Option<String>,
    code_challenge: String,
    expires_at: u64,
}

/// A token record as stored (JSON in the `data` field).
#[derive(Serialize, Deserialize)]
struct StoredToken {
    kind: String,
    grant_id: Option<String>,
    client_id: String,
    user_id: Option<String>,
    scopes: String,
    /// RFC 8707 audience; absent in tokens an older release wrote (the provider's API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    audience: Option<String>,
    issued_at: u64,
    expires_at: u64,
}

fn malformed(what: &str) -> StoreError {
    StoreError::Malformed(what.to_owned())
}

fn parse_scopes(wire: &str) -> Result<ScopeSet, StoreError> {
    ScopeSet::parse(wire).map_err(|_| malformed("scopes"))
}

fn parse_resources(stored: &str) -> Result<Resources, StoreError> {
    Resources::from_stored(stored).ok_or_else(|| malformed("resources"))
}

fn encode_code(code: &AuthorizationCode) -> Result<String, StoreError> {
    serde_json::to_string(&StoredCode {
        grant_id: code.grant_id.to_string(),
        client_id: code.client_id.to_string(),
        nonce: code.nonce.as_ref().map(|nonce| nonce.as_str().to_owned()),
        auth_time: code.auth_time,
        sid: code.sid.clone(),
        user_id: code.user_id.to_string(),
        redirect_uri: code.redirect_uri.clone(),
        scopes: code.scopes.to_wire(),
        resources: Some(code.resources.to_stored()),
        code_challenge: code.code_challenge.as_str().to_owned(),
        expires_at: code.expires_at,
    })
    .map_err(|error| StoreError::Malformed(error.to_string()))
}

fn decode_code(json: &str) -> Result<AuthorizationCode, StoreError> {
    let stored: StoredCode = serde_json::from_str(json).map_err(|_| malformed("code record"))?;
    Ok(AuthorizationCode {
        grant_id: stored.grant_id.into(),
        client_id: stored.client_id.into(),
        nonce: match stored.nonce {
            None => None,
            Some(nonce) => Some(Nonce::parse(&nonce).ok_or_else(|| malformed("nonce"))?),
        },
        auth_time: stored.auth_time,
        sid: stored.sid,
        user_id: stored.user_id.into(),
        redirect_uri: stored.redirect_uri,
        scopes: parse_scopes(&stored.scopes)?,
        resources: match stored.resources {
            Some(resources) => parse_resources(&resources)?,
            None => Resources::DEFAULT,
        },
        code_challenge: CodeChallenge::parse(&stored.code_challenge)
            .ok_or_else(|| malformed("code challenge"))?,
        expires_at: stored.expires_at,
    })
}

fn encode_token(record: &TokenRecord) -> Result<String, StoreError> {
    serde_json::to_string(&StoredToken {
        kind: record.kind.hint().to_owned(),
        grant_id: record.grant_id.as_deref().map(str::to_owned),
        client_id: record.client_id.to_string(),
        user_id: record.user_id.as_deref().map(str::to_owned),
        scopes: record.scopes.to_wire(),
        audience: Some(record.audience.stored_name().to_owned()),
        issued_at: record.issued_at,
        expires_at: record.expires_at,
    })
    .map_err(|error| StoreError::Malformed(error.to_string()))
}

fn decode_token(json: &str) -> Result<TokenRecord, StoreError> {
    let stored: StoredToken = serde_json::from_str(json).map_err(|_| malformed("token record"))?;
    let kind = match stored.kind.as_str() {
        "access_token" => TokenKind::Access,
        "refresh_token" => TokenKind::Refresh,
        _ => return Err(malformed("token kind")),
    };
    Ok(TokenRecord {
        kind,
        grant_id: stored.grant_id.map(Into::into),
        client_id: stored.client_id.into(),
        user_id: stored.user_id.map(Into::into),
        scopes: parse_scopes(&stored.scopes)?,
        audience: match stored.audience {
            Some(name) => Audience::from_stored_name(&name).ok_or_else(|| malformed("audience"))?,
            None => Audience::Provider,
        },
        issued_at: stored.issued_at,
        expires_at: stored.expires_at,
    })
}

/// A commit script's answer.
fn commit_outcome(outcome: &str) -> Commit {
    match outcome {
        "ok" => Commit::Committed,
        "replayed" => Commit::Replayed,
        _ => Commit::Revoked,
    }
}

impl RedisStore {
    /// Connects and pings. Fails (naming `STORE`, hiding any password) when the server
    /// cannot be reached, so a misconfigured provider stops at start.
    pub async fn connect(url: &RedisUrl, prefix: &str) -> anyhow::Result<RedisStore> {
        let failed = || format!("cannot use STORE={}", url.redacted());
        let client = redis::Client::open(url.expose())
            .map_err(|error| anyhow::anyhow!("{}: {error}", failed()))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(CONNECTION_TIMEOUT)
            .set_response_timeout(RESPONSE_TIMEOUT)
            // Reconnection waits 1 s × factor^attempt between attempts (backon underneath):
            // the default factor, 100, would hold every request for minutes while Redis is
            // down. Short waits, few attempts: requests fail fast (503) and the next one
            // tries again.
            .set_factor(2)
            .set_max_delay(RECONNECT_MAX_DELAY_MS)
            .set_number_of_retries(2);
        // The connection manager retries a refused first connection with backoff for a
        // long while; at start an unreachable server must stop the provider promptly.
        let connect = async {
            // One plain connection first, so a refused one says why at once.
            let mut probe = client.get_multiplexed_async_connection().await?;
            let _: String = redis::cmd("PING").query_async(&mut probe).await?;
            let mut connection = ConnectionManager::new_with_config(client, config).await?;
            let _: String = redis::cmd("PING").query_async(&mut connection).await?;
            Ok::<_, redis::RedisError>(connection)
        };
        // A `RedisError` repeats its cause in its own message: show the message once.
        let connection = match tokio::time::timeout(START_TIMEOUT, connect).await {
            Ok(Ok(connection)) => connection,
            Ok(Err(error)) => anyhow::bail!("{}: {error}", failed()),
            Err(_) => anyhow::bail!(
                "{}: no answer within {} s",
                failed(),
                START_TIMEOUT.as_secs()
            ),
        };
        Ok(RedisStore {
            connection,
            prefix: prefix.into(),
            scripts: Arc::new(Scripts::new()),
        })
    }

    /// The shared connection (tests read the keys through it).
    pub fn connection(&self) -> ConnectionManager {
        self.connection.clone()
    }

    /// The key prefix (`STORE_PREFIX`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn code_key(&self, hash: &TokenHash) -> String {
        format!("{}code:{}", self.prefix, hex(hash))
    }

    fn token_prefix(&self) -> String {
        format!("{}token:", self.prefix)
    }

    fn token_key(&self, hash: &TokenHash) -> String {
        format!("{}token:{}", self.prefix, hex(hash))
    }

    fn grant_key(&self, grant_id: &str) -> String {
        format!("{}grant:{grant_id}", self.prefix)
    }

    fn family_key(&self, grant_id: &str) -> String {
        format!("{}grant:{grant_id}:tokens", self.prefix)
    }

    fn user_key(&self, user_id: &str) -> String {
        format!("{}user:{user_id}:grants", self.prefix)
    }

    fn signing_keys_key(&self) -> String {
        format!("{}signing_keys", self.prefix)
    }

    /// A token's record.
    async fn read_token(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError> {
        let mut connection = self.connection.clone();
        let data: Option<String> = connection.hget(self.token_key(hash), "data").await?;
        data.map(|json| decode_token(&json)).transpose()
    }

    /// The user who owns a grant, if the grant exists.
    async fn grant_owner(&self, grant_id: &str) -> Result<Option<String>, StoreError> {
        let mut connection = self.connection.clone();
        Ok(connection.hget(self.grant_key(grant_id), "user_id").await?)
    }

    /// Adds the new tokens' keys and `(hex, record, ttl)` triples to a script invocation.
    fn push_tokens(
        &self,
        invocation: &mut redis::ScriptInvocation<'_>,
        tokens: &[(TokenHash, TokenRecord)],
    ) -> Result<(), StoreError> {
        for (hash, record) in tokens {
            invocation
                .key(self.token_key(hash))
                .arg(hex(hash))
                .arg(encode_token(record)?)
                .arg(ttl_millis(record.issued_at, record.expires_at));
        }
        Ok(())
    }

    /// Counts the keys matching `pattern` (bounded `SCAN`, for [`GrantStore::size`]).
    async fn count_keys(&self, pattern: &str, skip_suffix: &str) -> Result<usize, StoreError> {
        let mut connection = self.connection.clone();
        let mut cursor: u64 = 0;
        let mut count = 0;
        for _ in 0..MAX_SCAN_ROUNDS {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(pattern)
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut connection)
                .await?;
            count += keys
                .iter()
                .filter(|key| skip_suffix.is_empty() || !key.ends_with(skip_suffix))
                .count();
            if next == 0 {
                break;
            }
            cursor = next;
        }
        Ok(count)
    }
}

impl GrantStore for RedisStore {
    async fn start_grant(
        &self,
        code_hash: TokenHash,
        code: AuthorizationCode,
        now: u64,
    ) -> Result<(), StoreError> {
        let mut connection = self.connection.clone();
        let _: i64 = self
            .scripts
            .start_grant
            .key(self.grant_key(&code.grant_id))
            .key(self.family_key(&code.grant_id))
            .key(self.user_key(&code.user_id))
            .arg(self.code_key(&code_hash))
            .arg(encode_code(&code)?)
            .arg(ttl_millis(now, code.expires_at))
            .arg(&*code.client_id)
            .arg(&*code.user_id)
            .arg(code.scopes.to_wire())
            .arg(now)
            .arg(hex(&code_hash))
            .arg(&*code.grant_id)
            .arg(code.auth_time)
            .arg(code.resources.to_stored())
            .arg(code.sid.as_deref().unwrap_or(""))
            .invoke_async(&mut connection)
            .await?;
        Ok(())
    }

    async fn find_code(&self, code_hash: &TokenHash) -> Result<Option<FoundCode>, StoreError> {
        let mut connection = self.connection.clone();
        let (data, used): (Option<String>, Option<String>) = connection
            .hget(self.code_key(code_hash), &["data", "used"])
            .await?;
        let Some(json) = data else {
            return Ok(None);
        };
        Ok(Some(FoundCode {
            code: decode_code(&json)?,
            used: used.as_deref() == Some("1"),
        }))
    }

    async fn commit_code(
        &self,
        code_hash: &TokenHash,
        code: &AuthorizationCode,
        salt: FamilySalt,
        tokens: Vec<(TokenHash, TokenRecord)>,
    ) -> Result<Commit, StoreError> {
        let mut connection = self.connection.clone();
        let mut invocation = self.scripts.commit_code.prepare_invoke();
        invocation
            .key(self.grant_key(&code.grant_id))
            .key(self.family_key(&code.grant_id))
            .key(self.user_key(&code.user_id))
            .key(self.code_key(code_hash))
            .arg(hex_bytes(&salt.0))
            .arg(refresh_expiry(&tokens));
        self.push_tokens(&mut invocation, &tokens)?;
        let outcome: String = invocation.invoke_async(&mut connection).await?;
        Ok(commit_outcome(&outcome))
    }

    async fn save_standalone_token(
        &self,
        hash: TokenHash,
        record: TokenRecord,
    ) -> Result<(), StoreError> {
        let key = self.token_key(&hash);
        let ttl = ttl_millis(record.issued_at, record.expires_at);
        let mut connection = self.connection.clone();
        let _: () = redis::pipe()
            .atomic()
            .hset(&key, "data", encode_token(&record)?)
            .ignore()
            .pexpire(&key, ttl as i64)
            .ignore()
            .query_async(&mut connection)
            .await?;
        Ok(())
    }

    async fn find_active(
        &self,
        hash: &TokenHash,
        now: u64,
    ) -> Result<Option<TokenRecord>, StoreError> {
        Ok(self
            .read_token(hash)
            .await?
            .filter(|record| !record.is_expired(now)))
    }

    async fn find_known(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError> {
        self.read_token(hash).await
    }

    async fn find_family(&self, grant_id: &GrantId) -> Result<Option<Family>, StoreError> {
        let mut connection = self.connection.clone();
        let fields: Vec<Option<String>> = connection
            .hget(
                self.grant_key(grant_id),
                &[
                    "client_id",
                    "user_id",
                    "scopes",
                    "created_at",
                    "generation",
                    "salt",
                    "refresh_expires_at",
                    "auth_time",
                    "resources",
                    "sid",
                ],
            )
            .await?;
        let [
            Some(client_id),
            Some(user_id),
            Some(scopes),
            Some(created_at),
            Some(generation),
            Some(salt),
            Some(refresh_expires_at),
            auth_time,
            resources,
            sid,
        ] = <[Option<String>; 10]>::try_from(fields).map_err(|_| malformed("grant"))?
        else {
            // No grant (revoked, expired, never existed), or no family yet (code unused).
            return Ok(None);
        };
        let number = |text: &str, what: &str| text.parse::<u64>().map_err(|_| malformed(what));
        Ok(Some(Family {
            grant_id: grant_id.clone(),
            client_id: client_id.into(),
            user_id: user_id.into(),
            scopes: parse_scopes(&scopes)?,
            created_at: number(&created_at, "created_at")?,
            // A grant an older release started has no `auth_time`: its start is the
            // closest known login time.
            auth_time: match auth_time {
                Some(auth_time) => number(&auth_time, "auth_time")?,
                None => number(&created_at, "created_at")? / 1000,
            },
            // An older release kept no `sid`; an empty one is a login without it.
            sid: sid.filter(|sid| !sid.is_empty()),
            // A grant an older release started covers the provider's own API only.
            resources: match resources {
                Some(resources) => parse_resources(&resources)?,
                None => Resources::DEFAULT,
            },
            generation: number(&generation, "generation")?,
            salt: parse_salt(&salt)?,
            refresh_expires_at: number(&refresh_expires_at, "refresh_expires_at")?,
        }))
    }

    async fn commit_rotation(
        &self,
        family: &Family,
        from: u64,
        tokens: Vec<(TokenHash, TokenRecord)>,
    ) -> Result<Commit, StoreError> {
        let mut connection = self.connection.clone();
        let mut invocation = self.scripts.commit_rotation.prepare_invoke();
        invocation
            .key(self.grant_key(&family.grant_id))
            .key(self.family_key(&family.grant_id))
            .key(self.user_key(&family.user_id))
            .arg(self.token_prefix())
            .arg(from)
            .arg(refresh_expiry(&tokens))
            .arg(access_audience(&tokens).map_or("", Audience::stored_name));
        self.push_tokens(&mut invocation, &tokens)?;
        let outcome: String = invocation.invoke_async(&mut connection).await?;
        Ok(commit_outcome(&outcome))
    }

    async fn revoke_grant(&self, grant_id: &GrantId) -> Result<(), StoreError> {
        let Some(user_id) = self.grant_owner(grant_id).await? else {
            return Ok(());
        };
        let mut connection = self.connection.clone();
        let _: i64 = self
            .scripts
            .revoke_grant
            .key(self.grant_key(grant_id))
            .key(self.family_key(grant_id))
            .key(self.user_key(&user_id))
            .arg(self.token_prefix())
            .arg(&**grant_id)
            .invoke_async(&mut connection)
            .await?;
        Ok(())
    }

    async fn revoke_token(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError> {
        let Some(record) = self.read_token(hash).await? else {
            return Ok(None);
        };
        match (&record.kind, &record.grant_id) {
            (TokenKind::Refresh, Some(grant_id)) => self.revoke_grant(grant_id).await?,
            (_, grant_id) => {
                let mut connection = self.connection.clone();
                let mut pipe = redis::pipe();
                pipe.atomic().del(self.token_key(hash)).ignore();
                if let Some(grant_id) = grant_id {
                    pipe.srem(self.family_key(grant_id), hex(hash)).ignore();
                }
                let _: () = pipe.query_async(&mut connection).await?;
            }
        }
        Ok(Some(record))
    }

    async fn grants_of_user(
        &self,
        user_id: &UserId,
        now: u64,
    ) -> Result<Vec<GrantSummary>, StoreError> {
        let mut connection = self.connection.clone();
        let grant_ids: Vec<String> = connection.smembers(self.user_key(user_id)).await?;
        let mut grants = Vec::new();
        for grant_id in grant_ids {
            let fields: Vec<Option<String>> = connection
                .hget(
                    self.grant_key(&grant_id),
                    &["client_id", "user_id", "scopes", "created_at", "code"],
                )
                .await?;
            let [
                Some(client_id),
                Some(owner),
                Some(scopes),
                Some(created_at),
                Some(code),
            ] = <[Option<String>; 5]>::try_from(fields).map_err(|_| malformed("grant"))?
            else {
                // Expired (or revoked) since it joined the set: forget it.
                let _: i64 = connection.srem(self.user_key(user_id), &grant_id).await?;
                continue;
            };
            if owner != user_id.as_str() {
                continue;
            }
            let hashes: Vec<String> = connection.smembers(self.family_key(&grant_id)).await?;
            let mut tokens = Vec::new();
            for hash_hex in hashes {
                let hash = parse_hash(&hash_hex)?;
                let Some(record) = self.read_token(&hash).await? else {
                    continue;
                };
                tokens.push(TokenSummary::of(&hash, &record, now));
            }
            let summary = GrantSummary {
                id: grant_id.into(),
                client_id: client_id.into(),
                scopes: parse_scopes(&scopes)?,
                created_at: created_at.parse().map_err(|_| malformed("created_at"))?,
                code_fingerprint: parse_hash(&code)?.fingerprint(),
                tokens,
            };
            grants.extend(summary.if_live());
        }
        Ok(GrantSummary::newest_first(grants))
    }

    async fn grant_belongs_to(
        &self,
        grant_id: &GrantId,
        user_id: &UserId,
    ) -> Result<bool, StoreError> {
        Ok(self.grant_owner(grant_id).await?.as_deref() == Some(user_id))
    }

    /// Nothing to do: every key carries its TTL and Redis expires it.
    async fn purge_expired(&self, _now: u64) -> Result<Purged, StoreError> {
        Ok(Purged::default())
    }

    async fn size(&self) -> Result<StoreSize, StoreError> {
        Ok(StoreSize {
            codes: self
                .count_keys(&format!("{}code:*", self.prefix), "")
                .await?,
            tokens: self
                .count_keys(&format!("{}token:*", self.prefix), "")
                .await?,
            grants: self
                .count_keys(&format!("{}grant:*", self.prefix), ":tokens")
                .await?,
        })
    }

    async fn signing_keys_or_insert(
        &self,
        candidate: &StoredKeyRing,
    ) -> Result<VersionedKeySet, StoreError> {
        let candidate = serde_json::to_string(candidate)
            .map_err(|_| malformed("the signing key set does not serialise"))?;
        let mut connection = self.connection.clone();
        let (version, keys): (Option<u64>, Option<String>) = self
            .scripts
            .signing_keys_or_insert
            .key(self.signing_keys_key())
            .arg(candidate)
            .invoke_async(&mut connection)
            .await?;
        let (Some(version), Some(keys)) = (version, keys) else {
            return Err(malformed("signing_keys lacks its version or its keys"));
        };
        // The error names the record, never its contents: they are private keys.
        let keys = serde_json::from_str(&keys).map_err(|_| malformed("signing_keys.keys"))?;
        Ok(VersionedKeySet { version, keys })
    }

    async fn replace_signing_keys(
        &self,
        from_version: u64,
        keys: &StoredKeyRing,
    ) -> Result<KeySetSwap, StoreError> {
        let keys = serde_json::to_string(keys)
            .map_err(|_| malformed("the signing key set does not serialise"))?;
        let mut connection = self.connection.clone();
        let replaced: i64 = self
            .scripts
            .replace_signing_keys
            .key(self.signing_keys_key())
            .arg(from_version)
            .arg(keys)
            .invoke_async(&mut connection)
            .await?;
        Ok(if replaced == 1 {
            KeySetSwap::Replaced
        } else {
            KeySetSwap::Outdated
        })
    }
}
