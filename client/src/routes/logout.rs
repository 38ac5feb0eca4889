//! `POST /logout`: revoke both tokens at the provider (RFC 7009), then clear the session.

use actix_web::{HttpResponse, web};
use oauth2::StandardRevocableToken;

use crate::error::ClientError;
use crate::pages::Notice;
use crate::routes::{AppState, CsrfForm, see_other};
use crate::session::ClientSession;

/// `POST /logout` (RFC 7009 §2.1): the refresh token first (which ends its grant's access
/// tokens too), then the access token; then the session is cleared and renewed. The flow
/// log stays, so the inspector shows the revocations.
pub async fn logout(
    form: web::Form<CsrfForm>,
    session: ClientSession,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ClientError> {
    session.check_csrf(&form.csrf_token)?;
    let Some(browser) = session.browser(&state.vault)? else {
        return Ok(see_other("/"));
    };
    let tokens = browser.tokens.lock().await.take();
    browser.clear_pending();
    let mut notice = Notice::ok(
        "Signed out",
        "Both tokens were revoked at the provider (RFC 7009), then this app's session was cleared. You may still be signed in at the provider itself (its own session cookie): its /account page has its own logout.",
    );
    if let Some(tokens) = tokens {
        let outcome = async {
            let provider = state.oauth.provider().await?;
            let mut steps = Vec::new();
            let mut result = Ok(());
            if let Some(refresh) = tokens.refresh {
                result = state
                    .oauth
                    .revoke(
                        &provider,
                        StandardRevocableToken::RefreshToken(refresh),
                        "logout",
                        &mut steps,
                    )
                    .await;
            }
            let access = state
                .oauth
                .revoke(
                    &provider,
                    StandardRevocableToken::AccessToken(tokens.access),
                    "logout",
                    &mut steps,
                )
                .await;
            browser.record(steps);
            result.and(access)
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
