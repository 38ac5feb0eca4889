//! The OAuth client: steps (A), (C)–(E) of RFC 6749 §4.1, refresh (§6), revocation
//! (RFC 7009) and introspection (RFC 7662), through the `oauth2` crate.
//!
//! The `oauth2` client is built once, after discovery, and kept: [`ProviderClient`] names
//! its typestate (authorization and token endpoints set, revocation and introspection
//! endpoints set if the provider publishes them). Every back-channel call goes through a
//! [`Recorder`] (no redirects, a time limit) so the flow inspector can show it, masked.
//!
//! Handlers call [`OAuth::begin_login`] at `/login` and [`OAuth::finish_login`] at
//! `/callback`; `provider_api.rs` calls [`OAuth::refresh`]; `/logout` calls
//! [`OAuth::revoke`].

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use oauth2::basic::{BasicClient, BasicTokenResponse, BasicTokenType};
use oauth2::{
    AccessToken, AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, ConfigurationError,
    CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, ErrorResponse, IntrospectionUrl,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError,
    RevocableToken, RevocationUrl, Scope, StandardRevocableToken, TokenIntrospectionResponse,
    TokenResponse, TokenUrl,
};
use serde::Deserialize;
use shared::introspection::IntrospectionResponse;
use subtle::ConstantTimeEq;
use tokio::sync::OnceCell;

use crate::config::Settings;
use crate::discovery::{self, Endpoints};
use crate::error::ClientError;
use crate::flow::Step;
use crate::wire::{self, Masker, RawExchange, Recorder, WireError};

/// The `oauth2` client with the endpoints discovery can give: authorization and token
/// endpoints always, revocation and introspection when the provider publishes them.
/// Parameters in the crate's order: auth, device auth, introspection, revocation, token.
pub type ProviderClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet, EndpointSet>;

/// How long an authorization request may wait for its response.
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(600);

/// The provider, once discovered.
pub struct Provider {
    pub client: ProviderClient,
    pub endpoints: Endpoints,
    /// Step 0 of every flow inspector page.
    pub discovery_step: Step,
}

/// Everything the client keeps between `/login` and `/callback`, server-side only.
pub struct PendingAuthorization {
    /// The `state` sent (RFC 6749 §10.12). Compared in constant time with [`same_state`].
    pub state: CsrfToken,
    /// The PKCE code verifier (RFC 7636 §4.1): the secret behind the code challenge.
    pub verifier: PkceCodeVerifier,
    pub scopes: Vec<String>,
    pub started: Instant,
    /// Whether this request widens an existing grant (incremental authorization).
    pub incremental: bool,
}

/// The query of the authorization response at the redirect URI (RFC 6749 §4.1.2, §4.1.2.1,
/// RFC 9207 §2). Every field is optional here; the checks say which must be present.
#[derive(Debug, Default, Deserialize)]
pub struct AuthorizationResponse {
    pub code: Option<String>,
    pub state: Option<String>,
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    pub error_uri: Option<String>,
}

/// The tokens of a signed-in session. Lives in the server-side session only. (The token
/// newtypes' `Debug` is redacted by the `oauth2` crate.)
#[derive(Clone)]
pub struct TokenSet {
    pub access: AccessToken,
    pub refresh: Option<RefreshToken>,
    /// From `expires_in` (RFC 6749 §5.1); `None` if the provider did not say.
    pub expires_at: Option<SystemTime>,
    /// `expires_in` itself: how long the access token was meant to live.
    pub lifetime: Option<Duration>,
    /// Granted scopes: the response's `scope`, or the requested ones if it has none (§5.1).
    pub scopes: Vec<String>,
    /// `authorization_code` or `refresh_token`.
    pub obtained_by: &'static str,
    /// Bumped by every refresh, so a request that saw a 401 can tell whether another
    /// request already refreshed.
    pub generation: u64,
    pub refreshes: u64,
}

impl TokenSet {
    /// Whether the access token should be refreshed before use: expired, or within
    /// `margin` of its expiry (at most a tenth of its lifetime, so a token that lives a
    /// few seconds in a workshop is not refreshed on every call).
    pub fn needs_refresh(&self, margin: Duration) -> bool {
        let margin = self
            .lifetime
            .map_or(margin, |lifetime| margin.min(lifetime / 10));
        self.expires_at
            .is_some_and(|at| at <= SystemTime::now() + margin)
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|granted| granted == scope)
    }

    /// Seconds since the Unix epoch at which the access token expires.
    pub fn expires_at_unix(&self) -> Option<u64> {
        self.expires_at
            .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
            .map(|since| since.as_secs())
    }
}

/// Constant-time comparison of the `state` kept with the `state` received
/// (RFC 6749 §10.12; a plain `==` would leak how many leading bytes match).
pub fn same_state(kept: &CsrfToken, received: &str) -> bool {
    kept.secret().as_bytes().ct_eq(received.as_bytes()).into()
}

/// The client side of the protocol: discovery, then the calls of the flow.
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
                let result = discovery::discover(&self.settings, &recorder).await;
                let masker = self.masker();
                let endpoints = result.inspect_err(|error| {
                    tracing::warn!(%error, "discovery failed; the next request retries it");
                })?;
                let mut step = Step::discovery(endpoints.source.describe());
                for raw in recorder.take() {
                    step = step.wire(masker.record(&raw));
                }
                // A 404 on the way to the fallback is expected, not a failure.
                step.ok = true;
                step = step
                    .note(format!("issuer: {}", endpoints.issuer))
                    .note(format!(
                        "authorization endpoint: {}",
                        endpoints.authorization
                    ))
                    .note(format!("token endpoint: {}", endpoints.token))
                    .note(format!(
                        "revocation endpoint: {}",
                        endpoints.revocation.as_deref().unwrap_or("none published")
                    ))
                    .note(format!(
                        "introspection endpoint: {}",
                        endpoints
                            .introspection
                            .as_deref()
                            .unwrap_or("none published")
                    ))
                    .note(format!(
                        "iss in authorization responses (RFC 9207): {}",
                        if endpoints.iss_parameter_supported {
                            "promised, so required"
                        } else {
                            "not promised"
                        }
                    ));
                let client = build_client(&self.settings, &endpoints)?;
                tracing::info!(
                    issuer = %endpoints.issuer,
                    source = endpoints.source.describe(),
                    "provider discovered"
                );
                Ok(Arc::new(Provider {
                    client,
                    endpoints,
                    discovery_step: step,
                }))
            })
            .await
            .cloned()
    }

    /// (A) The authorization request: a fresh `state` and PKCE S256 pair, the URL to send
    /// the browser to, and what must be kept server-side until the response comes back.
    pub fn begin_login(
        &self,
        provider: &Provider,
        scopes: &[String],
        incremental: bool,
    ) -> (String, PendingAuthorization, Step) {
        // RFC 7636 §4.1–4.2: a random verifier, and its SHA-256 as the challenge.
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = provider
            .client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge.clone())
            .url();
        let masker = self.masker().secret(verifier.secret());
        let params = url
            .query_pairs()
            .map(|(key, value)| (key.into_owned(), masker.text(&value)))
            .collect();
        let step = Step::authorization_request(incremental)
            .params(params)
            .note(format!(
                "PKCE: code_verifier = {} ({} random characters, kept on the client's server) → SHA-256 → base64url without padding = code_challenge {} (RFC 7636 §4.2). The provider stores the challenge; only the holder of the verifier can redeem the code.",
                shared::mask(verifier.secret()),
                verifier.secret().len(),
                challenge.as_str()
            ))
            .note("state: 16 random bytes, base64url. Kept server-side; the provider must send it back unchanged.")
            .note(format!("The browser is redirected (303) to {}", masker.url(url.as_str())));
        tracing::info!(
            scopes = %scopes.join(" "),
            incremental,
            "authorization request built; browser sent to the provider"
        );
        let pending = PendingAuthorization {
            state,
            verifier,
            scopes: scopes.to_vec(),
            started: Instant::now(),
            incremental,
        };
        (url.to_string(), pending, step)
    }

    /// (C)–(E): checks the authorization response (`iss`, then `error`, then `code`) and
    /// redeems the code. The caller has already matched `state` ([`same_state`]) and removed
    /// the pending request, so a replayed response finds nothing to match.
    pub async fn finish_login(
        &self,
        provider: &Provider,
        pending: PendingAuthorization,
        response: &AuthorizationResponse,
        steps: &mut Vec<Step>,
    ) -> Result<TokenSet, ClientError> {
        let masker = self.masker();
        let mut params = Vec::new();
        let fields = [
            ("code", response.code.as_deref().map(shared::mask)),
            ("state", response.state.clone()),
            ("iss", response.iss.clone()),
            ("error", response.error.clone()),
            ("error_description", response.error_description.clone()),
            ("error_uri", response.error_uri.clone()),
        ];
        for (name, value) in fields {
            if let Some(value) = value {
                params.push((name.to_owned(), masker.text(&value)));
            }
        }
        let step = Step::authorization_response(params)
            .note("state matches the one kept for this browser (compared in constant time) ✓");

        // RFC 9207 §2.4: compare `iss` with the issuer the request was sent to, by simple
        // string comparison, before looking at anything else in the response.
        let expected = &provider.endpoints.issuer;
        let step = match response.iss.as_deref() {
            Some(iss) if iss == expected => {
                step.note(format!("iss = {iss}: the issuer from discovery ✓"))
            }
            Some(iss) => {
                steps.push(
                    step.note(format!(
                        "iss = {iss}, expected {expected}: refused (mix-up defence)"
                    ))
                    .failed(),
                );
                return Err(ClientError::IssuerMismatch {
                    expected: expected.clone(),
                    received: Some(iss.to_owned()),
                });
            }
            None if provider.endpoints.iss_parameter_supported => {
                steps.push(step.note("no iss, although the provider's metadata promises it: refused (RFC 9207 §2.4)").failed());
                return Err(ClientError::IssuerMismatch {
                    expected: expected.clone(),
                    received: None,
                });
            }
            None => {
                step.note("no iss; this provider does not promise one (RFC 9207 §2.4 allows that)")
            }
        };

        if let Some(code) = &response.error {
            steps.push(
                step.note(format!("error = {code}: the provider sent no code"))
                    .failed(),
            );
            return Err(ClientError::AuthorizationRefused {
                code: code.clone(),
                description: response.error_description.clone(),
            });
        }
        let Some(code) = response.code.clone() else {
            steps.push(step.note("neither code nor error").failed());
            return Err(ClientError::CodeMissing);
        };
        steps.push(step);
        self.exchange_code(provider, code, pending, steps).await
    }

    /// (D)–(E) The token request: code + PKCE verifier, client authenticated by HTTP Basic
    /// (RFC 6749 §2.3.1, `client_secret_basic`), `redirect_uri` repeated (§4.1.3).
    async fn exchange_code(
        &self,
        provider: &Provider,
        code: String,
        pending: PendingAuthorization,
        steps: &mut Vec<Step>,
    ) -> Result<TokenSet, ClientError> {
        let masker = self
            .masker()
            .secret(&code)
            .secret(pending.verifier.secret());
        let recorder = Recorder::new(&self.http);
        let result = provider
            .client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(pending.verifier)
            .request_async(&recorder)
            .await;
        let raw = recorder.take();
        let mut step = Step::token_request();
        for exchange in &raw {
            step = step.wire(masker.record(exchange));
        }
        match result {
            Ok(response) => {
                let tokens =
                    token_set(&response, &pending.scopes, None, "authorization_code", 0, 0)?;
                steps.push(fingerprints(step, &tokens));
                log_tokens("tokens received for an authorization code", &tokens);
                Ok(tokens)
            }
            Err(error) => {
                steps.push(step.failed());
                Err(token_error("token", &provider.endpoints.token, error, &raw))
            }
        }
    }

    /// RFC 6749 §6: a new access token (and, with rotation, a new refresh token) for the
    /// refresh token. Runs under the session's token lock (see `provider_api.rs`).
    pub async fn refresh(
        &self,
        provider: &Provider,
        current: &TokenSet,
        reason: &str,
        steps: &mut Vec<Step>,
    ) -> Result<TokenSet, ClientError> {
        let Some(refresh) = &current.refresh else {
            return Err(ClientError::SessionEnded {
                reason: "The access token expired and the provider gave no refresh token".into(),
            });
        };
        let masker = self.masker().secret(refresh.secret());
        let recorder = Recorder::new(&self.http);
        let result = provider
            .client
            .exchange_refresh_token(refresh)
            .request_async(&recorder)
            .await;
        let raw = recorder.take();
        let mut step = Step::refresh(reason).fingerprint("refresh token sent", refresh.secret());
        for exchange in &raw {
            step = step.wire(masker.record(exchange));
        }
        match result {
            Ok(response) => {
                let tokens = token_set(
                    &response,
                    &current.scopes,
                    Some(refresh),
                    "refresh_token",
                    current.generation + 1,
                    current.refreshes + 1,
                )?;
                steps.push(fingerprints(step, &tokens));
                tracing::info!(
                    old_refresh = %shared::fingerprint(refresh.secret()),
                    reason,
                    "refresh token used"
                );
                log_tokens("tokens received for a refresh token", &tokens);
                Ok(tokens)
            }
            Err(error) => {
                steps.push(step.failed());
                tracing::info!(
                    refresh = %shared::fingerprint(refresh.secret()),
                    "refresh refused"
                );
                Err(token_error("token", &provider.endpoints.token, error, &raw))
            }
        }
    }

    /// RFC 7009: tells the provider a token is no longer needed. Without a published
    /// revocation endpoint there is nothing to call; the step says so.
    pub async fn revoke(
        &self,
        provider: &Provider,
        token: StandardRevocableToken,
        reason: &str,
        steps: &mut Vec<Step>,
    ) -> Result<(), ClientError> {
        let hint = token.type_hint().unwrap_or("access_token").to_owned();
        let hint = hint.as_str();
        let which = if hint == "refresh_token" {
            "refresh token"
        } else {
            "access token"
        };
        let secret = token.secret().to_owned();
        let masker = self.masker().secret(&secret);
        let step = Step::revocation(which, reason).fingerprint(which, &secret);
        let recorder = Recorder::new(&self.http);
        let by_crate = match provider.client.revoke_token(token) {
            Ok(request) => Some(request.request_async(&recorder).await),
            Err(ConfigurationError::MissingUrl(_)) => {
                steps.push(step.note("The provider publishes no revocation endpoint: the token stays valid until it expires."));
                return Ok(());
            }
            // The oauth2 crate insists on https (RFC 7009 §2). A provider on this machine
            // (http://localhost) is the exception OAuth allows (RFC 8252 §8.3), so the
            // same request is sent by hand.
            Err(_) => None,
        };
        let url = provider.endpoints.revocation.as_deref().unwrap_or_default();
        let result = match by_crate {
            Some(result) => {
                let raw = recorder.take();
                let result = result.map_err(|error| token_error("revocation", url, error, &raw));
                (raw, result)
            }
            None if is_loopback(url) => {
                let result = self.revoke_by_hand(url, &secret, hint, &recorder).await;
                (recorder.take(), result)
            }
            None => (
                Vec::new(),
                Err(ClientError::ProviderBroken {
                    url: url.to_owned(),
                    detail: "the revocation endpoint is not https (RFC 7009 §2)".into(),
                }),
            ),
        };
        let (raw, result) = result;
        let mut step = step;
        for exchange in &raw {
            step = step.wire(masker.record(exchange));
        }
        if result.is_err() {
            step = step.failed();
        }
        steps.push(step);
        tracing::info!(token = %shared::fingerprint(&secret), hint, ok = result.is_ok(), "revocation requested");
        result
    }

    /// The RFC 7009 §2.1 request, as the `oauth2` crate would send it: form body with
    /// `token` and `token_type_hint`, client authenticated by HTTP Basic.
    async fn revoke_by_hand(
        &self,
        url: &str,
        token: &str,
        hint: &str,
        recorder: &Recorder<'_>,
    ) -> Result<(), ClientError> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("token", token)
            .append_pair("token_type_hint", hint)
            .finish();
        let request = oauth2::http::Request::builder()
            .method(oauth2::http::Method::POST)
            .uri(url)
            .header(
                oauth2::http::header::AUTHORIZATION,
                self.basic_credentials(),
            )
            .header(
                oauth2::http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(oauth2::http::header::ACCEPT, "application/json")
            .body(body.into_bytes())
            .map_err(|error| ClientError::ProviderBroken {
                url: url.to_owned(),
                detail: format!("not a usable URL ({error})"),
            })?;
        let response = recorder
            .send(request)
            .await
            .map_err(|error| unreachable(&self.settings, &error))?;
        match response.status().as_u16() {
            // RFC 7009 §2.2: 200 also for a token that was already invalid.
            200 => Ok(()),
            429 => Err(ClientError::RateLimited {
                url: url.to_owned(),
                retry_after: response
                    .headers()
                    .get(oauth2::http::header::RETRY_AFTER)
                    .and_then(|value| value.to_str().ok())
                    .map(str::to_owned),
            }),
            status => match serde_json::from_slice::<shared::ErrorBody>(response.body()) {
                Ok(body) => Err(ClientError::TokenRefused {
                    endpoint: "revocation",
                    code: body.error.to_string(),
                    description: body.error_description,
                }),
                Err(_) => Err(ClientError::ProviderBroken {
                    url: url.to_owned(),
                    detail: format!("revocation answered HTTP {status}"),
                }),
            },
        }
    }

    /// `Basic base64(urlencode(client_id) ":" urlencode(client_secret))` (RFC 6749 §2.3.1).
    fn basic_credentials(&self) -> String {
        use base64::Engine;
        let encode = |value: &str| {
            url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>()
        };
        let pair = format!(
            "{}:{}",
            encode(&self.settings.client_id),
            encode(self.settings.client_secret.expose())
        );
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    }

    /// RFC 7662: what the provider knows about the access token. `None` when the provider
    /// publishes no introspection endpoint.
    pub async fn introspect(
        &self,
        provider: &Provider,
        access: &AccessToken,
        steps: &mut Vec<Step>,
    ) -> Result<Option<IntrospectionResponse>, ClientError> {
        let request = match provider.client.introspect(access) {
            Ok(request) => request.set_token_type_hint("access_token"),
            Err(_) => return Ok(None),
        };
        let masker = self.masker().secret(access.secret());
        let recorder = Recorder::new(&self.http);
        let result = request.request_async(&recorder).await;
        let raw = recorder.take();
        let mut step = Step::introspection().fingerprint("access token", access.secret());
        for exchange in &raw {
            step = step.wire(masker.record(exchange));
        }
        let url = provider
            .endpoints
            .introspection
            .as_deref()
            .unwrap_or_default();
        match result {
            Ok(answer) => {
                steps.push(step);
                Ok(Some(IntrospectionResponse {
                    active: answer.active(),
                    scope: answer.scopes().map(|scopes| {
                        scopes
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(" ")
                    }),
                    client_id: answer.client_id().map(|id| id.as_str().to_owned()),
                    username: answer.username().map(str::to_owned),
                    token_type: None,
                    exp: answer
                        .exp()
                        .map(|exp| exp.timestamp().max(0).unsigned_abs()),
                    iat: answer
                        .iat()
                        .map(|iat| iat.timestamp().max(0).unsigned_abs()),
                    sub: answer.sub().map(str::to_owned),
                    iss: answer.iss().map(str::to_owned),
                }))
            }
            Err(error) => {
                steps.push(step.failed());
                Err(token_error("introspection", url, error, &raw))
            }
        }
    }
}

fn is_loopback(url: &str) -> bool {
    url::Url::parse(url)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
        .is_some_and(|host| host == "localhost" || host == "127.0.0.1" || host == "[::1]")
}

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
    Ok(BasicClient::new(ClientId::new(settings.client_id.clone()))
        .set_client_secret(ClientSecret::new(
            settings.client_secret.expose().to_owned(),
        ))
        // client_secret_basic (RFC 6749 §2.3.1), the contract's choice.
        .set_auth_type(AuthType::BasicAuth)
        .set_auth_uri(auth_url)
        .set_token_uri(token_url)
        .set_redirect_uri(RedirectUrl::from_url(settings.redirect_uri.clone()))
        .set_revocation_url_option(revocation_url)
        .set_introspection_url_option(introspection_url))
}

fn token_set(
    response: &BasicTokenResponse,
    requested_scopes: &[String],
    previous_refresh: Option<&RefreshToken>,
    obtained_by: &'static str,
    generation: u64,
    refreshes: u64,
) -> Result<TokenSet, ClientError> {
    // RFC 6750: this client only knows how to use bearer tokens.
    if *response.token_type() != BasicTokenType::Bearer {
        return Err(ClientError::ProviderBroken {
            url: "token endpoint".into(),
            detail: format!("token_type is {:?}, not Bearer", response.token_type()),
        });
    }
    Ok(TokenSet {
        access: response.access_token().clone(),
        // §6: without a new refresh token, the old one stays valid.
        refresh: response.refresh_token().or(previous_refresh).cloned(),
        expires_at: response
            .expires_in()
            .map(|lifetime| SystemTime::now() + lifetime),
        lifetime: response.expires_in(),
        // §5.1: `scope` may be omitted when it equals the request.
        scopes: match response.scopes() {
            Some(scopes) => scopes.iter().map(|scope| scope.to_string()).collect(),
            None => requested_scopes.to_vec(),
        },
        obtained_by,
        generation,
        refreshes,
    })
}

fn fingerprints(step: Step, tokens: &TokenSet) -> Step {
    let step = step.fingerprint("access token", tokens.access.secret());
    match &tokens.refresh {
        Some(refresh) => step.fingerprint("refresh token", refresh.secret()),
        None => step,
    }
}

fn log_tokens(message: &str, tokens: &TokenSet) {
    tracing::info!(
        access = %shared::fingerprint(tokens.access.secret()),
        refresh = %tokens.refresh.as_ref().map(|r| shared::fingerprint(r.secret())).unwrap_or_else(|| "none".into()),
        scopes = %tokens.scopes.join(" "),
        expires_in = %tokens
            .expires_at
            .and_then(|at| at.duration_since(SystemTime::now()).ok())
            .map_or_else(|| "unknown".to_owned(), |left| format!("{}s", left.as_secs())),
        "{message}"
    );
}

fn unreachable(settings: &Settings, error: &WireError) -> ClientError {
    ClientError::ProviderUnreachable {
        url: settings.issuer(),
        detail: match error {
            WireError::Connect { .. } => "connection refused".to_owned(),
            WireError::Timeout { .. } => "no answer within the time limit".to_owned(),
            WireError::Other { .. } => error.to_string(),
        },
    }
}

/// Maps an `oauth2` call's failure to a page: 429 first (whatever the body), then the
/// provider's RFC 6749 §5.2 error code, then transport and parse failures.
fn token_error<TE>(
    endpoint: &'static str,
    url: &str,
    error: RequestTokenError<WireError, TE>,
    raw: &[RawExchange],
) -> ClientError
where
    TE: ErrorResponse + serde::Serialize + 'static,
{
    if let Some(Ok(response)) = raw.last().map(|exchange| exchange.response.as_ref())
        && response.status == 429
    {
        return ClientError::RateLimited {
            url: url.to_owned(),
            retry_after: response.header("retry-after").map(str::to_owned),
        };
    }
    match error {
        RequestTokenError::ServerResponse(body) => {
            let json = serde_json::to_value(&body).unwrap_or_default();
            ClientError::TokenRefused {
                endpoint,
                code: json["error"].as_str().unwrap_or("unknown").to_owned(),
                description: json["error_description"].as_str().map(str::to_owned),
            }
        }
        RequestTokenError::Request(wire) => ClientError::ProviderUnreachable {
            url: wire.url().to_owned(),
            detail: match wire {
                WireError::Connect { .. } => "connection refused".to_owned(),
                WireError::Timeout { .. } => "no answer within the time limit".to_owned(),
                other => other.to_string(),
            },
        },
        RequestTokenError::Parse(_, _) => ClientError::ProviderBroken {
            url: url.to_owned(),
            detail: format!(
                "the {endpoint} endpoint's answer is not the JSON RFC 6749 §5 describes (HTTP {})",
                raw.last()
                    .and_then(|exchange| exchange.response.as_ref().ok())
                    .map(|response| response.status.to_string())
                    .unwrap_or_default()
            ),
        },
        RequestTokenError::Other(detail) => ClientError::ProviderBroken {
            url: url.to_owned(),
            detail,
        },
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

    #[test]
    fn a_token_is_refreshed_near_its_expiry_but_not_on_every_call_when_short_lived() {
        let tokens = |left: u64, lifetime: u64| TokenSet {
            access: AccessToken::new("a".into()),
            refresh: None,
            expires_at: Some(SystemTime::now() + Duration::from_secs(left)),
            lifetime: Some(Duration::from_secs(lifetime)),
            scopes: vec![],
            obtained_by: "authorization_code",
            generation: 0,
            refreshes: 0,
        };
        let margin = Duration::from_secs(5);
        assert!(tokens(3, 3600).needs_refresh(margin));
        assert!(!tokens(60, 3600).needs_refresh(margin));
        assert!(
            !tokens(3, 4).needs_refresh(margin),
            "a 4 s token is used, not refreshed"
        );
        assert!(tokens(0, 4).needs_refresh(margin));
    }

    #[test]
    fn state_comparison_needs_every_byte() {
        let kept = CsrfToken::new("abcdef".into());
        assert!(same_state(&kept, "abcdef"));
        assert!(!same_state(&kept, "abcdeg"));
        assert!(!same_state(&kept, "abc"));
        assert!(!same_state(&kept, ""));
    }

    #[test]
    fn only_loopback_hosts_may_revoke_over_http() {
        assert!(is_loopback("http://localhost:8080/oauth/revoke"));
        assert!(is_loopback("http://127.0.0.1:1/oauth/revoke"));
        assert!(!is_loopback("http://example.com/oauth/revoke"));
    }
}
