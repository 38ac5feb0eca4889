//! # Workshop exercises
//!
//! Five changes to the provider, each with a check you run when you think you are done.
//! `docs/workshop.md` has the story and a hint for each; `docs/solutions/exNN.patch` is one
//! way to do it (CI applies each patch and runs its check, so the solutions keep working).
//!
//! | exercise | check |
//! |---|---|
//! | ex01: add a scope `settings:read` and its API, `GET /api/user/settings` | `cargo test -p exercises --features ex01` |
//! | ex02: shorten the access-token lifetime to 10 s in `.env`, watch refresh happen | `cargo test -p exercises --features ex02` |
//! | ex03: turn PKCE enforcement off, see what it let in, then turn it back on | `cargo test -p exercises --features ex03` |
//! | ex04: register a second client, `partner-app` | `cargo test -p exercises --features ex04` |
//! | ex05: remember consent: skip the consent page when a live grant already covers the request | `cargo test -p exercises --features ex05` |
//!
//! The checks drive a real provider over HTTP with the same harness as the provider's own
//! tests, the workspace's test kit (`testkit/`).
