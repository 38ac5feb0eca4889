//! The UserInfo endpoint, GET and POST `/userinfo` (OpenID Connect Core 1.0 §5.3).
//!
//! "The UserInfo Endpoint is an OAuth 2.0 Protected Resource that returns Claims about the
//! authenticated End-User" (§5.3). It is called with an access token, like any API, and
//! answers only for one that carries `openid`: `sub` always, and the claims of the granted
//! scopes (§5.4): `profile` → `name`, `preferred_username`; `email` → `email`,
//! `email_verified`. The `sub` is the ID token's, so a Relying Party checks the two match
//! (§5.3.2: "the sub Claim in the UserInfo Response MUST be verified to exactly match the
//! sub Claim in the ID Token"). Errors are RFC 6750's (§5.3.3), from [`crate::api::bearer`]:
//! no token 401, a bad one 401 `invalid_token`, one without `openid` 403
//! `insufficient_scope`.

use actix_web::{HttpResponse, web};
use serde_json::{Map, Value};
use shared::scope::Scope;

use crate::api::bearer::{Authorized, OpenId};
use crate::domain::user::DemoUser;
use crate::error::BearerError;
use crate::state::AppState;

/// Where UserInfo is served; `userinfo_endpoint` is the issuer plus this.
pub const USERINFO_PATH: &str = "/userinfo";

/// GET or POST `/userinfo` (§5.3.1: "The Client sends the UserInfo Request using either
/// HTTP GET or HTTP POST"), the token in `Authorization: Bearer`.
pub async fn userinfo(
    auth: Authorized<OpenId>,
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
    let claims = claims_for(&app.user, |scope| auth.token.scopes.contains(scope));
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(claims))
}

/// The user's claims that the granted scopes allow (Core §5.4).
fn claims_for(user: &DemoUser, granted: impl Fn(Scope) -> bool) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("sub".into(), user.id.clone().into());
    if granted(Scope::Profile) {
        claims.insert("name".into(), user.display_name.clone().into());
        claims.insert("preferred_username".into(), user.username.clone().into());
    }
    if granted(Scope::Email) {
        claims.insert("email".into(), user.email.clone().into());
        // Core §5.1: "true if the End-User's e-mail address has been verified". This
        // provider never sent a mail to the demo address, so it does not claim it did.
        claims.insert("email_verified".into(), false.into());
    }
    claims
}
