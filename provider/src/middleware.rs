//! Cross-cutting HTTP behaviour: one log line per request, body limits, security headers.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{Error, HttpResponse};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use tracing::Instrument;

/// The largest request body any endpoint accepts (the contract: 64 KiB).
pub const BODY_LIMIT: usize = 64 * 1024;

/// One line per request with a request id, the method, the *path* (never the query
/// string: it may carry a code, a state or, where enabled, a bearer token), the status and
/// the time taken. The id is returned in `X-Request-Id` to match a response to its log line.
pub async fn log_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let request_id = RequestId::new();
    let span = tracing::info_span!("request", id = %request_id.as_str());
    let mut response = next.call(req).instrument(span.clone()).await?;
    response.headers_mut().insert(
        HeaderName::from_static("x-request-id"),
        HeaderValue::from_bytes(request_id.as_str().as_bytes())
            .unwrap_or_else(|_| HeaderValue::from_static("-")),
    );
    // Method and path are read back from the request the response carries: no copy of
    // either is made for the log (the default configuration logs every request).
    let request = response.request();
    let status = response.status().as_u16();
    let micros = started.elapsed().as_micros() as u64;
    span.in_scope(|| {
        tracing::info!(
            method = %request.method(),
            path = %request.path(),
            status,
            micros,
            "request"
        )
    });
    Ok(response)
}

/// 128 random bits, base64url (22 characters, on the stack): unique enough to find one
/// request in the logs. Not a secret, so it comes from the thread's own CSPRNG (seeded from
/// the operating system) rather than a `getrandom` system call on every request, which cost
/// more than the rest of this middleware together (docs/notes/performance.md).
struct RequestId {
    text: [u8; 22],
}

impl RequestId {
    fn new() -> RequestId {
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        let mut text = [b'-'; 22];
        // 16 bytes are always 22 base64url characters: the slice fits.
        let _ = URL_SAFE_NO_PAD.encode_slice(bytes, &mut text);
        RequestId { text }
    }

    fn as_str(&self) -> &str {
        // base64url is ASCII.
        std::str::from_utf8(&self.text).unwrap_or("-")
    }
}

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
/// `Referrer-Policy: no-referrer` keeps codes in URLs out of `Referer` headers.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"))
}
