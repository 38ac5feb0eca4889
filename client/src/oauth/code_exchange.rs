//! (D)–(E) The token request for an authorization code (RFC 6749 §4.1.3–4.1.4), with the
//! PKCE code verifier (RFC 7636 §4.5).
//!
//! Server to server: the code, the verifier and the client's credentials (HTTP Basic,
//! RFC 6749 §2.3.1) go to the token endpoint; the tokens come back and stay on this server.
//!
//! When the authorization named resources (RFC 8707 §2.1), this request asks for the first,
//! the provider's own API (§2.2: "the client … indicates the target service … it wants the
//! access token for"); [`super::resource_token`] then asks for the notes API's.

use oauth2::AuthorizationCode;

use crate::error::ClientError;
use crate::oauth::errors::token_error;
use crate::oauth::tokens::{GrantType, TokenSet};
use crate::oauth::{OAuth, PendingAuthorization, Provider};
use crate::wire::{Recorded, Recorder};

/// The outcome of the token request: what was sent and received, and the tokens.
pub struct CodeExchange {
    pub wire: Recorded,
    pub result: Result<TokenSet, ClientError>,
}

impl OAuth {
    /// (D)–(E) The token request: code + PKCE verifier, client authenticated by HTTP Basic
    /// (RFC 6749 §2.3.1, `client_secret_basic`), `redirect_uri` repeated (§4.1.3). Called
    /// by [`OAuth::finish_login`] once every check of the response has passed.
    pub async fn exchange_code(
        &self,
        provider: &Provider,
        code: AuthorizationCode,
        pending: PendingAuthorization,
    ) -> CodeExchange {
        let masker = self
            .masker()
            .secret(code.secret())
            .secret(pending.verifier.secret());
        let recorder = Recorder::new(&self.http);
        let mut request = provider
            .client
            .exchange_code(code)
            .set_pkce_verifier(pending.verifier);
        if let Some(issuer) = pending.resources.first() {
            request = request.add_extra_param("resource", issuer.clone());
        }
        let answer = request.request_async(&recorder).await;
        let result = match answer {
            Ok(response) => {
                TokenSet::from_response(&response, &pending.scopes, GrantType::AuthorizationCode)
            }
            Err(error) => Err(token_error(
                "token",
                &provider.endpoints.token,
                error,
                recorder.last_status(),
            )),
        };
        if let Ok(tokens) = &result {
            tokens.log("tokens received for an authorization code");
        }
        CodeExchange {
            wire: recorder.finish(masker),
            result,
        }
    }
}
