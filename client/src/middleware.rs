//! Middleware around every request that is the client's own: one origin and safe headers.
//! What both apps do alike (`HEAD` as `GET`, the body deadline, the request log with its
//! request id) is in `shared::server`; [`crate::startup`] puts them all in order.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};
use url::Url;

/// The app's one origin: the redirect URI's.
///
/// Cookies belong to a host name, not an address: a session cookie set for `127.0.0.1`
/// is not sent to `localhost`. If a learner opens `http://127.0.0.1:3000` while
/// `REDIRECT_URI` says `localhost`, the session made at `/login` is missing at `/callback`
/// and every login fails with "no login in progress". So before anything else, a request
/// for another host name is redirected to the same path on the redirect URI's origin.
#[derive(Debug, Clone)]
pub struct CanonicalOrigin {
    /// `scheme://host[:port]`.
    pub origin: String,
    /// `host[:port]` as a `Host` header carries it, lower-case, default port omitted.
    pub authority: String,
    default_port: u16,
}

impl CanonicalOrigin {
    pub fn from_redirect_uri(redirect_uri: &Url) -> Self {
        let host = redirect_uri
            .host_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let authority = match redirect_uri.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        };
        Self {
            origin: redirect_uri.origin().ascii_serialization(),
            authority,
            default_port: if redirect_uri.scheme() == "https" {
                443
            } else {
                80
            },
        }
    }

    /// Whether a `Host` header names this origin.
    pub fn matches(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        let default_suffix = format!(":{}", self.default_port);
        let host = host.strip_suffix(&default_suffix).unwrap_or(&host);
        host == self.authority
    }
}

/// Redirects requests for another host name to the canonical origin (307 keeps the method).
pub async fn canonical_origin(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let target = req
        .app_data::<web::Data<CanonicalOrigin>>()
        .and_then(|canonical| {
            let host = req.headers().get(header::HOST)?.to_str().ok()?;
            if canonical.matches(host) {
                return None;
            }
            let path = req
                .uri()
                .path_and_query()
                .map(|pq| pq.as_str())
                .unwrap_or("/");
            Some(format!("{}{path}", canonical.origin))
        });
    match target {
        Some(location) => {
            tracing::info!(to = %location.split('?').next().unwrap_or_default(), "redirected to the redirect URI's origin");
            let response = HttpResponse::TemporaryRedirect()
                .insert_header((header::LOCATION, location))
                .finish();
            Ok(req.into_response(response))
        }
        None => Ok(next.call(req).await?.map_into_boxed_body()),
    }
}

/// The Content-Security-Policy of `/spa` before its own `connect-src`: scripts, styles and
/// requests from this origin only, no framing, forms posting only here.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// The Content-Security-Policy of every other page: the same, except that forms may also
/// lead to the provider's origin. The logout form's answer is a redirect to the provider's
/// `end_session_endpoint` (OpenID Connect RP-Initiated Logout 1.0 §2), and browsers apply
/// `form-action` to every redirect a form submission follows (CSP Level 3 §6.4.1), so with
/// `'self'` alone the browser silently stays on the page and nobody is logged out.
pub fn content_security_policy(provider_origin: &str) -> String {
    format!(
        "default-src 'self'; frame-ancestors 'none'; form-action 'self' {provider_origin}; base-uri 'none'"
    )
}

/// The policy of `/spa`, the one page whose script calls the provider itself (CORS): the
/// same as every page, except that `connect-src` names exactly `provider_origins` (and not
/// even this app, which the script never calls), and Trusted Types are required, so the
/// script cannot write strings into HTML sinks such as `innerHTML` (DOM XSS, where a
/// stolen token would be one line away).
pub fn spa_content_security_policy(provider_origins: &[String]) -> String {
    format!(
        "{CONTENT_SECURITY_POLICY}; connect-src {}; require-trusted-types-for 'script'",
        provider_origins.join(" ")
    )
}

/// Headers on every response: no framing (clickjacking), no referrer (the callback URL
/// carries a code, RFC 9700 §4.2.4), no caching of pages that show account data. A handler
/// that sets its own `Content-Security-Policy` keeps it (`DefaultHeaders` never overwrites).
pub fn security_headers(policy: HeaderValue) -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add((header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .add((header::CONTENT_SECURITY_POLICY, policy))
        .add((
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .add((
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .add((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_must_name_the_redirect_uris_origin() {
        let url = Url::parse("http://localhost:3000/callback").expect("valid");
        let canonical = CanonicalOrigin::from_redirect_uri(&url);
        assert!(canonical.matches("localhost:3000"));
        assert!(canonical.matches("LOCALHOST:3000"));
        assert!(!canonical.matches("127.0.0.1:3000"));
        assert_eq!(canonical.origin, "http://localhost:3000");
        let url = Url::parse("https://app.example/cb").expect("valid");
        let canonical = CanonicalOrigin::from_redirect_uri(&url);
        assert!(canonical.matches("app.example"));
        assert!(canonical.matches("app.example:443"));
        assert!(!canonical.matches("app.example:8443"));
    }
}
