//! The real-browser test's harness (docs/tests.md): headless Chromium walks the OAuth flow the way a
//! person does, against a provider and a client started in-process on free ports.
//!
//! - `browser` (feature `browser`) drives Chromium through chromedriver and saves screenshots.
//! - The apps, the PKCE request and the rest come from the workspace's test kit:
//!   `testkit::spawn_localhost_apps` starts both apps named `localhost`, as the README tells a
//!   learner to open them (so the screenshots show what the learner sees), and
//!   `testkit::pkce::fresh_request` builds a request for tests that open the provider alone.
//!
//! The WebDriver client sits behind the `browser` feature so that `cargo test --workspace`
//! does not build it; `just e2e` turns it on. The tests are `tests/browser.rs` and
//! `tests/browser_spa.rs`; `tests/load.rs` runs thousands of flows without a browser.

#[cfg(feature = "browser")]
pub mod browser;
