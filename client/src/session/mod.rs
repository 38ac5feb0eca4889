//! The browser's session: a `client_session` cookie that holds only an opaque id.
//!
//! actix-session manages the cookie (`HttpOnly`, `SameSite=Lax`, encrypted session key) and
//! keeps its small state in [`shared::server::MemorySessionStore`], on this server. That state
//! holds two values: the browser id, naming this browser's [`vault::BrowserState`] (tokens,
//! pending requests, flow log), and this app's own CSRF token for its POST forms. Tokens,
//! the PKCE verifier and `state` never reach the browser.

pub mod vault;

use std::future::{Ready, ready};
use std::sync::Arc;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::error::ClientError;
use vault::{BrowserState, Vault};

const BROWSER_ID: &str = "browser_id";
const CSRF_TOKEN: &str = "csrf_token";

/// The name of the session cookie: not the provider's (`provider_session`), since browsers
/// share cookies across the ports of one host.
pub const COOKIE_NAME: &str = "client_session";

/// A typed view of the actix session: named accessors instead of string keys.
pub struct ClientSession(Session);

impl FromRequest for ClientSession {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(ClientSession(req.get_session())))
    }
}

/// 128 random bits, base64url: browser ids and CSRF tokens.
fn random_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn internal(error: impl std::fmt::Display) -> ClientError {
    ClientError::Internal(anyhow::anyhow!("session: {error}"))
}

impl ClientSession {
    fn get(&self, key: &str) -> Result<Option<String>, ClientError> {
        self.0.get::<String>(key).map_err(internal)
    }

    fn get_or_insert(&self, key: &str) -> Result<String, ClientError> {
        if let Some(value) = self.get(key)? {
            return Ok(value);
        }
        let value = random_id();
        self.0.insert(key, &value).map_err(internal)?;
        Ok(value)
    }

    /// This browser's server-side state, if it has any.
    pub fn browser(&self, vault: &Vault) -> Result<Option<Arc<BrowserState>>, ClientError> {
        Ok(self.get(BROWSER_ID)?.and_then(|id| vault.get(&id)))
    }

    /// This browser's server-side state, created (with a new session) if needed.
    pub fn browser_or_create(&self, vault: &Vault) -> Result<Arc<BrowserState>, ClientError> {
        Ok(vault.get_or_create(&self.get_or_insert(BROWSER_ID)?))
    }

    /// For a POST form that acts on a signed-in browser: the form's CSRF token is checked
    /// first (403 when wrong), then this browser's state is found (401 when signed out).
    pub fn browser_for_form(
        &self,
        csrf_token: &str,
        vault: &Vault,
    ) -> Result<Arc<BrowserState>, ClientError> {
        self.check_csrf(csrf_token)?;
        self.browser(vault)?.ok_or(ClientError::NotSignedIn)
    }

    /// This app's CSRF token for its own forms (`/refresh`, `/logout`, team changes).
    pub fn csrf_token(&self) -> Result<String, ClientError> {
        self.get_or_insert(CSRF_TOKEN)
    }

    /// Refuses a form whose `csrf_token` is not this session's (constant-time comparison).
    pub fn check_csrf(&self, submitted: &str) -> Result<(), ClientError> {
        match self.get(CSRF_TOKEN)? {
            Some(expected) if bool::from(expected.as_bytes().ct_eq(submitted.as_bytes())) => Ok(()),
            _ => Err(ClientError::Csrf),
        }
    }

    /// A new session key for the same state, after signing in or out: a session id an
    /// attacker planted or saw before is worthless afterwards (session fixation). The CSRF
    /// token is replaced too.
    pub fn renew(&self) -> Result<(), ClientError> {
        self.0.renew();
        self.0.insert(CSRF_TOKEN, random_id()).map_err(internal)
    }
}
