//! Token introspection, POST `/oauth/introspect` (RFC 7662).
//!
//! A resource server (here: any confidential client) asks whether a token is active and
//! what it allows. §2.1 requires the caller to be authorized, so public clients, which
//! cannot authenticate, are refused. An inactive token gets only `{"active": false}`.

use actix_web::{HttpRequest, HttpResponse, web};
use shared::introspection::IntrospectionResponse;

use crate::domain::client::ClientKind;
use crate::domain::token::TokenHash;
use crate::error::{TokenError, no_store};
use crate::oauth::token::{authenticated_form, token_parameter};
use crate::state::AppState;
use crate::store::GrantStore;

/// POST `/oauth/introspect`.
pub async fn introspect(
    req: HttpRequest,
    body: web::Bytes,
    app: web::Data<AppState>,
) -> Result<HttpResponse, TokenError> {
    let (params, client) = authenticated_form(&req, &body, &app)?;
    if client.kind == ClientKind::Public {
        return Err(TokenError::invalid_client(
            "introspection needs an authenticated (confidential) client",
        ));
    }
    let token = token_parameter(&params)?;
    let answer = match app
        .store
        .find_active(&TokenHash::of(token), app.clock.now_millis())
        .await?
    {
        None => IntrospectionResponse::inactive(),
        Some(record) => {
            let username = record
                .user_id
                .as_deref()
                .filter(|id| *id == app.user.id)
                .map(|_| app.user.username.clone());
            IntrospectionResponse {
                active: true,
                scope: Some(record.scopes.to_wire()),
                client_id: Some(record.client_id.to_string()),
                username,
                token_type: Some(record.kind.hint().to_owned()),
                exp: Some(record.expires_at / 1000),
                iat: Some(record.issued_at / 1000),
                sub: Some(
                    record
                        .user_id
                        .as_deref()
                        .unwrap_or(&record.client_id)
                        .to_owned(),
                ),
                iss: Some(app.settings.issuer.clone()),
            }
        }
    };
    let mut response = HttpResponse::Ok().json(answer);
    no_store(&mut response);
    Ok(response)
}
