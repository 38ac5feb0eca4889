//! The OAuth client: steps (A), (C)–(E) of RFC 6749 §4.1, refresh (§6), revocation
//! (RFC 7009) and introspection (RFC 7662), through the `oauth2` crate.
//!
//! This is the part of the app a learner copies into their own: it speaks the protocol and
//! nothing else. Each file is one thing the client does, in the order a login meets them:
//!
//! 1. this file: the provider, discovered once (RFC 8414), and the `oauth2` client built
//!    for it ([`ProviderClient`]);
//! 2. [`authorization_request`]: (A) `state` and PKCE, the URL to send the browser to;
//! 3. [`callback`]: (C) the authorization response's checks, as one numbered list;
//! 4. [`code_exchange`]: (D)–(E) the code and the verifier for tokens;
//! 5. [`tokens`]: what a token response becomes, the session's [`TokenSet`];
//!    [`id_token`]: with OpenID Connect, the ID token's checks (Core §3.1.3.7);
//! 6. [`introspection`]: what the provider knows about the access token;
//!    [`userinfo`]: with OpenID Connect, the user's claims, for the ID token's `sub` only;
//! 7. [`refresh`]: a new access token for the refresh token, when it expires;
//!    [`resource_token`]: a token for the notes API, one per resource (RFC 8707 §2.2);
//! 8. [`revocation`]: telling the provider a token, or a whole grant, is no longer needed;
//! 9. [`errors`]: the token endpoint's error codes, typed, and how failures become pages.
//!
//! Every function returns a typed outcome that keeps what went over the wire as data
//! ([`crate::wire::Recorded`]); it never narrates. Turning outcomes into the flow
//! inspector's steps happens in one place, `crate::flow`.

// In flow order, like the list above.
// (A)
pub mod authorization_request;
// (C)
pub mod callback;
// (D)–(E)
pub mod code_exchange;
pub mod id_token;
pub mod tokens;
// Later, while signed in, until logout
pub mod introspection;
pub mod refresh;
pub mod resource_token;
pub mod revocation;
pub mod userinfo;
// When the provider says no
pub mod errors;

use std::sync::Arc;

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, Client, ClientId, ClientSecret, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, ExtraTokenFields, IntrospectionUrl, RedirectUrl, RevocationUrl,
    StandardRevocableToken, StandardTokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use tokio::sync::{OnceCell, RwLock};

use crate::config::Settings;
use crate::discovery::{self, Endpoints};
use crate::error::ClientError;
use crate::wire::{self, Masker, Recorder, WireRecord};

pub use authorization_request::{AuthorizationRequest, LOGIN_TIMEOUT, PendingAuthorization};
pub use callback::{AuthorizationResponse, Callback, same_state};
pub use errors::{AuthorizationErrorCode, TokenErrorCode};
pub use tokens::TokenSet;

use id_token::Jwks;

/// What a token response carries beyond RFC 6749 §5.1: OpenID Connect's `id_token`
/// (Core §3.1.3.3). `oauth2`'s `BasicTokenResponse` would drop it. No derived `Debug`: the
/// ID token must not reach a log line by way of `{:?}`.
#[derive(Clone, Default, Deserialize, Serialize)]
pub struct IdTokenField {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl std::fmt::Debug for IdTokenField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.id_token {
            Some(_) => "IdTokenField { id_token: [redacted] }",
            None => "IdTokenField { id_token: None }",
        })
    }
}

impl ExtraTokenFields for IdTokenField {}

/// A token response (RFC 6749 §5.1), with the ID token when there is one.
pub type ProviderTokenResponse = StandardTokenResponse<IdTokenField, BasicTokenType>;

/// The `oauth2` client with the endpoints discovery can give: authorization and token
/// endpoints always, revocation and introspection when the provider publishes them.
/// `oauth2`'s `BasicClient` but for the token response, which keeps `id_token`.
/// Endpoint parameters in the crate's order: auth, device auth, introspection, revocation, token.
pub type ProviderClient = Client<
    BasicErrorResponse,
    ProviderTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
    EndpointSet,
>;

/// The provider, once discovered.
pub struct Provider {
    pub client: ProviderClient,
    pub endpoints: Endpoints,
    /// The discovery requests, masked: step 0 of every flow inspector page.
    pub discovery: Vec<WireRecord>,
    /// An OpenID Provider's public keys, from its `jwks_uri`: fetched at the first ID token,
    /// fetched again once when a token names a `kid` they lack (keys rotate, Core §10.1.1).
    pub keys: RwLock<Option<Jwks>>,
}

/// The client side of the protocol: discovery, then the calls of the flow (one file each).
pub struct OAuth {
    settings: Arc<Settings>,
    http: reqwest::Client,
    provider: OnceCell<Arc<Provider>>,
}

impl OAuth {
    pub fn new(settings: Arc<Settings>) -> anyhow::Result<Self> {
        let http = wire::http_client(settings.http_timeout)?;
        Ok(Self {
            settings,
            http,
            provider: OnceCell::new(),
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// A masker that knows this client's secret.
    pub fn masker(&self) -> Masker {
        Masker::new().hidden(self.settings.client_secret.expose())
    }

    /// The provider if discovery has already succeeded (the inspector does not trigger it).
    pub fn discovered(&self) -> Option<Arc<Provider>> {
        self.provider.get().cloned()
    }

    /// The discovered provider. Discovery runs on first use, not at start-up, so the client
    /// starts while the provider is down; a failed discovery is retried by the next caller.
    pub async fn provider(&self) -> Result<Arc<Provider>, ClientError> {
        self.provider
            .get_or_try_init(|| async {
                let recorder = Recorder::new(&self.http);
                let endpoints = discovery::discover(&self.settings, &recorder)
                    .await
                    .inspect_err(|error| {
                        tracing::warn!(%error, "discovery failed; the next request retries it");
                    })?;
                let client = build_client(&self.settings, &endpoints)?;
                tracing::info!(
                    issuer = %endpoints.issuer,
                    source = endpoints.source.describe(),
                    "provider discovered"
                );
                Ok(Arc::new(Provider {
                    client,
                    endpoints,
                    discovery: recorder.finish(self.masker()).masked(),
                    keys: RwLock::new(None),
                }))
            })
            .await
            .cloned()
    }
}

impl OAuth {
    /// The provider's public keys (Core §10.1): the cached JWK Set, or a fresh one from the
    /// discovered `jwks_uri` when there is none yet or `fresh` (an unknown `kid`). The fetch
    /// is recorded on `recorder`, for the inspector.
    pub async fn provider_keys(
        &self,
        provider: &Provider,
        fresh: bool,
        recorder: &Recorder<'_>,
    ) -> Result<Jwks, ClientError> {
        if !fresh && let Some(keys) = provider.keys.read().await.as_ref() {
            return Ok(keys.clone());
        }
        let Some(openid) = provider.endpoints.openid.as_ref() else {
            return Err(ClientError::ProviderBroken {
                url: provider.endpoints.issuer.clone(),
                detail: "it sent an ID token but publishes no jwks_uri".into(),
            });
        };
        let url = &openid.jwks_uri;
        let broken = |detail: String| ClientError::ProviderBroken {
            url: url.clone(),
            detail,
        };
        let response = discovery::get_json(recorder, url, url).await?;
        if response.status().as_u16() != 200 {
            return Err(broken(format!(
                "jwks_uri answered HTTP {}",
                response.status().as_u16()
            )));
        }
        let keys: Jwks = serde_json::from_slice(response.body())
            .map_err(|error| broken(format!("the JWK Set is not valid JSON ({error})")))?;
        *provider.keys.write().await = Some(keys.clone());
        tracing::info!(keys = keys.keys.len(), fresh, "provider's JWK Set fetched");
        Ok(keys)
    }
}

/// The `oauth2` client for the discovered endpoints, authenticating with
/// `client_secret_basic` (RFC 6749 §2.3.1).
fn build_client(settings: &Settings, endpoints: &Endpoints) -> Result<ProviderClient, ClientError> {
    let bad = |what: &str, value: &str| ClientError::ProviderBroken {
        url: settings.issuer(),
        detail: format!("its {what} {value:?} is not a URL"),
    };
    let auth_url = AuthUrl::new(endpoints.authorization.clone())
        .map_err(|_| bad("authorization endpoint", &endpoints.authorization))?;
    let token_url = TokenUrl::new(endpoints.token.clone())
        .map_err(|_| bad("token endpoint", &endpoints.token))?;
    let revocation_url = endpoints
        .revocation
        .as_ref()
        .map(|url| RevocationUrl::new(url.clone()).map_err(|_| bad("revocation endpoint", url)))
        .transpose()?;
    let introspection_url = endpoints
        .introspection
        .as_ref()
        .map(|url| {
            IntrospectionUrl::new(url.clone()).map_err(|_| bad("introspection endpoint", url))
        })
        .transpose()?;
    Ok(Client::new(ClientId::new(settings.client_id.clone()))
        .set_client_secret(ClientSecret::new(
            settings.client_secret.expose().to_owned(),
        ))
        // client_secret_basic (RFC 6749 §2.3.1): the secret never travels in a form body.
        .set_auth_type(AuthType::BasicAuth)
        .set_auth_uri(auth_url)
        .set_token_uri(token_url)
        .set_redirect_uri(RedirectUrl::from_url(settings.redirect_uri.clone()))
        .set_revocation_url_option(revocation_url)
        .set_introspection_url_option(introspection_url))
}
