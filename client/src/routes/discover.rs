//! `GET /discover`: start from the API alone (RFC 9728 §5). Thin: runs
//! [`crate::resource_discovery::discover_from_api`] and shows each hop, numbered.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use crate::flow;
use crate::pages::{DiscoverPage, DiscoveredView, DiscoveryHopView, html_response};
use crate::resource_discovery::{Hop, discover_from_api};
use crate::routes::AppState;
use crate::session::ClientSession;

/// Also records the hops as numbered steps of this browser's flow inspector, when it has
/// a session (an anonymous visit keeps nothing).
pub async fn discover(session: ClientSession, app: web::Data<AppState>) -> HttpResponse {
    let settings = app.oauth.settings();
    let found = discover_from_api(app.oauth.http(), &settings.api_url).await;
    if let Ok(Some(browser)) = session.browser(&app.vault) {
        browser.record(flow::resource_discovery_steps(&found));
    }
    let hops = Hop::ALL
        .iter()
        .zip(found.wire)
        .map(|(hop, wire)| DiscoveryHopView {
            title: hop.title().to_owned(),
            wire,
        })
        .collect();
    let configured_issuer = settings.issuer();
    let mut page = DiscoverPage {
        api_url: settings.api_url.clone(),
        hops,
        problem: None,
        problem_step: 0,
        discovered: None,
        same_as_configured: false,
        configured_issuer,
    };
    match found.result {
        Ok(discovered) => {
            page.same_as_configured = discovered.issuer == page.configured_issuer;
            page.discovered = Some(DiscoveredView {
                issuer: discovered.issuer,
                resource: discovered.resource,
                scopes_supported: discovered.scopes_supported,
                authorization_endpoint: discovered.authorization_endpoint,
                token_endpoint: discovered.token_endpoint,
            });
        }
        Err((hop, problem)) => {
            page.problem_step = Hop::ALL.iter().position(|h| *h == hop).unwrap_or(0) + 1;
            page.problem = Some(problem);
        }
    }
    html_response(StatusCode::OK, &page)
}
