//! # The test kit: how to test OAuth
//!
//! The helpers are the second textbook. The first one, the provider and the client, says
//! what RFC 6749 asks of each party; this one says how to check it from the outside, the way
//! an attacker or a browser would: over HTTP, on a real server, one hop at a time.
//!
//! Read the modules in the order a flow meets them:
//!
//! 1. [`demo`]: the registered parties every test signs in as (a confidential client, a
//!    public one, the user `demo`).
//! 2. [`apps`]: the provider, or the provider and the client, started in-process on
//!    `127.0.0.1:0`, so tests run side by side and never meet a `cargo run`; [`backend`]
//!    picks the provider's store for the run (`TEST_STORE=memory|redis`).
//! 3. [`pkce`]: the authorization request of RFC 6749 §4.1.1 with PKCE (RFC 7636): a
//!    valid request to change one field of, or a fresh one with its own verifier and `state`.
//! 4. [`user_agent`]: a cookie-keeping browser that never follows a redirect by itself, so
//!    every hop (login page, login, consent, the redirect back) can be looked at; it logs in
//!    and approves or denies.
//! 5. [`html`] and [`urls`]: reading what a browser reads, the hidden fields of a form and
//!    the parameters of a redirect.
//! 6. [`provider`]: the back channel in the protocol's words: exchange a code, refresh,
//!    revoke, introspect, call the API with a bearer token.
//! 7. [`errors`]: what an error must look like, RFC 6749 §4.1.2.1 (a redirect) and §5.2 (a
//!    JSON body).
//! 8. [`fault_injector`]: a provider that fails on purpose, to test the client's recovery.
//! 9. [`slow_peer`]: a peer that sends its request one byte a second, to check the server
//!    bounds what anonymous traffic can make it keep.
//! 10. [`process`]: a program as a child process (the real binaries: signals, exit codes,
//!     what they print).
//!
//! The names used most are re-exported here: `use testkit::{spawn_provider, ...}`.
//!
//! The feature `apps` (on by default) brings what starts the provider and the client
//! ([`apps`], [`provider`], [`backend`], [`fault_injector`]); without it the kit depends on
//! neither, for a driver such as the benchmark that only speaks HTTP to a running provider.

/// How long the kit's HTTP clients keep an unused connection: below actix-web's 5 s
/// keep-alive, so a request sent after a test's pause never goes out on a connection the
/// server is closing at that very moment (the client app does the same, `wire.rs`).
pub(crate) const POOL_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(4);

#[cfg(feature = "apps")]
pub mod apps;
#[cfg(feature = "apps")]
pub mod backend;
pub mod demo;
pub mod errors;
#[cfg(feature = "apps")]
pub mod fault_injector;
pub mod html;
pub mod pkce;
pub mod process;
#[cfg(feature = "apps")]
pub mod provider;
pub mod slow_peer;
pub mod urls;
pub mod user_agent;

#[cfg(feature = "apps")]
pub use apps::{
    LoginHops, TestApps, free_listener, spawn_client_at, spawn_client_on, spawn_localhost_apps,
    spawn_provider_and_client, spawn_provider_at, spawn_provider_on, spawn_with,
};
pub use demo::{
    CLIENT_ID, CLIENT_SECRET, PASSWORD, PUBLIC_CLIENT_ID, PUBLIC_REDIRECT_URI, REDIRECT_URI,
    USERNAME,
};
pub use errors::{assert_json_error, assert_redirected_with_error};
#[cfg(feature = "apps")]
pub use fault_injector::{FaultyProvider, spawn_behind_fault_injector};
pub use html::{code_after, hidden_input, visible_text};
pub use pkce::{AuthorizationRequest, CHALLENGE, VERIFIER};
#[cfg(feature = "apps")]
pub use provider::{Redirect, TestProvider, spawn_provider, spawn_provider_with, token_pair};
pub use urls::{absolute, header_value, location, location_of, query_param, with_param};
pub use user_agent::{Browser, Page, new_browser};
