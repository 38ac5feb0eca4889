//! Token introspection, POST `/oauth/introspect` (RFC 7662).
//!
//! A resource server (here: any confidential client) asks whether a token is active and
//! what it allows. §2.1 requires the caller to be authorized, so public clients, which
//! cannot authenticate, are refused. An inactive token gets only `{"active": false}`.
//!
//! An active token's answer names its audience, `aud` (§2.2; RFC 8707): the issuer for a
//! token of the provider's own API, `API_URL` for one of the notes API, so a resource
//! server can tell a token meant for it from one meant elsewhere. JWT access tokens are
//! answered like opaque ones (the store keeps their hash): a revoked JWT is `active: false`
//! here while its signature still verifies, which is why a resource server that must
//! honour revocation at once asks here instead of only checking the JWT.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
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
    let answer: Answer = match app
        .store
        .find_active(&TokenHash::of(token), app.clock.now_millis())
        .await?
    {
        None => IntrospectionResponse::inactive().into(),
        Some(record) => {
            let aud = app
                .settings
                .resource_servers()
                .identifier(record.audience)
                .to_owned();
            let username = record
                .user_id
                .as_deref()
                .filter(|id| *id == app.user.id)
                .map(|_| app.user.username.clone());
            let response = IntrospectionResponse {
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
            };
            Answer {
                response,
                aud: Some(aud),
            }
        }
    };
    let mut response = HttpResponse::Ok().json(answer);
    no_store(&mut response);
    Ok(response)
}

/// The §2.2 answer with the token's `aud` (absent for an inactive token: §2.2 says
/// nothing more about one).
#[derive(Serialize)]
struct Answer {
    #[serde(flatten)]
    response: IntrospectionResponse,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<String>,
}

impl From<IntrospectionResponse> for Answer {
    fn from(response: IntrospectionResponse) -> Self {
        Answer {
            response,
            aud: None,
        }
    }
}
