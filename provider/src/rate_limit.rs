//! Rate limits on `/login` (per remote address) and `/oauth/token` (per client and
//! address), with the `actix-governor` crate: 429 with `Retry-After` when exceeded.
//!
//! Password guessing is what the login limit slows; the token limit keeps one client (or
//! one address guessing client secrets) from starving the others. `RATE_LIMIT=off` turns
//! both off for benchmarks and test suites.

use std::net::IpAddr;

use actix_governor::governor::NotUntil;
use actix_governor::governor::clock::{Clock, DefaultClock, QuantaInstant};
use actix_governor::governor::middleware::NoOpMiddleware;
use actix_governor::{
    GovernorConfig, GovernorConfigBuilder, KeyExtractor, SimpleKeyExtractionError,
};
use actix_web::dev::ServiceRequest;
use actix_web::http::header;
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpResponse, HttpResponseBuilder};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use shared::{ErrorBody, ErrorCode};

use crate::web::pages::ErrorPage;

fn peer_ip(req: &ServiceRequest) -> Result<IpAddr, SimpleKeyExtractionError<&'static str>> {
    req.peer_addr()
        .map(|addr| addr.ip())
        .ok_or_else(|| SimpleKeyExtractionError::new("no peer address"))
}

fn wait_seconds(negative: &NotUntil<QuantaInstant>) -> u64 {
    negative
        .wait_time_from(DefaultClock::default().now())
        .as_secs()
        .max(1)
}

/// Login attempts are counted per remote address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginKey;

impl KeyExtractor for LoginKey {
    type Key = IpAddr;
    type KeyExtractionError = SimpleKeyExtractionError<&'static str>;

    fn extract(&self, req: &ServiceRequest) -> Result<Self::Key, Self::KeyExtractionError> {
        peer_ip(req)
    }

    fn exceed_rate_limit_response(
        &self,
        negative: &NotUntil<QuantaInstant>,
        _: HttpResponseBuilder,
    ) -> HttpResponse {
        let seconds = wait_seconds(negative);
        let mut response = ErrorPage::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many sign-in attempts",
            &format!(
                "Too many attempts from your address. Wait {seconds} seconds, then try again."
            ),
        )
        .into_response();
        if let Ok(value) = header::HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// Token requests are counted per (remote address, client id from the Basic header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenKey;

impl KeyExtractor for TokenKey {
    type Key = (IpAddr, String);
    type KeyExtractionError = SimpleKeyExtractionError<&'static str>;

    fn extract(&self, req: &ServiceRequest) -> Result<Self::Key, Self::KeyExtractionError> {
        // The body is not read here (it would be consumed); `client_secret_post` callers
        // share their address's bucket.
        let client_id = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Basic "))
            .and_then(|encoded| STANDARD.decode(encoded.trim()).ok())
            .and_then(|decoded| String::from_utf8(decoded).ok())
            .and_then(|decoded| {
                decoded
                    .split_once(':')
                    .map(|(id, _)| id.chars().take(64).collect())
            })
            .unwrap_or_default();
        Ok((peer_ip(req)?, client_id))
    }

    fn exceed_rate_limit_response(
        &self,
        negative: &NotUntil<QuantaInstant>,
        mut response: HttpResponseBuilder,
    ) -> HttpResponse {
        let seconds = wait_seconds(negative);
        // actix-governor's own header rounds down to whole seconds (0 for per-second
        // limits); a client told "retry after 0" retries at once, so say at least 1.
        response
            .insert_header((header::RETRY_AFTER, seconds.to_string()))
            .insert_header(("x-ratelimit-after", seconds.to_string()))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(ErrorBody::new(
                ErrorCode::RateLimited,
                format!("too many token requests; retry after {seconds} seconds"),
            ))
    }
}

/// The login limiter: `per_minute` attempts, refilled evenly, as a burst of the same size.
pub fn login_limit(per_minute: u32) -> GovernorConfig<LoginKey, NoOpMiddleware<QuantaInstant>> {
    let period_ms = (60_000 / u64::from(per_minute)).max(1);
    GovernorConfigBuilder::default()
        .key_extractor(LoginKey)
        .milliseconds_per_request(period_ms)
        .burst_size(per_minute)
        .methods(vec![Method::POST])
        .finish()
        .expect("a positive period and burst make a valid governor configuration")
}

/// The token limiter: `per_second` requests, with a burst of the same size.
pub fn token_limit(per_second: u32) -> GovernorConfig<TokenKey, NoOpMiddleware<QuantaInstant>> {
    let period_ns = (1_000_000_000 / u64::from(per_second)).max(1);
    GovernorConfigBuilder::default()
        .key_extractor(TokenKey)
        .nanoseconds_per_request(period_ns)
        .burst_size(per_second)
        .finish()
        .expect("a positive period and burst make a valid governor configuration")
}
