//! The provider's browser session, typed: who is logged in, the CSRF token, and the
//! authorization requests waiting for login or consent.
//!
//! The pending requests live here, server-side, under random ids. A wrong password
//! therefore loses nothing, and one browser can never see another's pending request.

use std::collections::BTreeMap;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::{Deserialize, Serialize};

use crate::domain::token::random_id;
use crate::error::PageError;
use crate::web::csrf;

/// The session key of the signed-in user (the session store gives sessions without it a
/// short life).
pub const USER_ID: &str = "user_id";
const CSRF_TOKEN: &str = "csrf_token";
const PENDING: &str = "pending_authorizations";

/// How many authorization requests one browser may have waiting (each tab makes one).
const MAX_PENDING: usize = 8;
/// How long a pending request waits for login and consent.
const PENDING_TTL_MILLIS: u64 = 10 * 60 * 1000;

/// An authorization request that passed validation and waits for the user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingAuthorization {
    pub client_id: String,
    /// The `redirect_uri` as sent (`None` if omitted).
    pub redirect_uri: Option<String>,
    pub scopes: String,
    pub state: Option<String>,
    pub code_challenge: String,
    pub created_at: u64,
}

/// The session of the browser making this request.
pub struct ProviderSession(Session);

impl FromRequest for ProviderSession {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(ProviderSession(req.get_session())))
    }
}

fn session_error(error: impl std::fmt::Display) -> PageError {
    PageError::Internal(anyhow::anyhow!("session: {error}"))
}

impl ProviderSession {
    /// The logged-in resource owner, if any.
    pub fn user_id(&self) -> Option<String> {
        self.0.get::<String>(USER_ID).ok().flatten()
    }

    /// Logs `user_id` in. The session id is renewed first, so an id planted in the browser
    /// before login (session fixation) is worthless afterwards; the CSRF token is renewed too.
    pub fn log_in(&self, user_id: &str) -> Result<(), PageError> {
        self.0.renew();
        self.0.insert(USER_ID, user_id).map_err(session_error)?;
        self.0
            .insert(CSRF_TOKEN, csrf::new_token())
            .map_err(session_error)
    }

    /// Ends the session: nothing of it survives.
    pub fn log_out(&self) {
        self.0.purge();
    }

    /// This session's CSRF token, made on first use.
    pub fn csrf_token(&self) -> Result<String, PageError> {
        if let Some(token) = self.0.get::<String>(CSRF_TOKEN).ok().flatten() {
            return Ok(token);
        }
        let token = csrf::new_token();
        self.0.insert(CSRF_TOKEN, &token).map_err(session_error)?;
        Ok(token)
    }

    /// Refuses the form unless it carries this session's CSRF token.
    pub fn check_csrf(&self, presented: Option<&str>) -> Result<(), PageError> {
        let expected = self.0.get::<String>(CSRF_TOKEN).ok().flatten();
        if csrf::matches(expected.as_deref(), presented) {
            Ok(())
        } else {
            Err(PageError::Csrf)
        }
    }

    fn pending_map(&self) -> BTreeMap<String, PendingAuthorization> {
        self.0
            .get::<BTreeMap<String, PendingAuthorization>>(PENDING)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Keeps a validated request until the user has logged in and decided; returns its id.
    pub fn save_pending(
        &self,
        pending: PendingAuthorization,
        now: u64,
    ) -> Result<String, PageError> {
        let mut map = self.pending_map();
        map.retain(|_, request| now < request.created_at + PENDING_TTL_MILLIS);
        while map.len() >= MAX_PENDING {
            let oldest = map
                .iter()
                .min_by_key(|(_, request)| request.created_at)
                .map(|(id, _)| id.clone());
            match oldest {
                Some(id) => map.remove(&id),
                None => break,
            };
        }
        let id = random_id();
        map.insert(id.clone(), pending);
        self.0.insert(PENDING, map).map_err(session_error)?;
        Ok(id)
    }

    /// The pending request with this id, if it is still waiting.
    pub fn pending(&self, id: &str, now: u64) -> Option<PendingAuthorization> {
        self.pending_map()
            .remove(id)
            .filter(|request| now < request.created_at + PENDING_TTL_MILLIS)
    }

    /// Removes and returns the pending request: a decision is made once.
    pub fn take_pending(
        &self,
        id: &str,
        now: u64,
    ) -> Result<Option<PendingAuthorization>, PageError> {
        let mut map = self.pending_map();
        let taken = map.remove(id);
        self.0.insert(PENDING, map).map_err(session_error)?;
        Ok(taken.filter(|request| now < request.created_at + PENDING_TTL_MILLIS))
    }
}
