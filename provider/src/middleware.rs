//! Cross-cutting HTTP behaviour that is the provider's own: the body limit checked before
//! any read, security headers, and the `Host` names the provider answers to (DNS
//! rebinding). What both apps do alike (`HEAD` as `GET`, the body deadline, the request log
//! with its request id) is in `shared::server`; [`crate::startup`] puts them all in order.

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{Error, HttpResponse};

/// The largest request body any endpoint accepts (64 KiB), the same in both apps.
pub use shared::server::middleware::BODY_LIMIT;

/// Refuses a declared body over [`BODY_LIMIT`] with 413 before anything reads it, on every
/// endpoint (extractors also enforce the limit on bodies sent without a length).
pub async fn refuse_large_bodies(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > BODY_LIMIT as u64) {
        let response = HttpResponse::PayloadTooLarge()
            .content_type("text/plain; charset=utf-8")
            .body("Request bodies over 64 KiB are refused.");
        return Ok(req.into_response(response));
    }
    next.call(req).await
}

/// Headers every response carries. Anti-framing (`X-Frame-Options` and CSP
/// `frame-ancestors`) stops clickjacking of the login and consent pages (RFC 6749 §10.13);
/// `Referrer-Policy: no-referrer` keeps codes in URLs out of `Referer` headers;
/// `Cache-Control: no-store` keeps user data out of shared and browser caches.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        // Pages and API answers carry user data (the login and consent pages, /account, the
        // profile and teams): no cache may keep them. What may be cached says so itself
        // (the stylesheet); `DefaultHeaders` never overwrites a handler's own header.
        .add((header::CACHE_CONTROL, "no-store"))
}

/// The `Host` names the provider answers to, against DNS rebinding.
///
/// A rebinding page is served from the attacker's name (`evil.example`), then that name is
/// pointed at 127.0.0.1: the browser, still on `evil.example`'s origin, can now send requests
/// to this provider and read the answers, because to the browser it is the same origin. Only
/// the `Host` header still says `evil.example`. So the provider answers only to:
/// 1. the issuer's host with the issuer's port (`ISSUER`);
/// 2. the loopback names `localhost`, `127.0.0.1`, `[::1]`, on any port (what tests, the
///    bench and a developer's curl use; no rebinding page can send them as its `Host`);
/// 3. each name in `ALLOWED_HOSTS`, on any port, or on the one port it names.
///
/// Anything else gets 421 Misdirected Request (RFC 9110 §15.5.20: "the request was directed
/// at a server that is unable or unwilling to produce an authoritative response for the
/// target URI").
#[derive(Debug, Clone)]
pub struct KnownHosts {
    /// `(host, port)`; `None` is any port. Hosts are lowercase, IPv6 in brackets.
    allowed: Vec<(String, Option<u16>)>,
    /// The port a `Host` without one means: the issuer's scheme's (a TLS-terminating proxy
    /// in front passes `Host: auth.example` on for `https://auth.example`).
    default_port: u16,
}

impl KnownHosts {
    /// The names loopback answers to, on any port.
    const LOOPBACK: [&'static str; 3] = ["localhost", "127.0.0.1", "[::1]"];

    /// From `ISSUER` and `ALLOWED_HOSTS` (already checked by the settings).
    pub fn new(issuer: &str, extra_hosts: &[String]) -> Self {
        let mut allowed: Vec<(String, Option<u16>)> = Self::LOOPBACK
            .iter()
            .map(|name| ((*name).to_owned(), None))
            .collect();
        let issuer = url::Url::parse(issuer).ok();
        let default_port = match issuer.as_ref().map(url::Url::scheme) {
            Some("https") => 443,
            _ => 80,
        };
        if let Some(url) = &issuer
            && let Some(host) = url.host_str()
        {
            allowed.push((host.to_ascii_lowercase(), url.port_or_known_default()));
        }
        allowed.extend(extra_hosts.iter().filter_map(|entry| split_host(entry)));
        Self {
            allowed,
            default_port,
        }
    }

    /// Whether a request whose `Host` is `value` is for us. A `Host` without a port means the
    /// issuer scheme's default one (RFC 9110 §7.2).
    pub fn allows(&self, value: &str) -> bool {
        let Some((host, port)) = split_host(value) else {
            return false;
        };
        let port = port.or(Some(self.default_port));
        self.allowed.iter().any(|(name, allowed_port)| {
            *name == host && (allowed_port.is_none() || *allowed_port == port)
        })
    }
}

/// `host[:port]` (IPv6 in brackets) as a lowercase host and its port; `None` when it is not
/// a host name, an IPv4 address or a bracketed IPv6 address.
pub fn split_host(value: &str) -> Option<(String, Option<u16>)> {
    let value = value.trim().to_ascii_lowercase();
    let (host, port) = if value.starts_with('[') {
        let end = value.find(']')?;
        let (host, rest) = value.split_at(end + 1);
        match rest {
            "" => (host.to_owned(), None),
            _ => (host.to_owned(), Some(rest.strip_prefix(':')?)),
        }
    } else {
        match value.split_once(':') {
            Some((host, port)) => (host.to_owned(), Some(port)),
            None => (value.clone(), None),
        }
    };
    let valid_name = if host.starts_with('[') {
        host.len() > 2
            && host[1..host.len() - 1]
                .bytes()
                .all(|byte| byte.is_ascii_hexdigit() || matches!(byte, b':' | b'.'))
    } else {
        !host.is_empty()
            && host
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-'))
    };
    if !valid_name {
        return None;
    }
    let port = match port {
        None => None,
        Some(port) => Some(port.parse::<u16>().ok()?),
    };
    Some((host, port))
}

/// Refuses a request whose `Host` is not one of [`KnownHosts`] with 421 and a page saying
/// why, before any handler reads a form or a token.
pub async fn answer_only_known_hosts(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let known = req.app_data::<actix_web::web::Data<KnownHosts>>().cloned();
    // The raw `Host` header (HTTP/2: the URI's authority), never `X-Forwarded-Host` or
    // `Forwarded`, which any caller can write.
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.as_str().to_owned()));
    let allowed = match (known, host) {
        (Some(known), Some(host)) => known.allows(&host),
        // Not configured (a unit test's bare app): nothing to enforce.
        (None, _) => true,
        (Some(_), None) => false,
    };
    if allowed {
        return next.call(req).await;
    }
    let page = crate::web::pages::ErrorPage::new(
        actix_web::http::StatusCode::MISDIRECTED_REQUEST,
        "This address is not the provider's",
        "The provider answers only to its own host name (the one in ISSUER), to localhost, \
         127.0.0.1 and [::1], and to the names in ALLOWED_HOSTS. This request named another \
         host. That is what a DNS-rebinding page does: it points its own name at this machine \
         so that your browser drives the provider for it. Open the provider at its own address.",
    );
    Ok(req.into_response(page.into_response()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_split_into_a_lowercase_name_and_a_port() {
        assert_eq!(
            split_host("LocalHost:8080"),
            Some(("localhost".into(), Some(8080)))
        );
        assert_eq!(split_host("[::1]:3000"), Some(("[::1]".into(), Some(3000))));
        assert_eq!(
            split_host("auth.example"),
            Some(("auth.example".into(), None))
        );
        for bad in [
            "",
            ":80",
            "a b",
            "host:port",
            "[::1",
            "[]:80",
            "x:99999",
            "a/b",
        ] {
            assert_eq!(split_host(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_issuer_needs_its_port_loopback_any_and_allowed_hosts_theirs() {
        let known = KnownHosts::new(
            "https://auth.example",
            &["intranet.local".into(), "other.test:9000".into()],
        );
        assert!(known.allows("auth.example"));
        assert!(known.allows("auth.example:443"));
        assert!(!known.allows("auth.example:8080"));
        assert!(
            known.allows("localhost:1234") && known.allows("127.0.0.1") && known.allows("[::1]:80")
        );
        assert!(known.allows("intranet.local:8080"));
        assert!(known.allows("other.test:9000") && !known.allows("other.test:9001"));
        assert!(!known.allows("evil.example:8080"));
        assert!(!known.allows("localhost.evil.example"));
    }
}
