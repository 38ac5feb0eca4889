//! (A) The authorization request (RFC 6749 §4.1.1), with PKCE (RFC 7636 §4.1–4.3) and
//! `state` (RFC 6749 §10.12).
//!
//! The browser is sent to the provider with a fresh `state` and the SHA-256 challenge of a
//! fresh code verifier. Both secrets stay on this server, in a [`PendingAuthorization`],
//! until the response comes back to the callback (`callback.rs`).
//!
//! From an OpenID Provider (discovery found a `jwks_uri` and the `openid` scope), the request
//! also asks for `openid` (plus `profile` and `email` when offered, Core §5.4) and carries a
//! fresh `nonce` (Core §3.1.2.1), kept server-side beside `state`: the ID token must echo
//! it (Core §3.1.3.7 step 11), so a token from another login cannot be replayed here.
//!
//! With the notes API's scopes (`notes:read`, `notes:write`, asked for only when the
//! provider's metadata offers them), the request names both resources the tokens are for
//! (RFC 8707 §2.1): the provider's own API (its issuer) and the notes API (`API_URL`). The
//! code exchange then gets the provider's token, and [`super::resource_token`] the API's.

use std::time::{Duration, Instant};

use oauth2::{CsrfToken, PkceCodeChallenge, PkceCodeVerifier, Scope};

use crate::config::{NOTES_SCOPES, Settings};
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
    /// The OpenID Connect `nonce` sent (Core §3.1.2.1), when the request asked for
    /// `openid`: the ID token must carry it. Server-side only, never in a cookie.
    pub nonce: Option<String>,
    pub scopes: Vec<String>,
    /// The `resource` values sent (RFC 8707 §2.1), empty when the request named none.
    pub resources: Vec<String>,
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
        // OpenID Connect Core §3.1.2.1: `openid` makes this an authentication request, and
        // a `nonce` (16 bytes from the OS's CSPRNG, base64url) binds the ID token to it.
        let mut scopes = provider.askable_scopes(scopes);
        let resources = resources_for(&scopes, &provider.endpoints.issuer, &self.settings);
        let mut nonce = None;
        if let Some(openid) = &provider.endpoints.openid {
            for scope in
                std::iter::once("openid").chain(openid.claim_scopes.iter().map(String::as_str))
            {
                if !scopes.iter().any(|asked| asked == scope) {
                    scopes.push(scope.to_owned());
                }
            }
            nonce = Some(CsrfToken::new_random().into_secret());
        }
        // RFC 6749 §10.12: `state`, a value the provider sends back unchanged, binds the
        // response to this browser. `CsrfToken::new_random` is 16 random bytes, base64url.
        let mut request = provider
            .client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge.clone());
        if let Some(nonce) = &nonce {
            request = request.add_extra_param("nonce", nonce.clone());
        }
        // RFC 8707 §2.1: "multiple `resource` parameters MAY be used to indicate that the
        // requested token is intended to be used at multiple resources".
        for resource in &resources {
            request = request.add_extra_param("resource", resource.clone());
        }
        let (url, state) = request.url();
        tracing::info!(
            scopes = %scopes.join(" "),
            incremental,
            openid = nonce.is_some(),
            "authorization request built; browser sent to the provider"
        );
        AuthorizationRequest {
            url,
            challenge,
            masker: self.masker().secret(verifier.secret()),
            pending: PendingAuthorization {
                state,
                verifier,
                nonce,
                scopes,
                resources,
                started: Instant::now(),
                incremental,
            },
        }
    }
}

impl Provider {
    /// `scopes` less the notes API's ones this provider does not offer (RFC 8414
    /// `scopes_supported`): a provider without the notes API would refuse the whole request
    /// (`invalid_scope`), so one `SCOPES` works with both kinds.
    pub fn askable_scopes(&self, scopes: &[String]) -> Vec<String> {
        let offered = &self.endpoints.scopes_supported;
        scopes
            .iter()
            .filter(|scope| {
                !NOTES_SCOPES.contains(&scope.as_str()) || offered.iter().any(|o| o == *scope)
            })
            .cloned()
            .collect()
    }
}

/// The resources a request for `scopes` names (RFC 8707 §2.1): none without the notes
/// API's scopes (the provider's own API is then the only one, as before), otherwise the
/// provider's own API (`issuer`) and the notes API (`API_URL`).
pub fn resources_for(scopes: &[String], issuer: &str, settings: &Settings) -> Vec<String> {
    if scopes
        .iter()
        .any(|scope| NOTES_SCOPES.contains(&scope.as_str()))
    {
        vec![issuer.to_owned(), settings.api_url.clone()]
    } else {
        Vec::new()
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
