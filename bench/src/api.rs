//! What checking a token costs a resource server that is not the provider
//! (docs/performance.md, "The notes API"): `GET /notes` on the release `api` with the three
//! kinds of access token it can be given, each row beside the hello-world floor in the same
//! run, as the provider's own bearer check (`GET /api/auth/me`) is in the main table.
//!
//! - a JWT access token (RFC 9068): the API checks the signature with the provider's
//!   published key and the claims, and asks the provider nothing per request; wrk sends one
//!   token, so with `JWT_CACHE_ENTRIES`' default it is verified once and then remembered
//!   (`exp` and scope still checked per request: `api/src/verified_tokens.rs`);
//! - an opaque token checked by RFC 7662 introspection, with the API's cache on
//!   (`INTROSPECTION_CACHE_TTL`'s default): one introspection per token per TTL;
//! - the same with the cache off (`INTROSPECTION_CACHE_TTL=0`): one introspection per request.
//!
//! Each token is a real one: a complete flow at the real provider with `resource=API_URL`
//! (RFC 8707 §2) and the scope `notes:read`. The CPU column adds the provider's CPU to the
//! API's, since introspection is work done for the API.

use std::time::Duration;

use anyhow::{Context, ensure};
use testkit::process::free_port;

use crate::flow::{self, Ask};
use crate::server;
use crate::{Options, Row, Target, alternate, wrk};

/// The kind of access token the API is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiToken {
    Jwt,
    OpaqueCached,
    OpaqueUncached,
}

impl ApiToken {
    pub const ALL: [ApiToken; 3] = [
        ApiToken::Jwt,
        ApiToken::OpaqueCached,
        ApiToken::OpaqueUncached,
    ];

    fn label(self) -> &'static str {
        match self {
            ApiToken::Jwt => "API GET /notes, JWT access token (RFC 9068; CPU: api + provider)",
            ApiToken::OpaqueCached => {
                "API GET /notes, opaque token, introspection cached (default TTL; CPU: api + provider)"
            }
            ApiToken::OpaqueUncached => {
                "API GET /notes, opaque token, introspection per request (INTROSPECTION_CACHE_TTL=0; CPU: api + provider)"
            }
        }
    }

    /// The provider's `API_ACCESS_TOKEN_FORMAT`.
    fn format(self) -> &'static str {
        match self {
            ApiToken::Jwt => "jwt",
            ApiToken::OpaqueCached | ApiToken::OpaqueUncached => "opaque",
        }
    }

    /// The API's settings beyond its addresses.
    fn api_settings(self) -> Vec<(&'static str, String)> {
        match self {
            ApiToken::OpaqueUncached => vec![("INTROSPECTION_CACHE_TTL", "0".into())],
            ApiToken::Jwt | ApiToken::OpaqueCached => Vec::new(),
        }
    }

    fn target(self) -> Target {
        match self {
            ApiToken::Jwt => Target::Share(0.6),
            ApiToken::OpaqueCached | ApiToken::OpaqueUncached => {
                Target::None("none (the price of instant revocation: compare with the JWT row)")
            }
        }
    }
}

/// One row: a fresh provider issuing `token`'s kind for a fresh API, a real token from a
/// complete flow, then wrk on `GET /notes` alternating with the reference.
pub fn measure(
    runtime: &tokio::runtime::Runtime,
    options: &Options,
    reference: &server::Server,
    token: ApiToken,
) -> anyhow::Result<Row> {
    let what = token.label().to_owned();
    eprintln!("bench | {what}");
    let api_port = free_port();
    let api_url = format!("http://127.0.0.1:{api_port}");
    let provider = server::start_provider(
        options.workers,
        &[
            ("API_URL", api_url.clone()),
            ("API_ACCESS_TOKEN_FORMAT", token.format().into()),
        ],
    )?;
    let api = server::start_api(api_port, &provider.url(), &token.api_settings())?;
    let notes = format!("{api_url}/notes");

    let base = provider.url();
    let access_token = runtime.block_on(async {
        let ask = Ask {
            scope: "notes:read",
            resource: Some(&api_url),
        };
        let code = flow::authorization_code(&base, ask).await?;
        let client = flow::api_client()?;
        let tokens = flow::exchange_code(&client, &base, &code, ask).await?;
        // The row must measure the kind it names, and a token the API accepts.
        let is_jwt = tokens.access_token.split('.').count() == 3;
        ensure!(
            is_jwt == (token == ApiToken::Jwt),
            "asked for API_ACCESS_TOKEN_FORMAT={}, got a token that {} a JWT",
            token.format(),
            if is_jwt { "is" } else { "is not" }
        );
        let response = client
            .get(&notes)
            .bearer_auth(&tokens.access_token)
            .send()
            .await?;
        ensure!(
            response.status().is_success(),
            "GET /notes with the fresh token answered {}",
            response.status()
        );
        anyhow::Ok(tokens.access_token)
    })?;

    let server_cpu =
        || -> anyhow::Result<Duration> { Ok(api.sample()?.cpu + provider.sample()?.cpu) };
    let runs = alternate(
        options,
        reference,
        &notes,
        || Ok(wrk::get_script(Some(&access_token))),
        server_cpu,
    )
    .context("loading the notes API")?;
    Ok(runs.row(what, api.sample()?.peak_rss, token.target()))
}
