//! Protected resource metadata (RFC 9728 §2, §3), at `/.well-known/oauth-protected-resource`:
//! what a client that knows only this API's URL needs to get a token for it.
//!
//! The path is also in every 401's `WWW-Authenticate` (`resource_metadata`, §5.1), so the
//! discovery path is: 401 → this document → `authorization_servers[0]`'s RFC 8414 metadata
//! → the authorization request, with `resource` = this document's `resource` (RFC 8707).

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::app_state::AppState;
use crate::bearer::SCOPES_SUPPORTED;

/// The document. Field docs in RFC 9728 §2's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtectedResourceMetadata {
    /// REQUIRED. "The protected resource's resource identifier": `API_URL`, the value a
    /// client sends as `resource` and finds in the token's `aud`.
    pub resource: String,
    /// OPTIONAL. Issuer identifiers of the authorization servers that issue tokens for it.
    pub authorization_servers: Vec<String>,
    /// RECOMMENDED. The scopes used in authorization requests for this resource.
    pub scopes_supported: Vec<String>,
    /// OPTIONAL. How a bearer token may be sent: only `header` here (RFC 6750 §2.1).
    pub bearer_methods_supported: Vec<String>,
}

/// GET `/.well-known/oauth-protected-resource` (RFC 9728 §3).
pub async fn protected_resource_metadata(app: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(ProtectedResourceMetadata {
        resource: app.settings.api_url.clone(),
        authorization_servers: vec![app.settings.auth_server.clone()],
        scopes_supported: SCOPES_SUPPORTED.iter().map(|s| (*s).to_owned()).collect(),
        bearer_methods_supported: vec!["header".to_owned()],
    })
}
