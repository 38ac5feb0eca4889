//! A valid authorization request (RFC 6749 §4.1.1 with PKCE S256, RFC 7636 §4.1–4.2), for
//! tests that open the provider's authorization endpoint without the client app.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use sha2::{Digest, Sha256};

/// A code verifier and the state that went with one authorization request.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    /// The full `GET /oauth/authorize?...` URL.
    pub url: String,
    /// RFC 7636 §4.1: 43–128 characters of `[A-Za-z0-9-._~]`; here 32 random bytes, base64url.
    pub code_verifier: String,
    /// RFC 6749 §10.12: an unguessable value bound to this request.
    pub state: String,
}

/// Builds `GET {issuer}/oauth/authorize` for `client_id` and `redirect_uri`, asking for `scope`.
pub fn authorization_request(
    issuer: &str,
    client_id: &str,
    redirect_uri: &str,
    scope: &str,
) -> AuthorizationRequest {
    let code_verifier = random_token();
    let state = random_token();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(code_verifier.as_bytes()));
    let mut url = url::Url::parse(&format!("{issuer}/oauth/authorize"))
        .expect("the issuer of a test server is a valid http URL");
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", scope)
        .append_pair("state", &state)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    AuthorizationRequest {
        url: url.into(),
        code_verifier,
        state,
    }
}

/// 32 bytes from the thread's CSPRNG, base64url without padding.
fn random_token() -> String {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}
