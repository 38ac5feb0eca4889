//! Token revocation, POST `/oauth/revoke` (RFC 7009).
//!
//! The client says it no longer needs a token. Revoking a refresh token ends its whole
//! grant (§2.1: "SHOULD also invalidate all access tokens based on the same authorization
//! grant"); revoking an access token ends just that token. Unknown tokens and unknown
//! `token_type_hint` values get 200 (§2.2: "invalid tokens do not cause an error
//! response"). Another client's token is refused with `unauthorized_client` and left alone
//! (§2.1: the server "verifies whether the token was issued to the client making the
//! revocation request. If this validation fails, the request is refused").

use actix_web::{HttpRequest, HttpResponse, web};
use shared::ErrorCode;

use crate::domain::token::TokenHash;
use crate::error::{TokenError, no_store};
use crate::oauth::token::{client_auth, parse_form};
use crate::state::AppState;
use crate::store::GrantStore;

/// POST `/oauth/revoke`.
pub async fn revoke(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, TokenError> {
    let params = parse_form(&req, &body)?;
    let client = client_auth::authenticate(&req, &params, &state)?;
    let token = params
        .get("token")
        .ok_or_else(|| TokenError::invalid_request("token is required"))?;
    let hash = TokenHash::of(token);
    // The hint only speeds up a lookup (§2.1); one lookup by hash finds either kind here.
    // Retired and expired tokens are found too: a refresh token that a concurrent refresh
    // has just rotated still names its grant, and revoking it must end that grant.
    let Some(known) = state.store.find_known(&hash).await? else {
        return Ok(revoked());
    };
    if *known.client_id != *client.id {
        return Err(TokenError::new(
            ErrorCode::UnauthorizedClient,
            "this token was not issued to the client asking to revoke it",
        ));
    }
    if let Some(record) = state.store.revoke_token(&hash).await? {
        tracing::info!(client_id = %client.id, token = %hash.fingerprint(), kind = record.kind.hint(), "token revoked");
    }
    Ok(revoked())
}

/// 200, the same for a token revoked now and one that was unknown (§2.2).
fn revoked() -> HttpResponse {
    let mut response = HttpResponse::Ok().finish();
    no_store(&mut response);
    response
}
