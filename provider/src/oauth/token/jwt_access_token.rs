//! JWT access tokens for the notes API (RFC 9068 §2), the tokens a resource server that is
//! not the provider checks on its own.
//!
//! The provider's own API looks its opaque tokens up in the store. The notes API at
//! `API_URL` shares no store with the provider: it validates a JWT with the provider's
//! published keys (`jwks_uri`) and needs no call per request (RFC 9068 §4). The price is the
//! lesson of this module: a JWT carries its own validity, so a revocation reaches only
//! those who ask the provider (introspection, RFC 7662); the API keeps accepting a revoked
//! JWT until its `exp`. Hence `API_ACCESS_TOKEN_TTL`, five minutes by default.
//!
//! The header and claims, each as RFC 9068 §2 asks:
//!
//! - header `typ: at+jwt` (§2.1: "Resource servers MUST verify that the typ header value is
//!   at+jwt", so an ID token, `typ: JWT`, cannot pass for an access token), `alg` and `kid`
//!   of the key set's current key (the one that signs ID tokens; the same JWKS verifies
//!   both);
//! - `iss` (the issuer), `aud` (the resource identifier, `API_URL`: §3 "the resource
//!   indicator ... MUST be included in the aud claim"), `sub` (the user, or the client
//!   itself for `client_credentials`), `client_id`, `iat`, `exp`, `jti` (a random id, unique
//!   per token), `scope` (space-delimited, §2.2.3), and `auth_time` when a login is behind
//!   the token (§2.2.1).
//!
//! The store keeps the token's SHA-256 like any other, so introspection and revocation
//! find it by the whole JWT, exactly as for an opaque token.

use serde_json::{Map, Value, json};

use crate::domain::scope::ScopeSet;
use crate::domain::token::random_id;
use crate::openid::jws::{JwsError, sign_jws};
use crate::openid::keys::SigningKey;

/// The RFC 9068 §2.1 media type, in the short form `typ` uses.
pub const AT_JWT: &str = "at+jwt";

/// What one JWT access token says. Times are seconds since the epoch.
#[derive(Debug, Clone, Copy)]
pub struct AccessTokenFor<'a> {
    pub issuer: &'a str,
    /// `aud`: the resource identifier of the one resource server the token is for.
    pub audience: &'a str,
    /// `sub`: the resource owner, or the client acting for itself.
    pub subject: &'a str,
    pub client_id: &'a str,
    pub scopes: ScopeSet,
    /// When the user logged in, if a user did (§2.2.1).
    pub auth_time: Option<u64>,
    pub issued_at: u64,
    pub expires_at: u64,
}

/// Signs an RFC 9068 access token with `key` (the key set's current key).
pub fn sign_access_token(key: &SigningKey, token: &AccessTokenFor<'_>) -> Result<String, JwsError> {
    let mut claims = json!({
        "iss": token.issuer,
        "aud": token.audience,
        "sub": token.subject,
        "client_id": token.client_id,
        "iat": token.issued_at,
        "exp": token.expires_at,
        "jti": random_id(),
        "scope": token.scopes.to_wire(),
    });
    if let (Some(auth_time), Some(object)) = (token.auth_time, claims.as_object_mut()) {
        object.insert("auth_time".into(), auth_time.into());
    }
    let mut header = Map::new();
    header.insert("typ".into(), Value::from(AT_JWT));
    sign_jws(key, header, &claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openid::jws::verify;
    use crate::openid::keys::Algorithm;
    use crate::openid::keyset::KeySet;

    #[test]
    fn the_access_token_verifies_with_the_jwks_and_carries_the_rfc_9068_claims() {
        let keys = KeySet::generate(Algorithm::EdDSA, 0).unwrap();
        let token = AccessTokenFor {
            issuer: "http://localhost:8080",
            audience: "http://localhost:8082",
            subject: "user1",
            client_id: "testclient",
            scopes: ScopeSet::parse("notes:read").unwrap(),
            auth_time: Some(90),
            issued_at: 100,
            expires_at: 400,
        };
        let first = sign_access_token(keys.signing_key(), &token).unwrap();
        let verified = verify(&first, &keys.jwks(), &Algorithm::ALL).unwrap();
        assert_eq!(verified.header["typ"], AT_JWT);
        assert_eq!(verified.header["kid"], keys.signing_key().kid());
        let claims = verified.claims;
        assert_eq!(claims["aud"], "http://localhost:8082");
        assert_eq!(claims["scope"], "notes:read");
        assert_eq!(claims["auth_time"], 90);
        let second = sign_access_token(keys.signing_key(), &token).unwrap();
        let again = verify(&second, &keys.jwks(), &Algorithm::ALL).unwrap();
        assert_ne!(claims["jti"], again.claims["jti"], "a fresh jti per token");
    }
}
