//! A token for the notes API: one authorization, a token request per resource (RFC 8707
//! §2.2).
//!
//! The authorization request named two resources (the provider's own API and `API_URL`),
//! and the code exchange got the provider's token. An access token is meant for one
//! audience, so the notes API's token takes a second token request. RFC 8707 §2.2 offers
//! two: a second exchange of the same code (but a code is single use, RFC 6749 §4.1.2, and
//! the provider revokes everything on a replay), or the refresh token the first exchange
//! returned, which is good for every resource of the grant. This client uses the refresh
//! token:
//!
//! ```text
//! POST /token  grant_type=refresh_token  refresh_token=…
//!              resource=<API_URL>  scope=notes:read notes:write
//! ```
//!
//! The scope is narrowed to the API's (RFC 6749 §6 allows a subset). The provider rotates
//! refresh tokens (RFC 9700 §4.14.2), so the answer's refresh token replaces the session's:
//! the caller must keep it, under the session's token lock.

use oauth2::{RefreshToken, Scope};

use crate::config::NOTES_SCOPES;
use crate::error::ClientError;
use crate::oauth::errors::token_error;
use crate::oauth::tokens::{GrantType, TokenSet};
use crate::oauth::{OAuth, Provider};
use crate::wire::{Recorded, Recorder};

/// The outcome of the token request for the notes API: the traffic and the API's token,
/// whose `refresh` (when the provider rotated it) replaces the session's refresh token.
pub struct ResourceToken {
    /// The resource asked for (`API_URL`).
    pub resource: String,
    pub wire: Recorded,
    pub result: Result<TokenSet, ClientError>,
}

impl OAuth {
    /// RFC 8707 §2.2: an access token for the notes API, for the refresh token `refresh`.
    /// A provider that does not know the resource answers `invalid_target` (§2): the
    /// result is then that error, and the session's own tokens are untouched.
    pub async fn api_token(&self, provider: &Provider, refresh: &RefreshToken) -> ResourceToken {
        let resource = self.settings.api_url.clone();
        let scopes: Vec<String> = NOTES_SCOPES.iter().map(|&scope| scope.to_owned()).collect();
        let recorder = Recorder::new(&self.http);
        let answer = provider
            .client
            .exchange_refresh_token(refresh)
            .add_scopes(scopes.iter().cloned().map(Scope::new))
            .add_extra_param("resource", resource.clone())
            .request_async(&recorder)
            .await;
        let result = match answer {
            Ok(response) => TokenSet::from_response(&response, &scopes, GrantType::RefreshToken),
            Err(error) => Err(token_error(
                "token",
                &provider.endpoints.token,
                error,
                recorder.last_status(),
            )),
        };
        match &result {
            Ok(tokens) => tokens.log("tokens received for the notes API (RFC 8707 resource)"),
            Err(error) => tracing::info!(%error, %resource, "no token for the notes API"),
        }
        let mut masker = self.masker().secret(refresh.secret());
        if let Ok(tokens) = &result {
            masker = masker.secret(tokens.access.secret());
            if let Some(rotated) = &tokens.refresh {
                masker = masker.secret(rotated.secret());
            }
        }
        ResourceToken {
            resource,
            wire: recorder.finish(masker),
            result,
        }
    }
}
