//! Bearer token extraction and scope checks (RFC 6750 §2 and §3).
//!
//! A handler asks for `Authorized<TeamsWrite>` and runs only for an active token carrying
//! that scope. The token comes from `Authorization: Bearer` (§2.1). From the query string
//! (§2.3) only with `ALLOW_BEARER_IN_QUERY=true`: URLs are logged by servers and proxies,
//! kept in browser history and sent in `Referer`, so a token there leaks (§5.3, RFC 9700 §4.3.2).
//!
//! The checks, in order: the token is (1) an active access token in the store, (2) for
//! this resource server, the provider's own API (RFC 8707: "a token is valid only at the
//! resource it was issued for"; a token issued for the notes API at `API_URL` is refused
//! here, as the notes API refuses ours), (3) carrying the needed scope.

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use shared::scope::Scope;

use crate::domain::grant::{Audience, TokenRecord, UserId};
use crate::domain::token::TokenHash;
use crate::error::BearerError;
use crate::oauth::params::Params;
use crate::state::AppState;
use crate::store::GrantStore;

/// The scope a handler needs, named as a type.
pub trait RequiredScope {
    /// `None`: any valid access token will do.
    const SCOPE: Option<Scope>;
}

/// `profile:read`.
pub struct ProfileRead;
/// `teams:read`.
pub struct TeamsRead;
/// `teams:write`.
pub struct TeamsWrite;
/// `openid`: the UserInfo endpoint (OpenID Connect Core §5.3).
pub struct OpenId;
/// Any active access token.
pub struct AnyScope;

impl RequiredScope for ProfileRead {
    const SCOPE: Option<Scope> = Some(Scope::ProfileRead);
}
impl RequiredScope for TeamsRead {
    const SCOPE: Option<Scope> = Some(Scope::TeamsRead);
}
impl RequiredScope for TeamsWrite {
    const SCOPE: Option<Scope> = Some(Scope::TeamsWrite);
}
impl RequiredScope for OpenId {
    const SCOPE: Option<Scope> = Some(Scope::OpenId);
}
impl RequiredScope for AnyScope {
    const SCOPE: Option<Scope> = None;
}

/// A request carrying an active access token with scope `S`.
pub struct Authorized<S> {
    pub token: TokenRecord,
    _scope: PhantomData<S>,
}

impl<S> Authorized<S> {
    /// The resource owner's id, or `None` for a client acting for itself.
    pub fn user_id(&self) -> Option<&UserId> {
        self.token.user_id.as_ref()
    }
}

impl<S: RequiredScope> FromRequest for Authorized<S> {
    type Error = BearerError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // What the lookup needs is taken from the request now; the store is asked later.
        let presented = req
            .app_data::<web::Data<AppState>>()
            .cloned()
            .ok_or(BearerError::InvalidToken(
                "the resource server is not configured",
            ))
            .and_then(|app| {
                presented_token(req, app.settings.allow_bearer_in_query).map(|token| (app, token))
            });
        Box::pin(async move {
            let (app, token) = presented?;
            authorize::<S>(&app, &token).await
        })
    }
}

async fn authorize<S: RequiredScope>(
    app: &AppState,
    token: &str,
) -> Result<Authorized<S>, BearerError> {
    // 1. An active access token.
    let record = app
        .store
        .find_active(&TokenHash::of(token), app.clock.now_millis())
        .await?
        .filter(|record| record.kind == crate::domain::grant::TokenKind::Access)
        .ok_or(BearerError::InvalidToken(
            "the access token is expired, revoked or unknown",
        ))?;
    // 2. For this resource server.
    if record.audience != Audience::Provider {
        return Err(BearerError::InvalidToken(
            "the access token was issued for another resource server (RFC 8707)",
        ));
    }
    // 3. With the scope.
    if let Some(scope) = S::SCOPE
        && !record.scopes.contains(scope)
    {
        return Err(BearerError::InsufficientScope(scope.as_str()));
    }
    Ok(Authorized {
        token: record,
        _scope: PhantomData,
    })
}

/// The token from the `Authorization` header, or (when allowed) the `access_token` query
/// parameter. Both at once is `invalid_request` (§2: "MUST NOT use more than one method").
///
/// A header of another scheme (`Basic …`) or a query token while those are off is not a
/// *bad* bearer token: the request simply "lacks any authentication information" this
/// resource accepts, so §3.1 asks for a bare 401 challenge, which tells the caller which
/// scheme to use, rather than a 400.
fn presented_token(req: &HttpRequest, allow_query: bool) -> Result<String, BearerError> {
    const NEEDS_A_TOKEN: &str =
        "this resource needs an access token: send Authorization: Bearer <token>";
    let from_header = match req.headers().get(header::AUTHORIZATION) {
        None => None,
        Some(value) => {
            let value = value.to_str().map_err(|_| {
                BearerError::InvalidRequest("the Authorization header is not ASCII")
            })?;
            let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
            if !scheme.eq_ignore_ascii_case("bearer") {
                return Err(BearerError::Missing(
                    "this resource accepts only the Bearer scheme: send Authorization: Bearer <token>",
                ));
            }
            let token = token.trim();
            if token.is_empty() {
                return Err(BearerError::InvalidRequest(
                    "the Bearer scheme needs a token: Authorization: Bearer <token>",
                ));
            }
            Some(token.to_owned())
        }
    };
    let query = Params::parse(req.query_string().as_bytes());
    let from_query = query.get("access_token").map(str::to_owned);
    match (from_header, from_query) {
        (Some(_), Some(_)) => Err(BearerError::InvalidRequest(
            "the token was sent twice (header and query): use one method",
        )),
        (Some(token), None) => Ok(token),
        (None, Some(_)) if !allow_query => Err(BearerError::Missing(
            "access_token in the query string is disabled (ALLOW_BEARER_IN_QUERY=false): URLs leak into logs, history and Referer; send Authorization: Bearer <token>",
        )),
        (None, Some(_)) if query.is_repeated("access_token") => Err(BearerError::InvalidRequest(
            "access_token was sent more than once",
        )),
        (None, Some(token)) => Ok(token),
        (None, None) => Err(BearerError::Missing(NEEDS_A_TOKEN)),
    }
}
