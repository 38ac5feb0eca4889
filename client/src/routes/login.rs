//! `GET /login`: step (A) of RFC 6749 §4.1, the authorization request.
//!
//! Builds the request with the `oauth2` crate (PKCE S256, a fresh `state`, the configured
//! scopes), keeps the verifier and `state` server-side, and redirects the browser to the
//! provider. With `?add_scope=teams:write`, the request also asks for that scope:
//! incremental authorization, asking for a permission when it is needed.

use actix_web::{HttpRequest, HttpResponse, web};
use governor::clock::{Clock, DefaultClock};
use serde::Deserialize;

use crate::error::ClientError;
use crate::flow;
use crate::routes::{AppState, see_other};
use crate::session::ClientSession;

/// `/login`'s query.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    /// A scope to ask for on top of the ones granted (incremental authorization).
    pub add_scope: Option<String>,
}

/// `GET /login` (RFC 6749 §4.1.1, RFC 7636 §4.3): redirects to the authorization endpoint.
pub async fn login(
    req: HttpRequest,
    query: web::Query<LoginQuery>,
    session: ClientSession,
    app: web::Data<AppState>,
) -> Result<HttpResponse, ClientError> {
    check_login_rate(&req, &app)?;
    let provider = app.oauth.provider().await?;
    let browser = session.browser_or_create(&app.vault)?;
    let mut scopes = app.oauth.settings().scopes.clone();
    let incremental = match query.add_scope.as_deref() {
        // Only a scope this app knows (RFC 6749 §3.3 names are free-form, but an unknown one
        // would only be refused by the provider, after the session had kept it).
        Some(extra) if shared::scope::Scope::from_name(extra).is_some() => {
            if let Some(tokens) = browser.tokens.lock().await.as_ref() {
                for granted in &tokens.scopes {
                    if !scopes.contains(granted) {
                        scopes.push(granted.clone());
                    }
                }
            }
            if !scopes.iter().any(|scope| scope == extra) {
                scopes.push(extra.to_owned());
            }
            true
        }
        Some(_) => {
            return Err(ClientError::BadRequest(
                "invalid_request: add_scope must be one scope this app knows: profile:read, teams:read or teams:write".into(),
            ));
        }
        None => false,
    };
    let request = app.oauth.begin_login(&provider, &scopes, incremental);
    browser.begin_flow([flow::authorization_request_step(&request)]);
    browser.pending.add(request.pending);
    Ok(see_other(request.url.as_str()))
}

/// Counts this `GET /login` against its remote address (with `RATE_LIMIT=on`): each keeps a
/// pending request server-side, so one address may start only so many a minute.
fn check_login_rate(req: &HttpRequest, app: &AppState) -> Result<(), ClientError> {
    let (Some(limit), Some(peer)) = (&app.login_limit, req.peer_addr()) else {
        return Ok(());
    };
    if limit.len() > 10_000 {
        limit.retain_recent();
    }
    limit.check_key(&peer.ip()).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        ClientError::TooManyRequests {
            what: "logins started",
            retry_after: wait.as_secs_f64().ceil().max(1.0) as u64,
        }
    })
}
