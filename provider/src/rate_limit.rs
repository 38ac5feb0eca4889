//! Rate limits: `/login` per remote address, and every endpoint that authenticates a client
//! (`/oauth/token`, `/oauth/revoke`, `/oauth/introspect`) per client and address, with a
//! stricter budget for failed client authentications per address. Over a limit is 429 with
//! `Retry-After` (RFC 6585 §4).
//!
//! Password guessing is what the login limit slows. RFC 6749 §2.3.1 asks the same for client
//! secrets: "the authorization server MUST protect any endpoint utilizing it against brute
//! force attacks". So the client limits are not a middleware in front of one route but a
//! step of client authentication itself ([`crate::oauth::token::client_auth::authenticate`]):
//! every endpoint that checks a secret goes through it, and the bucket is keyed on the client
//! id *as authentication decodes it* (`%74estclient`, a lowercase `basic` scheme and a
//! `client_secret_post` form all land in `testclient`'s bucket). `RATE_LIMIT=off` turns every
//! limit off for benchmarks and test suites.
//!
//! The buckets are the `governor` crate's (GCRA, keyed, lock-free; MIT). The middleware
//! around them is these few functions rather than the `actix-governor` crate, because that
//! one is GPL-3.0-or-later and this example is copied into MIT and Apache-2.0 code.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use dashmap::DashMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::web::pages::ErrorPage;

/// The limiters, shared by every worker (registered as app data by `startup`).
pub struct RateLimits {
    /// Login attempts per remote address: `RATE_LIMIT_LOGIN_PER_MINUTE`, refilled evenly,
    /// as a burst of the same size.
    login: DefaultKeyedRateLimiter<IpAddr>,
    /// Requests that authenticate a client, per (remote address, canonical client id):
    /// `RATE_LIMIT_TOKEN_PER_SECOND`, with a burst of the same size. An id that names no
    /// registered client is counted as "" (so made-up ids cannot grow the map).
    client: DefaultKeyedRateLimiter<(IpAddr, String)>,
    /// Failed client authentications per remote address:
    /// `RATE_LIMIT_CLIENT_AUTH_FAILURES_PER_MINUTE`, as a burst of the same size.
    auth_failures: DefaultKeyedRateLimiter<IpAddr>,
    /// Addresses that used up their failures, and until when. Checked before any secret is
    /// compared: a guesser must not learn from a 401-or-200 whether a guess was right while
    /// its failures are refused.
    locked_out: DashMap<IpAddr, Instant>,
}

impl RateLimits {
    pub fn new(login_per_minute: u32, token_per_second: u32, failures_per_minute: u32) -> Self {
        let at_least_one = |n: u32| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        Self {
            login: RateLimiter::keyed(Quota::per_minute(at_least_one(login_per_minute))),
            client: RateLimiter::keyed(Quota::per_second(at_least_one(token_per_second))),
            auth_failures: RateLimiter::keyed(Quota::per_minute(at_least_one(failures_per_minute))),
            locked_out: DashMap::new(),
        }
    }

    /// Forgets the buckets that are full again and the lock-outs that are over, so one visit
    /// from each of a million addresses does not stay in memory. Called by the purge task.
    pub fn forget_idle(&self) {
        self.login.retain_recent();
        self.client.retain_recent();
        self.auth_failures.retain_recent();
        let now = Instant::now();
        self.locked_out.retain(|_, until| *until > now);
    }

    /// Admits one client authentication attempt from `ip` for `client_id` (the canonical id
    /// of a registered client, or "" for none), or says how many seconds to wait: the
    /// address is locked out after too many failures, or this client and address are over
    /// their request budget.
    pub fn admit_client(&self, ip: IpAddr, client_id: &str) -> Result<(), RetryAfter> {
        if let Some(until) = self.locked_out.get(&ip).map(|until| *until) {
            let now = Instant::now();
            if until > now {
                return Err(RetryAfter::from_wait(until - now));
            }
            self.locked_out.remove_if(&ip, |_, until| *until <= now);
        }
        self.client
            .check_key(&(ip, client_id.to_owned()))
            .map_err(|not_until| {
                RetryAfter::from_wait(not_until.wait_time_from(DefaultClock::default().now()))
            })
    }

    /// Counts one failed client authentication from `ip`; the one over the budget locks the
    /// address out until the budget has room again.
    pub fn client_failed(&self, ip: IpAddr) {
        if let Err(not_until) = self.auth_failures.check_key(&ip) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            self.locked_out.insert(ip, Instant::now() + wait);
        }
    }
}

/// How long a refused caller must wait, in whole seconds (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

impl RetryAfter {
    fn from_wait(wait: Duration) -> Self {
        RetryAfter(wait_seconds(wait))
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

fn peer_ip(req: &ServiceRequest) -> Option<IpAddr> {
    req.peer_addr().map(|addr| addr.ip())
}

/// Whole seconds to wait, at least 1: a client told "retry after 0" retries at once.
fn wait_seconds(wait: Duration) -> u64 {
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
        let limits = RateLimits::new(3, 50, 10);
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

    #[test]
    fn an_address_over_its_failure_budget_is_locked_out_even_for_a_right_secret() {
        let limits = RateLimits::new(10, 50, 2);
        let guesser: IpAddr = [127, 0, 0, 1].into();
        let other: IpAddr = [127, 0, 0, 2].into();
        for _ in 0..2 {
            assert!(limits.admit_client(guesser, "testclient").is_ok());
            limits.client_failed(guesser);
        }
        assert!(limits.admit_client(guesser, "testclient").is_ok());
        limits.client_failed(guesser);
        assert!(
            limits.admit_client(guesser, "testclient").is_err(),
            "the third failure locked the address out"
        );
        assert!(limits.admit_client(other, "testclient").is_ok());
    }
}
