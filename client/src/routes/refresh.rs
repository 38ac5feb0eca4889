//! `POST /refresh` (RFC 6749 §6) and `POST /expire`: refresh by hand, or make the client
//! treat its access token as expired so the next API call shows the automatic refresh.

use std::time::{Duration, SystemTime};

use actix_web::{HttpResponse, web};

use crate::error::ClientError;
use crate::pages::Notice;
use crate::provider_api::ProviderApi;
use crate::routes::{AppState, CsrfForm, see_other};
use crate::session::ClientSession;

/// `POST /refresh` (RFC 6749 §6): uses the refresh token now.
pub async fn refresh(
    form: web::Form<CsrfForm>,
    session: ClientSession,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ClientError> {
    session.check_csrf(&form.csrf_token)?;
    let browser = session
        .browser(&state.vault)?
        .ok_or(ClientError::NotSignedIn)?;
    let api = ProviderApi::new(&state.oauth, &browser).await?;
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
    state: web::Data<AppState>,
) -> Result<HttpResponse, ClientError> {
    session.check_csrf(&form.csrf_token)?;
    let browser = session
        .browser(&state.vault)?
        .ok_or(ClientError::NotSignedIn)?;
    if let Some(tokens) = browser.tokens.lock().await.as_mut() {
        tokens.expires_at = Some(SystemTime::now() - Duration::from_secs(1));
    }
    browser.set_notice(Notice::ok(
        "The access token now counts as expired (here only)",
        "This page's API calls found it expired, so the client refreshed it first: see the refresh step in the flow inspector.",
    ));
    Ok(see_other("/"))
}
