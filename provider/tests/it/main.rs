//! The provider's integration tests: one module per RFC area, each test a sentence about
//! behaviour. Every test starts its own provider on 127.0.0.1:0 and speaks HTTP to it.
//!
//! The helpers are the workspace's test kit (`testkit`: spawning, the browser, PKCE, forms,
//! error assertions). The whole suite runs on the in-memory store, or with
//! `TEST_STORE=redis` on a Redis that the first test starts ([`testkit::backend`]).
//! `multi_instance` runs provider processes on Redis in either run.

// RFC 8414, then the front channel (RFC 6749 §4.1.1–4.1.2, RFC 7636, RFC 9207).
mod authorize;
mod login_and_consent;
mod metadata;
// OpenID Connect Core 1.0, Discovery 1.0, RP-Initiated Logout 1.0.
mod end_session;
mod openid;
mod openid_prompt;
mod pending_request;
mod pkce;
// The token endpoint (RFC 6749 §3.2, §4.1.3, §4.4, §6).
mod client_credentials;
mod refresh_family;
mod refresh_token;
mod token_authorization_code;
// RFC 7009, RFC 7662.
mod introspect;
mod revoke;
// RFC 8707 resource indicators, RFC 9068 JWT access tokens (and the real notes API).
mod jwt_access_tokens;
mod resource_indicators;
// The resource server (RFC 6750) and the account page.
mod account;
mod resource_api;
mod team_roles;
// The public client and CORS (RFC 6749 §2.1, the browser-based apps draft).
mod public_client;
// Headers, cookies, limits, rate limits, logs.
mod caching_and_head;
mod dns_rebinding;
mod security;
// Client authentication's brute-force limits (RFC 6749 §2.3.1).
mod client_auth_limits;
// RFC 6749 §5.2's characters in every error_description.
mod error_descriptions;
// Robustness (docs/robustness.md): concurrent requests, hostile input, shutdown.
mod hostile_input;
mod races;
mod request_log;
mod shutdown;
// Settings that follow another one when a port moves.
mod derived_settings;
mod slow_requests;
// The documented curl walkthrough.
mod walkthrough;
// The store's contract, on the store itself (memory or Redis).
mod store_contract;
// ID token signing keys in the store, shared by instances, rotated (Core §10.1.1).
mod signing_keys;
// Several provider processes sharing one Redis.
mod multi_instance;
// Redis stopping and coming back under a running provider.
mod redis_outage;
