//! `GET /errors` and `POST /errors/{error}`: the error gallery (see
//! [`crate::lab::gallery`]): each error the provider can answer, on demand, with the wire
//! response, its cause and its fix.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::error::ClientError;
use crate::lab::gallery::{self, GalleryEntry, GalleryReport};
use crate::lab::harness::LabContext;
use crate::lab::{self, Lab};
use crate::routes::{AppState, CsrfForm};
use crate::session::ClientSession;

/// `/errors`: every entry, at most one with a result.
#[derive(Debug, Serialize)]
struct GalleryPage {
    csrf_token: String,
    issuer: String,
    entries: Vec<EntryView>,
}

#[derive(Debug, Serialize)]
struct EntryView {
    entry: GalleryEntry,
    report: Option<GalleryReport>,
    problem: Option<String>,
}

fn gallery_page(state: &AppState, csrf_token: String) -> GalleryPage {
    GalleryPage {
        csrf_token,
        issuer: state.oauth.settings().issuer(),
        entries: gallery::entries()
            .into_iter()
            .map(|entry| EntryView {
                entry,
                report: None,
                problem: None,
            })
            .collect(),
    }
}

/// `GET /errors`.
pub async fn page(
    session: ClientSession,
    state: web::Data<AppState>,
    lab: web::Data<Lab>,
) -> Result<HttpResponse, ClientError> {
    lab.require_on()?;
    let page = gallery_page(&state, session.csrf_token()?);
    Ok(lab::html(StatusCode::OK, "errors.html", &page))
}

/// `POST /errors/{error}`: triggers one error at the provider, shows what came back.
pub async fn trigger(
    error: web::Path<String>,
    form: web::Form<CsrfForm>,
    session: ClientSession,
    state: web::Data<AppState>,
    lab: web::Data<Lab>,
) -> Result<HttpResponse, ClientError> {
    lab.require_on()?;
    session.check_csrf(&form.csrf_token)?;
    lab.count_action(&form.csrf_token)?;
    let entry = gallery::entry(&error).ok_or(ClientError::NotFound)?;
    let context = LabContext {
        oauth: &state.oauth,
        provider: state.oauth.provider().await?,
        lab: &lab,
    };
    let outcome = gallery::trigger(entry.id, &context)
        .await
        .ok_or(ClientError::NotFound)?;
    tracing::info!(
        error = entry.id,
        ok = outcome.is_ok(),
        "gallery error triggered"
    );
    let mut page = gallery_page(&state, session.csrf_token()?);
    if let Some(view) = page
        .entries
        .iter_mut()
        .find(|view| view.entry.id == entry.id)
    {
        match outcome {
            Ok(report) => view.report = Some(report),
            Err(problem) => view.problem = Some(problem.to_string()),
        }
    }
    Ok(lab::html(StatusCode::OK, "errors.html", &page))
}
