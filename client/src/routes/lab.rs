//! `GET /lab` and `POST /lab/{attack}`: the attack lab (see [`crate::lab`]).
//!
//! The page lists the cards; each card's button posts this app's CSRF token to
//! `/lab/{attack}`, which performs the attack for real and answers the same page with that
//! card's result filled in (no JavaScript, no redirect: reloading runs it again).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::error::ClientError;
use crate::lab::cards::{self, AttackReport, Card};
use crate::lab::harness::LabContext;
use crate::lab::{self, Lab};
use crate::routes::{AppState, CsrfForm};
use crate::session::ClientSession;

/// `/lab`: every card, at most one with a result.
#[derive(Debug, Serialize)]
struct LabPage {
    csrf_token: String,
    issuer: String,
    client_id: String,
    cards: Vec<CardView>,
}

#[derive(Debug, Serialize)]
struct CardView {
    card: Card,
    report: Option<AttackReport>,
    /// Why the attack could not be run to its end.
    problem: Option<String>,
}

/// Mounts the lab's routes and its state.
pub fn configure(lab: web::Data<Lab>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(lab)
            .route("/lab", web::get().to(page))
            .route("/lab/{attack}", web::post().to(run))
            .route("/errors", web::get().to(super::errors::page))
            .route("/errors/{error}", web::post().to(super::errors::trigger));
    }
}

fn lab_page(state: &AppState, csrf_token: String) -> LabPage {
    LabPage {
        csrf_token,
        issuer: state.oauth.settings().issuer(),
        client_id: state.oauth.settings().client_id.clone(),
        cards: cards::cards()
            .into_iter()
            .map(|card| CardView {
                card,
                report: None,
                problem: None,
            })
            .collect(),
    }
}

/// `GET /lab`.
pub async fn page(
    session: ClientSession,
    state: web::Data<AppState>,
    lab: web::Data<Lab>,
) -> Result<HttpResponse, ClientError> {
    lab.require_on()?;
    let page = lab_page(&state, session.csrf_token()?);
    Ok(lab::html(StatusCode::OK, "lab.html", &page))
}

/// `POST /lab/{attack}`: runs one attack against the provider, shows its card's result.
pub async fn run(
    attack: web::Path<String>,
    form: web::Form<CsrfForm>,
    session: ClientSession,
    state: web::Data<AppState>,
    lab: web::Data<Lab>,
) -> Result<HttpResponse, ClientError> {
    lab.require_on()?;
    session.check_csrf(&form.csrf_token)?;
    lab.count_action(&form.csrf_token)?;
    let card = cards::card(&attack).ok_or(ClientError::NotFound)?;
    let context = LabContext {
        oauth: &state.oauth,
        provider: state.oauth.provider().await?,
        lab: &lab,
    };
    let outcome = cards::run(card.id, &context)
        .await
        .ok_or(ClientError::NotFound)?;
    tracing::info!(attack = card.id, ok = outcome.is_ok(), "lab attack run");
    let mut page = lab_page(&state, session.csrf_token()?);
    if let Some(view) = page.cards.iter_mut().find(|view| view.card.id == card.id) {
        match outcome {
            Ok(report) => view.report = Some(report),
            Err(problem) => view.problem = Some(problem.to_string()),
        }
    }
    Ok(lab::html(StatusCode::OK, "lab.html", &page))
}
