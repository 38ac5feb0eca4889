//! The server-side half of a browser session, in memory: what both apps keep behind their
//! session cookie (the provider: who is logged in, the pending authorization, the CSRF
//! token; the client: the key to the browser's tokens and its pending logins).
//!
//! actix-session ships a cookie store (the whole session inside the cookie) and a Redis store,
//! but none in memory: [`MemorySessionStore`] is that. The cookie carries only a random
//! session key (encrypted by the middleware); its values stay in this process, and end
//! when the process does, which suits a teaching app.
//!
//! Anonymous traffic can open sessions (a `GET /oauth/authorize`, a `GET /login`), so each
//! has a lifetime (the TTL actix-session passes in) and expired ones are dropped: by
//! [`MemorySessionStore::purge_expired`] when the app runs a purge task, and otherwise by
//! the saves themselves whenever the map has doubled since the last sweep (and holds at
//! least [`SWEEP_FLOOR`]). So the map never holds more than twice the live sessions (or the
//! floor), and a sweep's cost is spread over the saves that filled the map: no save pays
//! for the whole map each time.
//!
//! One store is created at start-up and cloned into every worker: `HttpServer::new` runs
//! its factory once per worker thread, and a store created inside it would give each
//! worker its own map (sessions vanishing at random).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actix_session::storage::{
    LoadError, SaveError, SessionKey, SessionStore, UpdateError, generate_session_key,
};
use actix_web::cookie::time::Duration as CookieDuration;
use dashmap::DashMap;

/// What actix-session keeps for one browser: its keys and (JSON-encoded) values.
type SessionValues = HashMap<String, String>;

/// Below this many sessions, saves do not sweep (a sweep would cost more than the room).
pub const SWEEP_FLOOR: usize = 64;

/// The sessions of every browser, by session key. Clone it freely: clones share the map.
#[derive(Clone, Default)]
pub struct MemorySessionStore {
    sessions: Arc<DashMap<String, Entry>>,
    /// How many sessions the last sweep left: the next one runs at twice that.
    left_by_last_sweep: Arc<AtomicUsize>,
}

struct Entry {
    values: SessionValues,
    expires_at: Instant,
}

fn deadline(ttl: &CookieDuration) -> Instant {
    Instant::now() + Duration::try_from(*ttl).unwrap_or_default()
}

impl MemorySessionStore {
    /// Drops expired sessions; returns how many.
    pub fn purge_expired(&self) -> usize {
        let now = Instant::now();
        // Counted as they go: browsers keep opening sessions while this runs, so "length
        // before minus length after" could be negative (a panic in debug builds).
        let mut purged = 0;
        self.sessions.retain(|_, entry| {
            let keep = entry.expires_at > now;
            purged += usize::from(!keep);
            keep
        });
        purged
    }

    /// How many sessions are held, expired ones not yet swept included.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// Sweeps when the map has doubled since the last sweep (amortised: each sweep walks
    /// at most twice the entries the saves since the last one added).
    fn sweep_when_doubled(&self) {
        let threshold = (2 * self.left_by_last_sweep.load(Ordering::Relaxed)).max(SWEEP_FLOOR);
        if self.sessions.len() >= threshold {
            self.purge_expired();
            self.left_by_last_sweep
                .store(self.sessions.len(), Ordering::Relaxed);
        }
    }
}

impl SessionStore for MemorySessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<SessionValues>, LoadError> {
        Ok(self
            .sessions
            .get(session_key.as_ref())
            .filter(|entry| entry.expires_at > Instant::now())
            .map(|entry| entry.values.clone()))
    }

    async fn save(
        &self,
        values: SessionValues,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, SaveError> {
        self.sweep_when_doubled();
        let key = generate_session_key();
        self.sessions.insert(
            key.as_ref().to_owned(),
            Entry {
                values,
                expires_at: deadline(ttl),
            },
        );
        Ok(key)
    }

    async fn update(
        &self,
        session_key: SessionKey,
        values: SessionValues,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        if let Some(mut entry) = self.sessions.get_mut(session_key.as_ref()) {
            *entry = Entry {
                values,
                expires_at: deadline(ttl),
            };
            return Ok(session_key);
        }
        // The key is gone (expired, purged, or deleted by a parallel request): start a new
        // session rather than fail the request.
        self.save(values, ttl).await.map_err(|error| match error {
            SaveError::Serialization(error) => UpdateError::Serialization(error),
            SaveError::Other(error) => UpdateError::Other(error),
        })
    }

    async fn update_ttl(
        &self,
        session_key: &SessionKey,
        ttl: &CookieDuration,
    ) -> Result<(), anyhow::Error> {
        if let Some(mut entry) = self.sessions.get_mut(session_key.as_ref()) {
            entry.expires_at = deadline(ttl);
        }
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        self.sessions.remove(session_key.as_ref());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(value: &str) -> SessionValues {
        HashMap::from([("k".to_owned(), value.to_owned())])
    }

    #[actix_web::test]
    async fn a_saved_session_loads_updates_and_deletes() {
        let store = MemorySessionStore::default();
        let ttl = CookieDuration::minutes(5);
        let key = store.save(values("1"), &ttl).await.expect("saves");
        assert_eq!(store.load(&key).await.expect("loads"), Some(values("1")));
        let key = store.update(key, values("2"), &ttl).await.expect("updates");
        assert_eq!(store.load(&key).await.expect("loads"), Some(values("2")));
        store.delete(&key).await.expect("deletes");
        assert_eq!(store.load(&key).await.expect("loads"), None);
    }

    #[actix_web::test]
    async fn updating_a_vanished_session_starts_a_new_one() {
        let store = MemorySessionStore::default();
        let ttl = CookieDuration::minutes(5);
        let gone: SessionKey = "gone".to_owned().try_into().expect("short key");
        let key = store
            .update(gone, values("x"), &ttl)
            .await
            .expect("falls back to save");
        assert_eq!(store.load(&key).await.expect("loads"), Some(values("x")));
    }

    #[actix_web::test]
    async fn expired_sessions_do_not_load_and_saves_sweep_them_before_the_map_doubles() {
        let store = MemorySessionStore::default();
        let expired = CookieDuration::seconds(0);
        let key = store.save(values("old"), &expired).await.expect("saves");
        assert_eq!(store.load(&key).await.expect("loads"), None);
        // A flood of sessions nobody comes back for: the map never holds more than the
        // floor, although no purge task runs.
        for _ in 0..10 * SWEEP_FLOOR {
            store.save(values("old"), &expired).await.expect("saves");
            assert!(store.len() <= SWEEP_FLOOR, "{} sessions held", store.len());
        }
        store
            .save(values("new"), &CookieDuration::minutes(1))
            .await
            .expect("saves");
        assert!(store.len() <= SWEEP_FLOOR);
    }

    #[actix_web::test]
    async fn a_purge_drops_only_the_expired_and_counts_them() {
        let store = MemorySessionStore::default();
        let ttl = CookieDuration::minutes(1);
        let live = store.save(values("live"), &ttl).await.expect("saves");
        for _ in 0..3 {
            store
                .save(values("old"), &CookieDuration::seconds(0))
                .await
                .expect("saves");
        }
        assert_eq!(store.purge_expired(), 3);
        assert_eq!(store.len(), 1);
        assert_eq!(
            store.load(&live).await.expect("loads"),
            Some(values("live"))
        );
    }

    #[test]
    fn purging_while_sessions_are_being_opened_counts_only_what_it_removed() {
        let store = MemorySessionStore::default();
        let rounds = 4_000;
        let purged = std::thread::scope(|scope| {
            // Sessions keep arriving, as browsers do, while purges run: half already expired.
            let writer = scope.spawn(|| {
                for index in 0..rounds {
                    let now = Instant::now();
                    for (name, expires_at) in
                        [("expired", now), ("live", now + Duration::from_secs(60))]
                    {
                        store.sessions.insert(
                            format!("{name}-{index}"),
                            Entry {
                                values: SessionValues::new(),
                                expires_at,
                            },
                        );
                    }
                }
            });
            let mut purged = 0;
            while !writer.is_finished() {
                purged += store.purge_expired();
            }
            purged + store.purge_expired()
        });
        assert_eq!(purged, rounds);
        assert_eq!(store.len(), rounds);
    }
}
