//! `GET /lab`, `POST /lab/{attack}`, `GET /errors` and `POST /errors/{error}`: the attack lab
//! and the error gallery (see [`crate::lab`]), one page shape for both.
//!
//! Each page lists a [`Catalogue`]: the lab's cards ([`AttackLab`]), the gallery's errors
//! ([`ErrorGallery`]). Each item's button posts this app's CSRF token to `/lab/{id}` (or
//! `/errors/{id}`), which performs it for real against the provider and answers the same
//! page with that item's result filled in (no JavaScript, no redirect: reloading runs it
//! again).

use std::future::Future;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::error::ClientError;
use crate::lab::cards::{self, AttackReport, Card};
use crate::lab::harness::LabContext;
use crate::lab::{Lab, LabError};
use crate::pages::{Page, html_response};
use crate::routes::errors::ErrorGallery;
use crate::routes::{AppState, CsrfForm};
use crate::session::ClientSession;

/// What `/lab` and `/errors` have in common: a list of items, each run on demand.
pub trait Catalogue {
    /// One item's text: a card, a gallery entry.
    type Item: Serialize;
    /// What running one showed.
    type Report: Serialize;
    /// The page's template in `client/templates/`.
    const TEMPLATE: &'static str;

    /// Every item, in the order of the page.
    fn items() -> Vec<Self::Item>;

    /// The item's path segment: `POST /lab/{id}`, `POST /errors/{id}`.
    fn id(item: &Self::Item) -> &'static str;

    /// Runs the item `id` against the provider. `None` if there is no such item.
    fn run<'c>(
        id: &'c str,
        ctx: &'c LabContext<'c>,
    ) -> impl Future<Output = Option<Result<Self::Report, LabError>>> + 'c;
}

/// The attack lab: [`crate::lab::cards`].
pub struct AttackLab;

impl Catalogue for AttackLab {
    type Item = Card;
    type Report = AttackReport;
    const TEMPLATE: &'static str = "lab.html";

    fn items() -> Vec<Card> {
        cards::cards()
    }

    fn id(card: &Card) -> &'static str {
        card.id
    }

    fn run<'c>(
        id: &'c str,
        ctx: &'c LabContext<'c>,
    ) -> impl Future<Output = Option<Result<AttackReport, LabError>>> + 'c {
        cards::run(id, ctx)
    }
}

/// `/lab` or `/errors`: every item, at most one with a result.
#[derive(Serialize)]
#[serde(bound = "")]
struct LabPage<C: Catalogue> {
    csrf_token: String,
    issuer: String,
    client_id: String,
    items: Vec<ItemView<C>>,
}

/// One item on the page, with the result of its run if it was just run.
#[derive(Serialize)]
#[serde(bound = "")]
struct ItemView<C: Catalogue> {
    item: C::Item,
    report: Option<C::Report>,
    /// Why it could not be run to its end (provider down, an unexpected answer).
    problem: Option<String>,
}

impl<C: Catalogue> Page for LabPage<C> {
    const TEMPLATE: &'static str = C::TEMPLATE;
}

impl<C: Catalogue> LabPage<C> {
    /// The page with nothing run yet.
    fn new(app: &AppState, csrf_token: String) -> Self {
        Self {
            csrf_token,
            issuer: app.oauth.settings().issuer(),
            client_id: app.oauth.settings().client_id.clone(),
            items: C::items()
                .into_iter()
                .map(|item| ItemView {
                    item,
                    report: None,
                    problem: None,
                })
                .collect(),
        }
    }
}

/// Mounts the lab's and the gallery's routes and the lab's state.
pub fn configure(lab: web::Data<Lab>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(lab)
            .route("/lab", web::get().to(page::<AttackLab>))
            .route("/lab/{attack}", web::post().to(run::<AttackLab>))
            .route("/errors", web::get().to(page::<ErrorGallery>))
            .route("/errors/{error}", web::post().to(run::<ErrorGallery>));
    }
}

/// `GET /lab`, `GET /errors`: the catalogue, nothing run.
async fn page<C: Catalogue>(
    session: ClientSession,
    app: web::Data<AppState>,
    lab: web::Data<Lab>,
) -> Result<HttpResponse, ClientError> {
    lab.require_on()?;
    let page = LabPage::<C>::new(&app, session.csrf_token()?);
    Ok(html_response(StatusCode::OK, &page))
}

/// `POST /lab/{attack}`, `POST /errors/{error}`: runs one item against the provider and
/// shows its result. The checks, in order: the lab is on (`LAB`), the form carries this
/// session's CSRF token, the session has actions left (`RATE_LIMIT_LAB_PER_MINUTE`), the
/// item exists.
async fn run<C: Catalogue>(
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
    session: ClientSession,
    app: web::Data<AppState>,
    lab: web::Data<Lab>,
) -> Result<HttpResponse, ClientError> {
    lab.require_on()?;
    session.check_csrf(&form.csrf_token)?;
    lab.count_action(&form.csrf_token)?;
    let id = C::items()
        .iter()
        .map(C::id)
        .find(|known| *known == id.as_str())
        .ok_or(ClientError::NotFound)?;
    let context = LabContext {
        oauth: &app.oauth,
        provider: app.oauth.provider().await?,
        lab: &lab,
    };
    let outcome = C::run(id, &context).await.ok_or(ClientError::NotFound)?;
    tracing::info!(
        page = C::TEMPLATE,
        item = id,
        ok = outcome.is_ok(),
        "lab run"
    );
    let mut page = LabPage::<C>::new(&app, session.csrf_token()?);
    if let Some(view) = page.items.iter_mut().find(|view| C::id(&view.item) == id) {
        match outcome {
            Ok(report) => view.report = Some(report),
            Err(problem) => view.problem = Some(problem.to_string()),
        }
    }
    Ok(html_response(StatusCode::OK, &page))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::cards::Verdict;
    use crate::lab::gallery::GalleryReport;
    use crate::lab::transcript::{LabStep, StepKind};
    use crate::wire::WireRecord;

    impl<C: Catalogue> LabPage<C> {
        fn new_for_test() -> Self {
            let mut page = empty_page::<C>("");
            for view in &mut page.items {
                view.problem = None;
            }
            page
        }
    }

    fn empty_page<C: Catalogue>(problem: &str) -> LabPage<C> {
        LabPage {
            csrf_token: "t".into(),
            issuer: "http://p".into(),
            client_id: "c".into(),
            items: C::items()
                .into_iter()
                .map(|item| ItemView {
                    item,
                    report: None,
                    problem: Some(problem.into()),
                })
                .collect(),
        }
    }

    #[test]
    fn both_pages_render_every_card_and_entry_and_escape_what_they_show() {
        let lab = empty_page::<AttackLab>("<b>down</b>")
            .try_render()
            .unwrap_or_else(|error| panic!("{error:?}"));
        assert!(lab.contains("You are on the CLIENT app"));
        assert!(lab.contains("action=\"/lab/mix-up#mix-up\""));
        assert!(lab.contains("&lt;b&gt;down") && !lab.contains("<b>down"));
        let errors = empty_page::<ErrorGallery>("<b>down</b>")
            .try_render()
            .unwrap_or_else(|error| panic!("{error:?}"));
        assert!(errors.contains("action=\"/errors/rate_limited#rate_limited\""));
        assert!(errors.contains("&lt;b&gt;down") && !errors.contains("<b>down"));
    }

    /// One step of each kind, each with one recorded request.
    fn steps() -> Vec<LabStep> {
        let wire = WireRecord {
            method: "POST".into(),
            url: "http://p/oauth/token".into(),
            request_headers: vec![],
            request_body: "grant_type=authorization_code".into(),
            status: Some(400),
            response_headers: vec![],
            response_body: "{}".into(),
            failure: None,
            curl: "curl -X POST http://p/oauth/token".into(),
        };
        [StepKind::Setup, StepKind::Refused, StepKind::Check]
            .into_iter()
            .map(|kind| LabStep {
                title: format!("a {kind:?} step"),
                kind,
                notes: vec![],
                wires: vec![wire.clone()],
            })
            .collect()
    }

    #[test]
    fn the_lab_numbers_its_steps_and_the_gallery_offers_curl_from_one_template() {
        let mut lab = LabPage::<AttackLab>::new_for_test();
        lab.items[0].report = Some(AttackReport {
            verdict: Verdict {
                refused: true,
                status: Some(400),
                code: Some("invalid_grant".into()),
                description: None,
                summary: "Refused.".into(),
            },
            steps: steps(),
            consequences: vec![],
            naive: None,
        });
        let lab = lab.try_render().unwrap_or_else(|error| panic!("{error:?}"));
        assert!(
            lab.contains("<h4>2. a Refused step <span class=\"kind refused\">refused</span></h4>")
        );
        // The lab opens the attack's records, not the setting up or the checks.
        assert_eq!(lab.matches("<details open>").count(), 1, "{lab}");
        assert!(!lab.contains("Copy as curl"));

        let mut gallery = LabPage::<ErrorGallery>::new_for_test();
        gallery.items[0].report = Some(GalleryReport {
            status: Some(400),
            code: Some("invalid_request".into()),
            description: None,
            www_authenticate: None,
            retry_after: None,
            as_expected: true,
            notes: vec![],
            steps: steps(),
        });
        let gallery = gallery
            .try_render()
            .unwrap_or_else(|error| panic!("{error:?}"));
        assert!(gallery.contains("<h4>a Refused step</h4>"), "{gallery}");
        // The gallery opens every record but the setting up, each with its curl.
        assert_eq!(gallery.matches("<details open>").count(), 2, "{gallery}");
        assert_eq!(gallery.matches("Copy as curl (secrets masked)").count(), 3);
    }
}
