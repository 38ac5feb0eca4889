//! (E) What a successful token response becomes (RFC 6749 §5.1): the session's
//! [`TokenSet`], kept server-side only.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oauth2::basic::BasicTokenType;
use oauth2::{AccessToken, RefreshToken, TokenResponse};

use crate::error::ClientError;
use crate::oauth::ProviderTokenResponse;
use crate::oauth::id_token::Identity;

/// How the tokens were obtained: the grant type of the token request (RFC 6749 §4.1.3, §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
}

impl GrantType {
    /// The `grant_type` value, as the home page shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
        }
    }
}

/// The tokens of a signed-in session. Lives in the server-side session only. (The token
/// newtypes' `Debug` is redacted by the `oauth2` crate.)
#[derive(Clone)]
pub struct TokenSet {
    pub access: AccessToken,
    pub refresh: Option<RefreshToken>,
    /// From `expires_in` (RFC 6749 §5.1); `None` if the provider did not say.
    pub expires_at: Option<SystemTime>,
    /// `expires_in` itself: how long the access token was meant to live.
    pub lifetime: Option<Duration>,
    /// Granted scopes: the response's `scope`, or the requested ones if it has none (§5.1).
    pub scopes: Vec<String>,
    pub obtained_by: GrantType,
    /// Bumped by every refresh, so a request that saw a 401 can tell whether another
    /// request already refreshed.
    pub generation: u64,
    pub refreshes: u64,
    /// The ID token of the response, as received (OpenID Connect Core §3.1.3.3), kept for
    /// `id_token_hint` at logout. Only believed once `id_token::validate` has passed.
    pub id_token: Option<String>,
    /// Who signed in, from the validated ID token (`iss` + `sub`); `None` for a plain
    /// OAuth provider, whose profile API says who it is instead.
    pub identity: Option<Identity>,
    /// The notes API's own access token (RFC 8707 §2.2: a token per resource), fetched when
    /// first needed with the refresh token. Kept here so signing out or in drops it with
    /// the rest; a refresh of the provider's token drops it too, and it is fetched again.
    pub api: Option<Box<TokenSet>>,
}

impl TokenSet {
    /// RFC 6749 §5.1: the token response, checked and kept. `requested_scopes` stand in
    /// for a response without `scope` ("OPTIONAL, if identical to the scope requested").
    pub fn from_response(
        response: &ProviderTokenResponse,
        requested_scopes: &[String],
        obtained_by: GrantType,
    ) -> Result<TokenSet, ClientError> {
        // RFC 6750: this client only knows how to use bearer tokens.
        if *response.token_type() != BasicTokenType::Bearer {
            return Err(ClientError::ProviderBroken {
                url: "token endpoint".into(),
                detail: format!("token_type is {:?}, not Bearer", response.token_type()),
            });
        }
        Ok(TokenSet {
            access: response.access_token().clone(),
            refresh: response.refresh_token().cloned(),
            expires_at: response
                .expires_in()
                .map(|lifetime| SystemTime::now() + lifetime),
            lifetime: response.expires_in(),
            scopes: match response.scopes() {
                Some(scopes) => scopes.iter().map(|scope| scope.to_string()).collect(),
                None => requested_scopes.to_vec(),
            },
            obtained_by,
            generation: 0,
            refreshes: 0,
            id_token: response.extra_fields().id_token.clone(),
            identity: None,
            api: None,
        })
    }

    /// Whether the access token should be refreshed before use: expired, or within
    /// `margin` of its expiry (at most a tenth of its lifetime, so a token that lives a
    /// few seconds in a workshop is not refreshed on every call).
    pub fn needs_refresh(&self, margin: Duration) -> bool {
        let margin = self
            .lifetime
            .map_or(margin, |lifetime| margin.min(lifetime / 10));
        self.expires_at
            .is_some_and(|at| at <= SystemTime::now() + margin)
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|granted| granted == scope)
    }

    /// Seconds since the Unix epoch at which the access token expires.
    pub fn expires_at_unix(&self) -> Option<u64> {
        self.expires_at
            .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
            .map(|since| since.as_secs())
    }

    /// One log line about these tokens: fingerprints, never the tokens.
    pub fn log(&self, message: &str) {
        tracing::info!(
            access = %shared::fingerprint(self.access.secret()),
            refresh = %self.refresh.as_ref().map(|r| shared::fingerprint(r.secret())).unwrap_or_else(|| "none".into()),
            scopes = %self.scopes.join(" "),
            expires_in = %self
                .expires_at
                .and_then(|at| at.duration_since(SystemTime::now()).ok())
                .map_or_else(|| "unknown".to_owned(), |left| format!("{}s", left.as_secs())),
            "{message}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_refreshed_near_its_expiry_but_not_on_every_call_when_short_lived() {
        let tokens = |left: u64, lifetime: u64| TokenSet {
            access: AccessToken::new("a".into()),
            refresh: None,
            expires_at: Some(SystemTime::now() + Duration::from_secs(left)),
            lifetime: Some(Duration::from_secs(lifetime)),
            scopes: vec![],
            obtained_by: GrantType::AuthorizationCode,
            generation: 0,
            refreshes: 0,
            id_token: None,
            identity: None,
            api: None,
        };
        let margin = Duration::from_secs(5);
        assert!(tokens(3, 3600).needs_refresh(margin));
        assert!(!tokens(60, 3600).needs_refresh(margin));
        assert!(
            !tokens(3, 4).needs_refresh(margin),
            "a 4 s token is used, not refreshed"
        );
        assert!(tokens(0, 4).needs_refresh(margin));
    }
}
