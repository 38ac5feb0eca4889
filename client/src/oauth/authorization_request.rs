//! (A) The authorization request (RFC 6749 §4.1.1), with PKCE (RFC 7636 §4.1–4.3) and
//! `state` (RFC 6749 §10.12).
//!
//! The browser is sent to the provider with a fresh `state` and the SHA-256 challenge of a
//! fresh code verifier. Both secrets stay on this server, in a [`PendingAuthorization`],
//! until the response comes back to the callback (`callback.rs`).

use std::time::{Duration, Instant};

use oauth2::{CsrfToken, PkceCodeChallenge, PkceCodeVerifier, Scope};

use crate::oauth::{OAuth, Provider};
use crate::wire::Masker;

/// How long an authorization request may wait for its response.
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(600);

/// Everything the client keeps between `/login` and `/callback`, server-side only.
pub struct PendingAuthorization {
    /// The `state` sent (RFC 6749 §10.12). Compared in constant time with
    /// [`same_state`](crate::oauth::same_state).
    pub state: CsrfToken,
    /// The PKCE code verifier (RFC 7636 §4.1): the secret behind the code challenge.
    pub verifier: PkceCodeVerifier,
    pub scopes: Vec<String>,
    pub started: Instant,
    /// Whether this request widens an existing grant (incremental authorization).
    pub incremental: bool,
}

/// The outcome of (A): where to send the browser, and what to keep until it comes back.
pub struct AuthorizationRequest {
    /// The authorization endpoint with every parameter (RFC 6749 §4.1.1).
    pub url: url::Url,
    /// The code challenge sent (RFC 7636 §4.2); the verifier is in `pending`.
    pub challenge: PkceCodeChallenge,
    /// Kept server-side until the callback.
    pub pending: PendingAuthorization,
    /// Masks the verifier wherever the request is shown.
    pub masker: Masker,
}

impl OAuth {
    /// (A) The authorization request: a fresh `state` and PKCE S256 pair, the URL to send
    /// the browser to, and what must be kept server-side until the response comes back.
    pub fn begin_login(
        &self,
        provider: &Provider,
        scopes: &[String],
        incremental: bool,
    ) -> AuthorizationRequest {
        // RFC 7636 §4.1–4.2: a random verifier, and its SHA-256 as the challenge.
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        // RFC 6749 §10.12: `state`, a value the provider sends back unchanged, binds the
        // response to this browser. `CsrfToken::new_random` is 16 random bytes, base64url.
        let (url, state) = provider
            .client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge.clone())
            .url();
        tracing::info!(
            scopes = %scopes.join(" "),
            incremental,
            "authorization request built; browser sent to the provider"
        );
        AuthorizationRequest {
            url,
            challenge,
            masker: self.masker().secret(verifier.secret()),
            pending: PendingAuthorization {
                state,
                verifier,
                scopes: scopes.to_vec(),
                started: Instant::now(),
                incremental,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_s256_challenge_matches_rfc_7636_appendix_b() {
        let verifier = PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
        assert_eq!(
            challenge.as_str(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
