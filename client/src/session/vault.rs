//! The server-side state of each browser: its tokens, its pending authorization requests and
//! its flow log, kept here and never in a cookie.
//!
//! Why not inside actix-session's state? actix-session hands each request a *snapshot* of
//! the state and writes it back when the response leaves. Two requests in parallel would
//! each see the same expired token and each refresh it (with rotation and reuse detection,
//! the second refresh revokes the whole grant), or each redeem the same callback. So the
//! session holds only an opaque browser id, and what must change atomically lives here,
//! behind locks: [`BrowserState::tokens`] is an async mutex held across a refresh, so one
//! request refreshes and the others wait for its result.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::Mutex as AsyncMutex;

use crate::flow::{FlowLog, Step};
use crate::oauth::{LOGIN_TIMEOUT, PendingAuthorization, TokenSet, same_state};
use crate::pages::Notice;

/// How many authorization requests one browser may have in flight (tabs, incremental).
const PENDING_KEPT: usize = 4;
/// How many used `state` values are remembered, to recognise a replayed response.
const USED_STATES_KEPT: usize = 16;

/// Locks a std mutex; a poisoned lock (a panic elsewhere mid-update) still holds
/// consistent plain data here, so it is used as is.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What `/callback` finds for a `state`.
pub enum PendingMatch {
    /// The request this response answers; removed, so it cannot match twice.
    Found(PendingAuthorization),
    /// This `state` was already used: a replayed (or reloaded) response.
    AlreadyUsed,
    /// Requests are pending, but none sent this `state`.
    Mismatch,
    /// No request is pending.
    NothingPending,
}

/// The authorization requests one browser has in flight, and the `state`s it has used:
/// what the callback's first check ([`check_state`]) looks in.
///
/// [`check_state`]: crate::oauth::callback::check_state
#[derive(Default)]
pub struct PendingLogins {
    pending: Mutex<Vec<PendingAuthorization>>,
    used_states: Mutex<VecDeque<[u8; 32]>>,
}

impl PendingLogins {
    /// Keeps a new authorization request (the oldest is dropped beyond a few).
    pub fn add(&self, pending: PendingAuthorization) {
        let mut list = lock(&self.pending);
        list.retain(|p| p.started.elapsed() < LOGIN_TIMEOUT);
        if list.len() == PENDING_KEPT {
            list.remove(0);
        }
        list.push(pending);
    }

    /// Finds and removes the request whose `state` this is. Every pending `state` is
    /// compared in constant time, with no early exit.
    pub fn take_pending(&self, state: &str) -> PendingMatch {
        let mut list = lock(&self.pending);
        let mut found = None;
        for (index, pending) in list.iter().enumerate() {
            if same_state(&pending.state, state) {
                found = Some(index);
            }
        }
        if let Some(index) = found {
            let pending = list.remove(index);
            lock(&self.used_states).push_front(digest(state));
            lock(&self.used_states).truncate(USED_STATES_KEPT);
            return PendingMatch::Found(pending);
        }
        let hash = digest(state);
        if lock(&self.used_states).iter().any(|used| *used == hash) {
            PendingMatch::AlreadyUsed
        } else if list.is_empty() {
            PendingMatch::NothingPending
        } else {
            PendingMatch::Mismatch
        }
    }

    /// Forgets every pending request (logout).
    pub fn clear(&self) {
        lock(&self.pending).clear();
    }
}

/// One browser's server-side state.
#[derive(Default)]
pub struct BrowserState {
    /// The tokens, `None` when signed out. An async mutex: held across the refresh call.
    pub tokens: AsyncMutex<Option<TokenSet>>,
    /// The logins this browser started and has not finished.
    pub pending: PendingLogins,
    flow: Mutex<FlowLog>,
    notice: Mutex<Option<Notice>>,
    /// The `state` sent with an RP-initiated logout (RP-Initiated Logout 1.0 §2), until the
    /// provider sends the browser back with it.
    logout_state: Mutex<Option<String>>,
}

impl BrowserState {
    /// Signs in with `tokens`, answering the tokens they replace (a new login, or
    /// incremental authorization), which the caller should revoke.
    pub async fn sign_in(&self, mut tokens: TokenSet) -> Option<TokenSet> {
        let mut guard = self.tokens.lock().await;
        if let Some(old) = guard.as_ref() {
            // A request that saw a 401 with the old token must not think it is current.
            tokens.generation = old.generation + 1;
        }
        guard.replace(tokens)
    }

    /// A fresh `state` for a logout at the provider, kept until the browser comes back.
    pub fn begin_logout(&self) -> String {
        let state = oauth2::CsrfToken::new_random().into_secret();
        lock(&self.logout_state).replace(state.clone());
        state
    }

    /// Whether `state` is the one [`begin_logout`](Self::begin_logout) kept (constant time);
    /// it is used up either way.
    pub fn finish_logout(&self, state: &str) -> bool {
        lock(&self.logout_state)
            .take()
            .is_some_and(|kept| bool::from(kept.as_bytes().ct_eq(state.as_bytes())))
    }

    /// Starts a new flow in the inspector.
    pub fn begin_flow(&self, steps: impl IntoIterator<Item = Step>) {
        lock(&self.flow).begin(steps);
    }

    /// Adds steps of the login itself.
    pub fn record_login(&self, steps: Vec<Step>) {
        let mut flow = lock(&self.flow);
        steps.into_iter().for_each(|step| flow.push_login(step));
    }

    /// Adds later steps (API calls, refreshes, revocations).
    pub fn record(&self, steps: Vec<Step>) {
        let mut flow = lock(&self.flow);
        steps.into_iter().for_each(|step| flow.push(step));
    }

    /// A copy of the flow log's steps: (login steps, dropped count, later steps).
    pub fn flow_snapshot(&self) -> (Vec<Step>, usize, Vec<Step>) {
        lock(&self.flow).snapshot()
    }

    pub fn has_flow(&self) -> bool {
        !lock(&self.flow).is_empty()
    }

    /// Leaves a message for the next home page.
    pub fn set_notice(&self, notice: Notice) {
        *lock(&self.notice) = Some(notice);
    }

    /// Takes the message, if any (shown once).
    pub fn take_notice(&self) -> Option<Notice> {
        lock(&self.notice).take()
    }
}

/// Only the digest of a used `state` is kept: enough to recognise it, nothing to reuse.
fn digest(state: &str) -> [u8; 32] {
    Sha256::digest(state.as_bytes()).into()
}

struct Entry {
    state: Arc<BrowserState>,
    last_seen: Instant,
}

/// Every browser's state, by the opaque id its session holds.
pub struct Vault {
    browsers: Mutex<HashMap<String, Entry>>,
    idle_limit: Duration,
}

impl Vault {
    /// A vault forgetting browsers idle for longer than `idle_limit` (the session TTL), so
    /// memory does not grow with every visitor ever seen.
    pub fn new(idle_limit: Duration) -> Self {
        Self {
            browsers: Mutex::new(HashMap::new()),
            idle_limit,
        }
    }

    /// The state of browser `id`, if it has one.
    pub fn get(&self, id: &str) -> Option<Arc<BrowserState>> {
        let mut browsers = lock(&self.browsers);
        let entry = browsers.get_mut(id)?;
        entry.last_seen = Instant::now();
        Some(Arc::clone(&entry.state))
    }

    /// The state of browser `id`, created empty if needed.
    pub fn get_or_create(&self, id: &str) -> Arc<BrowserState> {
        let mut browsers = lock(&self.browsers);
        let idle_limit = self.idle_limit;
        if !browsers.contains_key(id) {
            // A browser with tokens is kept for the session's idle limit; one without (a
            // half-finished login, which anyone can start by the thousand with a cookieless
            // `GET /login`) only as long as its login may take.
            browsers.retain(|_, entry| {
                let signed_in = entry
                    .state
                    .tokens
                    .try_lock()
                    .map_or(true, |tokens| tokens.is_some());
                let limit = if signed_in {
                    idle_limit
                } else {
                    LOGIN_TIMEOUT.min(idle_limit)
                };
                entry.last_seen.elapsed() < limit
            });
        }
        let entry = browsers.entry(id.to_owned()).or_insert_with(|| Entry {
            state: Arc::default(),
            last_seen: Instant::now(),
        });
        entry.last_seen = Instant::now();
        Arc::clone(&entry.state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oauth2::{CsrfToken, PkceCodeVerifier};

    fn pending(state: &str) -> PendingAuthorization {
        PendingAuthorization {
            resources: Vec::new(),
            state: CsrfToken::new(state.into()),
            verifier: PkceCodeVerifier::new("v".repeat(43)),
            nonce: None,
            scopes: vec![],
            started: Instant::now(),
            incremental: false,
        }
    }

    #[test]
    fn a_state_matches_once_then_is_recognised_as_replayed() {
        let logins = PendingLogins::default();
        assert!(matches!(
            logins.take_pending("s1"),
            PendingMatch::NothingPending
        ));
        logins.add(pending("s1"));
        logins.add(pending("s2"));
        assert!(matches!(
            logins.take_pending("forged"),
            PendingMatch::Mismatch
        ));
        assert!(matches!(logins.take_pending("s1"), PendingMatch::Found(_)));
        assert!(matches!(
            logins.take_pending("s1"),
            PendingMatch::AlreadyUsed
        ));
        assert!(matches!(logins.take_pending("s2"), PendingMatch::Found(_)));
    }

    #[test]
    fn the_vault_creates_once_and_finds_again() {
        let vault = Vault::new(Duration::from_secs(60));
        assert!(vault.get("b").is_none());
        let created = vault.get_or_create("b");
        let found = vault.get("b").expect("created");
        assert!(Arc::ptr_eq(&created, &found));
    }
}
