//! What an OAuth error must look like, checked the same way everywhere. There are two
//! channels, and a test must know which one a failure belongs to:
//!
//! - RFC 6749 §4.1.2.1: once the client and its redirect URI are verified, the authorization
//!   endpoint reports errors by redirecting back with `error`, `error_description`, `state`
//!   and (RFC 9207) `iss`; before that it must not redirect at all (an open redirector).
//! - RFC 6749 §5.2: the token endpoint (and RFC 7009, RFC 7662) answer a JSON object whose
//!   `error` is one of the RFC's codes, with an optional `error_description` string.

use reqwest::{Response, StatusCode};

use crate::demo::REDIRECT_URI;
use crate::urls::{location, query_param};

/// Asserts `response` redirects to the client with `error` (and an `error_description`,
/// and `iss` = `issuer`), only ever to the registered redirect URI.
pub fn assert_redirected_with_error(response: &Response, error: &str, issuer: &str) {
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "errors after client verification redirect"
    );
    let location = location(response);
    assert!(
        location.starts_with(REDIRECT_URI),
        "only to the registered redirect URI: {location}"
    );
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some(error),
        "{location}"
    );
    assert!(query_param(&location, "error_description").is_some());
    assert_eq!(query_param(&location, "iss").as_deref(), Some(issuer));
}

/// Asserts an RFC 6749 §5.2 error: `status`, a JSON object whose `error` is `error` and
/// whose `error_description`, when present, is a string. Answers the body.
pub async fn assert_json_error(
    response: Response,
    status: StatusCode,
    error: &str,
) -> serde_json::Value {
    assert_eq!(response.status(), status);
    let body: serde_json::Value = response.json().await.expect("a JSON error body");
    assert_eq!(body["error"], error, "{body}");
    assert!(
        body.get("error_description")
            .is_none_or(serde_json::Value::is_string),
        "RFC 6749 §5.2: error_description is a string: {body}"
    );
    body
}
