//! Reading redirects: in OAuth the front channel *is* a redirect (RFC 6749 §4.1.2), so a
//! test reads the `Location` header and its query (`code`, `state`, `iss`, `error`) instead
//! of following it. Every HTTP client of the kit has redirects off for this reason, and so
//! that a token request is never re-sent somewhere else.

use reqwest::Response;
use reqwest::header::{HeaderMap, LOCATION};

/// The `Location` header of a redirect.
pub fn location(response: &Response) -> String {
    location_of(response.headers())
}

/// The `Location` in `headers`; panics when there is none (the step was not a redirect).
pub fn location_of(headers: &HeaderMap) -> String {
    headers
        .get(LOCATION)
        .and_then(|value| value.to_str().ok())
        .expect("the response is a redirect with a Location")
        .to_owned()
}

/// One query parameter of a URL, decoded.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// `url` with query parameter `name` set to `value` (to tamper with one parameter, such as
/// `state` or `iss`, of a genuine redirect).
pub fn with_param(url: &str, name: &str, value: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("a URL");
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(key, _)| key != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    parsed
        .query_pairs_mut()
        .clear()
        .extend_pairs(pairs)
        .append_pair(name, value);
    parsed.to_string()
}

/// Resolves a `Location` against the URL it came from (a relative one stays on that host).
pub fn absolute(base: &str, location: &str) -> String {
    url::Url::parse(base)
        .and_then(|base| base.join(location))
        .map(|url| url.to_string())
        .unwrap_or_else(|_| location.to_owned())
}

/// One header of `response` as a string, if present.
pub fn header_value(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}
