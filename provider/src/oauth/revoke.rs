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
use shared::TokenErrorCode;

use crate::domain::grant::TokenKind;
use crate::domain::token::TokenHash;
use crate::error::{TokenError, no_store};
use crate::oauth::token::{authenticated_form, refresh_token, token_parameter};
use crate::state::AppState;
use crate::store::GrantStore;

/// POST `/oauth/revoke`.
pub async fn revoke(
    req: HttpRequest,
    body: web::Bytes,
    app: web::Data<AppState>,
) -> Result<HttpResponse, TokenError> {
    let (params, client) = authenticated_form(&req, &body, &app)?;
    let token = token_parameter(&params)?;
    let hash = TokenHash::of(token);
    // The hint only speeds up a lookup (§2.1); one lookup by hash finds either kind here,
    // expired ones too.
    let Some(known) = app.store.find_known(&hash).await? else {
        // A retired refresh token (one a concurrent refresh has just rotated, say) is no
        // longer held by hash, but still names its grant: revoking it must end that grant,
        // or the new pair would outlive the client's "I am done with this grant".
        if let Some((_, family)) = refresh_token::recognise(&app, token).await? {
            if *family.client_id != *client.id {
                return Err(not_yours());
            }
            app.store.revoke_grant(&family.grant_id).await?;
            tracing::info!(client_id = %client.id, token = %hash.fingerprint(), kind = "refresh_token", "retired token revoked with its grant");
        }
        return Ok(revoked());
    };
    if *known.client_id != *client.id {
        return Err(not_yours());
    }
    match (known.kind, &known.grant_id) {
        // By its grant, not by its hash: a rotation may retire this very token between the
        // lookup above and now, and its grant, new pair included, must end all the same.
        (TokenKind::Refresh, Some(grant_id)) => app.store.revoke_grant(grant_id).await?,
        _ => {
            app.store.revoke_token(&hash).await?;
        }
    }
    tracing::info!(client_id = %client.id, token = %hash.fingerprint(), kind = known.kind.hint(), "token revoked");
    Ok(revoked())
}

/// §2.1: the token was issued to another client; it is left alone.
fn not_yours() -> TokenError {
    TokenError::new(
        TokenErrorCode::UnauthorizedClient,
        "this token was not issued to the client asking to revoke it",
    )
}

/// 200, the same for a token revoked now and one that was unknown (§2.2).
fn revoked() -> HttpResponse {
    let mut response = HttpResponse::Ok().finish();
    no_store(&mut response);
    response
}
