//! Error bodies: RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1, RFC 7009 §2.2.1.
//!
//! Every error this system answers with has one of these codes and an optional
//! human-readable description; the code is what a program branches on.
//!
//! Each way an error is delivered has its own vocabulary, and its own type, so a code
//! cannot reach a channel that does not define it:
//!
//! - [`AuthorizationErrorCode`]: the redirect back from the authorization endpoint
//!   (RFC 6749 §4.1.2.1).
//! - [`TokenErrorCode`]: JSON from the token endpoint (§5.2), and from revocation
//!   (RFC 7009 §2.2.1) and introspection (RFC 7662 §2.3), which answer as it does.
//! - [`BearerErrorCode`]: the `WWW-Authenticate: Bearer` challenge of a protected
//!   resource (RFC 6750 §3.1).
//! - [`ApiErrorCode`]: the resource server's own JSON errors, past the bearer check.
//!
//! [`ErrorCode`] is every one of them together: the type a *reader* parses any error body
//! into. Writers use their channel's type; each converts into it.

use serde::{Deserialize, Serialize};

/// Any `error` value this system sends, whatever the channel: what a reader of an error
/// body parses into. Each channel's own type ([`AuthorizationErrorCode`],
/// [`TokenErrorCode`], [`BearerErrorCode`], [`ApiErrorCode`]) converts into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// [`AuthorizationErrorCode`], [`TokenErrorCode`], [`BearerErrorCode`] and
    /// [`ApiErrorCode`] each have it: the request is malformed.
    InvalidRequest,
    /// [`TokenErrorCode::InvalidClient`]: client authentication failed.
    InvalidClient,
    /// [`TokenErrorCode::InvalidGrant`]: the code or refresh token is not good.
    InvalidGrant,
    /// [`AuthorizationErrorCode`], [`TokenErrorCode`]: this client may not do that.
    UnauthorizedClient,
    /// [`TokenErrorCode::UnsupportedGrantType`].
    UnsupportedGrantType,
    /// [`AuthorizationErrorCode`], [`TokenErrorCode`]: the scope is not acceptable.
    InvalidScope,
    /// [`AuthorizationErrorCode`], [`TokenErrorCode`]: the `resource` is not one this
    /// provider issues tokens for (RFC 8707 §2).
    InvalidTarget,
    /// [`AuthorizationErrorCode::AccessDenied`]: the user said no.
    AccessDenied,
    /// [`AuthorizationErrorCode::UnsupportedResponseType`].
    UnsupportedResponseType,
    /// [`AuthorizationErrorCode::ServerError`].
    ServerError,
    /// [`AuthorizationErrorCode`], [`TokenErrorCode`], [`ApiErrorCode`]: try again shortly.
    TemporarilyUnavailable,
    /// [`BearerErrorCode::InvalidToken`]: the access token is not good.
    InvalidToken,
    /// [`BearerErrorCode::InsufficientScope`]: the token's scope is too narrow.
    InsufficientScope,
    /// [`TokenErrorCode::UnsupportedTokenType`] (revocation).
    UnsupportedTokenType,
    /// [`ApiErrorCode::NotFound`].
    NotFound,
    /// [`ApiErrorCode::Conflict`].
    Conflict,
    /// [`ApiErrorCode::Forbidden`]: the user's role does not allow it.
    Forbidden,
    /// [`TokenErrorCode::RateLimited`]: see `Retry-After`.
    RateLimited,
    /// [`AuthorizationErrorCode::LoginRequired`] (OpenID Connect).
    LoginRequired,
    /// [`AuthorizationErrorCode::ConsentRequired`] (OpenID Connect).
    ConsentRequired,
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
            ErrorCode::InvalidTarget => "invalid_target",
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
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::ConsentRequired => "consent_required",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Declares one channel's error codes: the enum (serialised as the RFC spells them), its
/// whole vocabulary as `ALL`, its wire form, and its conversion into [`ErrorCode`].
macro_rules! channel_codes {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$variant_meta:meta])* $variant:ident, )+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $( $(#[$variant_meta])* $variant, )+ }

        impl $name {
            /// Every code of this channel.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The code as it appears on the wire.
            pub fn as_str(self) -> &'static str {
                ErrorCode::from(self).as_str()
            }
        }

        impl From<$name> for ErrorCode {
            fn from(code: $name) -> ErrorCode {
                match code { $($name::$variant => ErrorCode::$variant,)+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

channel_codes! {
    /// The `error` of an authorization error response, sent back to the client's redirect
    /// URI (RFC 6749 §4.1.2.1). The token endpoint's codes are not among them: a client
    /// authenticates at the token endpoint only, so `invalid_client` cannot be written here.
    ///
    /// ```compile_fail,E0308
    /// use shared::error::{AuthorizationErrorCode, TokenErrorCode};
    /// // A token endpoint's code in an authorization redirect: a type error.
    /// let redirected: AuthorizationErrorCode = TokenErrorCode::InvalidClient;
    /// ```
    pub enum AuthorizationErrorCode {
        /// "The request is missing a required parameter, includes an invalid parameter
        /// value, includes a parameter more than once, or is otherwise malformed."
        InvalidRequest,
        /// "The client is not authorized to request an authorization code using this
        /// method."
        UnauthorizedClient,
        /// "The resource owner or authorization server denied the request."
        AccessDenied,
        /// "The authorization server does not support obtaining an authorization code
        /// using this method."
        UnsupportedResponseType,
        /// "The requested scope is invalid, unknown, or malformed."
        InvalidScope,
        /// RFC 8707 §2: "The requested resource is invalid, missing, unknown, or
        /// malformed." Sent to the redirect URI like the codes above.
        InvalidTarget,
        /// "The authorization server encountered an unexpected condition that prevented it
        /// from fulfilling the request."
        ServerError,
        /// "The authorization server is currently unable to handle the request due to a
        /// temporary overloading or maintenance of the server."
        TemporarilyUnavailable,
        /// OpenID Connect Core §3.1.2.6: "The Authorization Server requires End-User
        /// authentication." Sent for `prompt=none` when nobody (or not the right person,
        /// recently enough) is signed in.
        LoginRequired,
        /// Core §3.1.2.6: "The Authorization Server requires End-User consent." Sent for
        /// `prompt=none` when the user has not yet allowed this client these scopes.
        ConsentRequired,
    }
}

channel_codes! {
    /// The `error` of a token endpoint error response (RFC 6749 §5.2), also used by the
    /// revocation and introspection endpoints. The six codes of §5.2, RFC 7009 §2.2.1's
    /// `unsupported_token_type`, and two this provider adds for its own conditions:
    /// `temporarily_unavailable` (borrowed from §4.1.2.1, with 503, when the store cannot
    /// answer) and `rate_limited` (with 429 and `Retry-After`).
    pub enum TokenErrorCode {
        /// §5.2: "The request is missing a required parameter, includes an unsupported
        /// parameter value (other than grant type), repeats a parameter, includes multiple
        /// credentials, utilizes more than one mechanism for authenticating the client, or
        /// is otherwise malformed."
        InvalidRequest,
        /// §5.2: "Client authentication failed (e.g., unknown client, no client
        /// authentication included, or unsupported authentication method)."
        InvalidClient,
        /// §5.2: "The provided authorization grant (e.g., authorization code, resource
        /// owner credentials) or refresh token is invalid, expired, revoked, does not match
        /// the redirection URI used in the authorization request, or was issued to another
        /// client."
        InvalidGrant,
        /// §5.2: "The authenticated client is not authorized to use this authorization
        /// grant type."
        UnauthorizedClient,
        /// §5.2: "The authorization grant type is not supported by the authorization
        /// server."
        UnsupportedGrantType,
        /// §5.2: "The requested scope is invalid, unknown, malformed, or exceeds the scope
        /// granted by the resource owner."
        InvalidScope,
        /// RFC 8707 §2: "The requested resource is invalid, missing, unknown, or
        /// malformed", or (§2.2) not one the grant covers.
        InvalidTarget,
        /// RFC 7009 §2.2.1: "The authorization server does not support the revocation of
        /// the presented token type."
        UnsupportedTokenType,
        /// This provider's: the store could not answer (503); retry shortly.
        TemporarilyUnavailable,
        /// This provider's: too many requests from one client or address (429); see
        /// `Retry-After`.
        RateLimited,
    }
}

channel_codes! {
    /// The `error` of a `WWW-Authenticate: Bearer` challenge (RFC 6750 §3.1), and of the
    /// JSON body that comes with it.
    pub enum BearerErrorCode {
        /// "The request is missing a required parameter, includes an unsupported parameter
        /// or parameter value, repeats the same parameter, uses more than one method for
        /// including an access token, or is otherwise malformed." (400)
        InvalidRequest,
        /// "The access token provided is expired, revoked, malformed, or invalid for other
        /// reasons." (401)
        InvalidToken,
        /// "The request requires higher privileges than provided by the access token."
        /// (403)
        InsufficientScope,
    }
}

channel_codes! {
    /// The resource server's own JSON errors, for requests whose token was accepted (or
    /// could not be checked). No RFC defines these; they follow RFC 6749 §5.2's shape.
    pub enum ApiErrorCode {
        /// The request body is malformed (400).
        InvalidRequest,
        /// The team or member named in the path does not exist (404).
        NotFound,
        /// The member to add is already in the team, or the change would leave a team
        /// without an admin (409).
        Conflict,
        /// The token's scope allows the request, but the user's role does not (403).
        /// RFC 6750's `insufficient_scope` would be wrong here: no token, whatever its
        /// scope, gives a user more than their role.
        Forbidden,
        /// The token store could not answer (503), so a good token is not treated as
        /// revoked; retry shortly.
        TemporarilyUnavailable,
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

/// The JSON body of an error: `{"error": "...", "error_description": "..."}`. A writer
/// names its channel's code type (`ErrorBody<TokenErrorCode>`, say); a reader parses into
/// the default, [`ErrorCode`], which holds every channel's codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody<C = ErrorCode> {
    /// REQUIRED. A single ASCII error code.
    pub error: C,
    /// OPTIONAL. Human-readable text to help the developer understand the error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

impl<C> ErrorBody<C> {
    /// The description goes through [`Description::new`]: only RFC 6749 §5.2's characters.
    pub fn new(error: C, description: impl Into<String>) -> Self {
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

    #[test]
    fn each_channel_has_exactly_the_codes_its_rfc_defines_and_a_reader_parses_them_all() {
        fn wire<C: Copy + Into<ErrorCode> + Serialize>(codes: &[C]) -> Vec<&'static str> {
            codes
                .iter()
                .map(|code| {
                    // The serialised name, the wire name and the reader's parse agree.
                    let json = serde_json::to_value(code).expect("codes serialise");
                    let read: ErrorCode = serde_json::from_value(json.clone()).expect("read");
                    assert_eq!(json, read.as_str());
                    read.as_str()
                })
                .collect()
        }
        assert_eq!(
            wire(AuthorizationErrorCode::ALL),
            [
                "invalid_request",
                "unauthorized_client",
                "access_denied",
                "unsupported_response_type",
                "invalid_scope",
                "invalid_target",
                "server_error",
                "temporarily_unavailable",
                "login_required",
                "consent_required",
            ]
        );
        assert_eq!(
            wire(TokenErrorCode::ALL),
            [
                "invalid_request",
                "invalid_client",
                "invalid_grant",
                "unauthorized_client",
                "unsupported_grant_type",
                "invalid_scope",
                "invalid_target",
                "unsupported_token_type",
                "temporarily_unavailable",
                "rate_limited",
            ]
        );
        assert_eq!(
            wire(BearerErrorCode::ALL),
            ["invalid_request", "invalid_token", "insufficient_scope"]
        );
        assert_eq!(
            wire(ApiErrorCode::ALL),
            [
                "invalid_request",
                "not_found",
                "conflict",
                "forbidden",
                "temporarily_unavailable",
            ]
        );
    }

    #[test]
    fn a_body_written_with_a_channel_code_reads_back_with_the_same_code() {
        let written = ErrorBody::new(TokenErrorCode::InvalidGrant, "code already used");
        let json = serde_json::to_string(&written).expect("serialises");
        let read: ErrorBody = serde_json::from_str(&json).expect("a reader parses it");
        assert_eq!(read.error, ErrorCode::InvalidGrant);
        let read: ErrorBody<TokenErrorCode> = serde_json::from_str(&json).expect("typed");
        assert_eq!(read, written);
    }
}
