//! The authorization endpoint, GET `/oauth/authorize` (RFC 6749 §4.1.1, RFC 7636 §4.3,
//! RFC 9207).
//!
//! The request is validated as an ordered list of small checks. The order matters: until
//! the client and its redirect URI are verified, an error must be shown here and never
//! sent anywhere (§4.1.2.1), because an unverified redirect URI may be an attacker's.
//!
//! 1. [`check_client`]: the client is registered.
//! 2. [`check_redirect_uri`]: the redirect URI matches a registered one exactly.
//!    From here on, errors are redirected to the client, with `state` and `iss`.
//! 3. [`check_no_repeats`]: no parameter is sent twice (§3.1), except `resource`.
//! 4. [`check_state`]: `state` can be echoed exactly: printable ASCII (Appendix A.5), at
//!    most [`MAX_STATE_LENGTH`] characters.
//! 5. [`check_response_type`]: `code`, the only flow served.
//! 6. [`check_scope`]: known scopes the client may ask for; none means `profile:read`.
//! 7. [`check_pkce`]: an S256 `code_challenge` (RFC 7636; RFC 9700 §2.1.1).
//! 8. [`check_nonce`]: with `openid` in the scope, a `nonce` (OpenID Connect Core
//!    §3.1.2.1) is kept for the ID token if it can be echoed exactly and is bounded.
//! 9. [`check_prompt`]: with `openid`, `prompt` (Core §3.1.2.1): `none` alone.
//! 10. [`check_max_age`]: with `openid`, `max_age` is a whole number of seconds.
//! 11. [`check_login_hint`]: with `openid`, a `login_hint` of bounded length is kept.
//! 12. [`check_id_token_hint`]: with `openid`, an `id_token_hint` is an ID token we issued.
//! 13. [`check_resources`]: each `resource` (RFC 8707 §2.1, the one parameter that may be
//!     repeated) names a resource server this provider issues tokens for; none means the
//!     provider's own API.
//!
//! A valid request is kept in the browser's session. Then [`ask_user`] decides, in order
//! (see [`crate::openid::prompt`]): the login page if the user must sign in (nobody is, or
//! the request asks for a fresh sign-in), the consent page, or, for `prompt=none`, no page:
//! a code if this user already allowed this client these scopes, else `login_required` or
//! `consent_required` (Core §3.1.2.6).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use shared::AuthorizationErrorCode;
use shared::AuthorizationErrorCode::{ConsentRequired, LoginRequired};

use crate::domain::client::{RegisteredClient, VerifiedRedirectUri};
use crate::domain::grant::{Resources, TargetError};
use crate::domain::pkce::{CodeChallenge, S256};
use crate::domain::scope::ScopeSet;
use crate::error::{AuthorizeError, ErrorRedirect, PageError};
use crate::oauth::params::Params;
use crate::openid::prompt::{
    HintedSubject, LoginHint, Prompt, SignInRequest, parse_max_age, verify_id_token_hint,
};
use crate::state::AppState;
use crate::store::GrantStore;
use crate::web::pages::{ConsentPage, LoginPage, ScopeLine};
use crate::web::session::{PendingAuthorization, ProviderSession};

/// A request that passed every check.
#[derive(Debug)]
pub struct ValidatedRequest {
    pub pending: PendingAuthorization,
}

/// GET `/oauth/authorize`: validate the request, then ask the user to log in or consent.
/// With only `request_id`, it resumes a request this browser already started (after login).
pub async fn authorize(
    req: HttpRequest,
    app: web::Data<AppState>,
    session: ProviderSession,
) -> Result<HttpResponse, AuthorizeFlowError> {
    let params = Params::parse(req.query_string().as_bytes());
    let now = app.clock.now_millis();
    if params.get("client_id").is_none()
        && let Some(request_id) = params.get("request_id")
    {
        return Ok(resume(&app, &session, request_id, now).await?);
    }
    let validated = validate(&params, &app)?;
    let request_id = session.save_pending(validated.pending.clone(), now)?;
    Ok(ask_user(&app, &session, &validated.pending, request_id).await?)
}

/// Continues a pending request once the user has logged in.
async fn resume(
    app: &AppState,
    session: &ProviderSession,
    request_id: &str,
    now: u64,
) -> Result<HttpResponse, PageError> {
    let pending = session
        .pending(request_id, now)?
        .ok_or_else(request_expired)?;
    ask_user(app, session, &pending, request_id.to_owned()).await
}

/// The page for a request id that no longer waits.
fn request_expired() -> PageError {
    PageError::bad_request(
        "This sign-in request has expired",
        "The request is no longer waiting (it was already decided, or is more than ten \
         minutes old). Go back to the application and start again.",
    )
}

/// The login page if the user must sign in, otherwise the consent page; for `prompt=none`
/// no page at all (Core §3.1.2.1). Async because deciding may consult the store (see the
/// workshop's exercise 5, remembered consent).
async fn ask_user(
    app: &AppState,
    session: &ProviderSession,
    pending: &PendingAuthorization,
    request_id: String,
) -> Result<HttpResponse, PageError> {
    let client_name = app
        .clients
        .find(&pending.client_id)
        .map(|client| client.name.clone())
        .unwrap_or_else(|| pending.client_id.clone());
    let csrf_token = session.csrf_token()?;
    let now = app.clock.now_millis();
    let user_id = session.user_id();
    let signed_in = user_id.as_deref().map(|user| (user, session.auth_time()));
    if let Some(reason) = pending.sign_in.sign_in_needed(signed_in, now / 1000) {
        if pending.sign_in.prompt.none {
            return refuse_without_a_page(
                app,
                session,
                pending,
                &request_id,
                LoginRequired,
                reason,
            );
        }
        return Ok(LoginPage {
            csrf_token,
            request_id: Some(request_id),
            client_name: Some(client_name),
            username: pending
                .sign_in
                .login_hint
                .as_ref()
                .map(|hint| hint.as_str().to_owned())
                .unwrap_or_default(),
            error: None,
        }
        .into_response(StatusCode::OK));
    }
    let user_id = user_id.unwrap_or_default();
    if pending.sign_in.prompt.none {
        if !consented_before(app, &user_id, pending, now).await? {
            let reason = "the end-user has not yet allowed this application these scopes";
            return refuse_without_a_page(
                app,
                session,
                pending,
                &request_id,
                ConsentRequired,
                reason,
            );
        }
        return approve_without_a_page(app, session, pending, &request_id, &user_id).await;
    }
    if pending.sign_in.prompt.consent {
        // Core §3.1.2.1: "prompt the End-User for consent", even if it was given before.
        return consent_page(app, pending, csrf_token, request_id, client_name);
    }
    consent_page(app, pending, csrf_token, request_id, client_name)
}

/// The user already consented: the request ends with a code, as if they had approved
/// again, and the browser goes straight back to the client.
async fn approve_without_a_page(
    app: &AppState,
    session: &ProviderSession,
    pending: &PendingAuthorization,
    request_id: &str,
    user_id: &str,
) -> Result<HttpResponse, PageError> {
    let now = app.clock.now_millis();
    // A decision is made once: if another tab took this request meanwhile, it is over.
    if session.take_pending(request_id, now)?.is_none() {
        return Err(request_expired());
    }
    let login = crate::oauth::consent::Login {
        auth_time: session.auth_time().unwrap_or(now / 1000),
        sid: session.sid(),
    };
    let location = crate::oauth::consent::approve(app, pending, user_id, login, now).await?;
    Ok(crate::error::see_other(&location))
}

/// `prompt=none` could not be honoured without a page: the request ends, and the browser
/// goes back to the client with `error` (Core §3.1.2.6), `state` and `iss`.
fn refuse_without_a_page(
    app: &AppState,
    session: &ProviderSession,
    pending: &PendingAuthorization,
    request_id: &str,
    error: AuthorizationErrorCode,
    reason: &str,
) -> Result<HttpResponse, PageError> {
    session.take_pending(request_id, app.clock.now_millis())?;
    let location = crate::oauth::consent::refuse(app, pending, error, reason)?;
    Ok(crate::error::see_other(&location))
}

/// Whether the user already allowed this client every requested scope: a live grant of
/// theirs to this client covers them. This provider keeps no other record of consent, so
/// consent ends with the grant's last token (or with revoking it at `/account`).
async fn consented_before(
    app: &AppState,
    user_id: &str,
    pending: &PendingAuthorization,
    now: u64,
) -> Result<bool, PageError> {
    Ok(app
        .store
        .grants_of_user(&user_id.into(), now)
        .await?
        .iter()
        .any(|grant| {
            *grant.client_id == *pending.client_id && pending.scopes.is_subset_of(grant.scopes)
        }))
}

/// The consent page for this pending request.
fn consent_page(
    app: &AppState,
    pending: &PendingAuthorization,
    csrf_token: String,
    request_id: String,
    client_name: String,
) -> Result<HttpResponse, PageError> {
    Ok(ConsentPage {
        csrf_token,
        request_id,
        client_name,
        client_id: pending.client_id.clone(),
        redirect_uri: pending
            .redirect_uri
            .clone()
            .unwrap_or_else(|| "the application's registered address".into()),
        display_name: app.user.display_name.clone(),
        scopes: pending
            .scopes
            .iter()
            .map(|scope| ScopeLine {
                name: scope.as_str(),
                description: scope.description(),
            })
            .collect(),
    }
    .into_response())
}

/// Runs the checks in order (see the module docs). Pure: no session, no store.
pub fn validate(params: &Params, app: &AppState) -> Result<ValidatedRequest, AuthorizeError> {
    let client = check_client(params, app)?;
    let redirect_uri = check_redirect_uri(params, client)?;
    let fail = |error: AuthorizationErrorCode, description: &str| {
        AuthorizeError::Redirect(ErrorRedirect {
            redirect_uri: redirect_uri.clone(),
            error,
            description: description.to_owned(),
            state: params
                .get("state")
                .filter(|state| is_echoable_state(state))
                .map(str::to_owned),
            issuer: app.settings.issuer.clone(),
        })
    };
    check_no_repeats(params).map_err(|d| fail(AuthorizationErrorCode::InvalidRequest, &d))?;
    check_state(params).map_err(|d| fail(AuthorizationErrorCode::InvalidRequest, d))?;
    check_response_type(params).map_err(|(code, d)| fail(code, d))?;
    let scopes =
        check_scope(params, client).map_err(|d| fail(AuthorizationErrorCode::InvalidScope, &d))?;
    let challenge =
        check_pkce(params).map_err(|d| fail(AuthorizationErrorCode::InvalidRequest, d))?;
    let nonce =
        check_nonce(params, scopes).map_err(|d| fail(AuthorizationErrorCode::InvalidRequest, d))?;
    let sign_in = check_sign_in(params, scopes, app)
        .map_err(|d| fail(AuthorizationErrorCode::InvalidRequest, d))?;
    let resources = check_resources(params, app)
        .map_err(|error| fail(AuthorizationErrorCode::InvalidTarget, &error.to_string()))?;
    Ok(ValidatedRequest {
        pending: PendingAuthorization {
            client_id: client.id.to_string(),
            nonce,
            redirect_uri: params.get("redirect_uri").map(str::to_owned),
            scopes,
            resources,
            state: params.get("state").map(str::to_owned),
            code_challenge: challenge,
            created_at: app.clock.now_millis(),
            sign_in,
        },
    })
}

/// Check 1: the client must be registered (§4.1.2.1: otherwise show an error, never redirect).
fn check_client<'a>(
    params: &Params,
    app: &'a AppState,
) -> Result<&'a RegisteredClient, AuthorizeError> {
    if params.is_repeated("client_id") {
        return Err(AuthorizeError::CannotRedirect(
            "The request names its application (client_id) more than once.".into(),
        ));
    }
    let client_id = params.get("client_id").ok_or_else(|| {
        AuthorizeError::CannotRedirect(
            "The request does not say which application is asking (client_id is missing).".into(),
        )
    })?;
    app.clients.find(client_id).map(|client| client.as_ref()).ok_or_else(|| {
        AuthorizeError::CannotRedirect(
            "The application that sent you here (client_id) is not registered with this provider.".into(),
        )
    })
}

/// Check 2: the redirect URI must equal a registered one, character for character
/// (§3.1.2.3, RFC 9700 §4.1.3). Until this passes, nothing may be redirected.
fn check_redirect_uri(
    params: &Params,
    client: &RegisteredClient,
) -> Result<VerifiedRedirectUri, AuthorizeError> {
    if params.is_repeated("redirect_uri") {
        return Err(AuthorizeError::CannotRedirect(
            "The request names its return address (redirect_uri) more than once.".into(),
        ));
    }
    client
        .verify_redirect_uri(params.get("redirect_uri"))
        .ok_or_else(|| {
            AuthorizeError::CannotRedirect(
                "The return address (redirect_uri) is not one registered for this application, so \
             you were not sent there: it could be an attacker's page."
                    .into(),
            )
        })
}

/// Check 3: "Request and response parameters MUST NOT be included more than once" (§3.1).
/// RFC 8707 §2 makes one exception: "multiple resource parameters may be used".
fn check_no_repeats(params: &Params) -> Result<(), String> {
    match params.repeated_other_than(&[RESOURCE]) {
        Some(name) => Err(Params::repeated_description(name)),
        None => Ok(()),
    }
}

/// The longest `state` kept. RFC 6749 sets no limit, but the provider stores `state` with
/// the pending request until the user decides, for anyone who asks: unbounded, 2,000
/// requests with a 30,000-character `state` held 70 MB (the test
/// `provider/tests/memory/anonymous_memory.rs` keeps the bound). 512 characters hold a
/// 256-bit random value in any encoding (43 in base64url, what our client sends) with room
/// for a return path beside it. An over-long `state` is not echoed in the error either.
/// The other stored parameters are bounded by their checks: `client_id` and
/// `redirect_uri` must equal registered values, `scope` known names, `code_challenge` 43
/// characters; any other parameter is ignored and kept nowhere.
pub const MAX_STATE_LENGTH: usize = 512;

/// Check 4: `state` must be printable ASCII (Appendix A.5) so it can be echoed exactly, and
/// at most [`MAX_STATE_LENGTH`] characters.
fn check_state(params: &Params) -> Result<(), &'static str> {
    match params.get("state") {
        Some(state) if !is_printable_ascii(state) => {
            Err("state must be printable ASCII (RFC 6749 Appendix A.5)")
        }
        Some(state) if state.len() > MAX_STATE_LENGTH => {
            Err("state must be at most 512 characters")
        }
        _ => Ok(()),
    }
}

/// Whether `state` may be kept and echoed: what [`check_state`] accepts.
pub fn is_echoable_state(state: &str) -> bool {
    is_printable_ascii(state) && state.len() <= MAX_STATE_LENGTH
}

fn is_printable_ascii(value: &str) -> bool {
    value.bytes().all(|byte| (0x20..=0x7e).contains(&byte))
}

/// Check 5: only the authorization code flow is served (§4.1.1: `response_type` REQUIRED, `code`).
fn check_response_type(params: &Params) -> Result<(), (AuthorizationErrorCode, &'static str)> {
    match params.get("response_type") {
        Some("code") => Ok(()),
        None => Err((
            AuthorizationErrorCode::InvalidRequest,
            "response_type is required and must be code",
        )),
        Some(_) => Err((
            AuthorizationErrorCode::UnsupportedResponseType,
            "only response_type=code is supported (the implicit flow is not: RFC 9700 section 2.1.2)",
        )),
    }
}

/// Check 6: known scopes the client may ask for; no `scope` means the default (§3.3), a
/// blank one is `invalid_scope`.
fn check_scope(params: &Params, client: &RegisteredClient) -> Result<ScopeSet, String> {
    let scopes = ScopeSet::parse_requested(params.get("scope"))
        .map_err(|error| error.to_string())?
        .unwrap_or(ScopeSet::DEFAULT);
    if !scopes.is_subset_of(client.allowed_scopes) {
        return Err("this application may not ask for that scope".into());
    }
    Ok(scopes)
}

/// Check 7: PKCE with S256 is required of every client (RFC 7636 §4.4.1; RFC 9700 §2.1.1:
/// "MUST use PKCE"). `plain`, or no method (which means `plain`, §4.3), is refused.
fn check_pkce(params: &Params) -> Result<CodeChallenge, &'static str> {
    let challenge = params
        .get("code_challenge")
        .ok_or("code_challenge is required (PKCE, RFC 7636)")?;
    match params.get("code_challenge_method") {
        Some(S256) => {}
        None => {
            return Err(
                "code_challenge_method is required and must be S256 (plain is not accepted)",
            );
        }
        Some(_) => return Err("code_challenge_method must be S256 (plain is not accepted)"),
    }
    CodeChallenge::parse(challenge)
        .ok_or("code_challenge must be 43 base64url characters (the S256 of the verifier)")
}

/// Check 8: OpenID Connect's `nonce` (Core §3.1.2.1: "String value used to associate a
/// Client session with an ID Token, and to mitigate replay attacks. The value is passed
/// through unmodified from the Authentication Request to the ID Token"). Kept only for an
/// `openid` request (a plain OAuth request has no ID token to put it in), and only if it
/// can be echoed exactly and kept cheaply: printable ASCII, at most 512 characters.
fn check_nonce(
    params: &Params,
    scopes: ScopeSet,
) -> Result<Option<crate::openid::id_token::Nonce>, &'static str> {
    let Some(nonce) = params.get("nonce") else {
        return Ok(None);
    };
    if !scopes.contains(shared::scope::Scope::OpenId) {
        return Ok(None);
    }
    crate::openid::id_token::Nonce::parse(nonce)
        .map(Some)
        .ok_or("nonce must be 1 to 512 printable ASCII characters")
}

/// Checks 9 to 12, OpenID Connect's say over signing in (Core §3.1.2.1; see
/// [`crate::openid::prompt`]). Only for an `openid` request: in any other they are
/// parameters RFC 6749 §3.1 says to ignore.
fn check_sign_in(
    params: &Params,
    scopes: ScopeSet,
    app: &AppState,
) -> Result<SignInRequest, &'static str> {
    if !scopes.contains(shared::scope::Scope::OpenId) {
        return Ok(SignInRequest::default());
    }
    Ok(SignInRequest {
        prompt: check_prompt(params)?,
        max_age: check_max_age(params)?,
        login_hint: check_login_hint(params),
        hinted_subject: check_id_token_hint(params, app)?,
        signed_in_for_it: false,
    })
}

/// Check 9: `prompt`, "a space-delimited, case-sensitive list"; "If this parameter contains
/// `none` with any other value, an error is returned" (Core §3.1.2.1).
fn check_prompt(params: &Params) -> Result<Prompt, &'static str> {
    params
        .get("prompt")
        .map_or(Ok(Prompt::default()), Prompt::parse)
}

/// Check 10: `max_age`, "the allowable elapsed time in seconds since the last time the
/// End-User was actively authenticated": a non-negative integer.
fn check_max_age(params: &Params) -> Result<Option<u64>, &'static str> {
    params.get("max_age").map(parse_max_age).transpose()
}

/// Check 11: `login_hint`, kept to fill in the username. Only a hint: one too long to keep
/// is dropped, not an error.
fn check_login_hint(params: &Params) -> Option<LoginHint> {
    params.get("login_hint").and_then(LoginHint::parse)
}

/// Check 12: `id_token_hint`, an "ID Token previously issued by the Authorization Server":
/// our signature and `iss`, expired or not. Anything else is `invalid_request`.
fn check_id_token_hint(
    params: &Params,
    app: &AppState,
) -> Result<Option<HintedSubject>, &'static str> {
    params
        .get("id_token_hint")
        .map(|hint| verify_id_token_hint(hint, &app.keys.jwks(), &app.settings.issuer))
        .transpose()
}

/// RFC 8707's parameter, the one that may be repeated.
const RESOURCE: &str = "resource";

/// Check 13: the resources the client wants tokens for (RFC 8707 §2.1). Each value is an
/// absolute URI without fragment naming a registered resource server, else
/// `invalid_target` (§2: "the authorization server ... MUST ... return an error response
/// using the `invalid_target` error code"); none sent means the provider's own API.
fn check_resources(params: &Params, app: &AppState) -> Result<Resources, TargetError> {
    let servers = app.settings.resource_servers();
    params
        .all(RESOURCE)
        .try_fold(Resources::NONE, |resources, value| {
            servers
                .audience_of(value)
                .map(|audience| resources.with(audience))
        })
        .map(|resources| {
            if resources.is_empty() {
                Resources::DEFAULT
            } else {
                resources
            }
        })
}

/// The authorization endpoint's errors: either the protocol's own, or a page problem.
#[derive(Debug, thiserror::Error)]
pub enum AuthorizeFlowError {
    #[error(transparent)]
    Authorize(#[from] AuthorizeError),
    #[error(transparent)]
    Page(#[from] PageError),
}

impl actix_web::ResponseError for AuthorizeFlowError {
    fn status_code(&self) -> StatusCode {
        match self {
            AuthorizeFlowError::Authorize(error) => error.status_code(),
            AuthorizeFlowError::Page(error) => error.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AuthorizeFlowError::Authorize(error) => error.error_response(),
            AuthorizeFlowError::Page(error) => error.error_response(),
        }
    }
}
