//! The error gallery (`/errors`): each error the provider can answer, triggered on demand,
//! with the wire response, the cause and the fix a developer would make.
//!
//! The token endpoint's errors are RFC 6749 §5.2 (`invalid_request`, `invalid_client`,
//! `invalid_grant`, `unauthorized_client`, `unsupported_grant_type`, `invalid_scope`), the
//! authorization endpoint's `access_denied` is §4.1.2.1 (a redirect, not a body), the
//! resource server's are RFC 6750 §3.1 (`invalid_token`, `insufficient_scope`, in
//! `WWW-Authenticate`), and 429 is RFC 6585 §4.

use futures_util::future::join_all;
use oauth2::{HttpResponse, PkceCodeChallenge};
use serde::Serialize;

use crate::flow::{CodeRef, RfcLink, rfc};
use crate::lab::agent::{Decision, authorization_request, get, post, post_form, query_param};
use crate::lab::code;
use crate::lab::harness::{LabContext, credentials, kind_of, post_as_client};
use crate::lab::transcript::{LabStep, StepKind, Transcript, error_of, header, json_field};
use crate::lab::{LabError, page_text};
use crate::wire::Recorder;

/// The client id the 429 burst authenticates as: not a registered client, so the burst
/// fills a rate-limit bucket of its own (the limiter counts per address and client id, before
/// any authentication) and this app's real token requests are never held up by it.
pub const BURST_CLIENT_ID: &str = "rate-limit-lab";
/// Requests sent at once in one wave of the burst, and the most waves sent.
pub const BURST_WAVE: usize = 100;
pub const BURST_WAVES: usize = 3;

/// One error of the gallery.
#[derive(Debug, Clone, Serialize)]
pub struct GalleryEntry {
    /// The path segment of its button: `POST /errors/{id}`.
    pub id: &'static str,
    /// The error code as it appears on the wire (or `429`).
    pub code: &'static str,
    /// The HTTP status the provider answers with.
    pub status: u16,
    /// Where it comes from: endpoint and how it is carried.
    pub endpoint: &'static str,
    /// What the button sends.
    pub trigger: &'static str,
    pub cause: &'static str,
    pub fix: &'static str,
    pub rfcs: Vec<RfcLink>,
    pub raised_by: Vec<CodeRef>,
    pub setting: Option<&'static str>,
}

/// Every entry, in the order of the page.
pub fn entries() -> Vec<GalleryEntry> {
    vec![
        GalleryEntry {
            id: "invalid_request",
            code: "invalid_request",
            status: 400,
            endpoint: "POST /oauth/token, JSON body {error, error_description}",
            trigger: "A token request with a JSON body (Content-Type: application/json), as the oauth2-server article's example app sends it.",
            cause: "The request is malformed: a missing or repeated parameter, or a body that is not application/x-www-form-urlencoded. The token endpoint takes form-encoded parameters only.",
            fix: "Send the parameters form-encoded (reqwest: .form(&params); the oauth2 crate does it for you), each parameter once.",
            rfcs: vec![rfc(6749, "5.2"), rfc(6749, "3.2")],
            raised_by: vec![code("provider/src/oauth/token/mod.rs", "parse_form")],
            setting: None,
        },
        GalleryEntry {
            id: "invalid_client",
            code: "invalid_client",
            status: 401,
            endpoint: "POST /oauth/token, 401 with WWW-Authenticate: Basic",
            trigger: "A token request whose Basic credentials carry this client's id and a wrong secret.",
            cause: "Client authentication failed: unknown client, wrong secret, no secret for a confidential client, a secret for a public one, or two authentication methods at once.",
            fix: "Check CLIENT_ID and CLIENT_SECRET, and send them one way only: the Authorization: Basic header (client_secret_basic), each part form-urlencoded before base64.",
            rfcs: vec![rfc(6749, "5.2"), rfc(6749, "2.3.1")],
            raised_by: vec![code(
                "provider/src/oauth/token/client_auth.rs",
                "authenticate",
            )],
            setting: None,
        },
        GalleryEntry {
            id: "invalid_grant",
            code: "invalid_grant",
            status: 400,
            endpoint: "POST /oauth/token, JSON body",
            trigger: "An authorization_code request with a code the provider never issued.",
            cause: "The code or refresh token is invalid, expired, already used, revoked, or was issued to another client, for another redirect_uri, or for another PKCE challenge.",
            fix: "Redeem each code once, within its lifetime (CODE_TTL, at most 60 s), with the same redirect_uri and the verifier of the same request. A refused refresh token means the grant is over: send the user to log in again.",
            rfcs: vec![rfc(6749, "5.2"), rfc(6749, "4.1.3")],
            raised_by: vec![code(
                "provider/src/oauth/token/authorization_code.rs",
                "exchange_code",
            )],
            setting: None,
        },
        GalleryEntry {
            id: "unauthorized_client",
            code: "unauthorized_client",
            status: 400,
            endpoint: "POST /oauth/token, JSON body",
            trigger: "The public client (spa-client, no secret) asking for a client_credentials token.",
            cause: "The client is known and authenticated, but may not use this grant type. A public client cannot keep a secret, so it may not get tokens for itself.",
            fix: "Use a grant the client is registered for (the public client: authorization_code with PKCE, and refresh_token), or register a confidential client for machine-to-machine calls.",
            rfcs: vec![rfc(6749, "5.2"), rfc(6749, "4.4")],
            raised_by: vec![
                code("provider/src/oauth/token/mod.rs", "token"),
                code("provider/src/domain/client.rs", "may_use"),
            ],
            setting: None,
        },
        GalleryEntry {
            id: "unsupported_grant_type",
            code: "unsupported_grant_type",
            status: 400,
            endpoint: "POST /oauth/token, JSON body",
            trigger: "grant_type=password: the resource owner password grant, which OAuth 2.1 and RFC 9700 §2.4 drop.",
            cause: "The provider does not know this grant type. This one serves authorization_code, refresh_token and client_credentials.",
            fix: "Use the authorization code flow: the user types the password at the provider, never in the client.",
            rfcs: vec![rfc(6749, "5.2"), rfc(9700, "2.4")],
            raised_by: vec![code("provider/src/oauth/token/mod.rs", "token")],
            setting: None,
        },
        GalleryEntry {
            id: "invalid_scope",
            code: "invalid_scope",
            status: 400,
            endpoint: "POST /oauth/token, JSON body (at /oauth/authorize: a redirect with error=invalid_scope)",
            trigger: "A client_credentials request for the scope admin:everything.",
            cause: "The scope is unknown, malformed, more than the client may ask for, or (on refresh) wider than the grant.",
            fix: "Ask for scopes from the provider's metadata (scopes_supported): profile:read, teams:read, teams:write. On refresh, ask for the same scopes or fewer.",
            rfcs: vec![rfc(6749, "5.2"), rfc(6749, "3.3")],
            raised_by: vec![code("provider/src/oauth/token/mod.rs", "requested_scope")],
            setting: None,
        },
        GalleryEntry {
            id: "access_denied",
            code: "access_denied",
            status: 303,
            endpoint: "GET /oauth/authorize → consent → a redirect to the redirect URI with ?error=access_denied&error_description&state&iss",
            trigger: "A real flow where the lab's browser logs in as demo and clicks Deny on the consent page.",
            cause: "The user (or the provider) refused the request. It is not a bug: it is an answer.",
            fix: "Handle it at the callback: check state (and iss) as for a code, then show a page that says nothing was shared and offers to try again. Never retry automatically.",
            rfcs: vec![rfc(6749, "4.1.2.1")],
            raised_by: vec![code("provider/src/oauth/consent.rs", "deny")],
            setting: None,
        },
        GalleryEntry {
            id: "invalid_token",
            code: "invalid_token",
            status: 401,
            endpoint: "GET /api/auth/me, WWW-Authenticate: Bearer error=\"invalid_token\"",
            trigger: "An API call with a bearer token the provider never issued.",
            cause: "The access token is expired, revoked, malformed or unknown.",
            fix: "Refresh the access token once and retry once (RFC 6749 §6); if the refresh fails too, the session is over: log in again.",
            rfcs: vec![rfc(6750, "3.1"), rfc(6750, "3")],
            raised_by: vec![code("provider/src/api/bearer.rs", "authorize")],
            setting: None,
        },
        GalleryEntry {
            id: "insufficient_scope",
            code: "insufficient_scope",
            status: 403,
            endpoint: "GET /api/auth/me, 403 with WWW-Authenticate: Bearer error=\"insufficient_scope\", scope=\"profile:read\"",
            trigger: "A valid token for teams:read only (client_credentials), calling /api/auth/me, which needs profile:read.",
            cause: "The token is valid but was not granted the scope this resource needs; the challenge names it.",
            fix: "Ask the user for that scope (incremental authorization: this client's /login?add_scope=...), then call again. Refreshing does not help: a refresh never widens the scope.",
            rfcs: vec![rfc(6750, "3.1")],
            raised_by: vec![code("provider/src/api/bearer.rs", "authorize")],
            setting: None,
        },
        GalleryEntry {
            id: "rate_limited",
            code: "429",
            status: 429,
            endpoint: "POST /oauth/token, 429 Too Many Requests with Retry-After and {\"error\": \"rate_limited\"}",
            trigger: "A bounded burst: token requests sent 100 at a time (at most 300), as an unregistered client id of the lab's own, stopping at the first 429.",
            cause: "Too many failed client authentications from one address: the burst's client id is registered nowhere, so every request fails, and after RATE_LIMIT_CLIENT_AUTH_FAILURES_PER_MINUTE failures the address waits, even with the right secret, for a few seconds. The limit is a step of client authentication itself, at every endpoint that checks a secret (RFC 6749 section 2.3.1), so guessing secrets is stopped everywhere.",
            fix: "Wait the Retry-After seconds and try again; refresh once per expiry, not per request; never retry in a tight loop.",
            rfcs: vec![rfc(6585, "4"), rfc(9110, "10.2.3")],
            raised_by: vec![code(
                "provider/src/oauth/token/client_auth.rs",
                "authenticate",
            )],
            setting: Some(
                "RATE_LIMIT (on by default; test suites and benchmarks set off), RATE_LIMIT_CLIENT_AUTH_FAILURES_PER_MINUTE (10: failed client authentications per address), RATE_LIMIT_TOKEN_PER_SECOND (50: per client id and address, with a burst of the same size), RATE_LIMIT_LOGIN_PER_MINUTE (10: login attempts per address).",
            ),
        },
    ]
}

/// The entry with this id.
pub fn entry(id: &str) -> Option<GalleryEntry> {
    entries().into_iter().find(|entry| entry.id == id)
}

/// What triggering an entry showed.
#[derive(Debug, Clone, Serialize)]
pub struct GalleryReport {
    pub status: Option<u16>,
    /// The error code the provider actually sent (body `error`, or in the redirect's query).
    pub code: Option<String>,
    pub description: Option<String>,
    pub www_authenticate: Option<String>,
    pub retry_after: Option<String>,
    /// Whether the provider answered with the entry's code.
    pub as_expected: bool,
    pub notes: Vec<String>,
    pub steps: Vec<LabStep>,
}

/// Triggers entry `id`. `None` if there is no such entry.
pub async fn trigger(id: &str, ctx: &LabContext<'_>) -> Option<Result<GalleryReport, LabError>> {
    let entry = entry(id)?;
    Some(run(&entry, ctx).await)
}

async fn run(entry: &GalleryEntry, ctx: &LabContext<'_>) -> Result<GalleryReport, LabError> {
    let settings = ctx.oauth.settings();
    let token_url = ctx.provider.endpoints.token.as_str();
    let own = Some((settings.client_id.as_str(), settings.client_secret.expose()));
    let http = ctx.oauth.http();
    let mut transcript = Transcript::new();
    let mut notes = Vec::new();
    let answer = match entry.id {
        "invalid_request" => {
            let body = r#"{"grant_type":"client_credentials","scope":"profile:read"}"#.to_owned();
            transcript
                .send(http, post(token_url, "application/json", body, own)?)
                .await?
        }
        "invalid_client" => {
            transcript
                .send(
                    http,
                    post_form(
                        token_url,
                        &[("grant_type", "client_credentials")],
                        Some((&settings.client_id, "not-the-secret")),
                    )?,
                )
                .await?
        }
        "invalid_grant" => {
            let (_, verifier) = PkceCodeChallenge::new_random_sha256();
            transcript.secret(verifier.secret());
            post_as_client(
                ctx,
                &mut transcript,
                token_url,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", "never-issued-by-the-provider"),
                    ("redirect_uri", settings.redirect_uri.as_str()),
                    ("code_verifier", verifier.secret()),
                ],
            )
            .await?
        }
        "unauthorized_client" => {
            transcript
                .send(
                    http,
                    post_form(
                        token_url,
                        &[
                            ("grant_type", "client_credentials"),
                            ("client_id", &settings.public_client_id),
                        ],
                        None,
                    )?,
                )
                .await?
        }
        "unsupported_grant_type" => {
            post_as_client(
                ctx,
                &mut transcript,
                token_url,
                &[
                    ("grant_type", "password"),
                    ("username", &ctx.lab.username),
                    ("password", ctx.lab.password.expose()),
                ],
            )
            .await?
        }
        "invalid_scope" => {
            post_as_client(
                ctx,
                &mut transcript,
                token_url,
                &[
                    ("grant_type", "client_credentials"),
                    ("scope", "admin:everything"),
                ],
            )
            .await?
        }
        "access_denied" => return access_denied(entry, ctx, transcript).await,
        "invalid_token" => {
            transcript
                .send(
                    http,
                    get(
                        &settings.provider_url("/api/auth/me"),
                        Some("not-a-token-the-provider-issued"),
                    )?,
                )
                .await?
        }
        "insufficient_scope" => {
            let issued = post_as_client(
                ctx,
                &mut transcript,
                token_url,
                &[
                    ("grant_type", "client_credentials"),
                    ("scope", "teams:read"),
                ],
            )
            .await?;
            let access = json_field(&issued, "access_token").ok_or_else(|| {
                LabError::new(format!(
                    "the provider gave no teams:read token (HTTP {})",
                    issued.status().as_u16()
                ))
            })?;
            transcript.secret(&access);
            transcript.step(
                "A token for teams:read only",
                StepKind::Setup,
                vec![format!("access token {}", shared::fingerprint(&access))],
            );
            let answer = transcript
                .send(
                    http,
                    get(&settings.provider_url("/api/auth/me"), Some(&access))?,
                )
                .await?;
            transcript.step("The call", kind_of(&answer), Vec::new());
            if let Some(endpoint) = &ctx.provider.endpoints.revocation {
                post_as_client(
                    ctx,
                    &mut transcript,
                    endpoint,
                    &[("token", &access), ("token_type_hint", "access_token")],
                )
                .await?;
                transcript.step(
                    "Tidying up: the token is revoked",
                    StepKind::Check,
                    Vec::new(),
                );
            }
            return Ok(report(entry, &answer, notes, transcript, ctx));
        }
        "rate_limited" => return burst(entry, ctx, transcript).await,
        other => return Err(LabError::new(format!("no gallery entry {other}"))),
    };
    if answer.status().is_success() {
        notes.push(
            "The provider accepted this request: its rules differ from this gallery's.".into(),
        );
    }
    transcript.step(
        "The request and the provider's answer",
        kind_of(&answer),
        Vec::new(),
    );
    Ok(report(entry, &answer, notes, transcript, ctx))
}

/// access_denied: a real flow, denied at the consent page. The answer is the provider's
/// redirect to the client's redirect URI (not opened: the error is in its query).
async fn access_denied(
    entry: &GalleryEntry,
    ctx: &LabContext<'_>,
    mut transcript: Transcript,
) -> Result<GalleryReport, LabError> {
    let settings = ctx.oauth.settings();
    let request = authorization_request(
        &ctx.provider.endpoints.authorization,
        &settings.client_id,
        settings.redirect_uri.as_str(),
        &ctx.provider.askable_scopes(&settings.scopes).join(" "),
    )?;
    transcript.secret(request.verifier.secret());
    let callback = ctx
        .lab
        .attacker
        .authorize(
            &mut transcript,
            &request.url,
            credentials(ctx.lab),
            Decision::Deny,
        )
        .await?;
    transcript.step(
        "Log in at the provider, click Deny: the provider redirects back with the error",
        StepKind::Refused,
        vec![format!("Location: {callback}")],
    );
    let code = query_param(&callback, "error");
    let state_echoed = query_param(&callback, "state").as_deref() == Some(request.state.as_str());
    Ok(GalleryReport {
        status: Some(303),
        as_expected: code.as_deref() == Some(entry.code),
        code,
        description: query_param(&callback, "error_description"),
        www_authenticate: None,
        retry_after: None,
        notes: vec![
            format!(
                "state echoed exactly as sent: {state_echoed}; iss = {}",
                query_param(&callback, "iss").unwrap_or_else(|| "(none)".into())
            ),
            "The redirect carries no code: nothing was shared.".into(),
        ],
        steps: transcript.finish(ctx.oauth.masker()),
    })
}

/// 429: token requests in waves of [`BURST_WAVE`], at most [`BURST_WAVES`], as
/// [`BURST_CLIENT_ID`], until one is answered 429. Only the first answer and the first 429
/// are shown.
async fn burst(
    entry: &GalleryEntry,
    ctx: &LabContext<'_>,
    mut transcript: Transcript,
) -> Result<GalleryReport, LabError> {
    let token_url = ctx.provider.endpoints.token.as_str();
    let recorder = Recorder::new(ctx.oauth.http());
    let mut sent = 0;
    let mut limited = None;
    for _ in 0..BURST_WAVES {
        let mut requests = Vec::with_capacity(BURST_WAVE);
        for _ in 0..BURST_WAVE {
            requests.push(post_form(
                token_url,
                &[("grant_type", "client_credentials")],
                Some((BURST_CLIENT_ID, "not-a-secret")),
            )?);
        }
        sent += requests.len();
        let answers = join_all(requests.into_iter().map(|request| recorder.send(request))).await;
        if let Some(answer) = answers
            .into_iter()
            .filter_map(Result::ok)
            .find(|answer| answer.status().as_u16() == 429)
        {
            limited = Some(answer);
            break;
        }
    }
    let exchanges = recorder.take();
    let statuses: Vec<u16> = exchanges
        .iter()
        .filter_map(|exchange| exchange.response.as_ref().ok().map(|r| r.status))
        .collect();
    let unanswered = exchanges.len() - statuses.len();
    // Counted by answer, so the parts add up to what was sent (the answers of one wave
    // arrive in any order).
    let limited_count = statuses.iter().filter(|status| **status == 429).count();
    let refused_count = statuses.iter().filter(|status| **status == 401).count();
    let other_count = statuses.len() - limited_count - refused_count;
    let mut shown = Vec::new();
    let mut first_429_taken = false;
    for (index, exchange) in exchanges.into_iter().enumerate() {
        let is_429 = exchange.response.as_ref().is_ok_and(|r| r.status == 429);
        if index == 0 || (is_429 && !first_429_taken) {
            first_429_taken |= is_429;
            shown.push(exchange);
        }
    }
    transcript.keep(shown);
    let mut notes = vec![format!(
        "{sent} requests sent: {refused_count} answered 401 invalid_client ({BURST_CLIENT_ID} is registered nowhere, so each is a failed client authentication, which the address's failure budget counts), {limited_count} answered 429{}{}.",
        if other_count > 0 {
            format!(", {other_count} answered otherwise")
        } else {
            String::new()
        },
        if unanswered > 0 {
            format!(", {unanswered} got no answer")
        } else {
            String::new()
        }
    )];
    let Some(answer) = limited else {
        notes.push(format!(
            "No 429 after {sent} requests: the provider runs with RATE_LIMIT=off (as test suites and benchmarks do), or allows more failures than that (RATE_LIMIT_CLIENT_AUTH_FAILURES_PER_MINUTE)."
        ));
        transcript.step(
            "The burst: the first answer",
            StepKind::Accepted,
            Vec::new(),
        );
        return Ok(GalleryReport {
            status: statuses.first().copied(),
            code: None,
            description: None,
            www_authenticate: None,
            retry_after: None,
            as_expected: false,
            notes,
            steps: transcript.finish(ctx.oauth.masker()),
        });
    };
    transcript.step(
        "The burst: the first answer, and the first 429",
        StepKind::Refused,
        Vec::new(),
    );
    notes.push(
        "This app's own token requests use another bucket (its own client id), so the burst does not hold them up.".into(),
    );
    let mut report = report(entry, &answer, notes, transcript, ctx);
    report.as_expected = answer.status().as_u16() == 429;
    Ok(report)
}

fn report(
    entry: &GalleryEntry,
    answer: &HttpResponse,
    notes: Vec<String>,
    transcript: Transcript,
    ctx: &LabContext<'_>,
) -> GalleryReport {
    let (code, mut description) = error_of(answer);
    if code.is_none() && description.is_none() {
        let text = page_text(&String::from_utf8_lossy(answer.body()));
        if !text.is_empty() {
            description = Some(text);
        }
    }
    let www_authenticate = header(answer, "www-authenticate");
    let retry_after = header(answer, "retry-after");
    let as_expected = answer.status().as_u16() == entry.status
        && (entry.status == 429 || code.as_deref() == Some(entry.code));
    GalleryReport {
        status: Some(answer.status().as_u16()),
        code,
        description,
        www_authenticate,
        retry_after,
        as_expected,
        notes,
        steps: transcript.finish(ctx.oauth.masker()),
    }
}
