//! The notes section of the signed-in page and `POST /notes`: the notes API at `API_URL`,
//! a resource server that is not the provider, called with a token for it alone (RFC 8707).
//!
//! Thin: [`crate::notes_api::call_for`] gets the API's token and makes the call; this file
//! turns its outcome into the section or a notice. Every failure leaves the page up and
//! says what happened (the API not running, the provider not issuing tokens for it).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::config::NOTES_SCOPES;
use crate::error::ClientError;
use crate::notes_api::{self, API_DOWN, NotesOutcome};
use crate::pages::{NoteView, NotesView, Notice};
use crate::routes::{AppState, see_other};
use crate::session::ClientSession;
use crate::session::vault::BrowserState;

/// The longest note the API keeps, in characters.
const MAX_NOTE_CHARS: usize = 1000;

/// The notes section, or `None` when `SCOPES` does not ask for `notes:read`.
pub async fn notes_view(app: &AppState, browser: &BrowserState) -> Option<NotesView> {
    let settings = app.oauth.settings();
    if !settings.scopes.iter().any(|scope| scope == NOTES_SCOPES[0]) {
        return None;
    }
    let mut view = NotesView {
        api_url: settings.api_url.clone(),
        notes: Vec::new(),
        reachable: false,
        problem: None,
    };
    let offered = app.oauth.discovered().is_some_and(|provider| {
        provider
            .endpoints
            .scopes_supported
            .iter()
            .any(|scope| scope == NOTES_SCOPES[0])
    });
    if !offered {
        view.problem = Some(format!(
            "The provider ({}) does not offer the notes API's scopes (notes:read is not in its metadata's scopes_supported), so this app did not ask for them.",
            settings.issuer()
        ));
        return Some(view);
    }
    match notes_api::call_for(&app.oauth, browser, None).await {
        Err(no_token) => view.problem = Some(no_token.0),
        Ok(NotesOutcome::Listed { notes, unreadable }) => {
            view.reachable = true;
            view.notes = notes
                .into_iter()
                .map(|note| NoteView { text: note.text })
                .collect();
            if unreadable > 0 {
                view.problem = Some(format!(
                    "{unreadable} note(s) in the API's answer could not be read and are left out."
                ));
            }
        }
        Ok(outcome) => view.problem = Some(describe(&outcome)),
    }
    Some(view)
}

/// An outcome that is not the one asked for, in a sentence.
fn describe(outcome: &NotesOutcome) -> String {
    match outcome {
        NotesOutcome::Down { .. } => API_DOWN.into(),
        NotesOutcome::Unauthorized { challenge } => format!(
            "The notes API refused its token, a new one too (HTTP 401, {}).",
            challenge.as_deref().unwrap_or("no WWW-Authenticate")
        ),
        NotesOutcome::Refused { status, detail } => {
            format!("The notes API refused: {detail} (HTTP {status}).")
        }
        NotesOutcome::Unreadable { status, detail } => {
            format!("The notes API's answer (HTTP {status}) could not be read: {detail}.")
        }
        NotesOutcome::Listed { .. } | NotesOutcome::Added(_) => "The notes API answered.".into(),
    }
}

/// The add form: the CSRF token and the note.
#[derive(Debug, Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    pub csrf_token: String,
    #[serde(default)]
    pub text: String,
}

/// `POST /notes`: adds a note at the notes API, then back to `/` with a notice.
pub async fn add_note(
    session: ClientSession,
    app: web::Data<AppState>,
    form: web::Form<NoteForm>,
) -> Result<HttpResponse, ClientError> {
    let browser = session.browser_for_form(&form.csrf_token, &app.vault)?;
    let text = form.text.trim();
    let notice = if text.is_empty() || text.chars().count() > MAX_NOTE_CHARS {
        Notice::error(
            "Note not added",
            format!("A note is 1 to {MAX_NOTE_CHARS} characters."),
        )
    } else {
        match notes_api::call_for(&app.oauth, &browser, Some(text)).await {
            Ok(NotesOutcome::Added(_)) => Notice::ok(
                "Note added",
                "POST /notes at the notes API answered 201, with a token for that API alone.",
            ),
            Ok(outcome) => Notice::error("Note not added", describe(&outcome)),
            Err(no_token) => Notice::error("Note not added", no_token.0),
        }
    };
    browser.set_notice(notice);
    Ok(see_other("/"))
}
