//! # The ID token (OpenID Connect Core 1.0 §2, §3.1.3.3, §3.1.3.6, §12.2)
//!
//! "The ID Token is a security token that contains Claims about the Authentication of an
//! End-User by an Authorization Server when using a Client" (Core §2). The token endpoint
//! returns one beside the access token when the grant's scope has `openid` (§3.1.3.3), and
//! again on each refresh of such a grant (§12.2: "its iss Claim Value MUST be the same ...,
//! its sub Claim Value MUST be the same ..., its aud Claim Value MUST be the same ..."; no
//! `nonce` then, since no authentication request was made).
//!
//! The claims, and why each travels:
//!
//! - `iss` (our issuer) and `aud` (the client id): who says it, and to whom. A Relying Party
//!   refuses a token from another issuer or made for another client (Core §3.1.3.7 2–3).
//! - `sub`: the user's stable identifier here. With `iss` it *is* the signed-in identity.
//! - `exp`, `iat`: the token's lifetime (seconds since the epoch, RFC 7519 §2 NumericDate).
//! - `auth_time`: when the user last logged in at the provider (for `max_age`, Core §3.1.2.1).
//! - `nonce`: the authentication request's, exactly as sent, so the client can tie this
//!   token to the request its own browser made (replay protection, Core §15.5.2).
//! - `azp`: the party the token was issued to (the client id, Core §2).
//! - `sid`: the provider session the user logged in with (OpenID Connect Front-Channel
//!   Logout 1.0 §3, Back-Channel Logout 1.0 §2.1): a random id, stable for the session and
//!   never the session cookie, so a logout request can say which session it means.
//! - `at_hash`: half of the hash of the access token issued with it (Core §3.1.3.6), so an
//!   access token swapped into the response is detected.
//!
//! The token is a JWS signed with the current key of the algorithm the client registered
//! (`id_token_signed_response_alg`, OpenID Connect Dynamic Client Registration 1.0 §2: RS256
//! unless it registered another); its header names the `kid` (Core §10.1), so a verifier
//! picks the key from `jwks_uri`.

use serde_json::{Map, Value, json};

use super::jws::{JwsError, sign_jws, token_hash};
use super::keys::SigningKey;

/// The longest `nonce` kept with a pending request and its code. Core §3.1.2.1 sets no
/// limit, but the provider keeps it for anyone who asks, so it is bounded like `state`;
/// 512 characters hold any random value a client would send.
pub const MAX_NONCE_LENGTH: usize = 512;

/// Core §3.1.2.1's `nonce`: 1 to [`MAX_NONCE_LENGTH`] printable ASCII characters, echoed
/// exactly in the ID token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nonce(String);

impl Nonce {
    /// The nonce if it can be kept and echoed, else `None`.
    pub fn parse(value: &str) -> Option<Nonce> {
        let printable = value.bytes().all(|byte| (0x20..=0x7e).contains(&byte));
        (printable && !value.is_empty() && value.len() <= MAX_NONCE_LENGTH)
            .then(|| Nonce(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What one ID token says. Times are seconds since the epoch.
#[derive(Debug, Clone)]
pub struct IdTokenFor<'a> {
    pub issuer: &'a str,
    /// The user's stable identifier (`sub`).
    pub subject: &'a str,
    /// The client it is for: `aud` and `azp`.
    pub client_id: &'a str,
    pub auth_time: u64,
    /// Only at the code exchange of a request that sent one; never on refresh (§12.2).
    pub nonce: Option<&'a Nonce>,
    /// The provider session of the login, when known: `sid`.
    pub sid: Option<&'a str>,
    /// The access token issued with it, for `at_hash`.
    pub access_token: &'a str,
    pub issued_at: u64,
    pub expires_at: u64,
}

/// Signs the ID token with `key` (the current key of the algorithm the client registered).
pub fn sign_id_token(key: &SigningKey, token: &IdTokenFor<'_>) -> Result<String, JwsError> {
    let mut claims = json!({
        "iss": token.issuer,
        "sub": token.subject,
        "aud": token.client_id,
        "exp": token.expires_at,
        "iat": token.issued_at,
        "auth_time": token.auth_time,
        "azp": token.client_id,
        "at_hash": token_hash(key.alg(), token.access_token),
    });
    if let Some(object) = claims.as_object_mut() {
        if let Some(nonce) = token.nonce {
            object.insert("nonce".into(), nonce.as_str().into());
        }
        if let Some(sid) = token.sid {
            object.insert("sid".into(), sid.into());
        }
    }
    let mut header = Map::new();
    header.insert("typ".into(), Value::from("JWT"));
    sign_jws(key, header, &claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openid::jws::verify;
    use crate::openid::keys::Algorithm;
    use crate::openid::keyset::KeySet;

    #[test]
    fn a_nonce_is_printable_ascii_of_bounded_length() {
        assert!(Nonce::parse("n-0S6_WzA2Mj").is_some());
        assert!(Nonce::parse("").is_none());
        assert!(Nonce::parse(&"x".repeat(MAX_NONCE_LENGTH + 1)).is_none());
        assert!(Nonce::parse("line\nbreak").is_none());
    }

    #[test]
    fn the_id_token_verifies_with_the_jwks_and_carries_every_claim() {
        let keys = KeySet::generate(Algorithm::EdDSA, 0).unwrap();
        let nonce = Nonce::parse("abc").unwrap();
        let token = IdTokenFor {
            issuer: "http://localhost:8080",
            subject: "user1",
            client_id: "testclient",
            auth_time: 90,
            nonce: Some(&nonce),
            sid: Some("session-1"),
            access_token: "access",
            issued_at: 100,
            expires_at: 400,
        };
        let jws = sign_id_token(keys.signing_key(), &token).unwrap();
        let verified = verify(&jws, &keys.jwks(), &Algorithm::ALL).unwrap();
        assert_eq!(verified.header["kid"], keys.signing_key().kid());
        let claims = verified.claims;
        assert_eq!(claims["nonce"], "abc");
        assert_eq!(claims["aud"], "testclient");
        assert_eq!(claims["azp"], "testclient");
        assert_eq!(claims["sid"], "session-1");
        assert_eq!(claims["auth_time"], 90);
        assert_eq!(claims["exp"], 400);
        assert_eq!(
            claims["at_hash"],
            token_hash(keys.signing_key().alg(), "access")
        );
    }
}
