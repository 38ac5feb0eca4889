//! Discovery: finding the provider's endpoints from `AUTH_SERVER` alone.
//!
//! In order:
//! 1. RFC 8414 §3 authorization server metadata at
//!    `/.well-known/oauth-authorization-server` (inserted before the issuer's path, §3.1);
//! 2. OpenID Connect Discovery 1.0 §4 at `<issuer>/.well-known/openid-configuration`, which
//!    many providers serve instead, with the same field names;
//! 3. neither exists (404): `AUTH_SERVER` plus the paths this project's provider serves
//!    (`/oauth/authorize`, `/oauth/token`, `/oauth/revoke`, `/oauth/introspect`).
//!
//! The same document says whether the provider is an OpenID Provider (Discovery 1.0 §3):
//! with a `jwks_uri` and `openid` in `scopes_supported`, the client asks for `openid` and
//! checks the ID token ([`OpenIdProvider`]); without them it stays a plain OAuth client and
//! learns who signed in from the profile API.
//!
//! A provider that cannot be reached is not "absent": discovery fails and is retried on the
//! next request, so the client can start before the provider. Metadata whose `issuer` is not
//! `AUTH_SERVER` is refused (RFC 8414 §3.3: "MUST be identical"), or an attacker who could
//! answer at that URL could impersonate another issuer.

use oauth2::http::{Method, Request, header};
use shared::metadata::AuthorizationServerMetadata;

use crate::config::Settings;
use crate::error::ClientError;
use crate::wire::Recorder;

/// Where the endpoints came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// RFC 8414 metadata.
    Rfc8414,
    /// OpenID Connect discovery.
    OpenId,
    /// Neither: `AUTH_SERVER` plus the paths this project's provider serves.
    ContractPaths,
}

impl Source {
    pub fn describe(self) -> &'static str {
        match self {
            Source::Rfc8414 => "RFC 8414 metadata",
            Source::OpenId => "OpenID Connect discovery",
            Source::ContractPaths => {
                "AUTH_SERVER plus this project's default paths (no metadata found)"
            }
        }
    }
}

/// The provider as discovered.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// The issuer identifier every `iss` must match (RFC 9207 §2.4).
    pub issuer: String,
    pub authorization: String,
    pub token: String,
    pub revocation: Option<String>,
    pub introspection: Option<String>,
    /// RFC 9207 §3: the provider promises `iss` in every authorization response, so a
    /// response without it must be refused.
    pub iss_parameter_supported: bool,
    /// `scopes_supported` (RFC 8414 §2), empty when not published: the notes API's scopes
    /// are asked for only when listed here (a provider without the API would refuse them).
    pub scopes_supported: Vec<String>,
    pub source: Source,
    /// `Some` when the provider is an OpenID Provider (Discovery 1.0 §3).
    pub openid: Option<OpenIdProvider>,
}

/// What OpenID Connect Discovery 1.0 §3 adds to the metadata, as this client uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenIdProvider {
    /// `jwks_uri`: the provider's public signing keys (RFC 7517 §5).
    pub jwks_uri: String,
    /// `userinfo_endpoint` (Core §5.3).
    pub userinfo: Option<String>,
    /// `end_session_endpoint` (RP-Initiated Logout 1.0 §2).
    pub end_session: Option<String>,
    /// The standard claim scopes the provider offers (Core §5.4): `profile`, `email`.
    pub claim_scopes: Vec<String>,
}

/// The OpenID members of the metadata document (Discovery 1.0 §3); the rest is
/// [`AuthorizationServerMetadata`]'s.
#[derive(Debug, Default, serde::Deserialize)]
struct OpenIdMetadata {
    jwks_uri: Option<String>,
    userinfo_endpoint: Option<String>,
    end_session_endpoint: Option<String>,
}

impl OpenIdProvider {
    /// An OpenID Provider publishes its keys and offers the `openid` scope; anything less
    /// is treated as a plain OAuth authorization server.
    fn from_metadata(
        metadata: &AuthorizationServerMetadata,
        openid: OpenIdMetadata,
    ) -> Option<Self> {
        let offers = |scope: &str| {
            metadata
                .scopes_supported
                .iter()
                .any(|offered| offered == scope)
        };
        if !offers("openid") {
            return None;
        }
        Some(OpenIdProvider {
            jwks_uri: openid.jwks_uri?,
            userinfo: openid.userinfo_endpoint,
            end_session: openid.end_session_endpoint,
            claim_scopes: ["profile", "email"]
                .into_iter()
                .filter(|scope| offers(scope))
                .map(str::to_owned)
                .collect(),
        })
    }
}

/// Finds the endpoints; `recorder` keeps every request made for the flow inspector.
pub async fn discover(
    settings: &Settings,
    recorder: &Recorder<'_>,
) -> Result<Endpoints, ClientError> {
    let issuer = settings.issuer();
    let candidates = [
        (Source::Rfc8414, rfc8414_url(&settings.auth_server)),
        (
            Source::OpenId,
            format!("{issuer}/.well-known/openid-configuration"),
        ),
    ];
    for (source, url) in candidates {
        let response = get_json(recorder, &url, &issuer).await?;
        match response.status().as_u16() {
            200 => {
                let metadata: AuthorizationServerMetadata = serde_json::from_slice(response.body())
                    .map_err(|error| ClientError::ProviderBroken {
                        url: url.clone(),
                        detail: format!("the metadata is not valid JSON ({error})"),
                    })?;
                // The OpenID members, when there are any (a plain RFC 8414 document has none).
                let openid_members: OpenIdMetadata =
                    serde_json::from_slice(response.body()).unwrap_or_default();
                let openid = OpenIdProvider::from_metadata(&metadata, openid_members);
                let mut endpoints = from_metadata(metadata, &issuer, source, &url)?;
                endpoints.openid = openid;
                return Ok(endpoints);
            }
            // Not found (or not allowed): this provider does not publish this document.
            400..=428 | 430..=499 => continue,
            429 => {
                return Err(ClientError::RateLimited {
                    url,
                    retry_after: response
                        .headers()
                        .get(header::RETRY_AFTER)
                        .and_then(|value| value.to_str().ok())
                        .map(str::to_owned),
                });
            }
            status => {
                return Err(ClientError::ProviderBroken {
                    url,
                    detail: format!("discovery answered HTTP {status}"),
                });
            }
        }
    }
    Ok(Endpoints {
        issuer: issuer.clone(),
        authorization: settings.provider_url("/oauth/authorize"),
        token: settings.provider_url("/oauth/token"),
        revocation: Some(settings.provider_url("/oauth/revoke")),
        introspection: Some(settings.provider_url("/oauth/introspect")),
        iss_parameter_supported: false,
        scopes_supported: Vec::new(),
        source: Source::ContractPaths,
        openid: None,
    })
}

/// A GET of a JSON document of the provider's (its metadata, its JWK Set), recorded on
/// `recorder` for the inspector. An unreachable provider is named by `reported_url`.
pub async fn get_json(
    recorder: &Recorder<'_>,
    url: &str,
    reported_url: &str,
) -> Result<oauth2::HttpResponse, ClientError> {
    let request = Request::builder()
        .method(Method::GET)
        .uri(url)
        .header(header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(|error| ClientError::ProviderBroken {
            url: url.to_owned(),
            detail: format!("not a usable URL ({error})"),
        })?;
    recorder
        .send(request)
        .await
        .map_err(|error| ClientError::ProviderUnreachable {
            url: reported_url.to_owned(),
            detail: error.to_string(),
        })
}

/// RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path.
/// `<scheme>://<host>/.well-known/oauth-authorization-server<path>` for the issuer `url`
/// (RFC 8414 §3.1: the suffix goes between the host and the issuer's path).
pub fn rfc8414_url(url: &url::Url) -> String {
    let path = url.path().trim_end_matches('/');
    format!(
        "{}/.well-known/oauth-authorization-server{path}",
        url.origin().ascii_serialization()
    )
}

fn from_metadata(
    metadata: AuthorizationServerMetadata,
    issuer: &str,
    source: Source,
    url: &str,
) -> Result<Endpoints, ClientError> {
    let broken = |detail: String| ClientError::ProviderBroken {
        url: url.to_owned(),
        detail,
    };
    // RFC 8414 §3.3: the issuer in the document MUST be the one used to fetch it.
    if metadata.issuer.trim_end_matches('/') != issuer {
        return Err(broken(format!(
            "its issuer is {:?} but AUTH_SERVER is {issuer:?}; RFC 8414 §3.3 requires them to be identical (set AUTH_SERVER to the provider's issuer)",
            metadata.issuer
        )));
    }
    // PKCE with S256 is not optional here (RFC 9700 §2.1.1); an explicit list without it
    // means this provider would ignore or refuse our challenge.
    if !metadata.code_challenge_methods_supported.is_empty()
        && !metadata
            .code_challenge_methods_supported
            .iter()
            .any(|method| method == "S256")
    {
        return Err(broken(
            "it does not list S256 among code_challenge_methods_supported (RFC 7636)".into(),
        ));
    }
    Ok(Endpoints {
        openid: None,
        issuer: metadata.issuer.trim_end_matches('/').to_owned(),
        authorization: metadata.authorization_endpoint,
        token: metadata.token_endpoint,
        revocation: metadata.revocation_endpoint,
        introspection: metadata.introspection_endpoint,
        iss_parameter_supported: metadata.authorization_response_iss_parameter_supported,
        scopes_supported: metadata.scopes_supported,
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::env::EnvSource;

    #[test]
    fn the_rfc8414_url_inserts_the_well_known_segment_before_the_path() {
        let settings = |value: &str| {
            Settings::from_source(&EnvSource::from_pairs([("AUTH_SERVER", value)])).expect("valid")
        };
        assert_eq!(
            rfc8414_url(&settings("http://localhost:8080").auth_server),
            "http://localhost:8080/.well-known/oauth-authorization-server"
        );
        assert_eq!(
            rfc8414_url(&settings("https://example.com/tenant1/").auth_server),
            "https://example.com/.well-known/oauth-authorization-server/tenant1"
        );
    }

    fn metadata(issuer: &str, methods: &[&str]) -> AuthorizationServerMetadata {
        serde_json::from_value(serde_json::json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/oauth/authorize"),
            "token_endpoint": format!("{issuer}/oauth/token"),
            "code_challenge_methods_supported": methods,
            "authorization_response_iss_parameter_supported": true,
        }))
        .expect("valid metadata")
    }

    #[test]
    fn metadata_for_another_issuer_is_refused() {
        let result = from_metadata(
            metadata("http://evil.example", &["S256"]),
            "http://localhost:8080",
            Source::Rfc8414,
            "u",
        );
        assert!(matches!(result, Err(ClientError::ProviderBroken { .. })));
    }

    #[test]
    fn metadata_without_s256_is_refused_and_good_metadata_is_taken() {
        let result = from_metadata(
            metadata("http://p", &["plain"]),
            "http://p",
            Source::Rfc8414,
            "u",
        );
        assert!(result.is_err());
        let endpoints = from_metadata(
            metadata("http://p/", &["S256"]),
            "http://p",
            Source::Rfc8414,
            "u",
        )
        .expect("valid");
        assert_eq!(endpoints.issuer, "http://p");
        assert!(endpoints.iss_parameter_supported);
    }

    #[test]
    fn a_provider_is_an_openid_provider_only_with_a_jwks_uri_and_the_openid_scope() {
        let document = |scopes: &[&str], jwks: Option<&str>| {
            let body = serde_json::json!({
                "issuer": "http://p",
                "authorization_endpoint": "http://p/authorize",
                "token_endpoint": "http://p/token",
                "scopes_supported": scopes,
                "jwks_uri": jwks,
                "end_session_endpoint": "http://p/logout",
            })
            .to_string();
            let metadata: AuthorizationServerMetadata =
                serde_json::from_str(&body).expect("metadata");
            let openid: OpenIdMetadata = serde_json::from_str(&body).expect("openid members");
            OpenIdProvider::from_metadata(&metadata, openid)
        };
        let provider = document(&["openid", "email", "profile:read"], Some("http://p/jwks"))
            .expect("an OpenID Provider");
        assert_eq!(provider.jwks_uri, "http://p/jwks");
        assert_eq!(provider.end_session.as_deref(), Some("http://p/logout"));
        assert_eq!(
            provider.claim_scopes,
            ["email"],
            "only the offered claim scopes"
        );
        assert_eq!(document(&["profile:read"], Some("http://p/jwks")), None);
        assert_eq!(document(&["openid"], None), None);
    }
}
