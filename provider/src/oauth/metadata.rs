//! Authorization server metadata, GET `/.well-known/oauth-authorization-server` (RFC 8414).
//!
//! Everything a client needs to find the endpoints and know what is supported, so the
//! client app can be pointed at another provider by changing its settings only.

use actix_web::{HttpResponse, web};
use shared::metadata::AuthorizationServerMetadata;
use shared::scope::Scope;

use crate::state::AppState;

/// GET `/.well-known/oauth-authorization-server`.
pub async fn metadata(app: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(describe(&app.settings.issuer))
}

/// This server's metadata, every URL built from the issuer.
pub fn describe(issuer: &str) -> AuthorizationServerMetadata {
    let strings = |values: &[&str]| {
        values
            .iter()
            .map(|value| (*value).to_owned())
            .collect::<Vec<_>>()
    };
    let client_auth = strings(&["client_secret_basic", "client_secret_post"]);
    AuthorizationServerMetadata {
        issuer: issuer.to_owned(),
        authorization_endpoint: format!("{issuer}/oauth/authorize"),
        token_endpoint: format!("{issuer}/oauth/token"),
        revocation_endpoint: Some(format!("{issuer}/oauth/revoke")),
        introspection_endpoint: Some(format!("{issuer}/oauth/introspect")),
        scopes_supported: Scope::ALL
            .iter()
            .map(|scope| scope.as_str().to_owned())
            .collect(),
        response_types_supported: strings(&["code"]),
        grant_types_supported: strings(&[
            "authorization_code",
            "refresh_token",
            "client_credentials",
        ]),
        code_challenge_methods_supported: strings(&["S256"]),
        token_endpoint_auth_methods_supported: strings(&[
            "client_secret_basic",
            "client_secret_post",
            "none",
        ]),
        revocation_endpoint_auth_methods_supported: strings(&[
            "client_secret_basic",
            "client_secret_post",
            "none",
        ]),
        introspection_endpoint_auth_methods_supported: client_auth,
        authorization_response_iss_parameter_supported: true,
        service_documentation: None,
    }
}
