//! The oauth2-server article's resources: GET `/protected` and `/resource` (any valid
//! access token) and GET `/public` (no token).

use actix_web::{HttpResponse, web};
use shared::demo::{ProtectedResource, PublicResource};

use crate::api::bearer::{AnyScope, Authorized};
use crate::state::AppState;

/// GET `/protected` and `/resource`.
pub async fn protected(auth: Authorized<AnyScope>, app: web::Data<AppState>) -> HttpResponse {
    let accessed_by = match auth.user_id() {
        Some(id) if **id == *app.user.id => app.user.username.clone(),
        Some(id) => id.to_string(),
        None => auth.token.client_id.to_string(),
    };
    HttpResponse::Ok().json(ProtectedResource {
        message: "This is a protected resource: your access token was accepted.".into(),
        accessed_by,
    })
}

/// GET `/public`.
pub async fn public() -> HttpResponse {
    HttpResponse::Ok().json(PublicResource {
        message: "This is a public resource: no token needed.".into(),
    })
}
