//! Authorization server metadata (RFC 8414 §2), served at
//! `/.well-known/oauth-authorization-server` and read by the client to find the endpoints.
//!
//! The same document is the OpenID Provider Metadata (OpenID Connect Discovery 1.0 §3),
//! served at `/.well-known/openid-configuration`: RFC 8414 §1 made the two compatible, so
//! the OpenID members below are optional and absent from an OAuth-only provider's answer.

use serde::{Deserialize, Serialize};

/// The provider's self-description. Unknown fields from other providers are ignored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthorizationServerMetadata {
    /// REQUIRED. The authorization server's issuer identifier, an `https` (or, on a
    /// laptop, `http://localhost`) URL with no query or fragment.
    pub issuer: String,
    /// URL of the authorization endpoint (RFC 6749 §3.1).
    pub authorization_endpoint: String,
    /// URL of the token endpoint (RFC 6749 §3.2).
    pub token_endpoint: String,
    /// OPTIONAL in RFC 8414 §2, REQUIRED by Discovery 1.0 §3. URL of the JWK Set (RFC 7517)
    /// with the public keys that check the provider's signatures (ID tokens, Core §10.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// RECOMMENDED (Discovery 1.0 §3). URL of the UserInfo endpoint (Core §5.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_endpoint: Option<String>,
    /// OPTIONAL (RP-Initiated Logout 1.0 §2.1). URL where a Relying Party sends the browser
    /// to end the user's session at the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<String>,
    /// OPTIONAL. URL of the revocation endpoint (RFC 7009).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    /// OPTIONAL. URL of the introspection endpoint (RFC 7662).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_endpoint: Option<String>,
    /// RECOMMENDED. The scopes this server supports.
    #[serde(default)]
    pub scopes_supported: Vec<String>,
    /// REQUIRED. The `response_type` values supported: `["code"]` here.
    #[serde(default)]
    pub response_types_supported: Vec<String>,
    /// OPTIONAL. The `grant_type` values supported.
    #[serde(default)]
    pub grant_types_supported: Vec<String>,
    /// OPTIONAL. PKCE methods supported (RFC 7636): `["S256"]` here, never `plain`.
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    /// OPTIONAL. Client authentication methods at the token endpoint.
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// OPTIONAL. Client authentication methods at the revocation endpoint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revocation_endpoint_auth_methods_supported: Vec<String>,
    /// OPTIONAL. Client authentication methods at the introspection endpoint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub introspection_endpoint_auth_methods_supported: Vec<String>,
    /// OPTIONAL (RFC 9207 §3). `true`: authorization responses carry `iss`.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// REQUIRED by Discovery 1.0 §3: `public` here (every client sees the same `sub`, Core §8).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subject_types_supported: Vec<String>,
    /// REQUIRED by Discovery 1.0 §3: the algorithms ID tokens are signed with; "The
    /// algorithm RS256 MUST be included".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// RECOMMENDED (Discovery 1.0 §3): the claims this provider can supply.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims_supported: Vec<String>,
    /// OPTIONAL. Where a human reads about this server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_documentation: Option<String>,
}
