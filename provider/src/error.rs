//! Errors, one type per way the RFCs deliver them, each with its own code type from
//! `shared::error`, so a code cannot reach a channel that does not define it.
//!
//! - [`AuthorizeError`]: the authorization endpoint (RFC 6749 §4.1.2.1): an error page when
//!   the redirect URI cannot be trusted, otherwise a redirect back to the client with an
//!   [`AuthorizationErrorCode`].
//! - [`TokenError`]: JSON at the token, revocation and introspection endpoints (§5.2), a
//!   [`TokenErrorCode`].
//! - [`BearerError`]: the resource server's `WWW-Authenticate: Bearer` challenge (RFC 6750
//!   §3), a [`BearerErrorCode`].
//! - [`ApiError`]: the team API's own 400/403/404/409 JSON bodies, an [`ApiErrorCode`].
//! - [`PageError`]: friendly HTML for the browser pages.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use shared::error::Description;
use shared::{ApiErrorCode, AuthorizationErrorCode, BearerErrorCode, ErrorBody, TokenErrorCode};

use crate::domain::client::VerifiedRedirectUri;
use crate::store::StoreError;
use crate::web::pages::ErrorPage;

/// The realm named in `WWW-Authenticate` challenges.
pub const REALM: &str = "oauth-flow-rs";

/// An error at `/oauth/authorize`.
#[derive(Debug, thiserror::Error)]
pub enum AuthorizeError {
    /// RFC 6749 §4.1.2.1: "If the request fails due to a missing, invalid, or mismatching
    /// redirection URI, or if the client identifier is missing or invalid, the authorization
    /// server SHOULD inform the resource owner of the error and MUST NOT automatically
    /// redirect the user-agent to the invalid redirection URI."
    #[error("cannot redirect: {0}")]
    CannotRedirect(String),
    /// Every other error goes back to the client, by redirect.
    #[error("{}", .0.error)]
    Redirect(ErrorRedirect),
}

/// An error response sent to a verified redirect URI. It can only be built from a
/// [`VerifiedRedirectUri`], so sending an error to an unregistered URI cannot be written.
#[derive(Debug)]
pub struct ErrorRedirect {
    pub redirect_uri: VerifiedRedirectUri,
    /// Only §4.1.2.1's codes can be sent this way.
    pub error: AuthorizationErrorCode,
    pub description: String,
    pub state: Option<String>,
    pub issuer: String,
}

impl ErrorRedirect {
    /// The `Location`: the redirect URI plus `error`, `error_description`, `state` (exactly
    /// as sent) and `iss` (RFC 9207).
    pub fn location(&self) -> String {
        redirect_location(
            &self.redirect_uri,
            &[
                ("error", Some(self.error.as_str())),
                (
                    "error_description",
                    Some(Description::new(&self.description).as_str()),
                ),
                ("state", self.state.as_deref()),
                ("iss", Some(&self.issuer)),
            ],
        )
    }
}

/// Appends `params` to a verified redirect URI, keeping any query it already has
/// (RFC 6749 §3.1.2: "MUST retain the query component when adding additional parameters").
pub fn redirect_location(
    redirect_uri: &VerifiedRedirectUri,
    params: &[(&str, Option<&str>)],
) -> String {
    let mut encoder = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        if let Some(value) = value {
            encoder.append_pair(name, value);
        }
    }
    let mut url = redirect_uri.as_str().to_owned();
    url.push(if url.contains('?') { '&' } else { '?' });
    url.push_str(&encoder.finish());
    url
}

/// A `303 See Other` to `location`. 303 rather than 302 after a POST, so the browser
/// never re-sends the form (credentials included) to the client (RFC 9700 §4.12).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

impl ResponseError for AuthorizeError {
    fn status_code(&self) -> StatusCode {
        match self {
            AuthorizeError::CannotRedirect(_) => StatusCode::BAD_REQUEST,
            AuthorizeError::Redirect(_) => StatusCode::SEE_OTHER,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AuthorizeError::CannotRedirect(reason) => ErrorPage::new(
                StatusCode::BAD_REQUEST,
                "This sign-in request cannot be trusted",
                reason,
            )
            .into_response(),
            AuthorizeError::Redirect(redirect) => see_other(&redirect.location()),
        }
    }
}

/// An error at the token, revocation or introspection endpoint (RFC 6749 §5.2).
#[derive(Debug, thiserror::Error)]
#[error("{code}: {description}")]
pub struct TokenError {
    pub code: TokenErrorCode,
    pub description: String,
    /// Seconds for `Retry-After` (only with `rate_limited`, 429).
    pub retry_after: Option<u64>,
}

impl TokenError {
    pub fn new(code: TokenErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            // Only RFC 6749 §5.2's characters, in the body and in the logs alike.
            description: Description::new(&description.into()).into_string(),
            retry_after: None,
        }
    }

    /// 429 with `Retry-After` (RFC 6585 §4): over a client-authentication rate limit.
    pub fn rate_limited(seconds: u64) -> Self {
        Self {
            retry_after: Some(seconds),
            ..Self::new(
                TokenErrorCode::RateLimited,
                format!(
                    "too many requests from this client or address; retry after {seconds} seconds"
                ),
            )
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(TokenErrorCode::InvalidRequest, description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(TokenErrorCode::InvalidGrant, description)
    }

    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(TokenErrorCode::InvalidClient, description)
    }
}

/// The store failed (Redis unreachable, say): 503 `temporarily_unavailable`, the error
/// chain logged, nothing of it sent to the client.
impl From<StoreError> for TokenError {
    fn from(error: StoreError) -> Self {
        tracing::error!(error = %error, "the store failed");
        TokenError::new(
            TokenErrorCode::TemporarilyUnavailable,
            "the token store is unavailable; try again shortly",
        )
    }
}

/// `Cache-Control: no-store` and `Pragma: no-cache`: RFC 6749 §5.1 for every response that
/// carries tokens, and used for their errors too.
pub fn no_store(response: &mut HttpResponse) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

impl ResponseError for TokenError {
    fn status_code(&self) -> StatusCode {
        match self.code {
            // §5.2: "401 (Unauthorized) ... to indicate which HTTP authentication schemes
            // are supported".
            TokenErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
            TokenErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            TokenErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            TokenErrorCode::InvalidRequest
            | TokenErrorCode::InvalidGrant
            | TokenErrorCode::UnauthorizedClient
            | TokenErrorCode::UnsupportedGrantType
            | TokenErrorCode::InvalidScope
            | TokenErrorCode::InvalidTarget
            | TokenErrorCode::UnsupportedTokenType => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code())
            .json(ErrorBody::new(self.code, self.description.clone()));
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.code == TokenErrorCode::InvalidClient {
            let challenge = format!("Basic realm=\"{REALM}\"");
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, value);
            }
        }
        no_store(&mut response);
        response
    }
}

/// A refusal at a protected resource (RFC 6750 §3.1).
#[derive(Debug, thiserror::Error)]
pub enum BearerError {
    /// The request "lacks any authentication information" for this resource (§3.1): no
    /// token at all, an `Authorization` header of another scheme (`Basic`, say), or a
    /// query-string token while those are off. 401 with a bare challenge, no `error` (§3.1:
    /// "the resource server SHOULD NOT include an error code"); the body says which.
    #[error("no access token: {0}")]
    Missing(&'static str),
    /// Expired, revoked, malformed or unknown token: 401 `invalid_token`.
    #[error("invalid_token: {0}")]
    InvalidToken(&'static str),
    /// Malformed request (two ways of sending the token at once, a repeated one): 400.
    #[error("invalid_request: {0}")]
    InvalidRequest(&'static str),
    /// The token lacks the scope: 403 `insufficient_scope` naming the scope needed.
    #[error("insufficient_scope: needs {0}")]
    InsufficientScope(&'static str),
    /// The token store could not answer: 503, so the client retries rather than treating
    /// a good token as revoked.
    #[error("the token store is unavailable")]
    Unavailable,
}

impl From<StoreError> for BearerError {
    fn from(error: StoreError) -> Self {
        tracing::error!(error = %error, "the store failed");
        BearerError::Unavailable
    }
}

impl From<StoreError> for PageError {
    fn from(error: StoreError) -> Self {
        PageError::Internal(anyhow::Error::new(error))
    }
}

impl ResponseError for BearerError {
    fn status_code(&self) -> StatusCode {
        match self {
            BearerError::Missing(_) | BearerError::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            BearerError::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            BearerError::InsufficientScope(_) => StatusCode::FORBIDDEN,
            BearerError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (challenge, body) = match self {
            BearerError::Unavailable => {
                return HttpResponse::ServiceUnavailable()
                    .insert_header((header::RETRY_AFTER, "1"))
                    .json(ErrorBody::new(
                        ApiErrorCode::TemporarilyUnavailable,
                        "the token store is unavailable; try again shortly",
                    ));
            }
            // §3.1: no `error` in the challenge when the request had no token at all.
            BearerError::Missing(why) => (
                format!("Bearer realm=\"{REALM}\""),
                ErrorBody::new(BearerErrorCode::InvalidToken, *why),
            ),
            BearerError::InvalidToken(why) => {
                bearer_challenge(BearerErrorCode::InvalidToken, "error_description", why)
            }
            BearerError::InvalidRequest(why) => {
                bearer_challenge(BearerErrorCode::InvalidRequest, "error_description", why)
            }
            BearerError::InsufficientScope(scope) => {
                let (challenge, _) =
                    bearer_challenge(BearerErrorCode::InsufficientScope, "scope", scope);
                (
                    challenge,
                    ErrorBody::new(
                        BearerErrorCode::InsufficientScope,
                        format!("this resource needs the scope {scope}"),
                    ),
                )
            }
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

/// A `WWW-Authenticate: Bearer` challenge naming `error` and one more attribute (RFC 6750
/// §3: `error_description` or `scope`), with the JSON body that goes beside it. The
/// attribute's value goes through [`Description::new`], so it cannot break the header.
fn bearer_challenge(
    error: BearerErrorCode,
    attribute: &str,
    value: &str,
) -> (String, ErrorBody<BearerErrorCode>) {
    (
        format!(
            "Bearer realm=\"{REALM}\", error=\"{error}\", {attribute}=\"{}\"",
            Description::new(value)
        ),
        ErrorBody::new(error, value),
    )
}

/// A JSON error from the team API (`{error, error_description}` with 400, 403, 404 or 409).
#[derive(Debug, thiserror::Error)]
#[error("{code}: {description}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ApiErrorCode,
    pub description: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ApiErrorCode, description: impl Into<String>) -> Self {
        Self {
            status,
            code,
            description: description.into(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(ErrorBody::new(self.code, self.description.clone()))
    }
}

/// An error on a browser page: a friendly HTML page, never a stack trace.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// A form arrived without the CSRF token this session issued (403, nothing changed).
    #[error("the form's csrf_token is missing or does not match this session")]
    Csrf,
    /// Something the user can fix, shown as it is.
    #[error("{title}: {message}")]
    Shown {
        status: StatusCode,
        title: String,
        message: String,
    },
    /// Something unexpected: logged with its cause chain, shown as a generic 500.
    #[error("unexpected: {0}")]
    Internal(#[from] anyhow::Error),
}

impl PageError {
    pub fn bad_request(title: &str, message: &str) -> Self {
        PageError::Shown {
            status: StatusCode::BAD_REQUEST,
            title: title.to_owned(),
            message: message.to_owned(),
        }
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::Csrf => StatusCode::FORBIDDEN,
            PageError::Shown { status, .. } => *status,
            PageError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            PageError::Csrf => ErrorPage::new(
                StatusCode::FORBIDDEN,
                "This form has expired",
                "The form was not sent with this browser's security token (csrf_token), so \
                 nothing was changed. Go back, reload the page and try again.",
            )
            .into_response(),
            PageError::Shown {
                status,
                title,
                message,
            } => ErrorPage::new(*status, title, message).into_response(),
            PageError::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "page failed");
                ErrorPage::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The provider hit an unexpected error. It has been logged.",
                )
                .into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::client::RegisteredClient;

    #[test]
    fn error_redirects_keep_the_existing_query_and_echo_state_exactly() {
        let client =
            RegisteredClient::confidential("c", "C", "s", "http://localhost:3000/cb?tenant=1");
        let redirect_uri = client.verify_redirect_uri(None).expect("registered");
        let redirect = ErrorRedirect {
            redirect_uri,
            error: AuthorizationErrorCode::AccessDenied,
            description: "the user said no".into(),
            state: Some("a b&c=d/é~".into()),
            issuer: "http://localhost:8080".into(),
        };
        let location = redirect.location();
        assert!(location.starts_with("http://localhost:3000/cb?tenant=1&error=access_denied&"));
        let query = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
        let state = url::form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "state")
            .map(|(_, value)| value.into_owned());
        assert_eq!(state.as_deref(), Some("a b&c=d/é~"));
    }
}
