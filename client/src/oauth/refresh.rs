//! Refreshing an access token (RFC 6749 §6), with refresh token rotation (RFC 9700
//! §4.14.2), and the ID token that may come with it (OpenID Connect Core §12.2).
//!
//! The provider rotates refresh tokens: the one sent is retired, and sending it again
//! would revoke the whole grant. So `provider_api.rs` runs this under the session's token
//! lock, one refresh at a time.
//!
//! An OpenID Provider may answer a refresh with a new ID token. It is checked like the
//! login's (signature, `iss`, `aud`, `exp`, `iat`, … : `id_token::validate`) and must
//! continue it: the same `iss` and `sub`, the same `auth_time` (check 13,
//! `check_same_login`). One that does not is refused, and the session ends: the provider is
//! saying something about this login that the login did not say.

use oauth2::RefreshToken;
use serde_json::Value;
use shared::jose::CompactJws;

use crate::error::ClientError;
use crate::oauth::errors::token_error;
use crate::oauth::id_token::{self, Expected, Validation};
use crate::oauth::tokens::{GrantType, TokenSet};
use crate::oauth::{OAuth, Provider};
use crate::wire::{Recorded, Recorder};

/// The outcome of a refresh: why it ran, the refresh token sent, the traffic, the tokens.
pub struct Refresh {
    pub reason: String,
    /// The refresh token sent; `None` when there was none to send (no request was made).
    pub sent: Option<RefreshToken>,
    pub wire: Recorded,
    /// The refreshed ID token's checks, when the answer carried one for an OpenID login.
    pub id_token: Option<Validation>,
    pub result: Result<TokenSet, ClientError>,
}

impl OAuth {
    /// RFC 6749 §6: a new access token (and, with rotation, a new refresh token) for the
    /// refresh token of `current`.
    pub async fn refresh(&self, provider: &Provider, current: &TokenSet, reason: &str) -> Refresh {
        let recorder = Recorder::new(&self.http);
        let Some(refresh) = current.refresh.clone() else {
            return Refresh {
                reason: reason.to_owned(),
                sent: None,
                wire: recorder.finish(self.masker()),
                id_token: None,
                result: Err(ClientError::SessionEnded {
                    reason: "The access token expired and the provider gave no refresh token"
                        .into(),
                }),
            };
        };
        let answer = provider
            .client
            .exchange_refresh_token(&refresh)
            .request_async(&recorder)
            .await;
        let mut id_token = None;
        let result = match answer {
            Ok(response) => {
                match TokenSet::from_response(&response, &current.scopes, GrantType::RefreshToken) {
                    Ok(fresh) => {
                        let (validation, checked) = self
                            .check_refreshed_id_token(provider, current, &fresh, &recorder)
                            .await;
                        let latest_id_token = match validation {
                            Some(_) => fresh.id_token.clone(),
                            None => current.id_token.clone(),
                        };
                        id_token = validation;
                        checked.map(|()| TokenSet {
                            // §6: without a new refresh token, the old one stays valid.
                            refresh: fresh.refresh.clone().or_else(|| Some(refresh.clone())),
                            generation: current.generation + 1,
                            refreshes: current.refreshes + 1,
                            // The identity is the login's (check 13 made sure a new ID
                            // token agrees); the newest checked ID token is the
                            // `id_token_hint` for logout.
                            id_token: latest_id_token,
                            identity: current.identity.clone(),
                            ..fresh
                        })
                    }
                    Err(error) => Err(error),
                }
            }
            Err(error) => Err(token_error(
                "token",
                &provider.endpoints.token,
                error,
                recorder.last_status(),
            )),
        };
        match &result {
            Ok(tokens) => {
                tracing::info!(old_refresh = %shared::fingerprint(refresh.secret()), reason, "refresh token used");
                tokens.log("tokens received for a refresh token");
            }
            Err(_) => {
                tracing::info!(refresh = %shared::fingerprint(refresh.secret()), "refresh refused");
            }
        }
        let mut masker = self.masker().secret(refresh.secret());
        if let Ok(tokens) = &result {
            masker = masker.secret(tokens.access.secret());
            if let Some(token) = &tokens.id_token {
                masker = masker.secret(token);
            }
        }
        Refresh {
            reason: reason.to_owned(),
            wire: recorder.finish(masker),
            sent: Some(refresh),
            id_token,
            result,
        }
    }

    /// Core §12.2: the ID token of a refresh answer, if any, validated like the login's and
    /// against it: its checks (for the inspector; `None` when there is none to check: no new
    /// one, or the login was plain OAuth and has no ID token to continue), and an `Err` that
    /// ends the session, naming the check, if it was refused.
    async fn check_refreshed_id_token(
        &self,
        provider: &Provider,
        current: &TokenSet,
        fresh: &TokenSet,
        recorder: &Recorder<'_>,
    ) -> (Option<Validation>, Result<(), ClientError>) {
        let (Some(token), Some(first)) = (fresh.id_token.as_deref(), current.id_token.as_deref())
        else {
            return (None, Ok(()));
        };
        // The login's ID token passed every check when it arrived; its claims are read again
        // here only to compare.
        let first: Value = CompactJws::parse(first)
            .ok()
            .and_then(|jws| jws.claims().ok())
            .unwrap_or(Value::Null);
        let first_nonce = first.get("nonce").and_then(Value::as_str).unwrap_or("");
        let expected = Expected {
            issuer: &provider.endpoints.issuer,
            client_id: &self.settings.client_id,
            nonce: first_nonce,
            access_token: Some(fresh.access.secret()),
            now: Expected::now_unix(),
            first: Some(&first),
        };
        let ended = |detail: String| ClientError::SessionEnded {
            reason: format!(
                "The ID token of a refresh {detail} (OpenID Connect Core §12.2), so this session can no longer be trusted"
            ),
        };
        let unchecked = |error: ClientError| ended(format!("could not be checked: {error}"));
        let keys = match self.provider_keys(provider, false, recorder).await {
            Ok(keys) => keys,
            Err(error) => return (None, Err(unchecked(error))),
        };
        let mut validation = id_token::validate(token, &keys, &expected);
        if validation.wants_fresh_keys() {
            match self.provider_keys(provider, true, recorder).await {
                Ok(keys) => validation = id_token::validate(token, &keys, &expected),
                Err(error) => return (Some(validation), Err(unchecked(error))),
            }
        }
        let verdict = match validation.refused() {
            Some(refused) => {
                tracing::info!(check = refused.check.name(), "refreshed ID token refused");
                Err(ended(format!(
                    "failed the '{}' check: {}",
                    refused.check.name(),
                    refused.detail
                )))
            }
            None => Ok(()),
        };
        (Some(validation), verdict)
    }
}
