//! `GET /callback` (the redirect URI's path): steps (C)–(E) of RFC 6749 §4.1.
//!
//! Parse the authorization response → check it and redeem the code
//! ([`OAuth::finish_login`](crate::oauth::OAuth::finish_login), whose numbered checks are
//! listed in `oauth/callback.rs`) → keep the tokens in the server-side session, letting go
//! of any grant they replace → redirect the browser to `/`.

use actix_web::{HttpResponse, web};

use crate::error::ClientError;
use crate::flow;
use crate::oauth::AuthorizationResponse;
use crate::pages::Notice;
use crate::routes::{AppState, see_other};
use crate::session::ClientSession;

/// `GET /callback` (RFC 6749 §4.1.2): checks the authorization response and redeems the code.
pub async fn callback(
    query: web::Query<AuthorizationResponse>,
    session: ClientSession,
    app: web::Data<AppState>,
) -> Result<HttpResponse, ClientError> {
    let browser = session
        .browser(&app.vault)?
        .ok_or(ClientError::NoLoginInProgress)?;
    let provider = app.oauth.provider().await?;
    let callback = app
        .oauth
        .finish_login(&provider, &browser.pending, query.into_inner())
        .await;
    browser.record_login(flow::callback_steps(&callback));
    let incremental = callback.incremental;
    let tokens = callback.into_tokens()?;

    // The new grant replaces any previous one (a new login, or incremental authorization):
    // the old tokens are no longer needed, so they are revoked (RFC 7009), best effort.
    if let Some(replaced) = browser.sign_in(tokens.clone()).await {
        let revoked = app
            .oauth
            .revoke_tokens(&provider, replaced, "the new grant replaces it")
            .await;
        browser.record_login(flow::revocation_steps(&revoked));
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
