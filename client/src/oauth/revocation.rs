//! Token revocation (RFC 7009 §2): telling the provider a token is no longer needed, so a
//! copy of it (in a log, a backup, a stolen laptop) is worthless from now on.
//!
//! [`OAuth::revoke_tokens`] is the one way this app lets go of a token set: at logout, and
//! when a new login (or incremental authorization) replaces the grant.

use oauth2::http::{Method, Request, header};
use oauth2::{ConfigurationError, RevocableToken, StandardRevocableToken};

use crate::error::ClientError;
use crate::oauth::errors::{TokenErrorCode, token_error, unreachable};
use crate::oauth::{OAuth, Provider, TokenSet};
use crate::wire::{Recorded, Recorder};

/// Which token a revocation was for (RFC 7009 §2.1 `token_type_hint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    /// The `token_type_hint` value.
    pub fn hint(self) -> &'static str {
        match self {
            TokenKind::Access => "access_token",
            TokenKind::Refresh => "refresh_token",
        }
    }

    /// In words, for pages and logs.
    pub fn name(self) -> &'static str {
        match self {
            TokenKind::Access => "access token",
            TokenKind::Refresh => "refresh token",
        }
    }
}

/// The outcome of one revocation request.
pub struct Revocation {
    pub kind: TokenKind,
    pub reason: String,
    /// The token revoked, by fingerprint.
    pub fingerprint: String,
    /// `false` when the provider publishes no revocation endpoint (nothing was sent).
    pub endpoint_published: bool,
    pub wire: Recorded,
    pub result: Result<(), ClientError>,
}

impl OAuth {
    /// Lets go of a whole token set: the refresh token first (RFC 7009 §2.1: its
    /// revocation ends the access tokens of its grant too, where the provider supports
    /// that), then the access token, in case it does not. Used at logout and when a new
    /// grant replaces this one.
    pub async fn revoke_tokens(
        &self,
        provider: &Provider,
        tokens: TokenSet,
        reason: &str,
    ) -> Vec<Revocation> {
        let refresh = tokens.refresh.map(StandardRevocableToken::RefreshToken);
        let access = StandardRevocableToken::AccessToken(tokens.access);
        let mut revocations = Vec::new();
        for token in refresh.into_iter().chain([access]) {
            revocations.push(self.revoke(provider, token, reason).await);
        }
        revocations
    }

    /// RFC 7009 §2.1: revokes one token. Without a published revocation endpoint there is
    /// nothing to call; the outcome says so.
    pub async fn revoke(
        &self,
        provider: &Provider,
        token: StandardRevocableToken,
        reason: &str,
    ) -> Revocation {
        let kind = match token.type_hint() {
            Some("refresh_token") => TokenKind::Refresh,
            _ => TokenKind::Access,
        };
        let secret = token.secret().to_owned();
        let url = provider.endpoints.revocation.clone().unwrap_or_default();
        let recorder = Recorder::new(&self.http);
        let result = match provider.client.revoke_token(token) {
            Ok(request) => {
                let answer = request.request_async(&recorder).await;
                Some(answer.map_err(|error| {
                    token_error("revocation", &url, error, recorder.last_status())
                }))
            }
            // No revocation endpoint published: nothing to send, the token lives on.
            Err(ConfigurationError::MissingUrl(_)) => None,
            // The oauth2 crate insists on https (RFC 7009 §2). A provider on this machine
            // (http://localhost) is the exception OAuth allows (RFC 8252 §8.3), so the
            // same request is sent by hand.
            Err(_) if is_loopback(&url) => {
                Some(self.revoke_by_hand(&url, &secret, kind, &recorder).await)
            }
            Err(_) => Some(Err(ClientError::ProviderBroken {
                url: url.clone(),
                detail: "the revocation endpoint is not https (RFC 7009 §2)".into(),
            })),
        };
        let fingerprint = shared::fingerprint(&secret);
        if let Some(result) = &result {
            tracing::info!(token = %fingerprint, hint = kind.hint(), ok = result.is_ok(), "revocation requested");
        }
        Revocation {
            kind,
            reason: reason.to_owned(),
            fingerprint,
            endpoint_published: result.is_some(),
            wire: recorder.finish(self.masker().secret(&secret)),
            result: result.unwrap_or(Ok(())),
        }
    }

    /// The RFC 7009 §2.1 request, as the `oauth2` crate would send it: form body with
    /// `token` and `token_type_hint`, client authenticated by HTTP Basic.
    async fn revoke_by_hand(
        &self,
        url: &str,
        token: &str,
        kind: TokenKind,
        recorder: &Recorder<'_>,
    ) -> Result<(), ClientError> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("token", token)
            .append_pair("token_type_hint", kind.hint())
            .finish();
        let request = Request::builder()
            .method(Method::POST)
            .uri(url)
            .header(header::AUTHORIZATION, self.basic_credentials())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .body(body.into_bytes())
            .map_err(|error| ClientError::ProviderBroken {
                url: url.to_owned(),
                detail: format!("not a usable URL ({error})"),
            })?;
        let response = recorder
            .send(request)
            .await
            .map_err(|error| unreachable(&self.settings.issuer(), &error))?;
        match response.status().as_u16() {
            // RFC 7009 §2.2: 200 also for a token that was already invalid.
            200 => Ok(()),
            429 => Err(ClientError::RateLimited {
                url: url.to_owned(),
                retry_after: response
                    .headers()
                    .get(header::RETRY_AFTER)
                    .and_then(|value| value.to_str().ok())
                    .map(str::to_owned),
            }),
            status => match serde_json::from_slice::<shared::ErrorBody>(response.body()) {
                Ok(body) => Err(ClientError::TokenRefused {
                    endpoint: "revocation",
                    code: TokenErrorCode::parse(&body.error.to_string()),
                    description: body.error_description,
                }),
                Err(_) => Err(ClientError::ProviderBroken {
                    url: url.to_owned(),
                    detail: format!("revocation answered HTTP {status}"),
                }),
            },
        }
    }

    /// `Basic base64(urlencode(client_id) ":" urlencode(client_secret))` (RFC 6749 §2.3.1).
    fn basic_credentials(&self) -> String {
        use base64::Engine;
        let encode = |value: &str| {
            url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>()
        };
        let pair = format!(
            "{}:{}",
            encode(&self.settings.client_id),
            encode(self.settings.client_secret.expose())
        );
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    }
}

/// The first failure of several revocations, if any.
pub fn first_failure(revocations: Vec<Revocation>) -> Result<(), ClientError> {
    revocations
        .into_iter()
        .map(|revocation| revocation.result)
        .find(Result::is_err)
        .unwrap_or(Ok(()))
}

/// A loopback host, where plain http is allowed (RFC 8252 §8.3).
fn is_loopback(url: &str) -> bool {
    url::Url::parse(url)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
        .is_some_and(|host| host == "localhost" || host == "127.0.0.1" || host == "[::1]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_hosts_may_revoke_over_http() {
        assert!(is_loopback("http://localhost:8080/oauth/revoke"));
        assert!(is_loopback("http://127.0.0.1:1/oauth/revoke"));
        assert!(!is_loopback("http://example.com/oauth/revoke"));
    }
}
