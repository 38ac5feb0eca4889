//! (C) The authorization response at the redirect URI (RFC 6749 §4.1.2, §4.1.2.1,
//! RFC 9207 §2.4), then (D)–(E) the code exchange.
//!
//! The response is checked as an ordered list of small checks, in [`OAuth::finish_login`].
//! The order matters: until `state` has matched, nothing in the response can be trusted to
//! be meant for this browser, and no code is ever sent before `iss` has matched.
//!
//! 1. [`check_state`]: the response carries a `state` this browser sent, compared in
//!    constant time, and usable once (RFC 6749 §10.12).
//! 2. [`check_age`]: the login started less than [`LOGIN_TIMEOUT`] ago.
//! 3. [`check_issuer`]: `iss` is the issuer from discovery, or absent from a provider that
//!    does not promise it (RFC 9207 §2.4, the mix-up defence).
//! 4. [`check_error`]: the provider did not answer with an `error` (RFC 6749 §4.1.2.1).
//! 5. [`check_code`]: there is a `code` (§4.1.2).
//! 6. [`OAuth::exchange_code`]: the code and the PKCE verifier for tokens (§4.1.3).
//! 7. [`OAuth::check_id_token`]: when the request asked for `openid`, the token response's
//!    ID token passes every check of `id_token.rs` (OpenID Connect Core §3.1.3.7), with the
//!    `nonce` kept in step 1's pending request; otherwise nothing is kept. Its `iss` + `sub`
//!    is who signed in.

use oauth2::{AuthorizationCode, CsrfToken};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::error::ClientError;
use crate::oauth::AuthorizationErrorCode;
use crate::oauth::code_exchange::CodeExchange;
use crate::oauth::id_token::{self, Expected, Validation};
use crate::oauth::{LOGIN_TIMEOUT, OAuth, PendingAuthorization, Provider, TokenSet};
use crate::session::vault::{PendingLogins, PendingMatch};
use crate::wire::{Masker, Recorded, Recorder};

/// The query of the authorization response at the redirect URI (RFC 6749 §4.1.2, §4.1.2.1,
/// RFC 9207 §2). Every field is optional here; the checks say which must be present. No
/// `Debug`: `code` is a secret, and must not reach a log line by way of `{:?}`.
#[derive(Default, Deserialize)]
pub struct AuthorizationResponse {
    pub code: Option<String>,
    pub state: Option<String>,
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    pub error_uri: Option<String>,
}

/// A check of the list above that passed, in the order they ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    State,
    Age,
    Issuer,
    Error,
    Code,
    IdToken,
}

/// Step 7: the ID token's checks and the JWK Set fetches they needed.
pub struct IdTokenOutcome {
    /// Every check that ran, with its result, and the decoded token.
    pub validation: Validation,
    /// The `jwks_uri` requests (none when the cached keys knew the `kid`).
    pub wire: Recorded,
}

/// The outcome of (C)–(E): the response, how far its checks got, and the exchange if the
/// checks let the code be sent.
pub struct Callback {
    /// The response as it arrived.
    pub response: AuthorizationResponse,
    /// The checks that passed, in order.
    pub passed: Vec<Check>,
    /// Why the checks stopped, if they did: nothing was exchanged.
    pub refused: Option<ClientError>,
    /// The token request, once every check passed.
    pub exchange: Option<CodeExchange>,
    /// Step 7, when the request asked for `openid` and tokens came back.
    pub id_token: Option<IdTokenOutcome>,
    /// Whether the request answered widens an existing grant (incremental authorization).
    pub incremental: bool,
    /// Masks the client secret wherever the response is shown.
    pub masker: Masker,
}

impl Callback {
    /// The tokens, or why there are none.
    pub fn into_tokens(self) -> Result<TokenSet, ClientError> {
        match (self.refused, self.exchange) {
            (Some(refusal), _) => Err(refusal),
            (None, Some(exchange)) => exchange.result,
            (None, None) => Err(ClientError::CodeMissing),
        }
    }
}

impl OAuth {
    /// (C)–(E): the checks of the module's list, in order, then the code exchange. The
    /// outcome says how far they got; nothing after a failed check runs.
    pub async fn finish_login(
        &self,
        provider: &Provider,
        logins: &PendingLogins,
        response: AuthorizationResponse,
    ) -> Callback {
        let mut callback = Callback {
            response,
            passed: Vec::new(),
            refused: None,
            exchange: None,
            id_token: None,
            incremental: false,
            masker: self.masker(),
        };
        if let Err(refusal) = self
            .check_then_exchange(provider, logins, &mut callback)
            .await
        {
            callback.refused = Some(refusal);
        }
        callback
    }

    /// The list itself: each check that passes is noted, the first that fails ends it.
    async fn check_then_exchange(
        &self,
        provider: &Provider,
        logins: &PendingLogins,
        callback: &mut Callback,
    ) -> Result<(), ClientError> {
        let Callback {
            response,
            passed,
            exchange,
            id_token,
            incremental,
            ..
        } = callback;
        // 1. This browser sent this `state`; it is used up now, so a replay finds nothing.
        let pending = check_state(logins, response)?;
        passed.push(Check::State);
        // 2. The login is recent.
        check_age(&pending)?;
        passed.push(Check::Age);
        // 3. The response comes from the provider the request went to.
        check_issuer(provider, response)?;
        passed.push(Check::Issuer);
        // 4. The provider did not refuse.
        check_error(response)?;
        passed.push(Check::Error);
        // 5. There is a code to redeem.
        let code = check_code(response)?;
        passed.push(Check::Code);
        // 6. Only now does the code leave this server, with the verifier only it holds.
        *incremental = pending.incremental;
        let nonce = pending.nonce.clone();
        let exchanged = exchange.insert(self.exchange_code(provider, code, pending).await);
        // 7. With OpenID Connect, the ID token says who signed in, once it has passed.
        if let (Some(nonce), Ok(tokens)) = (nonce, exchanged.result.as_mut()) {
            let outcome = self.check_id_token(provider, tokens, &nonce).await?;
            let validation = &outcome.validation;
            let identity = validation.identity.clone();
            let refusal = validation
                .refused()
                .map(|refused| ClientError::IdTokenRefused {
                    check: refused.check.name(),
                    detail: refused.detail.clone(),
                    function: refused.check.function(),
                });
            *id_token = Some(outcome);
            if let Some(refusal) = refusal {
                return Err(refusal);
            }
            tokens.identity = identity;
            passed.push(Check::IdToken);
        }
        Ok(())
    }

    /// Step 7, OpenID Connect Core §3.1.3.7: the ID token of the token response, checked
    /// against the discovered issuer and keys, this client, the login's `nonce` and the
    /// access token (`at_hash`). An unknown `kid` fetches the JWK Set once more: the
    /// provider may have rotated its keys since they were cached (Core §10.1.1).
    pub async fn check_id_token(
        &self,
        provider: &Provider,
        tokens: &TokenSet,
        nonce: &str,
    ) -> Result<IdTokenOutcome, ClientError> {
        // Core §3.1.3.3: a successful response to an `openid` request carries an ID token.
        let Some(token) = tokens.id_token.as_deref() else {
            return Err(ClientError::IdTokenRefused {
                check: "id_token",
                detail: "the token response has no id_token, though the request asked for openid (Core §3.1.3.3)".into(),
                function: "client/src/oauth/callback.rs check_id_token",
            });
        };
        let expected = Expected {
            issuer: &provider.endpoints.issuer,
            client_id: &self.settings.client_id,
            nonce,
            access_token: Some(tokens.access.secret()),
            now: Expected::now_unix(),
            first: None,
        };
        let recorder = Recorder::new(&self.http);
        let keys = self.provider_keys(provider, false, &recorder).await?;
        let mut validation = id_token::validate(token, &keys, &expected);
        if validation.wants_fresh_keys() {
            let keys = self.provider_keys(provider, true, &recorder).await?;
            validation = id_token::validate(token, &keys, &expected);
        }
        let masker = self.masker().secret(tokens.access.secret()).secret(token);
        Ok(IdTokenOutcome {
            validation,
            wire: recorder.finish(masker),
        })
    }
}

/// Check 1, RFC 6749 §10.12: "The client MUST implement CSRF protection for its redirection
/// URI", typically "by requiring any request sent to the redirection URI endpoint to
/// include a value that binds the request to the user-agent's authenticated state". The
/// pending request whose `state` matches (in constant time) is taken, so the same `state`
/// never matches twice.
pub fn check_state(
    logins: &PendingLogins,
    response: &AuthorizationResponse,
) -> Result<PendingAuthorization, ClientError> {
    let received = response.state.as_deref().ok_or(ClientError::StateMissing)?;
    match logins.take_pending(received) {
        PendingMatch::Found(pending) => Ok(pending),
        PendingMatch::AlreadyUsed => Err(ClientError::CallbackReplayed),
        PendingMatch::Mismatch => Err(ClientError::StateMismatch),
        PendingMatch::NothingPending => Err(ClientError::NoLoginInProgress),
    }
}

/// Check 2: a login is a few minutes' work: a response to a request older than
/// [`LOGIN_TIMEOUT`] is refused, so a leaked or forgotten one cannot be finished later.
pub fn check_age(pending: &PendingAuthorization) -> Result<(), ClientError> {
    if pending.started.elapsed() > LOGIN_TIMEOUT {
        return Err(ClientError::LoginExpired);
    }
    Ok(())
}

/// Check 3, RFC 9207 §2.4: clients MUST compare `iss` "to the issuer identifier of the
/// authorization server where the authorization request was sent to", by "simple string
/// comparison"; a response without `iss` from a provider whose metadata promises it is
/// refused too. No code is sent before this has passed.
pub fn check_issuer(
    provider: &Provider,
    response: &AuthorizationResponse,
) -> Result<(), ClientError> {
    let expected = &provider.endpoints.issuer;
    match response.iss.as_deref() {
        Some(iss) if iss == expected => Ok(()),
        None if !provider.endpoints.iss_parameter_supported => Ok(()),
        received => Err(ClientError::IssuerMismatch {
            expected: expected.clone(),
            received: received.map(str::to_owned),
        }),
    }
}

/// Check 4, RFC 6749 §4.1.2.1: the provider refused (the user denied, or the request was bad)
/// and sent an `error` instead of a code.
pub fn check_error(response: &AuthorizationResponse) -> Result<(), ClientError> {
    match &response.error {
        Some(code) => Err(ClientError::AuthorizationRefused {
            code: AuthorizationErrorCode::parse(code),
            description: response.error_description.clone(),
        }),
        None => Ok(()),
    }
}

/// Check 5, RFC 6749 §4.1.2: a successful response carries the `code`.
pub fn check_code(response: &AuthorizationResponse) -> Result<AuthorizationCode, ClientError> {
    response
        .code
        .clone()
        .map(AuthorizationCode::new)
        .ok_or(ClientError::CodeMissing)
}

/// Constant-time comparison of the `state` kept with the `state` received
/// (RFC 6749 §10.12; a plain `==` would leak how many leading bytes match).
pub fn same_state(kept: &CsrfToken, received: &str) -> bool {
    kept.secret().as_bytes().ct_eq(received.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_comparison_needs_every_byte() {
        let kept = CsrfToken::new("abcdef".into());
        assert!(same_state(&kept, "abcdef"));
        assert!(!same_state(&kept, "abcdeg"));
        assert!(!same_state(&kept, "abc"));
        assert!(!same_state(&kept, ""));
    }
}
