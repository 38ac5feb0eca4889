//! Middleware both apps put around every request: `HEAD` answered as `GET`, and request
//! bodies read whole within a deadline and a size limit. (The request log is in
//! [`super::telemetry`].)

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};

/// The largest request body either app reads (64 KiB: their forms and token requests are a
/// few hundred bytes).
pub const BODY_LIMIT: usize = 64 * 1024;

/// `HEAD` wherever `GET` works (RFC 9110 §9.3.2: "The HEAD method is identical to GET except
/// that the server MUST NOT send content in the response"). The request is routed as the
/// GET it stands for, so no route needs a HEAD twin; actix-web's HTTP/1 encoder remembers
/// that the request was HEAD and sends the GET's status and headers without the body.
pub async fn answer_head_as_get(
    mut req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
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
