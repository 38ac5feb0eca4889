//! How the client reads the provider's refusals: the error codes of each channel, typed
//! (the authorization response's, RFC 6749 §4.1.2.1; the token endpoint's, §5.2, which
//! revocation and introspection share, RFC 7009 §2.2.1 adding one), and how a failed
//! back-channel call becomes a [`ClientError`] page.

use std::fmt;

use oauth2::{ErrorResponse, RequestTokenError};

use crate::error::ClientError;
use crate::wire::WireError;

/// The `error` of a token endpoint error response (RFC 6749 §5.2), typed, so the client
/// matches on [`TokenErrorCode::InvalidGrant`] rather than on a string. A code the RFCs do
/// not define is kept as it came, in [`TokenErrorCode::Other`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenErrorCode {
    /// "The request is missing a required parameter, includes an unsupported parameter
    /// value (other than grant type), repeats a parameter, includes multiple credentials,
    /// utilizes more than one mechanism for authenticating the client, or is otherwise
    /// malformed."
    InvalidRequest,
    /// "Client authentication failed (e.g., unknown client, no client authentication
    /// included, or unsupported authentication method)."
    InvalidClient,
    /// "The provided authorization grant (e.g., authorization code, resource owner
    /// credentials) or refresh token is invalid, expired, revoked, does not match the
    /// redirection URI used in the authorization request, or was issued to another client."
    InvalidGrant,
    /// "The authenticated client is not authorized to use this authorization grant type."
    UnauthorizedClient,
    /// "The authorization grant type is not supported by the authorization server."
    UnsupportedGrantType,
    /// "The requested scope is invalid, unknown, malformed, or exceeds the scope granted by
    /// the resource owner."
    InvalidScope,
    /// RFC 7009 §2.2.1: "The authorization server does not support the revocation of the
    /// presented token type."
    UnsupportedTokenType,
    /// Any other code, as the provider spelt it.
    Other(String),
}

impl TokenErrorCode {
    /// Reads an `error` value; unknown codes become [`TokenErrorCode::Other`].
    pub fn parse(code: &str) -> Self {
        match code {
            "invalid_request" => Self::InvalidRequest,
            "invalid_client" => Self::InvalidClient,
            "invalid_grant" => Self::InvalidGrant,
            "unauthorized_client" => Self::UnauthorizedClient,
            "unsupported_grant_type" => Self::UnsupportedGrantType,
            "invalid_scope" => Self::InvalidScope,
            "unsupported_token_type" => Self::UnsupportedTokenType,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The code as the RFC spells it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::Other(code) => code,
        }
    }
}

impl fmt::Display for TokenErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `error` of an authorization error response at the redirect URI (RFC 6749
/// §4.1.2.1), typed like [`TokenErrorCode`]: the front channel has its own list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizationErrorCode {
    /// "The request is missing a required parameter, includes an invalid parameter value,
    /// includes a parameter more than once, or is otherwise malformed."
    InvalidRequest,
    /// "The client is not authorized to request an authorization code using this method."
    UnauthorizedClient,
    /// "The resource owner or authorization server denied the request."
    AccessDenied,
    /// "The authorization server does not support obtaining an authorization code using
    /// this method."
    UnsupportedResponseType,
    /// "The requested scope is invalid, unknown, or malformed."
    InvalidScope,
    /// "The authorization server encountered an unexpected condition that prevented it
    /// from fulfilling the request."
    ServerError,
    /// "The authorization server is currently unable to handle the request due to a
    /// temporary overloading or maintenance of the server."
    TemporarilyUnavailable,
    /// Any other code, as the provider spelt it.
    Other(String),
}

impl AuthorizationErrorCode {
    /// Reads an `error` value; unknown codes become [`AuthorizationErrorCode::Other`].
    pub fn parse(code: &str) -> Self {
        match code {
            "invalid_request" => Self::InvalidRequest,
            "unauthorized_client" => Self::UnauthorizedClient,
            "access_denied" => Self::AccessDenied,
            "unsupported_response_type" => Self::UnsupportedResponseType,
            "invalid_scope" => Self::InvalidScope,
            "server_error" => Self::ServerError,
            "temporarily_unavailable" => Self::TemporarilyUnavailable,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The code as the RFC spells it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::Other(code) => code,
        }
    }
}

impl fmt::Display for AuthorizationErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Maps an `oauth2` call's failure to a page: 429 first (whatever the body), then the
/// provider's RFC 6749 §5.2 error code, then transport and parse failures. `last` is the
/// status and `Retry-After` of the last response, if there was one.
pub fn token_error<TE>(
    endpoint: &'static str,
    url: &str,
    error: RequestTokenError<WireError, TE>,
    last: Option<(u16, Option<String>)>,
) -> ClientError
where
    TE: ErrorResponse + serde::Serialize + 'static,
{
    if let Some((429, retry_after)) = last {
        return ClientError::RateLimited {
            url: url.to_owned(),
            retry_after,
        };
    }
    match error {
        RequestTokenError::ServerResponse(body) => {
            let json = serde_json::to_value(&body).unwrap_or_default();
            ClientError::TokenRefused {
                endpoint,
                code: TokenErrorCode::parse(json["error"].as_str().unwrap_or("unknown")),
                description: json["error_description"].as_str().map(str::to_owned),
            }
        }
        RequestTokenError::Request(wire) => unreachable(wire.url(), &wire),
        RequestTokenError::Parse(_, _) => ClientError::ProviderBroken {
            url: url.to_owned(),
            detail: format!(
                "the {endpoint} endpoint's answer is not the JSON RFC 6749 §5 describes (HTTP {})",
                last.map(|(status, _)| status.to_string())
                    .unwrap_or_default()
            ),
        },
        RequestTokenError::Other(detail) => ClientError::ProviderBroken {
            url: url.to_owned(),
            detail,
        },
    }
}

/// A call that got no HTTP answer at all: the provider at `url` is down or too slow.
pub fn unreachable(url: &str, error: &WireError) -> ClientError {
    ClientError::ProviderUnreachable {
        url: url.to_owned(),
        detail: match error {
            WireError::Connect { .. } => "connection refused".to_owned(),
            WireError::Timeout { .. } => "no answer within the time limit".to_owned(),
            WireError::Other { .. } => error.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_authorization_response_code_reads_back_as_itself_and_an_unknown_one_is_kept() {
        for code in [
            "invalid_request",
            "unauthorized_client",
            "access_denied",
            "unsupported_response_type",
            "invalid_scope",
            "server_error",
            "temporarily_unavailable",
        ] {
            let parsed = AuthorizationErrorCode::parse(code);
            assert!(
                !matches!(parsed, AuthorizationErrorCode::Other(_)),
                "{code}"
            );
            assert_eq!(parsed.to_string(), code);
        }
        assert_eq!(
            AuthorizationErrorCode::parse("invalid_grant"),
            AuthorizationErrorCode::Other("invalid_grant".into()),
            "a token endpoint code is not an authorization response code"
        );
    }

    #[test]
    fn every_rfc_code_reads_back_as_itself_and_an_unknown_one_is_kept_as_it_came() {
        for code in [
            "invalid_request",
            "invalid_client",
            "invalid_grant",
            "unauthorized_client",
            "unsupported_grant_type",
            "invalid_scope",
            "unsupported_token_type",
        ] {
            let parsed = TokenErrorCode::parse(code);
            assert!(!matches!(parsed, TokenErrorCode::Other(_)), "{code}");
            assert_eq!(parsed.to_string(), code);
        }
        assert_eq!(
            TokenErrorCode::parse("invalid_grant"),
            TokenErrorCode::InvalidGrant
        );
        assert_eq!(
            TokenErrorCode::parse("slow_down"),
            TokenErrorCode::Other("slow_down".into())
        );
    }
}
