//! POST `/logout`: ends the provider session (not the tokens already issued: those are
//! revoked on `/account` or by the client at `/oauth/revoke`).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::error::{PageError, see_other};
use crate::web::session::ProviderSession;

/// The logout form: only its CSRF token.
#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    pub csrf_token: Option<String>,
}

/// POST `/logout`.
pub async fn logout(
    form: web::Form<LogoutForm>,
    session: ProviderSession,
) -> Result<HttpResponse, PageError> {
    session.check_csrf(form.csrf_token.as_deref())?;
    session.log_out();
    Ok(see_other("/account"))
}
