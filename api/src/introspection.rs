//! Opaque access tokens: asking the issuer (RFC 7662 token introspection).
//!
//! A token that is not a JWT says nothing by itself, so the API posts it to the
//! provider's `introspection_endpoint`, authenticated with its own client credentials
//! (§2.1), and believes the answer. Checks on the answer, in order:
//!
//! 1. `active` is `true` (§2.2: everything else is "inactive", with no reason given).
//! 2. `token_type`, when given, is `access_token`: a refresh token is not a bearer token.
//! 3. `iss`, when given, is the discovered issuer.
//! 4. `aud` contains `API_URL` (RFC 8707: a token is valid only at the resource it was
//!    issued for; an answer without `aud` names no resource, so it is not for this one).
//! 5. `exp`, when given, has not passed.
//!
//! Answers are cached for `INTROSPECTION_CACHE_TTL` under the token's SHA-256 (never the
//! token), never past the token's `exp`, in a map of at most [`MAX_CACHED`] entries. That is
//! the trade-off a JWT makes too, at a smaller scale: a token revoked at the provider keeps
//! working here until its cached answer ages out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::access_token::{Audience, Refused, Step, split_scopes};
use crate::authorization_server::AuthorizationServer;
use crate::bearer::Caller;

/// The most answers kept at once. Anyone can send made-up tokens, so the cache is bounded:
/// when it is full, expired entries go; if none has expired, the new answer is not kept.
pub const MAX_CACHED: usize = 10_000;

/// The members of an RFC 7662 §2.2 answer the API reads (and `aud`, RFC 7662 §2.2 "aud").
#[derive(Debug, Clone, Deserialize)]
struct IntrospectionAnswer {
    active: bool,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    iss: Option<String>,
    #[serde(default)]
    aud: Option<Audience>,
    #[serde(default)]
    exp: Option<u64>,
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

/// Introspection answers by token hash: `Ok(caller)` or the step that refused it.
pub struct IntrospectionCache {
    ttl: Duration,
    entries: Mutex<HashMap<[u8; 32], Cached>>,
}

struct Cached {
    outcome: Result<Caller, Step>,
    until: Instant,
}

impl IntrospectionCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// How many answers are kept now (for tests and operators).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Cached>> {
        // A panic while holding the lock cannot leave the map half-written (each operation
        // is one insert or remove), so a poisoned lock is still a usable map.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, key: &[u8; 32]) -> Option<Result<Caller, Step>> {
        let mut entries = self.lock();
        match entries.get(key) {
            Some(cached) if cached.until > Instant::now() => Some(cached.outcome.clone()),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    fn put(&self, key: [u8; 32], outcome: Result<Caller, Step>, lifetime: Duration) {
        let lifetime = lifetime.min(self.ttl);
        if lifetime.is_zero() {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= MAX_CACHED {
            let now = Instant::now();
            entries.retain(|_, cached| cached.until > now);
            if entries.len() >= MAX_CACHED {
                return;
            }
        }
        entries.insert(
            key,
            Cached {
                outcome,
                until: Instant::now() + lifetime,
            },
        );
    }
}

/// Checks an opaque `token` for the resource `audience` at `now` (seconds since the epoch).
pub async fn validate(
    token: &str,
    issuer: &AuthorizationServer,
    cache: &IntrospectionCache,
    audience: &str,
    now: u64,
) -> Result<Caller, Refused> {
    let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    if let Some(outcome) = cache.get(&key) {
        return outcome.map_err(Refused::At);
    }
    let answer: IntrospectionAnswer = issuer.introspect(token).await?;
    let expected_issuer = issuer.metadata().await?.issuer;
    let outcome = judge(&answer, &expected_issuer, audience, now);
    // An active token's answer lives until its `exp`; an inactive one for the whole TTL.
    let lifetime = match (&outcome, answer.exp) {
        (Ok(_), Some(exp)) => Duration::from_secs(exp.saturating_sub(now)),
        _ => cache.ttl,
    };
    cache.put(key, outcome.clone(), lifetime);
    outcome.map_err(Refused::At)
}

/// Steps 1–5 above, on one answer.
fn judge(
    answer: &IntrospectionAnswer,
    expected_issuer: &str,
    audience: &str,
    now: u64,
) -> Result<Caller, Step> {
    // 1. Active.
    if !answer.active {
        return Err(Step::Lifetime);
    }
    // 2. An access token, not a refresh token.
    if answer
        .token_type
        .as_deref()
        .is_some_and(|kind| kind != "access_token")
    {
        return Err(Step::Type);
    }
    // 3. Issuer.
    if answer
        .iss
        .as_deref()
        .is_some_and(|iss| iss != expected_issuer)
    {
        return Err(Step::Issuer);
    }
    // 4. Audience.
    if !answer
        .aud
        .as_ref()
        .is_some_and(|aud| aud.contains(audience))
    {
        return Err(Step::Audience);
    }
    // 5. Expiry.
    if answer.exp.is_some_and(|exp| exp <= now) {
        return Err(Step::Lifetime);
    }
    let sub = answer.sub.clone().ok_or(Step::Claims)?;
    Ok(Caller {
        sub,
        client_id: answer.client_id.clone(),
        scopes: split_scopes(answer.scope.as_deref()),
    })
}
