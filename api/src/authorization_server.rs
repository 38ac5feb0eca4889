//! What the API knows about the authorization server, and only through HTTP: its RFC 8414
//! metadata (or, from a provider that publishes only that, its OpenID Connect Discovery
//! document), its JWK Set (RFC 7517 §5, at `jwks_uri`) and its introspection endpoint
//! (RFC 7662 §2).
//!
//! The API shares no memory or store with the provider. It reads the metadata once (lazily,
//! so the API may start before the provider), keeps the keys, and fetches the JWK Set again
//! only when a token names a `kid` it does not know, and then at most once per
//! `JWKS_REFRESH_FLOOR`: a provider that rotates keys is followed within seconds, while a
//! stream of made-up `kid`s costs the provider one request per floor, not one per token.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Deserialize;
use shared::Secret;
use shared::jose::{Jwk, JwkSet};
use tokio::sync::Mutex;

use crate::config::Settings;

/// The most bytes read from the provider in one answer (metadata, JWK Set, introspection).
pub const MAX_ANSWER_BYTES: usize = 256 * 1024;
/// The most keys kept from one JWK Set.
pub const MAX_KEYS: usize = 64;
/// How long an unused connection to the provider stays in the pool.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(4);
/// How long one call to the provider may take.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// The authorization server cannot be asked right now (down, slow, or an answer that does
/// not make sense). Not the token's fault: the API answers 503, not 401.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable(pub String);

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the authorization server is unavailable: {}", self.0)
    }
}

/// The members of the RFC 8414 document the API uses. Others are ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovered {
    /// REQUIRED. Compared with `iss` of every JWT access token (RFC 9068 §4 step 3).
    pub issuer: String,
    /// Where the signing keys are (RFC 8414 §2 `jwks_uri`).
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// Where opaque tokens are checked (RFC 8414 §2, RFC 7662).
    #[serde(default)]
    pub introspection_endpoint: Option<String>,
}

/// The authorization server, as the API sees it.
pub struct AuthorizationServer {
    http: reqwest::Client,
    /// `AUTH_SERVER`: the issuer the metadata must name (RFC 8414 §3.3).
    issuer: String,
    client_id: String,
    client_secret: Secret,
    floor: Duration,
    known: Mutex<Known>,
    /// Counts the refetches of the JWK Set that dropped or changed a key the API held (see
    /// [`Self::keys_generation`]).
    keys_generation: AtomicU64,
}

#[derive(Default)]
struct Known {
    metadata: Option<Discovered>,
    metadata_tried_at: Option<Instant>,
    keys: JwkSet,
    keys_fetched_at: Option<Instant>,
}

impl AuthorizationServer {
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            // A redirect could point the API's credentials anywhere (the oauth2 crate's
            // SSRF warning): every URL here comes from the settings or the metadata.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(CALL_TIMEOUT)
            // Below the provider's 5 s keep-alive: an introspection request is never sent
            // on a connection the provider is closing at that moment.
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .build()?;
        Ok(Self {
            http,
            issuer: settings.auth_server.clone(),
            client_id: settings.client_id.clone(),
            client_secret: settings.client_secret.clone(),
            floor: settings.jwks_refresh_floor,
            known: Mutex::new(Known::default()),
            keys_generation: AtomicU64::new(0),
        })
    }

    /// The provider's metadata, read on first use and kept. A failed read is retried on a
    /// later request, no sooner than the floor.
    pub async fn metadata(&self) -> Result<Discovered, Unavailable> {
        let mut known = self.known.lock().await;
        self.metadata_locked(&mut known).await
    }

    async fn metadata_locked(&self, known: &mut Known) -> Result<Discovered, Unavailable> {
        if let Some(metadata) = &known.metadata {
            return Ok(metadata.clone());
        }
        if known
            .metadata_tried_at
            .is_some_and(|at| at.elapsed() < self.floor)
        {
            return Err(Unavailable("metadata not read yet; retrying soon".into()));
        }
        known.metadata_tried_at = Some(Instant::now());
        let metadata = self.discover().await?;
        // RFC 8414 §3.3: "The "issuer" value returned MUST be identical to the authorization
        // server's issuer identifier value into which the well-known URI string was inserted"
        // (OpenID Connect Discovery 1.0 §4.3 says the same of its document).
        if metadata.issuer != self.issuer {
            return Err(Unavailable(format!(
                "the metadata names issuer {:?}, not AUTH_SERVER",
                metadata.issuer
            )));
        }
        known.metadata = Some(metadata.clone());
        Ok(metadata)
    }

    /// The metadata document, from the first of these that exists (RFC 8414 §5: an
    /// authorization server that also speaks OpenID Connect may publish only the
    /// `openid-configuration` document, which has the same members):
    ///
    /// 1. RFC 8414 §3.1: `/.well-known/oauth-authorization-server`, inserted between the
    ///    issuer's host and its path.
    /// 2. On 404 only, OpenID Connect Discovery 1.0 §4: the issuer followed by
    ///    `/.well-known/openid-configuration`.
    ///
    /// Any other failure of the first is not a missing document but a provider in trouble:
    /// reported as such, not papered over by the second.
    async fn discover(&self) -> Result<Discovered, Unavailable> {
        let oauth = well_known_url(&self.issuer, "oauth-authorization-server");
        if let Some(metadata) = self.get_json_unless_missing(&oauth).await? {
            return Ok(metadata);
        }
        let openid = format!("{}/.well-known/openid-configuration", self.issuer);
        self.get_json_unless_missing(&openid)
            .await?
            .ok_or_else(|| Unavailable(format!("neither {oauth} nor {openid} exists")))
    }

    /// The signing key named `kid`: from the keys already fetched, else from one new fetch
    /// of `jwks_uri` if the floor allows. `None`: no such key.
    pub async fn signing_key(&self, kid: &str) -> Result<Option<Jwk>, Unavailable> {
        let mut known = self.known.lock().await;
        if let Some(key) = known.keys.find(kid) {
            return Ok(Some(key.clone()));
        }
        if known
            .keys_fetched_at
            .is_some_and(|at| at.elapsed() < self.floor)
        {
            return Ok(None);
        }
        let metadata = self.metadata_locked(&mut known).await?;
        let jwks_uri = metadata
            .jwks_uri
            .ok_or_else(|| Unavailable("the metadata has no jwks_uri".into()))?;
        known.keys_fetched_at = Some(Instant::now());
        let mut keys: JwkSet = self.get_json(&jwks_uri).await?;
        keys.keys.truncate(MAX_KEYS);
        tracing::info!(keys = keys.keys.len(), "fetched the provider's JWK Set");
        if known.keys.keys.iter().any(|held| !keys.keys.contains(held)) {
            self.keys_generation.fetch_add(1, Ordering::Release);
        }
        known.keys = keys;
        Ok(known.keys.find(kid).cloned())
    }

    /// Changes whenever a refetch of the JWK Set drops or changes a key the API held: a
    /// token verified under an older generation may have been signed by a key the issuer
    /// has since rotated away, so [`crate::verified_tokens`] checks it in full again. Keys
    /// only added leave it alone.
    pub fn keys_generation(&self) -> u64 {
        self.keys_generation.load(Ordering::Acquire)
    }

    /// RFC 7662 §2.1: POST the token to the introspection endpoint, authenticated as the
    /// API (`client_secret_basic`, RFC 6749 §2.3.1).
    pub async fn introspect<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
    ) -> Result<T, Unavailable> {
        let endpoint = self
            .metadata()
            .await?
            .introspection_endpoint
            .ok_or_else(|| Unavailable("the metadata has no introspection_endpoint".into()))?;
        // §2.3.1: the id and secret are form-encoded before they go into Basic.
        let encode = |value: &str| {
            url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>()
        };
        let response = self
            .http
            .post(&endpoint)
            .basic_auth(
                encode(&self.client_id),
                Some(encode(self.client_secret.expose())),
            )
            .form(&[("token", token), ("token_type_hint", "access_token")])
            .send()
            .await
            .map_err(|error| Unavailable(format!("introspection: {error}")))?;
        read_json(response).await
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, Unavailable> {
        let response = self.get(url).await?;
        read_json(response).await
    }

    /// As [`Self::get_json`], but a 404 is `None`: the document is not published there.
    async fn get_json_unless_missing<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
    ) -> Result<Option<T>, Unavailable> {
        let response = self.get(url).await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        read_json(response).await.map(Some)
    }

    async fn get(&self, url: &str) -> Result<reqwest::Response, Unavailable> {
        self.http
            .get(url)
            .send()
            .await
            .map_err(|error| Unavailable(format!("GET {url}: {error}")))
    }
}

/// RFC 8414 §3.1: "inserting a well-known URI string into the authorization server's issuer
/// identifier between the host component and the path component, if any": for
/// `https://example.com/tenant` that is `https://example.com/.well-known/<name>/tenant`.
pub fn well_known_url(issuer: &str, name: &str) -> String {
    let authority_starts = issuer.find("://").map_or(0, |at| at + 3);
    let path_starts = issuer[authority_starts..]
        .find('/')
        .map_or(issuer.len(), |at| authority_starts + at);
    let (origin, path) = issuer.split_at(path_starts);
    format!("{origin}/.well-known/{name}{path}")
}

/// A 200 answer's JSON body, read up to [`MAX_ANSWER_BYTES`].
async fn read_json<T: serde::de::DeserializeOwned>(
    mut response: reqwest::Response,
) -> Result<T, Unavailable> {
    let url = response.url().to_string();
    if !response.status().is_success() {
        return Err(Unavailable(format!("{url} answered {}", response.status())));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| Unavailable(format!("{url}: {error}")))?
    {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(Unavailable(format!("{url}: answer too large")));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|error| Unavailable(format!("{url}: {error}")))
}

#[cfg(test)]
mod tests {
    use super::well_known_url;

    #[test]
    fn the_well_known_name_goes_between_the_host_and_the_path() {
        assert_eq!(
            well_known_url("http://localhost:8080", "oauth-authorization-server"),
            "http://localhost:8080/.well-known/oauth-authorization-server"
        );
        assert_eq!(
            well_known_url("https://example.com/issuer1", "oauth-authorization-server"),
            "https://example.com/.well-known/oauth-authorization-server/issuer1"
        );
    }
}
