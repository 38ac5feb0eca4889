//! The authorization server's domain: plain Rust, no web framework.
//!
//! Handlers in `oauth/`, `web/` and `api/` parse HTTP, call into these modules and render.

pub mod client;
pub mod grant;
pub mod ids;
pub mod pkce;
pub mod scope;
pub mod teams;
pub mod token;
pub mod user;

/// Milliseconds since the Unix epoch: the clock every expiry is measured on.
pub fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}
