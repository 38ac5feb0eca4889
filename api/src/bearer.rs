//! The bearer token on each request (RFC 6750 §2.1) and the answer when it is missing, bad,
//! or short of scope (RFC 6750 §3, with RFC 9728 §5.1's `resource_metadata`).
//!
//! A handler asks for `Authorized<NotesWrite>` and runs only for a valid token carrying
//! `notes:write`. Which kind of token decides how it is checked: a JWT (three dot-separated
//! parts) by [`crate::access_token::validate`] (through [`crate::verified_tokens`], which
//! remembers tokens already verified), anything else by
//! [`crate::introspection::validate`]. Only the `Authorization` header is read: the
//! metadata says `bearer_methods_supported: ["header"]`.
//!
//! Every 401 carries `WWW-Authenticate: Bearer resource_metadata="<API_URL>/.well-known/oauth-protected-resource"`,
//! so a client that knows only this API's URL can find the authorization server (RFC 9728 §5).

use std::marker::PhantomData;
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use futures_util::future::LocalBoxFuture;
use shared::{ErrorBody, ErrorCode};

use crate::access_token::Refused;
use crate::app_state::AppState;
use crate::introspection;

/// Who a valid token speaks for, whichever way it was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The subject: the resource owner (or the client, for `client_credentials`).
    pub sub: String,
    /// The client the token was issued to.
    pub client_id: Option<String>,
    /// The scopes granted.
    pub scopes: Vec<String>,
}

/// The scope a route needs, named as a type.
pub trait RequiredScope {
    const SCOPE: &'static str;
}

/// `notes:read`.
pub struct NotesRead;
/// `notes:write`.
pub struct NotesWrite;

impl RequiredScope for NotesRead {
    const SCOPE: &'static str = "notes:read";
}
impl RequiredScope for NotesWrite {
    const SCOPE: &'static str = "notes:write";
}

/// Every scope this API knows, for its metadata (`scopes_supported`).
pub const SCOPES_SUPPORTED: [&str; 2] = [NotesRead::SCOPE, NotesWrite::SCOPE];

/// A request with a valid access token for this API that carries scope `S`.
pub struct Authorized<S> {
    pub caller: Caller,
    _scope: PhantomData<S>,
}

impl<S: RequiredScope> FromRequest for Authorized<S> {
    type Error = BearerError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let app = req.app_data::<web::Data<AppState>>().cloned();
        let presented = presented_token(req);
        Box::pin(async move {
            let app = app.ok_or_else(|| BearerError::unavailable("the API is not configured"))?;
            let metadata_url = app.settings.resource_metadata_url();
            let challenge = |kind| BearerError {
                kind,
                resource_metadata: metadata_url.clone(),
            };
            let token = presented.map_err(challenge)?;
            let caller = check(&app, &token).await.map_err(|refused| match refused {
                Refused::At(step) => {
                    // Which step, for whoever runs the API; the caller learns only
                    // `invalid_token` (no detail that helps an attacker).
                    tracing::info!(
                        token = %shared::fingerprint(&token),
                        ?step,
                        "refused an access token"
                    );
                    challenge(Kind::InvalidToken)
                }
                Refused::Unavailable(error) => {
                    tracing::warn!(%error, "cannot check a token");
                    BearerError::unavailable("the authorization server is unavailable")
                }
            })?;
            // RFC 6750 §3.1 `insufficient_scope`: "The request requires higher privileges
            // than provided by the access token" — 403 with the scope needed.
            if !caller.scopes.iter().any(|scope| scope == S::SCOPE) {
                return Err(challenge(Kind::InsufficientScope(S::SCOPE)));
            }
            Ok(Authorized {
                caller,
                _scope: PhantomData,
            })
        })
    }
}

/// A JWT is checked here, an opaque token at the issuer.
async fn check(app: &AppState, token: &str) -> Result<Caller, Refused> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let audience = &app.settings.api_url;
    if token.split('.').count() == 3 {
        app.verified_tokens
            .validate(token, &app.authorization_server, audience, now)
            .await
    } else {
        introspection::validate(
            token,
            &app.authorization_server,
            &app.introspection_cache,
            audience,
            now,
        )
        .await
    }
}

/// The token from `Authorization: Bearer <token>` (RFC 6750 §2.1). Another scheme, or no
/// header, "lacks any authentication information": a bare challenge (§3.1).
fn presented_token(req: &HttpRequest) -> Result<String, Kind> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(Kind::Missing)?
        .to_str()
        .map_err(|_| Kind::InvalidRequest("the Authorization header is not ASCII"))?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Kind::Missing);
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(Kind::InvalidRequest(
            "the Bearer scheme needs a token: Authorization: Bearer <token>",
        ));
    }
    Ok(token.to_owned())
}

/// What went wrong, in RFC 6750 §3.1's vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// No token (or another scheme): 401 with a challenge and no `error`.
    Missing,
    /// `invalid_request`: 400.
    InvalidRequest(&'static str),
    /// `invalid_token`: 401.
    InvalidToken,
    /// `insufficient_scope`: 403 with the scope needed.
    InsufficientScope(&'static str),
    /// The issuer could not be asked: 503.
    Unavailable(&'static str),
}

/// An RFC 6750 refusal, carrying where the RFC 9728 metadata is.
#[derive(Debug, Clone)]
pub struct BearerError {
    pub kind: Kind,
    pub resource_metadata: String,
}

impl BearerError {
    fn unavailable(why: &'static str) -> Self {
        Self {
            kind: Kind::Unavailable(why),
            resource_metadata: String::new(),
        }
    }
}

impl std::fmt::Display for BearerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.kind)
    }
}

impl ResponseError for BearerError {
    fn status_code(&self) -> StatusCode {
        match self.kind {
            Kind::Missing | Kind::InvalidToken => StatusCode::UNAUTHORIZED,
            Kind::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            Kind::InsufficientScope(_) => StatusCode::FORBIDDEN,
            Kind::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let metadata = format!("Bearer resource_metadata=\"{}\"", self.resource_metadata);
        let (challenge, body) = match self.kind {
            Kind::Unavailable(why) => {
                return HttpResponse::ServiceUnavailable()
                    .insert_header((header::RETRY_AFTER, "1"))
                    .json(ErrorBody::new(ErrorCode::TemporarilyUnavailable, why));
            }
            Kind::Missing => (
                metadata,
                ErrorBody::new(
                    ErrorCode::InvalidToken,
                    "this resource needs an access token: send Authorization: Bearer <token>",
                ),
            ),
            Kind::InvalidRequest(why) => (
                format!("{metadata}, error=\"invalid_request\""),
                ErrorBody::new(ErrorCode::InvalidRequest, why),
            ),
            Kind::InvalidToken => (
                format!("{metadata}, error=\"invalid_token\""),
                ErrorBody::new(
                    ErrorCode::InvalidToken,
                    "the access token is not valid at this API",
                ),
            ),
            Kind::InsufficientScope(scope) => (
                format!("{metadata}, error=\"insufficient_scope\", scope=\"{scope}\""),
                ErrorBody::new(
                    ErrorCode::InsufficientScope,
                    format!("this resource needs the scope {scope}"),
                ),
            ),
        };
        let mut response = HttpResponse::build(self.status_code()).json(body);
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}
