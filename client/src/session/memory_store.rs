//! actix-session's storage, in memory: the server-side half of the session.
//!
//! actix-session ships a cookie store (the whole state inside the cookie) and Redis stores,
//! but no in-memory one. With this store the `client_session` cookie carries only a random
//! session key (encrypted by the middleware), and the state stays in this process. Sessions
//! end when the client restarts, which suits a teaching app.
//!
//! One store is created at start-up and cloned into every worker: `HttpServer::new` runs
//! its factory once per worker thread, and a store created inside it would give each
//! worker its own map (sessions vanishing at random).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use actix_session::storage::{
    LoadError, SaveError, SessionKey, SessionStore, UpdateError, generate_session_key,
};
use actix_web::cookie::time::Duration as CookieDuration;

type SessionState = HashMap<String, String>;

struct Entry {
    state: SessionState,
    expires_at: Instant,
}

/// A session store in a shared map; expired entries are swept on every save.
#[derive(Clone, Default)]
pub struct MemorySessionStore {
    entries: Arc<Mutex<HashMap<String, Entry>>>,
}

impl MemorySessionStore {
    fn entries(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        // A poisoned lock only means another request panicked mid-update of a map of plain
        // values; the map itself is still consistent.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many sessions are held (for tests).
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn deadline(ttl: &CookieDuration) -> Instant {
    Instant::now() + Duration::from_secs(ttl.whole_seconds().max(0).unsigned_abs())
}

impl SessionStore for MemorySessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<SessionState>, LoadError> {
        let entries = self.entries();
        Ok(entries
            .get(session_key.as_ref())
            .filter(|entry| entry.expires_at > Instant::now())
            .map(|entry| entry.state.clone()))
    }

    async fn save(
        &self,
        session_state: SessionState,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, SaveError> {
        let key = generate_session_key();
        let mut entries = self.entries();
        let now = Instant::now();
        entries.retain(|_, entry| entry.expires_at > now);
        entries.insert(
            key.as_ref().to_owned(),
            Entry {
                state: session_state,
                expires_at: deadline(ttl),
            },
        );
        Ok(key)
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: SessionState,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        {
            let mut entries = self.entries();
            if let Some(entry) = entries.get_mut(session_key.as_ref()) {
                entry.state = session_state;
                entry.expires_at = deadline(ttl);
                return Ok(session_key);
            }
        }
        // The key is gone (expired, or deleted by a parallel request): start a new session
        // rather than fail the request.
        self.save(session_state, ttl)
            .await
            .map_err(|error| match error {
                SaveError::Serialization(e) => UpdateError::Serialization(e),
                SaveError::Other(e) => UpdateError::Other(e),
            })
    }

    async fn update_ttl(
        &self,
        session_key: &SessionKey,
        ttl: &CookieDuration,
    ) -> Result<(), anyhow::Error> {
        if let Some(entry) = self.entries().get_mut(session_key.as_ref()) {
            entry.expires_at = deadline(ttl);
        }
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        self.entries().remove(session_key.as_ref());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(value: &str) -> SessionState {
        HashMap::from([("k".to_owned(), value.to_owned())])
    }

    #[actix_web::test]
    async fn a_saved_session_loads_updates_and_deletes() {
        let store = MemorySessionStore::default();
        let ttl = CookieDuration::minutes(5);
        let key = store.save(state("1"), &ttl).await.expect("saves");
        let loaded = store.load(&key).await.expect("loads");
        assert_eq!(loaded, Some(state("1")));
        let key = store.update(key, state("2"), &ttl).await.expect("updates");
        assert_eq!(store.load(&key).await.expect("loads"), Some(state("2")));
        store.delete(&key).await.expect("deletes");
        assert_eq!(store.load(&key).await.expect("loads"), None);
    }

    #[actix_web::test]
    async fn updating_a_vanished_session_starts_a_new_one() {
        let store = MemorySessionStore::default();
        let ttl = CookieDuration::minutes(5);
        let gone: SessionKey = "gone".to_owned().try_into().expect("short key");
        let key = store
            .update(gone, state("x"), &ttl)
            .await
            .expect("falls back to save");
        assert_eq!(store.load(&key).await.expect("loads"), Some(state("x")));
    }

    #[actix_web::test]
    async fn expired_sessions_do_not_load_and_are_swept() {
        let store = MemorySessionStore::default();
        let key = store
            .save(state("old"), &CookieDuration::seconds(0))
            .await
            .expect("saves");
        assert_eq!(store.load(&key).await.expect("loads"), None);
        store
            .save(state("new"), &CookieDuration::minutes(1))
            .await
            .expect("saves");
        assert_eq!(store.len(), 1);
    }
}
