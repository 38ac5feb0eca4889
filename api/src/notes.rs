//! `GET /notes` and `POST /notes`: the protected resource (RFC 6749 §7, RFC 6750 §2.1).
//!
//! Each handler names the scope it needs in its signature ([`Authorized`]); the token has
//! been checked before the handler runs. The notes are the caller's own, by `sub`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::{ErrorBody, ErrorCode};

use crate::app_state::AppState;
use crate::bearer::{Authorized, NotesRead, NotesWrite};
use crate::notebook::{MAX_NOTE_CHARS, NoteRefused};

/// The body of `POST /notes`.
#[derive(Debug, Deserialize)]
pub struct NewNote {
    pub text: String,
}

/// GET `/notes` (scope `notes:read`): the caller's notes, a JSON array of `{id, text}`.
pub async fn list_notes(auth: Authorized<NotesRead>, app: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(app.notebook.list(&auth.caller.sub))
}

/// POST `/notes` (scope `notes:write`), JSON `{text}`: 201 with the new note.
pub async fn add_note(
    auth: Authorized<NotesWrite>,
    app: web::Data<AppState>,
    body: web::Json<NewNote>,
) -> HttpResponse {
    match app.notebook.add(&auth.caller.sub, &body.text) {
        Ok(note) => HttpResponse::Created().json(note),
        Err(NoteRefused::BadLength) => error(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidRequest,
            format!("text must be 1 to {MAX_NOTE_CHARS} characters"),
        ),
        Err(NoteRefused::UserFull(most)) => error(
            StatusCode::CONFLICT,
            ErrorCode::Conflict,
            format!("you already keep {most} notes, the most one user may keep"),
        ),
        Err(NoteRefused::AllFull(most)) => error(
            StatusCode::INSUFFICIENT_STORAGE,
            ErrorCode::TemporarilyUnavailable,
            format!("the API already keeps {most} notes, the most it keeps in memory"),
        ),
    }
}

fn error(status: StatusCode, code: ErrorCode, description: String) -> HttpResponse {
    HttpResponse::build(status).json(ErrorBody::new(code, description))
}
