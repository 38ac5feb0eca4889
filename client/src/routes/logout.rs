//! `POST /logout`: revoke both tokens at the provider (RFC 7009), then clear the session.

use actix_web::{HttpResponse, web};

use crate::error::ClientError;
use crate::flow;
use crate::oauth::revocation::first_failure;
use crate::pages::Notice;
use crate::routes::{AppState, CsrfForm, see_other};
use crate::session::ClientSession;

/// `POST /logout` (RFC 7009 §2.1): the refresh token first (which ends its grant's access
/// tokens too), then the access token; then the session is cleared and renewed. The flow
/// log stays, so the inspector shows the revocations.
pub async fn logout(
    form: web::Form<CsrfForm>,
    session: ClientSession,
    app: web::Data<AppState>,
) -> Result<HttpResponse, ClientError> {
    session.check_csrf(&form.csrf_token)?;
    let Some(browser) = session.browser(&app.vault)? else {
        return Ok(see_other("/"));
    };
    let tokens = browser.tokens.lock().await.take();
    browser.pending.clear();
    let mut notice = Notice::ok(
        "Signed out",
        "Both tokens were revoked at the provider (RFC 7009), then this app's session was cleared. You may still be signed in at the provider itself (its own session cookie): its /account page has its own logout.",
    );
    if let Some(tokens) = tokens {
        let outcome = async {
            let provider = app.oauth.provider().await?;
            let revoked = app.oauth.revoke_tokens(&provider, tokens, "logout").await;
            browser.record(flow::revocation_steps(&revoked));
            first_failure(revoked)
        }
        .await;
        if let Err(error) = outcome {
            notice = Notice::error(
                "Signed out here; the provider did not confirm the revocation",
                format!(
                    "{error}. This app has forgotten the tokens; at the provider they stay valid until they expire or are revoked from its /account page."
                ),
            );
        }
    }
    session.renew()?;
    browser.set_notice(notice);
    Ok(see_other("/"))
}
