//! The authorization request (RFC 6749 §4.1.1) with PKCE (RFC 7636 §4.1–4.3), built two ways:
//!
//! - [`AuthorizationRequest`]: a valid request with fixed values, to change one field and see
//!   one rule of the authorization endpoint refuse it. Its verifier is RFC 7636 Appendix B's,
//!   so a test can exchange the code with [`VERIFIER`].
//! - [`fresh_request`]: a request as a real client makes it, with its own random
//!   `code_verifier` and `state` (RFC 6749 §10.12), for tests and drivers that run many flows.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use sha2::{Digest, Sha256};

use crate::demo::{CLIENT_ID, PUBLIC_CLIENT_ID, PUBLIC_REDIRECT_URI, REDIRECT_URI};

/// RFC 7636 Appendix B's `code_verifier`.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// Its S256 `code_challenge`: `BASE64URL(SHA256(VERIFIER))` (RFC 7636 §4.2).
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// An authorization request with valid defaults; change one field to test one rule. `None`
/// leaves the parameter out.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    /// Extra raw `name=value` pairs appended as they are (for repeated parameters).
    pub extra: Vec<(String, String)>,
}

impl Default for AuthorizationRequest {
    /// The confidential client asking for `profile:read teams:read`, PKCE S256.
    fn default() -> Self {
        Self {
            client_id: Some(CLIENT_ID.into()),
            redirect_uri: Some(REDIRECT_URI.into()),
            response_type: Some("code".into()),
            scope: Some("profile:read teams:read".into()),
            state: Some("state-123".into()),
            code_challenge: Some(CHALLENGE.into()),
            code_challenge_method: Some("S256".into()),
            extra: Vec::new(),
        }
    }
}

impl AuthorizationRequest {
    /// The public client's request.
    pub fn public_client() -> Self {
        Self {
            client_id: Some(PUBLIC_CLIENT_ID.into()),
            redirect_uri: Some(PUBLIC_REDIRECT_URI.into()),
            ..Self::default()
        }
    }

    /// The query string of `GET /oauth/authorize?…`, form-urlencoded.
    pub fn query(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        let fields = [
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("response_type", &self.response_type),
            ("scope", &self.scope),
            ("state", &self.state),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
        ];
        for (name, value) in fields {
            if let Some(value) = value {
                query.append_pair(name, value);
            }
        }
        for (name, value) in &self.extra {
            query.append_pair(name, value);
        }
        query.finish()
    }
}

/// A request with its own secrets, and what the client keeps to finish the flow.
#[derive(Debug, Clone)]
pub struct FreshRequest {
    /// The full `GET {issuer}/oauth/authorize?...` URL.
    pub url: String,
    /// RFC 7636 §4.1: 43–128 characters of `[A-Za-z0-9-._~]`; here 32 random bytes, base64url.
    pub code_verifier: String,
    /// RFC 6749 §10.12: an unguessable value bound to this request.
    pub state: String,
}

/// Builds `GET {issuer}/oauth/authorize` for `client_id` and `redirect_uri`, asking for
/// `scope`, with a fresh verifier (its S256 challenge in the request) and a fresh `state`.
pub fn fresh_request(
    issuer: &str,
    client_id: &str,
    redirect_uri: &str,
    scope: &str,
) -> FreshRequest {
    let code_verifier = random_token();
    let state = random_token();
    let request = AuthorizationRequest {
        client_id: Some(client_id.into()),
        redirect_uri: Some(redirect_uri.into()),
        scope: Some(scope.into()),
        state: Some(state.clone()),
        code_challenge: Some(s256_challenge(&code_verifier)),
        ..AuthorizationRequest::default()
    };
    FreshRequest {
        url: format!("{issuer}/oauth/authorize?{}", request.query()),
        code_verifier,
        state,
    }
}

/// RFC 7636 §4.2: `code_challenge = BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))`.
pub fn s256_challenge(code_verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(code_verifier.as_bytes()))
}

/// 32 bytes from the thread's CSPRNG, base64url without padding: a PKCE verifier
/// (RFC 7636 §7.1 asks for 256 bits of entropy) or a `state` value.
pub fn random_token() -> String {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_s256_challenge_of_the_appendix_b_verifier_is_the_appendix_b_challenge() {
        assert_eq!(s256_challenge(VERIFIER), CHALLENGE);
    }

    #[test]
    fn a_fresh_request_carries_the_challenge_of_its_own_verifier_and_its_state() {
        let request = fresh_request(
            "http://127.0.0.1:1",
            CLIENT_ID,
            REDIRECT_URI,
            "profile:read",
        );
        let param = |name| crate::urls::query_param(&request.url, name);
        assert_eq!(
            param("code_challenge"),
            Some(s256_challenge(&request.code_verifier))
        );
        assert_eq!(param("code_challenge_method").as_deref(), Some("S256"));
        assert_eq!(param("state"), Some(request.state.clone()));
        assert_eq!(param("response_type").as_deref(), Some("code"));
        assert!(
            request
                .url
                .starts_with("http://127.0.0.1:1/oauth/authorize?")
        );
    }
}
