//! The consent decision, POST `/oauth/authorize` (RFC 6749 §4.1.2, RFC 9207).
//!
//! The logged-in user approved or denied a pending request. Approve: a grant is started
//! with a fresh single-use code, and the browser goes back to the client with `code`,
//! `state` and `iss`. Deny: back with `error=access_denied` (§4.1.2.1).

use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::AuthorizationErrorCode;

use crate::domain::client::VerifiedRedirectUri;
use crate::domain::grant::AuthorizationCode;
use crate::domain::token::{mint, random_id};
use crate::error::{ErrorRedirect, PageError, redirect_location, see_other};
use crate::state::AppState;
use crate::store::GrantStore;
use crate::web::session::{PendingAuthorization, ProviderSession};

/// The consent form.
#[derive(Debug, Deserialize)]
pub struct ConsentForm {
    pub csrf_token: Option<String>,
    pub request_id: Option<String>,
    pub decision: Option<String>,
}

/// POST `/oauth/authorize`: record the user's decision and send the browser back.
pub async fn decide(
    form: web::Form<ConsentForm>,
    app: web::Data<AppState>,
    session: ProviderSession,
) -> Result<HttpResponse, PageError> {
    session.check_csrf(form.csrf_token.as_deref())?;
    let user_id = session.user_id().ok_or_else(|| {
        PageError::bad_request(
            "You are not signed in",
            "Sign in to the provider first, then decide.",
        )
    })?;
    // Read the decision before taking the pending request, so a malformed form loses nothing.
    let approved = match form.decision.as_deref() {
        Some("approve") => true,
        Some("deny") => false,
        _ => {
            return Err(PageError::bad_request(
                "No decision",
                "The form must say approve or deny.",
            ));
        }
    };
    let now = app.clock.now_millis();
    let pending = match form.request_id.as_deref() {
        Some(id) => session.take_pending(id, now)?,
        None => None,
    }
    .ok_or_else(|| {
        PageError::bad_request(
            "This request was already decided or has expired",
            "Go back to the application and start signing in again.",
        )
    })?;
    // A session from before `auth_time` was kept: its login is at least as recent as now.
    let login = Login {
        auth_time: session.auth_time().unwrap_or(now / 1000),
        sid: session.sid(),
    };
    let location = if approved {
        approve(&app, &pending, &user_id, login, now).await?
    } else {
        deny(&app, &pending)?
    };
    Ok(see_other(&location))
}

/// The login behind an approval, as its ID tokens will tell it (OpenID Connect Core §2).
#[derive(Debug, Clone)]
pub struct Login {
    /// When the user logged in, in seconds since the epoch: `auth_time`.
    pub auth_time: u64,
    /// The provider session's identifier: `sid` (Front-Channel Logout 1.0 §3).
    pub sid: Option<String>,
}

/// The user approved: a grant starts with a fresh code, and the browser goes back with
/// `code`, `state` (as sent) and `iss` (RFC 6749 §4.1.2, RFC 9207 §2). `login` is the
/// sign-in behind it, for an ID token. Returns the `Location`.
pub async fn approve(
    app: &AppState,
    pending: &PendingAuthorization,
    user_id: &str,
    login: Login,
    now: u64,
) -> Result<String, PageError> {
    let redirect_uri = reverify(app, pending)?;
    let code = issue_code(app, pending, user_id, login, now).await?;
    Ok(redirect_location(
        &redirect_uri,
        &[
            ("code", Some(code.expose())),
            ("state", pending.state.as_deref()),
            ("iss", Some(&app.settings.issuer)),
        ],
    ))
}

/// The user denied: back with `error=access_denied` (RFC 6749 §4.1.2.1). Returns the `Location`.
pub fn deny(app: &AppState, pending: &PendingAuthorization) -> Result<String, PageError> {
    refuse(
        app,
        pending,
        AuthorizationErrorCode::AccessDenied,
        "the resource owner denied the request",
    )
}

/// The request ends without a code: back with `error` and its description, `state` (as
/// sent) and `iss` (RFC 6749 §4.1.2.1, RFC 9207 §2). Returns the `Location`.
pub fn refuse(
    app: &AppState,
    pending: &PendingAuthorization,
    error: AuthorizationErrorCode,
    description: &str,
) -> Result<String, PageError> {
    Ok(ErrorRedirect {
        redirect_uri: reverify(app, pending)?,
        error,
        description: description.to_owned(),
        state: pending.state.clone(),
        issuer: app.settings.issuer.clone(),
    }
    .location())
}

/// Verifies the redirect URI again: the pending request was checked when it arrived, and
/// only a [`VerifiedRedirectUri`] may be redirected to.
fn reverify(
    app: &AppState,
    pending: &PendingAuthorization,
) -> Result<VerifiedRedirectUri, PageError> {
    app.clients
        .find(&pending.client_id)
        .and_then(|client| client.verify_redirect_uri(pending.redirect_uri.as_deref()))
        .ok_or_else(|| {
            PageError::bad_request(
                "Unknown application",
                "This application is no longer registered.",
            )
        })
}

/// Starts a grant and mints its authorization code: single-use, short-lived, bound to
/// client, redirect URI and PKCE challenge (§4.1.2, RFC 7636 §4.4).
async fn issue_code(
    app: &AppState,
    pending: &PendingAuthorization,
    user_id: &str,
    login: Login,
    now: u64,
) -> Result<shared::Secret, PageError> {
    let minted = mint();
    let code = AuthorizationCode {
        grant_id: random_id().into(),
        client_id: pending.client_id.as_str().into(),
        nonce: pending.nonce.clone(),
        auth_time: login.auth_time,
        sid: login.sid,
        user_id: user_id.into(),
        redirect_uri: pending.redirect_uri.clone(),
        scopes: pending.scopes,
        resources: pending.resources,
        code_challenge: pending.code_challenge.clone(),
        expires_at: now + millis(app.settings.code_ttl),
    };
    tracing::info!(
        client_id = %code.client_id,
        code = %minted.hash.fingerprint(),
        scope = %code.scopes.to_wire(),
        "authorization code issued"
    );
    app.store.start_grant(minted.hash, code, now).await?;
    Ok(minted.value)
}

pub(crate) fn millis(duration: Duration) -> u64 {
    duration.as_millis() as u64
}
