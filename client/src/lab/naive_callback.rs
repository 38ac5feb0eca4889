//! A DELIBERATELY NAIVE callback handler: what `/callback` would be without the checks of
//! RFC 6749 §10.12 (`state` bound to the browser) and RFC 9207 §2.4 (`iss`). Never copy it.
//!
//! It exists only so the attack lab can show the client-side attacks (login CSRF, mix-up)
//! succeeding somewhere. No route serves it: the lab calls [`NaiveClient::naive_callback`]
//! in-process, with the query of the authorization response its agent received, so nothing
//! outside the lab can reach it. The real handler is `client/src/routes/callback.rs`
//! (`callback`) with `client/src/oauth/callback.rs` (`finish_login`).
//!
//! Its two mistakes, both common in the wild:
//! 1. The pending logins live in one server-wide table keyed by `state`, not in the browser's
//!    session. A `state` that *some* browser started passes, in *any* browser: the attacker
//!    starts a login, keeps the response, and has the victim open it (login CSRF).
//! 2. `iss` is ignored, so an answer that says it comes from another issuer is redeemed
//!    anyway (mix-up).
//!
//! It does use PKCE, since the provider requires it; the verifier comes from mistake 1's
//! table, which is exactly what makes the attacker's code redeemable in the victim's session.

use std::collections::VecDeque;
use std::sync::Mutex;

use oauth2::{
    AuthorizationCode, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, Scope, TokenResponse,
};

use crate::lab::transcript::Transcript;
use crate::oauth::{AuthorizationResponse, OAuth, Provider};
use crate::wire::Recorder;

/// How many pending logins the naive table keeps (bounded, unlike its judgement).
const PENDING_KEPT: usize = 16;

/// What the naive handler signed the victim's session in with.
pub struct NaiveSignIn {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub scopes: Vec<String>,
}

/// The naive client: a server-wide table of pending logins, `state` → PKCE verifier.
#[derive(Default)]
pub struct NaiveClient {
    pending: Mutex<VecDeque<(String, String)>>,
}

impl NaiveClient {
    /// Starts a login the naive way: the same authorization request as `/login` (the
    /// `oauth2` crate, PKCE S256, a random `state`), but remembered server-wide, for nobody
    /// in particular. Answers the URL to send a browser to.
    pub fn begin_login(&self, provider: &Provider, scopes: &[String]) -> String {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = provider
            .client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge)
            .url();
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if pending.len() == PENDING_KEPT {
            pending.pop_front();
        }
        pending.push_back((state.secret().to_owned(), verifier.secret().to_owned()));
        url.to_string()
    }

    /// NAIVE: accepts any authorization response whose `state` any browser started, ignores
    /// `iss`, and redeems the code. `Err` says why it gave up (it does give up when there is
    /// no code at all, or the provider refuses the code).
    pub async fn naive_callback(
        &self,
        oauth: &OAuth,
        provider: &Provider,
        response: &AuthorizationResponse,
        transcript: &mut Transcript,
    ) -> Result<NaiveSignIn, String> {
        // Mistake 1: looked up in the server-wide table, not in this browser's session.
        let verifier = {
            let mut pending = self
                .pending
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let state = response.state.as_deref().unwrap_or_default();
            let index = pending
                .iter()
                .position(|(kept, _)| kept == state)
                .ok_or("no login anywhere on this server sent this state")?;
            pending
                .remove(index)
                .map(|(_, verifier)| verifier)
                .ok_or("no login anywhere on this server sent this state")?
        };
        // Mistake 2: `response.iss` is never looked at.
        let code = response
            .code
            .clone()
            .ok_or("the authorization response has no code")?;
        transcript.secret(&code);
        transcript.secret(&verifier);
        let recorder = Recorder::new(oauth.http());
        let result = provider
            .client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier))
            .request_async(&recorder)
            .await;
        transcript.absorb(&recorder);
        let tokens = result.map_err(|error| format!("the provider refused the code: {error}"))?;
        let access_token = tokens.access_token().secret().to_owned();
        let refresh_token = tokens.refresh_token().map(|r| r.secret().to_owned());
        transcript.secret(&access_token);
        if let Some(refresh) = &refresh_token {
            transcript.secret(refresh);
        }
        Ok(NaiveSignIn {
            access_token,
            refresh_token,
            scopes: tokens
                .scopes()
                .map(|scopes| scopes.iter().map(|s| s.to_string()).collect())
                .unwrap_or_default(),
        })
    }
}
