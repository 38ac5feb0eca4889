//! The token endpoint's successful response (RFC 6749 §5.1).

use serde::{Deserialize, Serialize};

use crate::Secret;

/// The only token type this provider issues (RFC 6750).
pub const BEARER: &str = "Bearer";

/// What `/oauth/token` answers on success. Sent with `Cache-Control: no-store`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    /// REQUIRED. The access token issued by the authorization server.
    pub access_token: Secret,
    /// REQUIRED. The type of the token: always `Bearer` here (RFC 6750).
    pub token_type: String,
    /// RECOMMENDED. The lifetime in seconds of the access token.
    pub expires_in: u64,
    /// OPTIONAL. Used to obtain new access tokens with the `refresh_token` grant.
    /// Always present for `authorization_code` and `refresh_token`, never for
    /// `client_credentials` (RFC 6749 §4.4.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// OPTIONAL if identical to the scope requested, REQUIRED otherwise. Always sent here.
    pub scope: String,
}
