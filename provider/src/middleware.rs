//! Cross-cutting HTTP behaviour: one log line per request, body limits, security headers.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
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
    let request_id = request_id();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let span = tracing::info_span!("request", id = %request_id);
    let mut response = next.call(req).instrument(span.clone()).await?;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    let status = response.status().as_u16();
    let micros = started.elapsed().as_micros() as u64;
    span.in_scope(|| tracing::info!(%method, %path, status, micros, "request"));
    Ok(response)
}

/// 128 random bits, base64url: unique enough to find one request in the logs. Not a
/// secret, so it comes from the thread's own CSPRNG (seeded from the operating system)
/// rather than a `getrandom` system call on every request, which cost more than the rest
/// of this middleware together (docs/notes/performance.md).
fn request_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
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

/// Reads the whole request body within `REQUEST_BODY_TIMEOUT` before any handler runs, so
/// that a peer sending a body one byte at a time (the "slow POST" attack) cannot hold a
/// connection, a worker's attention and an open file for as long as it likes. Steps:
///
/// 1. No body announced (no `Content-Length` above 0, no `Transfer-Encoding`): nothing to
///    wait for, go on.
/// 2. Read the body until its end, at most [`BODY_LIMIT`] bytes, within the deadline.
/// 3. Too slow: `408 Request Timeout` (RFC 9110 §15.5.9: "the server did not receive a
///    complete request message within the time that it was prepared to wait"), and the
///    connection is closed, since the rest of that body would otherwise still be owed.
/// 4. Too long (a chunked body past the limit): 413; unreadable: 400; both closing too.
/// 5. Whole and in time: handed to the handler as if it had just arrived.
pub async fn read_bodies_within_deadline(
    timeout: std::time::Duration,
    mut req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    use actix_web::HttpMessage;
    use futures_util::StreamExt;

    let length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    let announced = length.is_some_and(|length| length > 0)
        || req.headers().contains_key(header::TRANSFER_ENCODING);
    if !announced {
        return next.call(req).await;
    }
    let mut payload = req.take_payload();
    let read_whole = async {
        let mut body = actix_web::web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|_| StatusCode::BAD_REQUEST)?;
            if body.len() + chunk.len() > BODY_LIMIT {
                return Err(StatusCode::PAYLOAD_TOO_LARGE);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    };
    let refusal = match tokio::time::timeout(timeout, read_whole).await {
        Ok(Ok(body)) => {
            req.set_payload(actix_web::dev::Payload::from(body));
            return next.call(req).await;
        }
        Ok(Err(status)) => status,
        Err(_too_slow) => StatusCode::REQUEST_TIMEOUT,
    };
    let message = match refusal {
        StatusCode::REQUEST_TIMEOUT => "The request body did not arrive in time.",
        StatusCode::PAYLOAD_TOO_LARGE => "Request bodies over 64 KiB are refused.",
        _ => "The request body could not be read.",
    };
    let response = HttpResponse::build(refusal)
        .content_type("text/plain; charset=utf-8")
        .force_close()
        .body(message);
    Ok(req.into_response(response))
}
