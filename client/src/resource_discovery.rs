//! Starting from the API alone (RFC 9728 §5): the client knows only `API_URL` and finds the
//! authorization server that protects it, the discovery path MCP and other new protocols use.
//!
//! The hops, each a named step, stopping at the first that fails:
//!
//! 1. [`Hop::Challenge`]: `GET <API_URL>/notes` without a token. The API answers 401 with
//!    `WWW-Authenticate: Bearer … resource_metadata="…"` (RFC 9728 §5.1).
//! 2. [`Hop::ResourceMetadata`]: GET that URL, the protected resource metadata (§3). "The
//!    `resource` value returned MUST be identical to" the resource the client asked for
//!    (§3.3): it must be `API_URL`, or an attacker's API could send the client to any
//!    authorization server while claiming to be another API.
//! 3. [`Hop::AuthorizationServer`]: its `authorization_servers[0]` (§2), then that issuer's
//!    RFC 8414 metadata, whose `issuer` must be the same string (RFC 8414 §3.3).
//!
//! With the authorization endpoint in hand, the authorization request can be built, asking
//! for the metadata's `scopes_supported` with `resource=API_URL` (RFC 8707).

use oauth2::http::{Method, Request, header};
use serde::Deserialize;

use shared::metadata::AuthorizationServerMetadata;

use crate::discovery::rfc8414_url;
use crate::wire::{Masker, Recorder, WireRecord};

/// One hop of the discovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hop {
    Challenge,
    ResourceMetadata,
    AuthorizationServer,
}

impl Hop {
    /// The hops in order; a failed one is the last made.
    pub const ALL: [Hop; 3] = [
        Hop::Challenge,
        Hop::ResourceMetadata,
        Hop::AuthorizationServer,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Hop::Challenge => {
                "The API without a token: 401 and where its metadata is (RFC 9728 §5.1)"
            }
            Hop::ResourceMetadata => {
                "The protected resource metadata (RFC 9728 §3), its resource checked (§3.3)"
            }
            Hop::AuthorizationServer => "The authorization server's metadata (RFC 8414 §3)",
        }
    }
}

/// Where the discovery got to.
pub struct ResourceDiscovery {
    /// Every request made, in order, as it went over the wire.
    pub wire: Vec<WireRecord>,
    pub result: Result<Discovered, (Hop, String)>,
}

/// What a client that knew only the API's URL now knows.
#[derive(Debug, Clone)]
pub struct Discovered {
    pub resource_metadata_url: String,
    pub resource: String,
    pub scopes_supported: Vec<String>,
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
}

#[derive(Deserialize)]
struct ProtectedResourceMetadata {
    resource: String,
    #[serde(default)]
    authorization_servers: Vec<String>,
    #[serde(default)]
    scopes_supported: Vec<String>,
}

/// Runs the three hops from `api_url`.
pub async fn discover_from_api(http: &reqwest::Client, api_url: &str) -> ResourceDiscovery {
    let recorder = Recorder::new(http);
    let result = hops(&recorder, api_url).await;
    let recorded = recorder.finish(Masker::new());
    ResourceDiscovery {
        wire: recorded.masked(),
        result,
    }
}

async fn hops(recorder: &Recorder<'_>, api_url: &str) -> Result<Discovered, (Hop, String)> {
    // 1. The challenge.
    let fail = |hop: Hop| move |detail: String| (hop, detail);
    let challenge = get(recorder, &format!("{api_url}/notes"))
        .await
        .map_err(fail(Hop::Challenge))?;
    if challenge.status().as_u16() != 401 {
        return Err((
            Hop::Challenge,
            format!(
                "expected 401, the API answered HTTP {}",
                challenge.status().as_u16()
            ),
        ));
    }
    let www_authenticate = challenge
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let resource_metadata_url =
        auth_param(www_authenticate, "resource_metadata").ok_or_else(|| {
            (
                Hop::Challenge,
                format!(
                    "the 401's WWW-Authenticate has no resource_metadata: {www_authenticate:?}"
                ),
            )
        })?;

    // 2. The protected resource metadata, and §3.3's check.
    let response = get(recorder, &resource_metadata_url)
        .await
        .map_err(fail(Hop::ResourceMetadata))?;
    let metadata: ProtectedResourceMetadata =
        json(&response).map_err(fail(Hop::ResourceMetadata))?;
    if metadata.resource != api_url {
        return Err((
            Hop::ResourceMetadata,
            format!(
                "its resource is {:?}, not the API asked ({api_url:?}): refused (RFC 9728 §3.3)",
                metadata.resource
            ),
        ));
    }
    let issuer = metadata
        .authorization_servers
        .first()
        .cloned()
        .ok_or_else(|| {
            (
                Hop::ResourceMetadata,
                "it names no authorization_servers".to_owned(),
            )
        })?;

    // 3. The authorization server's metadata (RFC 8414 §3: the well-known suffix after the
    //    host, before any path of the issuer).
    let url = url::Url::parse(&issuer)
        .map(|parsed| rfc8414_url(&parsed))
        .map_err(|_| {
            (
                Hop::AuthorizationServer,
                format!("{issuer:?} is not an issuer URL"),
            )
        })?;
    let response = get(recorder, &url)
        .await
        .map_err(fail(Hop::AuthorizationServer))?;
    let server: AuthorizationServerMetadata =
        json(&response).map_err(fail(Hop::AuthorizationServer))?;
    if server.issuer != issuer {
        return Err((
            Hop::AuthorizationServer,
            format!(
                "its issuer is {:?}, not {issuer:?} (RFC 8414 §3.3)",
                server.issuer
            ),
        ));
    }
    Ok(Discovered {
        resource_metadata_url,
        resource: metadata.resource,
        scopes_supported: metadata.scopes_supported,
        issuer,
        authorization_endpoint: server.authorization_endpoint,
        token_endpoint: server.token_endpoint,
    })
}

async fn get(recorder: &Recorder<'_>, url: &str) -> Result<oauth2::HttpResponse, String> {
    let request = Request::builder()
        .method(Method::GET)
        .uri(url)
        .header(header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(|error| format!("{url:?} is not a usable URL ({error})"))?;
    recorder
        .send(request)
        .await
        .map_err(|error| format!("nothing answered at {url}: {error}"))
}

fn json<T: serde::de::DeserializeOwned>(response: &oauth2::HttpResponse) -> Result<T, String> {
    if response.status().as_u16() != 200 {
        return Err(format!("HTTP {}", response.status().as_u16()));
    }
    serde_json::from_slice(response.body())
        .map_err(|error| format!("not the documented JSON ({error})"))
}

/// One `name="value"` auth-param of a challenge (RFC 9110 §11.2), quotes removed.
fn auth_param(challenge: &str, name: &str) -> Option<String> {
    let start = challenge.find(&format!("{name}=\""))? + name.len() + 2;
    let rest = &challenge[start..];
    Some(rest[..rest.find('"')?].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resource_metadata_parameter_is_read_from_a_bearer_challenge() {
        let challenge = r#"Bearer error="invalid_token", resource_metadata="http://api/.well-known/oauth-protected-resource""#;
        assert_eq!(
            auth_param(challenge, "resource_metadata").as_deref(),
            Some("http://api/.well-known/oauth-protected-resource")
        );
        assert_eq!(auth_param(r#"Bearer realm="x""#, "resource_metadata"), None);
    }
}
