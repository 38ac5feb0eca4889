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

use crate::domain::grant::Resources;
use crate::domain::pkce::CodeChallenge;
use crate::domain::scope::ScopeSet;
use crate::domain::token::random_id;
use crate::error::PageError;
use crate::oauth::authorize::is_echoable_state;
use crate::openid::id_token::Nonce;
use crate::openid::prompt::SignInRequest;
use crate::web::csrf;

/// The session key of the signed-in user (the session store gives sessions without it a
/// short life).
pub const USER_ID: &str = "user_id";
const CSRF_TOKEN: &str = "csrf_token";
/// When the user logged in, in seconds since the epoch: OpenID Connect's `auth_time`.
const AUTH_TIME: &str = "auth_time";
/// The session's own identifier for the ID tokens it leads to: OpenID Connect's `sid`.
const SID: &str = "sid";
/// The session key of the pending authorization requests, by request id.
pub const PENDING: &str = "pending_authorizations";

/// How many authorization requests one browser may have waiting (each tab makes one).
const MAX_PENDING: usize = 8;
/// How long a pending request waits for login and consent.
const PENDING_TTL_MILLIS: u64 = 10 * 60 * 1000;

/// An authorization request that passed validation and waits for the user. Its fields are
/// the checked values themselves ([`ScopeSet`], [`CodeChallenge`]), so the decision uses
/// exactly what the checks accepted. Read back from the session, it is checked again
/// ([`StoredPending`]): a damaged one is refused, never replaced by a default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "StoredPending", into = "StoredPending")]
pub struct PendingAuthorization {
    pub client_id: String,
    /// OpenID Connect's `nonce` (Core §3.1.2.1), kept only when the scope has `openid`.
    pub nonce: Option<Nonce>,
    /// What an `openid` request said about signing in (`prompt`, `max_age`, the hints:
    /// Core §3.1.2.1); the default for any other request.
    pub sign_in: SignInRequest,
    /// The `redirect_uri` as sent (`None` if omitted): §4.1.3 needs to know at the token
    /// endpoint. It is verified again when the user decides, since only a
    /// [`VerifiedRedirectUri`](crate::domain::client::VerifiedRedirectUri) is redirected to.
    pub redirect_uri: Option<String>,
    /// The scopes requested (the default already applied): never empty.
    pub scopes: ScopeSet,
    /// The resources requested (RFC 8707 §2.1; none sent: the provider's own API).
    pub resources: Resources,
    /// RFC 6749 §4.1.1's `state`, echoed back exactly: printable ASCII, at most
    /// [`MAX_STATE_LENGTH`](crate::oauth::authorize::MAX_STATE_LENGTH) characters.
    pub state: Option<String>,
    pub code_challenge: CodeChallenge,
    pub created_at: u64,
}

/// A [`PendingAuthorization`] as the session keeps it: JSON strings. Reading one back runs
/// every check again ([`TryFrom`]), because the session store is outside this process's
/// memory (Redis, a version written by an older release during a rolling update).
#[derive(Debug, Serialize, Deserialize)]
pub struct StoredPending {
    client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nonce: Option<String>,
    /// Absent in what an older release kept: then nothing was asked.
    #[serde(default)]
    sign_in: SignInRequest,
    redirect_uri: Option<String>,
    scopes: String,
    /// Absent in requests an older release kept: the provider's own API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resources: Option<String>,
    state: Option<String>,
    code_challenge: String,
    created_at: u64,
}

/// Why a stored pending request was refused. The messages name the field, never its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DamagedPending {
    #[error("the client_id is empty")]
    NoClient,
    #[error("the scopes are unknown or empty")]
    Scopes,
    #[error("the state is not printable ASCII of at most 512 characters")]
    State,
    #[error("the code_challenge is not 43 base64url characters")]
    CodeChallenge,
    #[error("the nonce is not printable ASCII of at most 512 characters")]
    Nonce,
    #[error("the resources are unknown or empty")]
    Resources,
}

impl TryFrom<StoredPending> for PendingAuthorization {
    type Error = DamagedPending;

    fn try_from(stored: StoredPending) -> Result<Self, DamagedPending> {
        if stored.client_id.is_empty() {
            return Err(DamagedPending::NoClient);
        }
        let nonce = match stored.nonce {
            None => None,
            Some(nonce) => Some(Nonce::parse(&nonce).ok_or(DamagedPending::Nonce)?),
        };
        let scopes = ScopeSet::parse(&stored.scopes)
            .ok()
            .filter(|scopes| !scopes.is_empty())
            .ok_or(DamagedPending::Scopes)?;
        if stored
            .state
            .as_deref()
            .is_some_and(|state| !is_echoable_state(state))
        {
            return Err(DamagedPending::State);
        }
        let code_challenge =
            CodeChallenge::parse(&stored.code_challenge).ok_or(DamagedPending::CodeChallenge)?;
        let resources = match stored.resources {
            None => Resources::DEFAULT,
            Some(resources) => {
                Resources::from_stored(&resources).ok_or(DamagedPending::Resources)?
            }
        };
        Ok(PendingAuthorization {
            client_id: stored.client_id,
            redirect_uri: stored.redirect_uri,
            scopes,
            resources,
            state: stored.state,
            code_challenge,
            created_at: stored.created_at,
            nonce,
            sign_in: stored.sign_in,
        })
    }
}

impl From<PendingAuthorization> for StoredPending {
    fn from(pending: PendingAuthorization) -> Self {
        StoredPending {
            client_id: pending.client_id,
            nonce: pending.nonce.map(|nonce| nonce.as_str().to_owned()),
            sign_in: pending.sign_in,
            redirect_uri: pending.redirect_uri,
            scopes: pending.scopes.to_wire(),
            resources: Some(pending.resources.to_stored()),
            state: pending.state,
            code_challenge: pending.code_challenge.as_str().to_owned(),
            created_at: pending.created_at,
        }
    }
}

impl PendingAuthorization {
    fn is_waiting(&self, now: u64) -> bool {
        now < self.created_at + PENDING_TTL_MILLIS
    }
}

/// What a damaged pending request shows: an error page, and the decision is not made.
fn damaged(error: serde_json::Error) -> PageError {
    tracing::warn!(reason = %error, "a pending authorization request could not be read");
    PageError::bad_request(
        "This sign-in request cannot be read",
        "The provider could not read back the request it kept for you, so nothing was \
         decided. Go back to the application and start signing in again.",
    )
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

    /// Logs `user_id` in at `now` (milliseconds). The session id is renewed first, so an id
    /// planted in the browser before login (session fixation) is worthless afterwards; the
    /// CSRF token is renewed too.
    pub fn log_in(&self, user_id: &str, now: u64) -> Result<(), PageError> {
        self.0.renew();
        self.0.insert(USER_ID, user_id).map_err(session_error)?;
        self.0
            .insert(AUTH_TIME, now / 1000)
            .map_err(session_error)?;
        // A fresh random value, not the cookie's: the cookie is a bearer credential for
        // this browser, while `sid` travels in every ID token and logout request.
        self.0.insert(SID, random_id()).map_err(session_error)?;
        self.0
            .insert(CSRF_TOKEN, csrf::new_token())
            .map_err(session_error)
    }

    /// When the signed-in user logged in (seconds since the epoch), if anyone is signed in.
    pub fn auth_time(&self) -> Option<u64> {
        self.0.get::<u64>(AUTH_TIME).ok().flatten()
    }

    /// This login's session identifier: the ID token's `sid` (OpenID Connect Front-Channel
    /// Logout 1.0 §3: "String identifier for a Session. This represents a Session of a User
    /// Agent or device for a logged-in End-User at an RP"). Stable for the whole session,
    /// new at each login; `None` for a session an older release logged in.
    pub fn sid(&self) -> Option<String> {
        self.0.get::<String>(SID).ok().flatten()
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

    /// The pending requests, undecoded: each is decoded (and checked) only when asked for,
    /// so one damaged entry shows its own error page and leaves the others alone.
    fn pending_map(&self) -> BTreeMap<String, serde_json::Value> {
        self.0
            .get::<BTreeMap<String, serde_json::Value>>(PENDING)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Keeps a validated request until the user has logged in and decided; returns its id.
    /// Expired and unreadable entries are dropped here, so the map stays bounded.
    pub fn save_pending(
        &self,
        pending: PendingAuthorization,
        now: u64,
    ) -> Result<String, PageError> {
        let mut waiting: BTreeMap<String, PendingAuthorization> = self
            .pending_map()
            .into_iter()
            .filter_map(|(id, value)| {
                let request: PendingAuthorization = serde_json::from_value(value).ok()?;
                request.is_waiting(now).then_some((id, request))
            })
            .collect();
        while waiting.len() >= MAX_PENDING {
            let oldest = waiting
                .iter()
                .min_by_key(|(_, request)| request.created_at)
                .map(|(id, _)| id.clone());
            match oldest {
                Some(id) => waiting.remove(&id),
                None => break,
            };
        }
        let id = random_id();
        waiting.insert(id.clone(), pending);
        self.0.insert(PENDING, waiting).map_err(session_error)?;
        Ok(id)
    }

    /// The pending request with this id, if it is still waiting; an error page if the
    /// session holds one under this id that fails its checks.
    pub fn pending(&self, id: &str, now: u64) -> Result<Option<PendingAuthorization>, PageError> {
        let Some(value) = self.pending_map().remove(id) else {
            return Ok(None);
        };
        let pending: PendingAuthorization = serde_json::from_value(value).map_err(damaged)?;
        Ok(pending.is_waiting(now).then_some(pending))
    }

    /// Notes that the user signed in for the pending request `id`, so what it asked of the
    /// sign-in (`prompt=login`, `max_age`, `id_token_hint`) is done and not asked again.
    pub fn mark_signed_in_for(&self, id: &str) -> Result<(), PageError> {
        let mut map = self.pending_map();
        let Some(value) = map.get(id) else {
            return Ok(());
        };
        let mut pending: PendingAuthorization =
            serde_json::from_value(value.clone()).map_err(damaged)?;
        pending.sign_in.signed_in_for_it = true;
        let value = serde_json::to_value(pending).map_err(session_error)?;
        map.insert(id.to_owned(), value);
        self.0.insert(PENDING, map).map_err(session_error)
    }

    /// Removes and returns the pending request: a decision is made once. A damaged one is
    /// removed too, and is an error page.
    pub fn take_pending(
        &self,
        id: &str,
        now: u64,
    ) -> Result<Option<PendingAuthorization>, PageError> {
        let mut map = self.pending_map();
        let taken = map.remove(id);
        self.0.insert(PENDING, map).map_err(session_error)?;
        let Some(value) = taken else {
            return Ok(None);
        };
        let pending: PendingAuthorization = serde_json::from_value(value).map_err(damaged)?;
        Ok(pending.is_waiting(now).then_some(pending))
    }
}
