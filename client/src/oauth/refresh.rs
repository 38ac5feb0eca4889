//! Refreshing an access token (RFC 6749 §6), with refresh token rotation (RFC 9700
//! §4.14.2).
//!
//! The provider rotates refresh tokens: the one sent is retired, and sending it again
//! would revoke the whole grant. So `provider_api.rs` runs this under the session's token
//! lock, one refresh at a time.

use oauth2::RefreshToken;

use crate::error::ClientError;
use crate::oauth::errors::token_error;
use crate::oauth::tokens::{GrantType, TokenSet};
use crate::oauth::{OAuth, Provider};
use crate::wire::{Recorded, Recorder};

/// The outcome of a refresh: why it ran, the refresh token sent, the traffic, the tokens.
pub struct Refresh {
    pub reason: String,
    /// The refresh token sent; `None` when there was none to send (no request was made).
    pub sent: Option<RefreshToken>,
    pub wire: Recorded,
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
        let result = match answer {
            Ok(response) => {
                TokenSet::from_response(&response, &current.scopes, GrantType::RefreshToken).map(
                    |tokens| TokenSet {
                        // §6: without a new refresh token, the old one stays valid.
                        refresh: tokens.refresh.or_else(|| Some(refresh.clone())),
                        generation: current.generation + 1,
                        refreshes: current.refreshes + 1,
                        // The identity is the login's; a refreshed ID token (Core §12.2)
                        // is not checked here, so the login's stays the one kept.
                        id_token: current.id_token.clone(),
                        identity: current.identity.clone(),
                        ..tokens
                    },
                )
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
        Refresh {
            reason: reason.to_owned(),
            wire: recorder.finish(self.masker().secret(refresh.secret())),
            sent: Some(refresh),
            result,
        }
    }
}
