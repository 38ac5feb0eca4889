//! Ending the provider session: POST `/logout` (the form on `/account`), and the
//! `end_session_endpoint` of OpenID Connect RP-Initiated Logout 1.0, where a client app
//! sends the browser after its own logout (GET or POST, §2), with its confirmation form.
//!
//! Ending a session here does not revoke the tokens already issued: those are revoked on
//! `/account` or by the client at `/oauth/revoke`. The checks of a logout request live in
//! [`crate::openid::end_session`]; these handlers parse, call them, and render.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::error::{PageError, see_other};
use crate::openid::end_session::{
    CONFIRM_PATH, CheckedLogout, Ending, LogoutRefused, LogoutRequest, SignedIn, check_logout,
    how_to_end,
};
use crate::state::AppState;
use crate::web::pages::{EndSessionPage, SignedOutPage};
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

/// GET `end_session_endpoint`: the request in the query (§2).
pub async fn end_session_get(
    request: HttpRequest,
    app: web::Data<AppState>,
    session: ProviderSession,
) -> Result<HttpResponse, PageError> {
    end_session(request.query_string().as_bytes(), false, &app, &session)
}

/// POST `end_session_endpoint`: the request as a form body (§2, "Form Serialization").
pub async fn end_session_post(
    body: web::Bytes,
    app: web::Data<AppState>,
    session: ProviderSession,
) -> Result<HttpResponse, PageError> {
    end_session(&body, true, &app, &session)
}

/// Checks the request, then ends the session at once or asks the user first.
fn end_session(
    encoded: &[u8],
    is_post: bool,
    app: &AppState,
    session: &ProviderSession,
) -> Result<HttpResponse, PageError> {
    let request = LogoutRequest::parse(encoded).map_err(refused)?;
    let checked = check(&request, app)?;
    let user = session.user_id();
    let sid = session.sid();
    let signed_in = user.as_deref().map(|user| SignedIn {
        user,
        sid: sid.as_deref(),
    });
    match how_to_end(&checked, signed_in, is_post) {
        Ending::Now => Ok(end_and_return(&checked, session)),
        Ending::AskFirst => Ok(EndSessionPage {
            csrf_token: session.csrf_token()?,
            confirm_path: CONFIRM_PATH,
            client_name: checked
                .client_id
                .as_deref()
                .and_then(|id| app.clients.find(id))
                .map(|client| client.name.clone()),
            post_logout_redirect_uri: checked.return_to.as_ref().map(|back| back.uri().to_owned()),
            state: checked
                .return_to
                .as_ref()
                .and_then(|back| back.state().map(str::to_owned)),
            client_id: checked.client_id,
        }
        .into_response()),
    }
}

/// The confirmation form: its CSRF token and the request it confirms.
#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    pub csrf_token: Option<String>,
    pub client_id: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
}

/// POST the confirmation: the user said yes. The request came back through the browser,
/// so it is checked again before anyone is redirected.
pub async fn confirm_end_session(
    form: web::Form<ConfirmForm>,
    app: web::Data<AppState>,
    session: ProviderSession,
) -> Result<HttpResponse, PageError> {
    session.check_csrf(form.csrf_token.as_deref())?;
    let present = |value: &Option<String>| value.clone().filter(|value| !value.is_empty());
    let request = LogoutRequest {
        id_token_hint: None,
        client_id: present(&form.client_id),
        post_logout_redirect_uri: present(&form.post_logout_redirect_uri),
        state: present(&form.state),
    };
    let checked = check(&request, &app)?;
    Ok(end_and_return(&checked, &session))
}

fn check(request: &LogoutRequest, app: &AppState) -> Result<CheckedLogout, PageError> {
    check_logout(
        request,
        &app.settings.issuer,
        &app.keys.jwks(),
        &app.clients,
    )
    .map_err(refused)
}

/// Ends the session (as `/logout` does; with nobody signed in there is nothing to end, and
/// the logout still succeeds), then back to the app with `state` (§3), or "You are signed
/// out" when it named nowhere to go.
fn end_and_return(checked: &CheckedLogout, session: &ProviderSession) -> HttpResponse {
    session.log_out();
    tracing::info!(client_id = ?checked.client_id, "provider session ended (RP-Initiated Logout)");
    match &checked.return_to {
        Some(back) => see_other(&back.location()),
        None => SignedOutPage {}.into_response(),
    }
}

/// A refused logout request: an error page, never a redirect (§3), and nothing ended.
fn refused(why: LogoutRefused) -> PageError {
    tracing::info!(reason = %why, "logout request refused");
    PageError::bad_request(
        "This sign-out request cannot be trusted",
        &format!(
            "The application's sign-out request was refused: {why}. You are still signed \
             in at the provider and were not sent anywhere. Go back to the application, or \
             sign out from your account page."
        ),
    )
}
