//! `GET /flow`: the flow inspector, every step of this browser's most recent flow.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use crate::error::ClientError;
use crate::flow;
use crate::pages::{FlowPage, html_response};
use crate::routes::AppState;
use crate::session::ClientSession;

/// `GET /flow`: shows the recorded steps (already masked when recorded).
pub async fn flow(
    session: ClientSession,
    app: web::Data<AppState>,
) -> Result<HttpResponse, ClientError> {
    let (login_steps, dropped, later_steps) = session
        .browser(&app.vault)?
        .map(|browser| browser.flow_snapshot())
        .unwrap_or_default();
    let settings = app.oauth.settings();
    let page = FlowPage {
        discovery: app
            .oauth
            .discovered()
            .map(|provider| flow::discovery_step(&provider)),
        login_steps,
        dropped,
        later_steps,
        client_id: settings.client_id.clone(),
        redirect_uri: settings.redirect_uri.to_string(),
    };
    Ok(html_response(StatusCode::OK, &page))
}
