//! `GET /callback` (the redirect URI's path): steps (C)–(E) of RFC 6749 §4.1.
//!
//! In order: `state` (this browser started this login, compared in constant time, and only
//! once), then in `oauth.rs` `iss` (RFC 9207), then `error`, then the code exchange. The
//! tokens go into the server-side session; the browser gets a redirect to `/`.

use actix_web::{HttpResponse, web};
use oauth2::StandardRevocableToken;

use crate::error::ClientError;
use crate::flow::Step;
use crate::oauth::{AuthorizationResponse, LOGIN_TIMEOUT};
use crate::pages::Notice;
use crate::routes::{AppState, see_other};
use crate::session::ClientSession;
use crate::session::vault::PendingMatch;

/// `GET /callback` (RFC 6749 §4.1.2): checks the authorization response and redeems the code.
pub async fn callback(
    query: web::Query<AuthorizationResponse>,
    session: ClientSession,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ClientError> {
    let response = query.into_inner();
    let browser = session
        .browser(&state.vault)?
        .ok_or(ClientError::NoLoginInProgress)?;
    let refused = |check: &str| {
        let params = vec![
            (
                "code".to_owned(),
                response
                    .code
                    .as_deref()
                    .map(shared::mask)
                    .unwrap_or_default(),
            ),
            (
                "state".to_owned(),
                response.state.clone().unwrap_or_default(),
            ),
        ];
        browser.record_login(vec![
            Step::authorization_response(params)
                .note(format!("refused: {check}; nothing was exchanged"))
                .failed(),
        ]);
    };

    // RFC 6749 §10.12: the response must carry the `state` this browser sent.
    let Some(sent_state) = response.state.as_deref() else {
        refused("state missing");
        return Err(ClientError::StateMissing);
    };
    let pending = match browser.take_pending(sent_state) {
        PendingMatch::Found(pending) => pending,
        PendingMatch::AlreadyUsed => {
            refused("this state was already used (replayed response)");
            return Err(ClientError::CallbackReplayed);
        }
        PendingMatch::Mismatch => {
            refused("state mismatch");
            return Err(ClientError::StateMismatch);
        }
        PendingMatch::NothingPending => {
            refused("no login in progress");
            return Err(ClientError::NoLoginInProgress);
        }
    };
    if pending.started.elapsed() > LOGIN_TIMEOUT {
        return Err(ClientError::LoginExpired);
    }
    let incremental = pending.incremental;

    let provider = state.oauth.provider().await?;
    let mut steps = vec![Step::at_provider()];
    let result = state
        .oauth
        .finish_login(&provider, pending, &response, &mut steps)
        .await;
    browser.record_login(steps);
    let mut tokens = result?;

    // The new grant replaces any previous one (a new login, or incremental authorization).
    let previous = {
        let mut guard = browser.tokens.lock().await;
        if let Some(old) = guard.as_ref() {
            tokens.generation = old.generation + 1;
        }
        guard.replace(tokens.clone())
    };
    if let Some(old) = previous {
        // The old grant is no longer needed: revoke it (RFC 7009), best effort.
        let token = match old.refresh {
            Some(refresh) => StandardRevocableToken::RefreshToken(refresh),
            None => StandardRevocableToken::AccessToken(old.access),
        };
        let mut steps = Vec::new();
        let _ = state
            .oauth
            .revoke(&provider, token, "the new grant replaces it", &mut steps)
            .await;
        browser.record_login(steps);
    }
    session.renew()?;
    browser.set_notice(if incremental {
        Notice::ok(
            "Incremental authorization: done",
            format!(
                "This app asked the provider for more than it had (now {}), you approved it on the provider's consent page, and the provider issued a new token pair for the wider grant. The old grant was revoked. The flow inspector shows every step.",
                tokens.scopes.join(" ")
            ),
        )
    } else {
        Notice::ok(
            "Signed in",
            format!(
                "The code was exchanged for tokens on this app's server (scopes: {}). Your browser holds only a session cookie.",
                tokens.scopes.join(" ")
            ),
        )
    });
    Ok(see_other("/"))
}
