//! The API's integration tests, one module per spec: RFC 6750 + the notes (`notes`),
//! RFC 9068 §4 (`jwt_access_token`) and its remembered tokens (`verified_tokens`), RFC 7662
//! (`introspection`), RFC 9728 (`metadata`), RFC 8414 and OpenID Connect Discovery
//! (`discovery`), and start-up (`startup`).

mod helpers;

mod discovery;
mod introspection;
mod jwt_access_token;
mod metadata;
mod notes;
mod startup;
mod verified_tokens;
