//! The resource owner logs in: GET and POST `/login` (RFC 6749 §4.1.1 leaves *how* to the
//! server; this is a password form with a CSRF token).
//!
//! On success the session id is renewed and the pending authorization continues; on a
//! wrong password the page comes back with 401 and the same pending request, so nothing
//! is lost.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::error::{PageError, see_other};
use crate::state::AppState;
use crate::web::pages::LoginPage;
use crate::web::session::ProviderSession;

/// The login form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    pub username: Option<String>,
    pub password: Option<String>,
    pub csrf_token: Option<String>,
    pub request_id: Option<String>,
}

/// GET `/login`: the login form on its own (for `/account`).
pub async fn show_login(session: ProviderSession) -> Result<HttpResponse, PageError> {
    if session.user_id().is_some() {
        return Ok(see_other("/account"));
    }
    Ok(login_page(&session, None, String::new(), None, None)?.into_response(StatusCode::OK))
}

/// POST `/login`: check the credentials, then continue where the user was going.
pub async fn submit_login(
    form: web::Form<LoginForm>,
    app: web::Data<AppState>,
    session: ProviderSession,
) -> Result<HttpResponse, PageError> {
    session.check_csrf(form.csrf_token.as_deref())?;
    let username = form.username.clone().unwrap_or_default();
    let password = form.password.as_deref().unwrap_or_default();
    let now = app.clock.now_millis();
    // A request id counts only while its request waits; a damaged one is its error page.
    let pending = match form.request_id.as_deref() {
        Some(id) => session
            .pending(id, now)?
            .map(|pending| (id.to_owned(), pending)),
        None => None,
    };
    if !app.user.check_credentials(&username, password) {
        tracing::info!("login failed");
        let client_name = pending
            .as_ref()
            .and_then(|(_, pending)| app.clients.find(&pending.client_id).map(|c| c.name.clone()));
        let page = login_page(
            &session,
            pending.as_ref().map(|(id, _)| id.clone()),
            username,
            client_name,
            Some("Wrong username or password. Try again.".into()),
        )?;
        return Ok(page.into_response(StatusCode::UNAUTHORIZED));
    }
    session.log_in(&app.user.id, app.clock.now_millis())?;
    tracing::info!(user_id = %app.user.id, "login succeeded");
    match pending {
        Some((id, _)) => {
            // This sign-in is the fresh one the request may have asked for (OpenID Connect
            // Core §3.1.2.1: `prompt=login`, `max_age`): it is not asked for again.
            session.mark_signed_in_for(&id)?;
            Ok(see_other(&format!("/oauth/authorize?request_id={id}")))
        }
        None => Ok(see_other("/account")),
    }
}

fn login_page(
    session: &ProviderSession,
    request_id: Option<String>,
    username: String,
    client_name: Option<String>,
    error: Option<String>,
) -> Result<LoginPage, PageError> {
    Ok(LoginPage {
        csrf_token: session.csrf_token()?,
        request_id,
        client_name,
        username,
        error,
    })
}

/// The same login page, for `/account` when nobody is signed in.
pub fn signed_out_page(session: &ProviderSession) -> Result<HttpResponse, PageError> {
    Ok(login_page(session, None, String::new(), None, None)?.into_response(StatusCode::OK))
}
