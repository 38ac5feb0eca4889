//! Client authentication at the token, revocation and introspection endpoints
//! (RFC 6749 §2.3.1).
//!
//! A confidential client proves itself with its secret, by HTTP Basic (`client_secret_basic`,
//! which every server must support) or in the form (`client_secret_post`), never both
//! (§2.3: "MUST NOT use more than one authentication method in each request"). A public
//! client sends only its `client_id` (`none`). Secrets are compared in constant time.

use std::net::IpAddr;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::domain::client::{ClientKind, RegisteredClient};
use crate::error::TokenError;
use crate::oauth::params::Params;
use crate::rate_limit::RateLimits;
use crate::state::AppState;

/// Credentials as presented: an id and maybe a secret.
struct Presented {
    client_id: String,
    secret: Option<String>,
}

/// Who is calling, or `invalid_client` (401, `WWW-Authenticate: Basic`), or `rate_limited`
/// (429, `Retry-After`). Every endpoint that authenticates a client calls this, so none can
/// forget the limit. The steps, in order:
///
/// 1. Read the credentials as presented: Basic (its parts form-urldecoded, §2.3.1) or the
///    form, never both.
/// 2. Admit the attempt (§2.3.1: "the authorization server MUST protect any endpoint
///    utilizing it against brute force attacks"): the address is not locked out after
///    too many failures, and this (address, client) pair is within its budget. The client
///    is the registered one the decoded id names, so every spelling of an id shares its
///    bucket.
/// 3. Check the secret in constant time, or its absence for a public client.
/// 4. A failure of step 1 or 3 counts against the address.
pub fn authenticate(
    req: &HttpRequest,
    params: &Params,
    app: &AppState,
) -> Result<Arc<RegisteredClient>, TokenError> {
    let limiter = ClientLimiter::for_request(req, app);
    let presented = presented_credentials(req, params);
    let client = presented
        .as_ref()
        .ok()
        .and_then(|presented| app.clients.find(&presented.client_id));
    limiter.admit(client.map_or("", |client| &client.id))?;
    let verdict = presented.and_then(|presented| check_secret(client, presented));
    if verdict.is_err() {
        limiter.failed();
    }
    verdict
}

/// Step 3: the registered client and the secret presented for it.
fn check_secret(
    client: Option<&Arc<RegisteredClient>>,
    presented: Presented,
) -> Result<Arc<RegisteredClient>, TokenError> {
    let client =
        client.ok_or_else(|| TokenError::invalid_client("client authentication failed"))?;
    match (client.kind, presented.secret) {
        (ClientKind::Confidential, Some(secret)) if client.secret_matches(&secret) => {
            Ok(client.clone())
        }
        (ClientKind::Confidential, Some(_)) => {
            Err(TokenError::invalid_client("client authentication failed"))
        }
        (ClientKind::Confidential, None) => Err(TokenError::invalid_client(
            "this client is confidential: authenticate with its secret (client_secret_basic or client_secret_post)",
        )),
        (ClientKind::Public, None) => Ok(client.clone()),
        (ClientKind::Public, Some(_)) => Err(TokenError::invalid_client(
            "this client is public (token_endpoint_auth_method none): it has no secret to send",
        )),
    }
}

/// The rate limits as they apply to one request: none with `RATE_LIMIT=off`.
struct ClientLimiter<'a> {
    limits: Option<&'a RateLimits>,
    ip: Option<IpAddr>,
}

impl<'a> ClientLimiter<'a> {
    fn for_request(req: &'a HttpRequest, app: &AppState) -> Self {
        let limits = req
            .app_data::<web::Data<RateLimits>>()
            .filter(|_| app.settings.rate_limit)
            .map(|limits| &***limits);
        Self {
            limits,
            ip: req.peer_addr().map(|addr| addr.ip()),
        }
    }

    /// Step 2.
    fn admit(&self, client_id: &str) -> Result<(), TokenError> {
        if let (Some(limits), Some(ip)) = (self.limits, self.ip) {
            limits
                .admit_client(ip, client_id)
                .map_err(|wait| TokenError::rate_limited(wait.0))?;
        }
        Ok(())
    }

    /// Step 4.
    fn failed(&self) {
        if let (Some(limits), Some(ip)) = (self.limits, self.ip) {
            limits.client_failed(ip);
        }
    }
}

fn presented_credentials(req: &HttpRequest, params: &Params) -> Result<Presented, TokenError> {
    let basic = basic_credentials(req)?;
    let form_secret = params.get("client_secret").map(str::to_owned);
    match basic {
        Some(basic) => {
            if form_secret.is_some() {
                return Err(TokenError::invalid_request(
                    "the client authenticated twice (Basic header and client_secret): use one",
                ));
            }
            if params
                .get("client_id")
                .is_some_and(|id| id != basic.client_id)
            {
                return Err(TokenError::invalid_client(
                    "client_id does not match the Basic credentials",
                ));
            }
            Ok(basic)
        }
        None => {
            let client_id = params.get("client_id").ok_or_else(|| {
                TokenError::invalid_client("no client authentication was included")
            })?;
            Ok(Presented {
                client_id: client_id.to_owned(),
                secret: form_secret,
            })
        }
    }
}

/// `Authorization: Basic base64(urlencode(id):urlencode(secret))` (§2.3.1 asks for the
/// form-urlencoding of each part before Basic encoding).
fn basic_credentials(req: &HttpRequest) -> Result<Option<Presented>, TokenError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || TokenError::invalid_client("the Basic credentials are malformed");
    let value = value.to_str().map_err(|_| malformed())?;
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Err(malformed());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(TokenError::invalid_client(
            "only Basic authentication is accepted here",
        ));
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let unescape = |part: &str| -> String {
        url::form_urlencoded::parse(format!("x={part}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default()
    };
    Ok(Some(Presented {
        client_id: unescape(id),
        secret: Some(unescape(secret)),
    }))
}
