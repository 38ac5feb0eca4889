//! Token introspection response (RFC 7662 §2.2).

use serde::{Deserialize, Serialize};

/// What `/oauth/introspect` answers. An inactive, unknown, expired or revoked token gets
/// `{"active": false}` and nothing else (§2.2: do not tell why).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntrospectionResponse {
    /// REQUIRED. Whether the token is currently active.
    pub active: bool,
    /// OPTIONAL. Space-separated scopes of the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// OPTIONAL. The client the token was issued to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// OPTIONAL. Human-readable identifier of the resource owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// OPTIONAL. `access_token` or `refresh_token` (RFC 7009 hint vocabulary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// OPTIONAL. Expiry, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<u64>,
    /// OPTIONAL. Issue time, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// OPTIONAL. Subject: the resource owner's id, or the client's for `client_credentials`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// OPTIONAL. The issuer of the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
}

impl IntrospectionResponse {
    /// The answer for every token that is not active.
    pub fn inactive() -> Self {
        Self::default()
    }
}
