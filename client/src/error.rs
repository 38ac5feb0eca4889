//! What can go wrong, and the page each failure shows.
//!
//! One enum, [`ClientError`], for every failure a browser can meet. Each variant names the
//! check that failed or the OAuth error code the provider sent (RFC 6749 §4.1.2.1 and §5.2,
//! RFC 6750 §3.1), and renders as a friendly page with a way on (`/` or `/login`). Nothing
//! the provider does produces a 500: an unreachable provider is a 503 page, a rate limit a
//! 429 page with `Retry-After`, a broken answer a 502 page. Only a bug in this app is a 500,
//! and that page shows no details (the error chain goes to the log).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};

use crate::oauth::{AuthorizationErrorCode, TokenErrorCode};
use crate::pages::{ErrorPage, html_response};

/// Every failure a request to the client can end in.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A form arrived without this app's own CSRF token (or with a stale one).
    #[error("the form's CSRF token did not match this session")]
    Csrf,
    /// `/callback` without a `state` parameter.
    #[error("the authorization response has no state")]
    StateMissing,
    /// `/callback` with a `state` this browser never sent.
    #[error("state mismatch")]
    StateMismatch,
    /// `/callback` with a `state` that was already used: a replayed authorization response.
    #[error("this authorization response was already used")]
    CallbackReplayed,
    /// `/callback` while no login is in progress for this browser.
    #[error("no login is in progress in this browser")]
    NoLoginInProgress,
    /// The login was started too long ago.
    #[error("the login took too long")]
    LoginExpired,
    /// `iss` absent (when the provider promised it) or not the provider's issuer (RFC 9207).
    #[error("issuer mismatch")]
    IssuerMismatch {
        expected: String,
        received: Option<String>,
    },
    /// The provider answered the authorization request with an error (RFC 6749 §4.1.2.1).
    #[error("the authorization request ended with {code}")]
    AuthorizationRefused {
        code: AuthorizationErrorCode,
        description: Option<String>,
    },
    /// A successful-looking authorization response without a `code`.
    #[error("the authorization response has no code")]
    CodeMissing,
    /// The ID token failed one of its checks (OpenID Connect Core §3.1.3.7), or the
    /// response to an `openid` request had none (§3.1.3.3).
    #[error("the ID token failed the {check} check")]
    IdTokenRefused {
        /// The check's name (`nonce`, `aud`, …).
        check: &'static str,
        /// What it compared, in one sentence (no secrets).
        detail: String,
        /// The file and function that made the check.
        function: &'static str,
    },
    /// The token endpoint (or revocation, introspection) refused (RFC 6749 §5.2).
    #[error("the provider's {endpoint} endpoint answered {code}")]
    TokenRefused {
        endpoint: &'static str,
        code: TokenErrorCode,
        description: Option<String>,
    },
    /// The session's tokens are gone: refresh refused, revoked at the provider.
    #[error("the session ended: {reason}")]
    SessionEnded { reason: String },
    /// A page that needs a signed-in user.
    #[error("not signed in")]
    NotSignedIn,
    /// No TCP connection, or no answer in time.
    #[error("the provider cannot be reached at {url}")]
    ProviderUnreachable { url: String, detail: String },
    /// 429 from the provider.
    #[error("the provider is limiting requests (429)")]
    RateLimited {
        url: String,
        retry_after: Option<String>,
    },
    /// An answer this client cannot use: bad metadata, a 5xx, unparsable JSON.
    #[error("unexpected answer from {url}: {detail}")]
    ProviderBroken { url: String, detail: String },
    /// A malformed request to the client itself (bad query or form).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A page that does not exist.
    #[error("no such page")]
    NotFound,
    /// The attack lab or the error gallery, turned off (`LAB`).
    #[error("the lab is off")]
    LabOff,
    /// Too many requests of one kind from this session or address (this app's own limit).
    #[error("too many {what}")]
    TooManyRequests {
        what: &'static str,
        retry_after: u64,
    },
    /// A bug in this app.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ClientError {
    /// The page for this error: a title, what happened, the check or code, where to go on.
    pub fn page(&self) -> ErrorPage {
        use ClientError::*;
        let page = ErrorPage::new(self.status_code().as_u16());
        match self {
            Csrf => page
                .title("This form has expired")
                .text("The form did not carry this app's CSRF token for your session, so nothing was changed. Go back to the home page and use the form there.")
                .check("CSRF token check"),
            StateMissing => page
                .title("The provider's answer has no state")
                .text("An authorization response must carry the 'state' this app sent (RFC 6749 §4.1.2). Without it the app cannot tell whether this browser started the login, so it refuses to continue.")
                .check("state missing")
                .login_link(),
            StateMismatch => page
                .title("State mismatch: this login was not started here")
                .text("The 'state' in this authorization response is not one this browser sent. That is what a login-CSRF attack looks like (someone trying to sign you in with their account), so the app refused it and exchanged nothing (RFC 6749 §10.12).")
                .check("state mismatch")
                .login_link(),
            CallbackReplayed => page
                .title("This sign-in link was already used")
                .text("The authorization response at this address has been processed once. A code works only once, so reloading or replaying it does nothing. If you are signed in, the home page shows it; otherwise log in again.")
                .check("authorization response already used")
                .login_link(),
            NoLoginInProgress => page
                .title("No login in progress")
                .text("This browser has no login waiting for an answer: the app was restarted, the session expired, or this link comes from another browser. Nothing was exchanged.")
                .check("no pending authorization request")
                .login_link(),
            IdTokenRefused {
                check,
                detail,
                function,
            } => page
                .title(format!("The ID token failed the '{check}' check: you are not signed in"))
                .text(format!("The provider answered this login with an ID token, and this app checks every ID token before it believes who signed in (OpenID Connect Core §3.1.3.7). This one failed the '{check}' check: {detail}. Nothing from this login was kept. The check is {function}."))
                .check(format!("ID token: {check}"))
                .login_link(),
            LoginExpired => page
                .title("The login took too long")
                .text("The authorization request was started more than ten minutes ago, so the app no longer accepts its answer. Start again.")
                .check("pending authorization request expired")
                .login_link(),
            IssuerMismatch { expected, received } => page
                .title("Issuer mismatch: the answer is not from the expected provider")
                .text(match received {
                    Some(received) => format!("The authorization response says it comes from '{received}', but this login was started with '{expected}'. A client that talks to several providers can be tricked into sending one provider's code to another (a mix-up attack), so the app refused it (RFC 9207 §2.4)."),
                    None => format!("The provider '{expected}' promises an 'iss' parameter in every authorization response (RFC 9207), and this one has none, so the app refused it."),
                })
                .check("iss mismatch")
                .login_link(),
            AuthorizationRefused { code, description } => {
                let denied = *code == AuthorizationErrorCode::AccessDenied;
                let text = if denied {
                    "You (or the provider) declined to let this app access your account, so it has no tokens. That is fine: nothing was shared. You can try again whenever you like.".to_owned()
                } else {
                    "The provider refused the authorization request and sent the browser back with an error instead of a code.".to_owned()
                };
                page.title(if denied { "Access denied" } else { "The provider refused the request" })
                    .text(text)
                    .code(code.as_str(), description.as_deref())
                    .login_link()
            }
            CodeMissing => page
                .title("The provider's answer has no code")
                .text("The authorization response carried neither a 'code' nor an 'error' (RFC 6749 §4.1.2).")
                .check("code missing")
                .login_link(),
            TokenRefused { endpoint, code, description } => page
                .title(format!("The provider's {endpoint} endpoint said no"))
                .text(if *code == TokenErrorCode::InvalidGrant {
                    "The code or refresh token was refused: it expired, was already used, or was issued for another client or redirect URI. Codes live a few seconds and work once."
                } else {
                    "The provider refused the request (RFC 6749 §5.2)."
                })
                .code(code.as_str(), description.as_deref())
                .login_link(),
            SessionEnded { reason } => page
                .title("Your session has ended")
                .text(format!("{reason}. Log in again to continue."))
                .check("refresh refused")
                .login_link(),
            NotSignedIn => page
                .title("You are not signed in")
                .text("This needs a signed-in user.")
                .login_link(),
            ProviderUnreachable { url, detail } => page
                .title("The provider cannot be reached")
                .text(format!("The provider cannot be reached at {url} ({detail}). {} Then try again: this app retries on the next request.", start_hint(url)))
                .check("provider unreachable")
                .login_link(),
            RateLimited { url, retry_after } => page
                .title("The provider is limiting requests")
                .text(match retry_after {
                    Some(seconds) => format!("The provider at {url} answered 429 Too Many Requests and asks to wait {} before trying again (Retry-After).", seconds_text(seconds)),
                    None => format!("The provider at {url} answered 429 Too Many Requests. Wait a moment before trying again."),
                })
                .check("429 Too Many Requests"),
            ProviderBroken { url, detail } => page
                .title("The provider gave an answer this app cannot use")
                .text(format!("{url}: {detail}"))
                .check("unexpected provider response"),
            BadRequest(detail) => page
                .title("This request is malformed")
                .text(detail.clone()),
            NotFound => page
                .title("No such page")
                .text("This app has no page at this address."),
            LabOff => page
                .title("The attack lab and the error gallery are off here")
                .text("They log in at the provider as the demo user for any visitor and send bursts of requests, so they are on only when this app listens on a loopback address (CLIENT_BIND=127.0.0.1:…). Set LAB=on to turn them on anyway."),
            TooManyRequests { what, retry_after } => page
                .title("Slow down")
                .text(format!("Too many {what} from you in a short time. Wait {}, then try again.", seconds_text(&retry_after.to_string())))
                .check("429 Too Many Requests"),
            Internal(_) => page
                .title("Something went wrong in this app")
                .text("An unexpected error happened here, in the client app. It has been logged; the details are not shown here."),
        }
    }
}

impl ResponseError for ClientError {
    fn status_code(&self) -> StatusCode {
        use ClientError::*;
        match self {
            Csrf => StatusCode::FORBIDDEN,
            AuthorizationRefused {
                code: AuthorizationErrorCode::AccessDenied,
                ..
            } => StatusCode::FORBIDDEN,
            StateMissing
            | StateMismatch
            | CallbackReplayed
            | NoLoginInProgress
            | LoginExpired
            | IssuerMismatch { .. }
            | AuthorizationRefused { .. }
            | CodeMissing
            | IdTokenRefused { .. }
            | TokenRefused { .. }
            | BadRequest(_) => StatusCode::BAD_REQUEST,
            SessionEnded { .. } | NotSignedIn => StatusCode::UNAUTHORIZED,
            ProviderUnreachable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ProviderBroken { .. } => StatusCode::BAD_GATEWAY,
            NotFound | LabOff => StatusCode::NOT_FOUND,
            TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        // An error can quote what a request carried (a callback's `error` code, say), line
        // breaks included: escaped, it cannot forge a line of its own in the log.
        if let ClientError::Internal(error) = self {
            tracing::error!(error = %format!("{error:#}").escape_debug(), "unexpected failure");
        } else {
            tracing::info!(status = self.status_code().as_u16(), error = %self.to_string().escape_debug(), "request refused");
        }
        let mut response = html_response(self.status_code(), &self.page());
        if let ClientError::RateLimited {
            retry_after: Some(seconds),
            ..
        } = self
            && let Ok(value) = HeaderValue::from_str(seconds)
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if let ClientError::TooManyRequests { retry_after, .. } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
        }
        response
    }
}

/// How to get the provider going: our own start command only when `url` is where our
/// provider listens by default (`localhost:8080`); for any other URL, check `AUTH_SERVER`.
fn start_hint(url: &str) -> String {
    let ours = url::Url::parse(url).is_ok_and(|parsed| {
        matches!(parsed.host_str(), Some("localhost" | "127.0.0.1"))
            && parsed.port_or_known_default() == Some(8080)
    });
    if ours {
        "Is it running? Start it with cargo run (or cargo run -p provider).".to_owned()
    } else {
        "Is it running, and is AUTH_SERVER the right address for it?".to_owned()
    }
}

/// `1 second`, `30 seconds`: a Retry-After value as words (it may also be an HTTP date,
/// RFC 9110 §10.2.3, shown as it came).
fn seconds_text(retry_after: &str) -> String {
    match retry_after.trim().parse::<u64>() {
        Ok(1) => "1 second".to_owned(),
        Ok(seconds) => format!("{seconds} seconds"),
        Err(_) => format!("until {retry_after}"),
    }
}

#[cfg(test)]
mod wording_tests {
    use super::*;

    #[test]
    fn only_our_own_provider_address_gets_our_start_command() {
        assert!(start_hint("http://localhost:8080/oauth/token").contains("cargo run"));
        assert!(start_hint("http://127.0.0.1:8080").contains("cargo run"));
        let elsewhere = start_hint("https://auth.example.com/oauth/token");
        assert!(!elsewhere.contains("cargo run"), "{elsewhere}");
        assert!(elsewhere.contains("AUTH_SERVER"), "{elsewhere}");
        assert!(!start_hint("http://localhost:9999").contains("cargo run"));
    }

    #[test]
    fn one_second_is_singular() {
        assert_eq!(seconds_text("1"), "1 second");
        assert_eq!(seconds_text("30"), "30 seconds");
    }
}
