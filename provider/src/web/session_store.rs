//! Where browser sessions live (login, pending authorizations, CSRF token): in this
//! process, or in Redis when `STORE=redis://…`.
//!
//! actix-session ships a cookie store (the whole session in an encrypted cookie) and a
//! Redis store, but none in memory: [`MemorySessionStore`] is that. [`RedisSessions`] keeps
//! them in Redis, over the grant store's own connection. In both, the cookie carries only a
//! random session key; the session data stays server-side. [`SessionBackend`] picks one at start.
//! With Redis, any instance can continue a flow another one started (they share
//! `SESSION_KEY`, so each can read the others' cookies).
//!
//! Why not actix-session's `RedisSessionStore`: it opens a connection of its own with the
//! `redis` crate's default reconnection policy, which it does not let us change, and that
//! policy waits up to a minute between attempts. Measured: after a Redis restart, every page
//! failed for over a minute while tokens already worked again. Sharing the store's
//! connection gives sessions the same fail-fast, reconnect-at-once behaviour.

use std::collections::HashMap;
use std::sync::Arc;

use actix_session::storage::{
    LoadError, SaveError, SessionKey, SessionStore, UpdateError, generate_session_key,
};
use actix_web::cookie::time::Duration;
use redis::aio::ConnectionManager;

type SessionState = HashMap<String, String>;

/// The sessions of every browser, in memory: the one store both programs use.
pub use shared::server::MemorySessionStore;

/// Sessions in Redis: one string key per session, `<STORE_PREFIX>session:<key>`, holding
/// the session's JSON and expiring with its TTL.
#[derive(Clone)]
pub struct RedisSessions {
    connection: ConnectionManager,
    prefix: Arc<str>,
}

impl RedisSessions {
    /// Sessions over an open connection (the grant store's), under `<prefix>session:`.
    pub fn new(connection: ConnectionManager, prefix: &str) -> Self {
        Self {
            connection,
            prefix: format!("{prefix}session:").into(),
        }
    }

    fn key(&self, session_key: &SessionKey) -> String {
        format!("{}{}", self.prefix, session_key.as_ref())
    }

    /// Redis wants whole seconds, at least one.
    fn seconds(ttl: &Duration) -> i64 {
        ttl.whole_seconds().max(1)
    }

    /// `SET key body <condition> EX ttl`: whether it was written. `condition` is `NX` (only
    /// a new key) or `XX` (only an existing one).
    async fn set(
        &self,
        session_key: &SessionKey,
        body: String,
        condition: &str,
        ttl: &Duration,
    ) -> redis::RedisResult<bool> {
        let written: Option<String> = redis::cmd("SET")
            .arg(self.key(session_key))
            .arg(body)
            .arg(condition)
            .arg("EX")
            .arg(Self::seconds(ttl))
            .query_async(&mut self.connection.clone())
            .await?;
        Ok(written.is_some())
    }

    /// A new session under a fresh key. `NX`: never overwrite another browser's session.
    async fn save_new(
        &self,
        session_state: &SessionState,
        ttl: &Duration,
    ) -> Result<SessionKey, SaveError> {
        let body = serde_json::to_string(session_state)
            .map_err(|error| SaveError::Serialization(error.into()))?;
        let session_key = generate_session_key();
        let written = self
            .set(&session_key, body, "NX", ttl)
            .await
            .map_err(|error| SaveError::Other(error.into()))?;
        if written {
            Ok(session_key)
        } else {
            Err(SaveError::Other(anyhow::anyhow!(
                "a freshly generated session key was already taken"
            )))
        }
    }
}

impl SessionStore for RedisSessions {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<SessionState>, LoadError> {
        let body: Option<String> = redis::cmd("GET")
            .arg(self.key(session_key))
            .query_async(&mut self.connection.clone())
            .await
            .map_err(|error| LoadError::Other(error.into()))?;
        body.map(|body| serde_json::from_str(&body))
            .transpose()
            .map_err(|error| LoadError::Deserialization(error.into()))
    }

    async fn save(
        &self,
        session_state: SessionState,
        ttl: &Duration,
    ) -> Result<SessionKey, SaveError> {
        self.save_new(&session_state, ttl).await
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: SessionState,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let body = serde_json::to_string(&session_state)
            .map_err(|error| UpdateError::Serialization(error.into()))?;
        // `XX`: only if it still exists. A session that expired since it was loaded gets a
        // fresh key rather than coming back under the old one.
        let written = self
            .set(&session_key, body, "XX", ttl)
            .await
            .map_err(|error| UpdateError::Other(error.into()))?;
        if written {
            Ok(session_key)
        } else {
            self.save_new(&session_state, ttl)
                .await
                .map_err(|error| UpdateError::Other(anyhow::anyhow!("{error}")))
        }
    }

    async fn update_ttl(
        &self,
        session_key: &SessionKey,
        ttl: &Duration,
    ) -> Result<(), anyhow::Error> {
        let _: i64 = redis::cmd("EXPIRE")
            .arg(self.key(session_key))
            .arg(Self::seconds(ttl))
            .query_async(&mut self.connection.clone())
            .await?;
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        let _: i64 = redis::cmd("DEL")
            .arg(self.key(session_key))
            .query_async(&mut self.connection.clone())
            .await?;
        Ok(())
    }
}

/// The session store chosen by `STORE`. Clones share the same sessions.
#[derive(Clone)]
pub enum SessionBackend {
    Memory(MemorySessionStore),
    Redis(RedisSessions),
}

impl SessionBackend {
    /// Drops expired sessions from memory (Redis expires its own); returns how many.
    pub fn purge_expired(&self) -> usize {
        match self {
            SessionBackend::Memory(memory) => memory.purge_expired(),
            SessionBackend::Redis(_) => 0,
        }
    }
}

/// How long the provider keeps a session nobody has signed in to: ten minutes, the life of
/// the pending authorization requests it holds (`session.rs`). Every cookieless
/// `GET /oauth/authorize` makes one, so anyone can make them by the thousand; at the
/// cookie's own lifetime (a day) they would pile up (2,000 requests held 70 MB;
/// `provider/tests/memory/anonymous_memory.rs` keeps the bound).
/// A signed-in session keeps actix-session's lifetime.
pub const ANONYMOUS_SESSION_TTL: Duration = Duration::minutes(10);

/// The lifetime to store `session_state` for: `ttl`, or less when nobody is signed in.
fn lifetime(session_state: &SessionState, ttl: &Duration) -> Duration {
    if session_state.contains_key(crate::web::session::USER_ID) {
        *ttl
    } else {
        (*ttl).min(ANONYMOUS_SESSION_TTL)
    }
}

impl SessionStore for SessionBackend {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<SessionState>, LoadError> {
        match self {
            SessionBackend::Memory(store) => store.load(session_key).await,
            SessionBackend::Redis(store) => store.load(session_key).await,
        }
    }

    async fn save(
        &self,
        session_state: SessionState,
        ttl: &Duration,
    ) -> Result<SessionKey, SaveError> {
        let ttl = &lifetime(&session_state, ttl);
        match self {
            SessionBackend::Memory(store) => store.save(session_state, ttl).await,
            SessionBackend::Redis(store) => store.save(session_state, ttl).await,
        }
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: SessionState,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let ttl = &lifetime(&session_state, ttl);
        match self {
            SessionBackend::Memory(store) => store.update(session_key, session_state, ttl).await,
            SessionBackend::Redis(store) => store.update(session_key, session_state, ttl).await,
        }
    }

    async fn update_ttl(
        &self,
        session_key: &SessionKey,
        ttl: &Duration,
    ) -> Result<(), anyhow::Error> {
        match self {
            SessionBackend::Memory(store) => store.update_ttl(session_key, ttl).await,
            SessionBackend::Redis(store) => store.update_ttl(session_key, ttl).await,
        }
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        match self {
            SessionBackend::Memory(store) => store.delete(session_key).await,
            SessionBackend::Redis(store) => store.delete(session_key).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_nobody_signed_in_to_lives_ten_minutes_and_a_signed_in_one_its_full_ttl() {
        let day = Duration::days(1);
        let anonymous = SessionState::from([("csrf_token".to_owned(), "\"x\"".to_owned())]);
        assert_eq!(lifetime(&anonymous, &day), ANONYMOUS_SESSION_TTL);
        let signed_in = SessionState::from([(
            crate::web::session::USER_ID.to_owned(),
            "\"user1\"".to_owned(),
        )]);
        assert_eq!(lifetime(&signed_in, &day), day);
    }
}
