//! `GET /spa` and `GET <PUBLIC_REDIRECT_URI's path>` (`/spa/callback`): the same
//! authorization code flow, done by JavaScript in the browser as a *public client*
//! (RFC 6749 §2.1), beside the server-side one of `/login` and `/callback`.
//!
//! This server only serves the page: the script (`static/spa.js`) makes the PKCE pair
//! (RFC 7636 §4.1–4.2), sends the browser to the authorization endpoint, checks `state` and
//! `iss` at the callback (RFC 6749 §10.12, RFC 9207), and calls the token endpoint, the API
//! and the revocation endpoint itself, through CORS. What the script needs to know (the
//! discovered endpoints, the public client's id and redirect URI) comes from here, as
//! `data-` attributes, so nothing about the provider is hard-coded in JavaScript. The page's
//! Content-Security-Policy lets it connect to exactly the provider's origins.
//!
//! The trade-offs the page explains are those of RFC 9700 §2.1.1 and the OAuth 2.0 for
//! Browser-Based Apps draft (draft-ietf-oauth-browser-based-apps), §6.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::config::NOTES_SCOPES;
use crate::error::ClientError;
use crate::middleware::spa_content_security_policy;
use crate::pages::{Page, html_response};
use crate::routes::AppState;

/// `/spa`: what the browser-side client needs to run the flow, and what the page compares.
#[derive(Debug, Clone, Serialize)]
pub struct SpaPage {
    /// The issuer every `iss` must match (RFC 9207 §2.4).
    pub issuer: String,
    /// Whether the provider promised `iss` (RFC 9207 §3), so a response without it is refused.
    pub iss_required: bool,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    /// `None` when the provider publishes no revocation endpoint.
    pub revocation_endpoint: Option<String>,
    /// `GET /api/auth/me` at the provider (scope `profile:read`).
    pub profile_endpoint: String,
    /// The public client (`PUBLIC_CLIENT_ID`).
    pub client_id: String,
    /// `PUBLIC_REDIRECT_URI`.
    pub redirect_uri: String,
    /// The scopes asked for, space-separated (`SCOPES`, as `/login` asks).
    pub scope: String,
    /// The confidential client of `/login`, for the comparison.
    pub confidential_client_id: String,
    pub confidential_redirect_uri: String,
}

impl Page for SpaPage {
    const TEMPLATE: &'static str = "spa.html";
}

impl SpaPage {
    /// The origins the script calls: token, revocation and API endpoints, each once.
    pub fn provider_origins(&self) -> Vec<String> {
        let mut origins: Vec<String> = Vec::new();
        let urls = [
            Some(&self.token_endpoint),
            self.revocation_endpoint.as_ref(),
            Some(&self.profile_endpoint),
        ];
        for url in urls.into_iter().flatten() {
            if let Ok(url) = url::Url::parse(url) {
                let origin = url.origin().ascii_serialization();
                if !origins.contains(&origin) {
                    origins.push(origin);
                }
            }
        }
        origins
    }
}

/// Mounts `/spa`, the public client's redirect URI path (`PUBLIC_REDIRECT_URI`), and the
/// script.
pub fn configure(public_callback_path: String) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.route("/spa", web::get().to(spa))
            .route(&public_callback_path, web::get().to(spa))
            .route(
                "/static/spa.js",
                web::get().to(super::static_files::spa_script),
            );
    }
}

/// `GET /spa` and `GET /spa/callback`: the page, whose script does the rest. Discovery runs
/// here (server-side, once) so the endpoints are the same ones `/login` uses.
pub async fn spa(app: web::Data<AppState>) -> Result<HttpResponse, ClientError> {
    let provider = app.oauth.provider().await?;
    let settings = app.oauth.settings();
    let endpoints = &provider.endpoints;
    let page = SpaPage {
        issuer: endpoints.issuer.clone(),
        iss_required: endpoints.iss_parameter_supported,
        authorization_endpoint: endpoints.authorization.clone(),
        token_endpoint: endpoints.token.clone(),
        revocation_endpoint: endpoints.revocation.clone(),
        profile_endpoint: settings.provider_url("/api/auth/me"),
        client_id: settings.public_client_id.clone(),
        redirect_uri: settings.public_redirect_uri.to_string(),
        // The public client calls the provider's own API only: no notes API scopes.
        scope: settings
            .scopes
            .iter()
            .filter(|scope| !NOTES_SCOPES.contains(&scope.as_str()))
            .cloned()
            .collect::<Vec<_>>()
            .join(" "),
        confidential_client_id: settings.client_id.clone(),
        confidential_redirect_uri: settings.redirect_uri.to_string(),
    };
    let policy = spa_content_security_policy(&page.provider_origins());
    let mut response = html_response(StatusCode::OK, &page);
    let policy = HeaderValue::from_str(&policy).map_err(|_| ClientError::ProviderBroken {
        url: endpoints.token.clone(),
        detail: "an endpoint's origin cannot be written in a Content-Security-Policy".into(),
    })?;
    response
        .headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, policy);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> SpaPage {
        SpaPage {
            issuer: "http://p".into(),
            iss_required: true,
            authorization_endpoint: "http://p/oauth/authorize".into(),
            token_endpoint: "http://p/oauth/token".into(),
            revocation_endpoint: Some("https://revoke.example:8443/r".into()),
            profile_endpoint: "http://p/api/auth/me".into(),
            client_id: "spa-client".into(),
            redirect_uri: "http://c/spa/callback".into(),
            scope: "profile:read".into(),
            confidential_client_id: "testclient".into(),
            confidential_redirect_uri: "http://c/callback".into(),
        }
    }

    #[test]
    fn the_page_renders_its_config_as_data_attributes_and_loads_its_script() {
        let html = page()
            .try_render()
            .unwrap_or_else(|error| panic!("{error:?}"));
        assert!(html.contains("data-token-endpoint=\"http:&#x2F;&#x2F;p&#x2F;oauth&#x2F;token\""));
        assert!(html.contains("data-client-id=\"spa-client\""));
        assert!(html.contains("<script src=\"/static/spa.js\""));
        assert!(html.contains("You are on the CLIENT app"));
    }

    #[test]
    fn connect_src_lists_each_provider_origin_once() {
        assert_eq!(
            page().provider_origins(),
            ["http://p", "https://revoke.example:8443"]
        );
    }
}
