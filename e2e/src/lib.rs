//! The real-browser test's harness (issue 4): headless Chromium walks the OAuth flow the way a
//! person does, against a provider and a client started in-process on free ports.
//!
//! - [`servers`] starts `provider` and `client` on `127.0.0.1:0` with test settings.
//! - [`pkce`] builds a valid authorization request for tests that talk to the provider alone.
//! - `browser` (feature `browser`) drives Chromium through chromedriver and saves screenshots.
//!
//! The WebDriver client sits behind the `browser` feature so that `cargo test --workspace`
//! does not build it; `just e2e` turns it on. The test itself is `tests/browser.rs`.

#[cfg(feature = "browser")]
pub mod browser;
pub mod pkce;
pub mod servers;
