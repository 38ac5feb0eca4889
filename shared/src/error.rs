//! Error bodies: RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1, RFC 7009 §2.2.1.
//!
//! Every error this system answers with has one of these codes and an optional
//! human-readable description; the code is what a program branches on.

use serde::{Deserialize, Serialize};

/// The `error` value of an error response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// "The request is missing a required parameter, includes an unsupported parameter
    /// value (other than grant type), repeats a parameter, includes multiple credentials,
    /// utilizes more than one mechanism for authenticating the client, or is otherwise
    /// malformed." (RFC 6749 §5.2)
    InvalidRequest,
    /// "Client authentication failed (e.g., unknown client, no client authentication
    /// included, or unsupported authentication method)." (RFC 6749 §5.2)
    InvalidClient,
    /// "The provided authorization grant (e.g., authorization code, resource owner
    /// credentials) or refresh token is invalid, expired, revoked, does not match the
    /// redirection URI used in the authorization request, or was issued to another
    /// client." (RFC 6749 §5.2)
    InvalidGrant,
    /// "The authenticated client is not authorized to use this authorization grant
    /// type." (RFC 6749 §5.2)
    UnauthorizedClient,
    /// "The authorization grant type is not supported by the authorization server."
    /// (RFC 6749 §5.2)
    UnsupportedGrantType,
    /// "The requested scope is invalid, unknown, malformed, or exceeds the scope granted
    /// by the resource owner." (RFC 6749 §5.2)
    InvalidScope,
    /// "The resource owner or authorization server denied the request." (RFC 6749 §4.1.2.1)
    AccessDenied,
    /// "The authorization server does not support obtaining an authorization code using
    /// this method." (RFC 6749 §4.1.2.1)
    UnsupportedResponseType,
    /// "The authorization server encountered an unexpected condition that prevented it
    /// from fulfilling the request." (RFC 6749 §4.1.2.1)
    ServerError,
    /// "The authorization server is currently unable to handle the request due to a
    /// temporary overloading or maintenance of the server." (RFC 6749 §4.1.2.1)
    TemporarilyUnavailable,
    /// "The access token provided is expired, revoked, malformed, or invalid for other
    /// reasons." (RFC 6750 §3.1)
    InvalidToken,
    /// "The request requires higher privileges than provided by the access token."
    /// (RFC 6750 §3.1)
    InsufficientScope,
    /// "The authorization server does not support the revocation of the presented token
    /// type." (RFC 7009 §2.2.1)
    UnsupportedTokenType,
    /// The resource server's own: the team or member named in the path does not exist.
    NotFound,
    /// The resource server's own: the member to add is already in the team, or the change
    /// would leave a team without an admin.
    Conflict,
    /// The resource server's own: the token's scope allows the request, but the user's role
    /// does not (a plain team member adding members, say). RFC 6750's `insufficient_scope`
    /// would be wrong here: no token, whatever its scope, gives a user more than their role.
    Forbidden,
    /// This system's own: too many requests from one client or address; see `Retry-After`.
    RateLimited,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::ServerError => "server_error",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::InsufficientScope => "insufficient_scope",
            ErrorCode::UnsupportedTokenType => "unsupported_token_type",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::RateLimited => "rate_limited",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An `error_description` within RFC 6749 §5.2's characters: "Values for the
/// \"error_description\" parameter MUST NOT include characters outside the set %x20-21 /
/// %x23-5B / %x5D-7E" (printable ASCII without `"` and `\\`). [`Description::new`] is the
/// only way to build one and replaces anything else, so a description that breaks the rule
/// (and with it a `WWW-Authenticate` header or a client's parser) cannot exist.
///
/// The rule on *content* is the caller's: never put request input in a description (it
/// would carry markup into a developer's page and forged lines into logs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    /// `text` with every character outside the set replaced: `§` by `section`, `"` by `'`,
    /// `\\` by `/`, `…` by `...`, whitespace by a space, anything else by `?`.
    pub fn new(text: &str) -> Self {
        let mut safe = String::with_capacity(text.len());
        for character in text.chars() {
            match character {
                c if Description::allows(c) => safe.push(c),
                '§' => safe.push_str("section"),
                '"' | '“' | '”' => safe.push('\''),
                '\\' => safe.push('/'),
                '…' => safe.push_str("..."),
                c if c.is_whitespace() => safe.push(' '),
                _ => safe.push('?'),
            }
        }
        Description(safe)
    }

    /// Whether RFC 6749 §5.2 allows `c` in an `error_description`.
    pub fn allows(c: char) -> bool {
        matches!(c, '\x20'..='\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for Description {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The JSON body of an error: `{"error": "...", "error_description": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// REQUIRED. A single ASCII error code.
    pub error: ErrorCode,
    /// OPTIONAL. Human-readable text to help the developer understand the error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

impl ErrorBody {
    /// The description goes through [`Description::new`]: only RFC 6749 §5.2's characters.
    pub fn new(error: ErrorCode, description: impl Into<String>) -> Self {
        Self {
            error,
            error_description: Some(Description::new(&description.into()).into_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_description_keeps_only_the_characters_rfc_6749_section_5_2_allows() {
        let every_char = (0u32..0x3000)
            .filter_map(char::from_u32)
            .collect::<String>();
        let safe = Description::new(&every_char);
        assert!(safe.as_str().chars().all(Description::allows), "{safe}");
        assert_eq!(
            Description::new("see §3.2: \"a\\b\" …").as_str(),
            "see section3.2: 'a/b' ..."
        );
        let body = ErrorBody::new(ErrorCode::InvalidRequest, "RFC 6749 §5.2 \"quoted\"");
        assert!(
            body.error_description
                .as_deref()
                .is_some_and(|text| text.chars().all(Description::allows))
        );
    }

    #[test]
    fn codes_serialise_as_the_rfc_spells_them() {
        let body = ErrorBody::new(ErrorCode::InvalidGrant, "code already used");
        let json = serde_json::to_value(&body).expect("error bodies serialise");
        assert_eq!(json["error"], "invalid_grant");
        assert_eq!(json["error_description"], "code already used");
        let as_str = serde_json::to_value(ErrorCode::UnsupportedGrantType).expect("serialises");
        assert_eq!(as_str, ErrorCode::UnsupportedGrantType.as_str());
    }
}
