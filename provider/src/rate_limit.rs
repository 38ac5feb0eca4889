//! Rate limits on `/login` (per remote address) and `/oauth/token` (per client and
//! address): 429 with `Retry-After` when exceeded (RFC 6585 §4).
//!
//! Password guessing is what the login limit slows; the token limit keeps one client (or
//! one address guessing client secrets) from starving the others. `RATE_LIMIT=off` turns
//! both off for benchmarks and test suites.
//!
//! The buckets are the `governor` crate's (GCRA, keyed, lock-free; MIT). The middleware
//! around them is these few functions rather than the `actix-governor` crate, because that
//! one is GPL-3.0-or-later and this example is copied into MIT and Apache-2.0 code.

use std::net::IpAddr;
use std::num::NonZeroU32;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use shared::{ErrorBody, ErrorCode};

use crate::web::pages::ErrorPage;

/// The two limiters, shared by every worker (registered as app data by `startup`).
pub struct RateLimits {
    /// Login attempts per remote address: `RATE_LIMIT_LOGIN_PER_MINUTE`, refilled evenly,
    /// as a burst of the same size.
    login: DefaultKeyedRateLimiter<IpAddr>,
    /// Token requests per (remote address, client id of the Basic header):
    /// `RATE_LIMIT_TOKEN_PER_SECOND`, with a burst of the same size.
    token: DefaultKeyedRateLimiter<(IpAddr, String)>,
}

impl RateLimits {
    pub fn new(login_per_minute: u32, token_per_second: u32) -> Self {
        let at_least_one = |n: u32| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        Self {
            login: RateLimiter::keyed(Quota::per_minute(at_least_one(login_per_minute))),
            token: RateLimiter::keyed(Quota::per_second(at_least_one(token_per_second))),
        }
    }

    /// Forgets the buckets that are full again, so one visit from each of a million
    /// addresses does not stay in memory. Called by the purge task.
    pub fn forget_idle(&self) {
        self.login.retain_recent();
        self.token.retain_recent();
    }
}

/// Middleware for `/login`: a POST over the address's limit gets a 429 page.
pub async fn limit_logins(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if req.method() == Method::POST
        && let Some(limits) = req.app_data::<web::Data<RateLimits>>()
        && let Some(ip) = peer_ip(&req)
        && let Err(not_until) = limits.login.check_key(&ip)
    {
        let seconds = wait_seconds(not_until.wait_time_from(DefaultClock::default().now()));
        return Ok(req
            .into_response(too_many_logins(seconds))
            .map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// Middleware for `/oauth/token`: over the (address, client) limit gets a JSON 429.
pub async fn limit_token_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if let Some(limits) = req.app_data::<web::Data<RateLimits>>()
        && let Some(ip) = peer_ip(&req)
        && let Err(not_until) = limits.token.check_key(&(ip, basic_client_id(&req)))
    {
        let seconds = wait_seconds(not_until.wait_time_from(DefaultClock::default().now()));
        return Ok(req
            .into_response(too_many_token_requests(seconds))
            .map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

fn peer_ip(req: &ServiceRequest) -> Option<IpAddr> {
    req.peer_addr().map(|addr| addr.ip())
}

/// The client id of an `Authorization: Basic` header, or "" (the body is not read here: it
/// would be consumed; `client_secret_post` and public clients share their address's bucket).
fn basic_client_id(req: &ServiceRequest) -> String {
    req.headers()
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
        .unwrap_or_default()
}

/// Whole seconds to wait, at least 1: a client told "retry after 0" retries at once.
fn wait_seconds(wait: std::time::Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

fn too_many_logins(seconds: u64) -> HttpResponse {
    let mut response = ErrorPage::new(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many sign-in attempts",
        &format!("Too many attempts from your address. Wait {seconds} seconds, then try again."),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

fn too_many_token_requests(seconds: u64) -> HttpResponse {
    HttpResponse::TooManyRequests()
        .insert_header((header::RETRY_AFTER, seconds))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(ErrorBody::new(
            ErrorCode::RateLimited,
            format!("too many token requests; retry after {seconds} seconds"),
        ))
}

/// Cookieless `GET /oauth/authorize` requests per remote address:
/// `RATE_LIMIT_AUTHORIZE_PER_MINUTE`. Each valid one keeps a pending request (and a session)
/// for ten minutes, so one address may start only so many a minute. Its own app data, apart
/// from [`RateLimits`], registered by `startup`.
pub struct AuthorizeLimit(DefaultKeyedRateLimiter<IpAddr>);

impl AuthorizeLimit {
    pub fn new(per_minute: u32) -> Self {
        Self(RateLimiter::keyed(Quota::per_minute(
            NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN),
        )))
    }
}

/// Middleware for `/oauth/authorize`: a GET over the address's limit gets a 429 page (the
/// consent POST is not counted: it needs a session and its CSRF token already).
pub async fn limit_authorization_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if req.method() == Method::GET
        && let Some(limit) = req.app_data::<web::Data<AuthorizeLimit>>()
        && let Some(ip) = peer_ip(&req)
    {
        // Addresses come and go: forget the buckets that are full again past a bound.
        if limit.0.len() > 10_000 {
            limit.0.retain_recent();
        }
        if let Err(not_until) = limit.0.check_key(&ip) {
            let seconds = wait_seconds(not_until.wait_time_from(DefaultClock::default().now()));
            let mut response = ErrorPage::new(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many sign-in requests",
                &format!(
                    "Too many authorization requests from your address. Wait {seconds} seconds, then try again."
                ),
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            return Ok(req.into_response(response).map_into_right_body());
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_under_a_second_is_announced_as_one_second() {
        assert_eq!(wait_seconds(std::time::Duration::from_millis(20)), 1);
        assert_eq!(wait_seconds(std::time::Duration::from_millis(5_100)), 6);
    }

    #[test]
    fn the_login_bucket_holds_its_burst_then_refuses_per_address() {
        let limits = RateLimits::new(3, 50);
        let one: IpAddr = [127, 0, 0, 1].into();
        let other: IpAddr = [127, 0, 0, 2].into();
        for _ in 0..3 {
            assert!(limits.login.check_key(&one).is_ok());
        }
        assert!(
            limits.login.check_key(&one).is_err(),
            "the fourth is refused"
        );
        assert!(
            limits.login.check_key(&other).is_ok(),
            "another address is not"
        );
    }
}
