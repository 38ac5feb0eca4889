//! `POST /refresh` (RFC 6749 §6) and `POST /expire`: refresh by hand, or make the client
//! treat its access token as expired so the next API call shows the automatic refresh.
//! `POST /revoke-access` (RFC 7009): revoke the access token alone at the provider, so the
//! next API call shows the other path: a 401 (RFC 6750 §3.1), a refresh, a retry.

use std::time::{Duration, SystemTime};

use actix_web::{HttpResponse, web};
use oauth2::StandardRevocableToken;

use crate::error::ClientError;
use crate::flow;
use crate::pages::Notice;
use crate::provider_api::ProviderApi;
use crate::routes::{AppState, CsrfForm, see_other};
use crate::session::ClientSession;

/// `POST /refresh` (RFC 6749 §6): uses the refresh token now.
pub async fn refresh(
    form: web::Form<CsrfForm>,
    session: ClientSession,
    app: web::Data<AppState>,
) -> Result<HttpResponse, ClientError> {
    let browser = session.browser_for_form(&form.csrf_token, &app.vault)?;
    let api = ProviderApi::new(&app.oauth, &browser).await?;
    match api.refresh_now().await {
        Ok(tokens) => browser.set_notice(Notice::ok(
            "Refreshed",
            format!(
                "New access token {} (the provider rotated the refresh token too: now {}). The old refresh token is retired: using it again would revoke the whole grant.",
                shared::fingerprint(tokens.access.secret()),
                tokens
                    .refresh
                    .as_ref()
                    .map(|refresh| shared::fingerprint(refresh.secret()))
                    .unwrap_or_else(|| "none".into())
            ),
        )),
        // The notice saying why is already set.
        Err(ClientError::SessionEnded { .. }) => {}
        Err(error) => return Err(error),
    }
    Ok(see_other("/"))
}

/// `POST /expire`: the client forgets how long its access token has left, as if it had
/// expired. The provider still accepts the token; the point is to watch the client refresh
/// before its next call.
pub async fn expire(
    form: web::Form<CsrfForm>,
    session: ClientSession,
    app: web::Data<AppState>,
) -> Result<HttpResponse, ClientError> {
    let browser = session.browser_for_form(&form.csrf_token, &app.vault)?;
    if let Some(tokens) = browser.tokens.lock().await.as_mut() {
        tokens.expires_at = Some(SystemTime::now() - Duration::from_secs(1));
    }
    browser.set_notice(Notice::ok(
        "The access token now counts as expired (here only)",
        "This page's API calls found it expired, so the client refreshed it first: see the refresh step in the flow inspector.",
    ));
    Ok(see_other("/"))
}

/// `POST /revoke-access`: the access token is revoked at the provider (RFC 7009 §2.1: an
/// access token's revocation ends that token only), the refresh token is kept. The client
/// still believes its access token is good, so its next API call is sent with it, gets 401
/// `invalid_token`, and the client refreshes once and retries: see the flow inspector.
pub async fn revoke_access(
    form: web::Form<CsrfForm>,
    session: ClientSession,
    app: web::Data<AppState>,
) -> Result<HttpResponse, ClientError> {
    let browser = session.browser_for_form(&form.csrf_token, &app.vault)?;
    let access = browser
        .tokens
        .lock()
        .await
        .as_ref()
        .map(|tokens| tokens.access.clone());
    let Some(access) = access else {
        return Err(ClientError::NotSignedIn);
    };
    let provider = app.oauth.provider().await?;
    let revocation = app
        .oauth
        .revoke(
            &provider,
            StandardRevocableToken::AccessToken(access),
            "the access token only, by hand",
        )
        .await;
    browser.record(flow::revocation_steps(std::slice::from_ref(&revocation)));
    revocation.result?;
    browser.set_notice(Notice::ok(
        "The access token was revoked at the provider (the refresh token was kept)",
        "This page's API calls were sent with it, got 401 invalid_token, and the client refreshed once and retried: see the steps in the flow inspector.",
    ));
    Ok(see_other("/"))
}
