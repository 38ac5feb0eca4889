//! GET `/api/auth/me` (scope `profile:read`): who the token's resource owner is.

use actix_web::{HttpResponse, web};

use crate::api::bearer::{Authorized, ProfileRead};
use crate::error::BearerError;
use crate::state::AppState;

/// GET `/api/auth/me`.
pub async fn me(
    auth: Authorized<ProfileRead>,
    app: web::Data<AppState>,
) -> Result<HttpResponse, BearerError> {
    let user_id = auth.user_id().ok_or(BearerError::InvalidToken(
        "this token was issued to a client for itself (client_credentials): it has no user",
    ))?;
    if **user_id != *app.user.id {
        return Err(BearerError::InvalidToken(
            "the token's user no longer exists",
        ));
    }
    Ok(HttpResponse::Ok().json(app.user.profile()))
}
