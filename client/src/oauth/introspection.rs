//! Token introspection (RFC 7662 §2): what the provider knows about the access token.
//!
//! Opaque tokens carry nothing readable, so this is how their facts (active or not, scopes,
//! expiry, owner) are learnt. Only when the provider publishes an introspection endpoint.

use oauth2::{AccessToken, TokenIntrospectionResponse};
use shared::introspection::IntrospectionResponse;

use crate::error::ClientError;
use crate::oauth::errors::token_error;
use crate::oauth::{OAuth, Provider};
use crate::wire::{Recorded, Recorder};

/// The outcome of an introspection call. `result` is `Ok(None)` (and nothing was sent)
/// when the provider publishes no introspection endpoint.
pub struct Introspection {
    /// The access token asked about, by fingerprint.
    pub fingerprint: String,
    pub wire: Recorded,
    pub result: Result<Option<IntrospectionResponse>, ClientError>,
}

impl OAuth {
    /// RFC 7662 §2.1: the access token, with `token_type_hint=access_token`, client
    /// authenticated by HTTP Basic.
    pub async fn introspect(&self, provider: &Provider, access: &AccessToken) -> Introspection {
        let recorder = Recorder::new(&self.http);
        let fingerprint = shared::fingerprint(access.secret());
        let Ok(request) = provider.client.introspect(access) else {
            return Introspection {
                fingerprint,
                wire: recorder.finish(self.masker()),
                result: Ok(None),
            };
        };
        let answer = request
            .set_token_type_hint("access_token")
            .request_async(&recorder)
            .await;
        let url = provider
            .endpoints
            .introspection
            .as_deref()
            .unwrap_or_default();
        let result = match answer {
            // RFC 7662 §2.2, as the shared DTO spells it.
            Ok(answer) => Ok(Some(IntrospectionResponse {
                active: answer.active(),
                scope: answer.scopes().map(|scopes| {
                    scopes
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                }),
                client_id: answer.client_id().map(|id| id.as_str().to_owned()),
                username: answer.username().map(str::to_owned),
                token_type: None,
                exp: answer
                    .exp()
                    .map(|exp| exp.timestamp().max(0).unsigned_abs()),
                iat: answer
                    .iat()
                    .map(|iat| iat.timestamp().max(0).unsigned_abs()),
                sub: answer.sub().map(str::to_owned),
                iss: answer.iss().map(str::to_owned),
            })),
            Err(error) => Err(token_error(
                "introspection",
                url,
                error,
                recorder.last_status(),
            )),
        };
        Introspection {
            fingerprint,
            wire: recorder.finish(self.masker().secret(access.secret())),
            result,
        }
    }
}
