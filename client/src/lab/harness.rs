//! The lab's harness: what every card's attack is built from. Each function here is one
//! step a card takes against the real provider, recorded into the card's [`Transcript`]:
//! the client's flow up to the code (RFC 6749 §4.1.1–4.1.2, with PKCE, RFC 7636 §4.3), the
//! token requests (§4.1.3, §6), introspection (RFC 7662), revocation so no grant outlives a
//! run (RFC 7009), opening a link at this client's real `/callback`, and the same link at
//! the deliberately naive one. A card file reads as its attack: these steps, in order.

use std::sync::Arc;

use oauth2::HttpResponse;

use crate::lab::agent::{
    Agent, Decision, authorization_request, get, location, post_form, query_param,
};
use crate::lab::cards::{NaiveReport, Verdict};
use crate::lab::transcript::{StepKind, Transcript, error_of, json_bool, json_field};
use crate::lab::{Lab, LabError, page_text};
use crate::oauth::{AuthorizationResponse, OAuth, Provider};

/// What a run needs: the OAuth client (settings, back channel), the provider, the lab.
pub struct LabContext<'a> {
    pub oauth: &'a OAuth,
    pub provider: Arc<Provider>,
    pub lab: &'a Lab,
}

/// The tokens of a successful token response (kept only for the run, masked on the page).
pub struct Tokens {
    pub access: String,
    pub refresh: Option<String>,
    pub scope: String,
}

impl Tokens {
    /// `access token 1a2b3c4d, refresh token 5e6f7a8b, scope profile:read`: fingerprints only.
    pub fn describe(&self) -> String {
        format!(
            "access token {}, refresh token {}, scope {}",
            shared::fingerprint(&self.access),
            self.refresh
                .as_deref()
                .map_or_else(|| "none".to_owned(), shared::fingerprint),
            self.scope
        )
    }
}

/// The provider account the lab's browsers log in with (`OAUTH_USERNAME`, `OAUTH_PASSWORD`).
pub fn credentials(lab: &Lab) -> (&str, &str) {
    (&lab.username, lab.password.expose())
}

/// The scopes this client asks for at `/login` (`SCOPES`), space-separated.
pub fn default_scope(ctx: &LabContext<'_>) -> String {
    ctx.provider
        .askable_scopes(&ctx.oauth.settings().scopes)
        .join(" ")
}

/// The client's flow up to the code: an authorization request built like `/login`'s, the
/// agent logs in and approves; answers the code and the verifier.
pub async fn obtain_code(
    ctx: &LabContext<'_>,
    transcript: &mut Transcript,
    agent: &Agent,
    scope: &str,
) -> Result<(String, String), LabError> {
    let settings = ctx.oauth.settings();
    let request = authorization_request(
        &ctx.provider.endpoints.authorization,
        &settings.client_id,
        settings.redirect_uri.as_str(),
        scope,
    )?;
    transcript.secret(request.verifier.secret());
    let callback = agent
        .authorize(
            transcript,
            &request.url,
            credentials(ctx.lab),
            Decision::Approve,
        )
        .await?;
    let code = query_param(&callback, "code").ok_or_else(|| {
        LabError::new(format!(
            "the provider sent no code: {}",
            query_param(&callback, "error").unwrap_or_else(|| "no error either".into())
        ))
    })?;
    transcript.secret(&code);
    transcript.step(
        "A real flow: the user logs in at the provider and approves; the provider redirects back with a code",
        StepKind::Setup,
        vec![format!(
            "scope {scope}; the code {} and the PKCE verifier {} (masked here)",
            shared::mask(&code),
            shared::mask(request.verifier.secret())
        )],
    );
    Ok((code, request.verifier.secret().to_owned()))
}

/// A real flow, redeemed as the client would: what a card needs to attack what comes after.
pub struct RealFlow {
    pub code: String,
    pub verifier: String,
    pub tokens: Tokens,
}

/// [`obtain_code`], then the code redeemed with its verifier (RFC 6749 §4.1.3): one more
/// setting-up step, titled `title`, naming the tokens.
pub async fn obtain_tokens(
    ctx: &LabContext<'_>,
    transcript: &mut Transcript,
    scope: &str,
    title: &str,
) -> Result<RealFlow, LabError> {
    let (code, verifier) = obtain_code(ctx, transcript, &ctx.lab.attacker, scope).await?;
    let redeemed = redeem(ctx, transcript, &code, Some(&verifier)).await?;
    let tokens = tokens_of(transcript, &redeemed, "the code exchange")?;
    transcript.step(title, StepKind::Setup, vec![tokens.describe()]);
    Ok(RealFlow {
        code,
        verifier,
        tokens,
    })
}

/// `agent` opens this client's own `/login` (RFC 6749 §4.1.1 as the client sends it: the
/// `state` and the PKCE verifier kept in that browser's session); answers the authorization
/// request it was redirected to.
pub async fn start_login_at_client(
    ctx: &LabContext<'_>,
    transcript: &mut Transcript,
    agent: &Agent,
) -> Result<String, LabError> {
    let login_url = format!("{}/login", ctx.oauth.settings().public_origin());
    let started = transcript.send(&agent.http, get(&login_url, None)?).await?;
    location(&login_url, &started).ok_or_else(|| {
        LabError::new(format!(
            "this client's /login did not redirect (HTTP {})",
            started.status().as_u16()
        ))
    })
}

/// `agent` follows `authorization_url` at the provider, logs in and approves (RFC 6749
/// §4.1.1–4.1.2); answers the redirect back, not opened, its code masked from now on.
pub async fn approve(
    ctx: &LabContext<'_>,
    transcript: &mut Transcript,
    agent: &Agent,
    authorization_url: &str,
) -> Result<String, LabError> {
    let callback = agent
        .authorize(
            transcript,
            authorization_url,
            credentials(ctx.lab),
            Decision::Approve,
        )
        .await?;
    remember_code(transcript, &callback);
    Ok(callback)
}

/// Masks the code of a redirect back (`callback`) wherever it appears in the transcript.
fn remember_code(transcript: &mut Transcript, callback: &str) {
    if let Some(code) = query_param(callback, "code") {
        transcript.secret(&code);
    }
}

/// `POST endpoint` with `form`, authenticated as this client (HTTP Basic, RFC 6749 §2.3.1),
/// as the client's own back channel does.
pub async fn post_as_client(
    ctx: &LabContext<'_>,
    transcript: &mut Transcript,
    endpoint: &str,
    form: &[(&str, &str)],
) -> Result<HttpResponse, LabError> {
    let settings = ctx.oauth.settings();
    let credentials = (settings.client_id.as_str(), settings.client_secret.expose());
    transcript
        .send(
            ctx.oauth.http(),
            post_form(endpoint, form, Some(credentials))?,
        )
        .await
}

/// `POST /oauth/token` `grant_type=authorization_code`, authenticated as this client.
pub async fn redeem(
    ctx: &LabContext<'_>,
    transcript: &mut Transcript,
    code: &str,
    verifier: Option<&str>,
) -> Result<HttpResponse, LabError> {
    let settings = ctx.oauth.settings();
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", settings.redirect_uri.as_str()),
    ];
    if let Some(verifier) = verifier {
        form.push(("code_verifier", verifier));
    }
    post_as_client(ctx, transcript, &ctx.provider.endpoints.token, &form).await
}

/// `POST /oauth/token` `grant_type=refresh_token`, optionally with a `scope`.
pub async fn refresh_grant(
    ctx: &LabContext<'_>,
    transcript: &mut Transcript,
    refresh: &str,
    scope: Option<&str>,
) -> Result<HttpResponse, LabError> {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", refresh)];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    post_as_client(ctx, transcript, &ctx.provider.endpoints.token, &form).await
}

/// RFC 7662: `Some(active)`, or `None` when the provider publishes no introspection endpoint.
pub async fn introspect(
    ctx: &LabContext<'_>,
    transcript: &mut Transcript,
    token: &str,
) -> Result<Option<bool>, LabError> {
    let Some(endpoint) = &ctx.provider.endpoints.introspection else {
        return Ok(None);
    };
    let form = [("token", token), ("token_type_hint", "access_token")];
    let answer = post_as_client(ctx, transcript, endpoint, &form).await?;
    Ok(json_bool(&answer, "active"))
}

/// Revokes what a run obtained (RFC 7009), so the lab leaves no live grant behind.
pub async fn tidy_up(
    ctx: &LabContext<'_>,
    transcript: &mut Transcript,
    tokens: &Tokens,
) -> Result<(), LabError> {
    let Some(endpoint) = &ctx.provider.endpoints.revocation else {
        return Ok(());
    };
    let (token, hint) = match &tokens.refresh {
        Some(refresh) => (refresh.as_str(), "refresh_token"),
        None => (tokens.access.as_str(), "access_token"),
    };
    let form = [("token", token), ("token_type_hint", hint)];
    let answer = post_as_client(ctx, transcript, endpoint, &form).await?;
    transcript.step(
        "Tidying up: the lab revokes the tokens it obtained",
        StepKind::Check,
        vec![format!(
            "HTTP {} (RFC 7009): revoking the {hint} ends its grant.",
            answer.status().as_u16()
        )],
    );
    Ok(())
}

/// The tokens of a 200 token response, remembered as secrets to mask.
pub fn tokens_of(
    transcript: &mut Transcript,
    response: &HttpResponse,
    what: &str,
) -> Result<Tokens, LabError> {
    if !response.status().is_success() {
        return Err(LabError::new(format!(
            "{what} failed, so the attack could not be set up: {}",
            answer_note(response)
        )));
    }
    let access = json_field(response, "access_token")
        .ok_or_else(|| LabError::new(format!("{what}: no access_token in the answer")))?;
    transcript.secret(&access);
    let refresh = json_field(response, "refresh_token");
    if let Some(refresh) = &refresh {
        transcript.secret(refresh);
    }
    Ok(Tokens {
        access,
        refresh,
        scope: json_field(response, "scope").unwrap_or_default(),
    })
}

/// A step that sent the attack: accepted on a 2xx, refused otherwise.
pub fn kind_of(response: &HttpResponse) -> StepKind {
    if response.status().is_success() {
        StepKind::Accepted
    } else {
        StepKind::Refused
    }
}

/// `HTTP 400 invalid_grant: the authorization code was already used; ...`.
pub fn answer_note(response: &HttpResponse) -> String {
    let status = response.status().as_u16();
    match error_of(response) {
        (Some(code), Some(description)) => format!("HTTP {status} {code}: {description}"),
        (Some(code), None) => format!("HTTP {status} {code}"),
        _ if response.status().is_success() => format!("HTTP {status}: accepted"),
        _ => format!("HTTP {status}"),
    }
}

/// The verdict of a JSON answer (RFC 6749 §5.2, RFC 6750 §3.1): refused unless 2xx, with
/// its `error` and `error_description`, and the summary that fits.
pub fn verdict_of(response: &HttpResponse, refused: &str, accepted: &str) -> Verdict {
    let (code, description) = error_of(response);
    let is_refused = !response.status().is_success();
    Verdict {
        refused: is_refused,
        status: Some(response.status().as_u16()),
        code,
        description,
        summary: if is_refused { refused } else { accepted }.to_owned(),
    }
}

/// The verdict of a check of this client's own (a page, not JSON): the victim's browser opens `link` at the client's real `/callback`: the attack holds only
/// if the answer is an error page naming the check that failed (`state mismatch`, ...).
pub async fn open_at_real_callback(
    transcript: &mut Transcript,
    lab: &Lab,
    link: &str,
    title: &str,
    check: &str,
    summary: &str,
) -> Result<Verdict, LabError> {
    let opened = transcript.send(&lab.victim.http, get(link, None)?).await?;
    let status = opened.status().as_u16();
    let page = page_text(&String::from_utf8_lossy(opened.body()));
    let refused = opened.status().is_client_error() && page.contains(check);
    transcript.step(
        title,
        if refused {
            StepKind::Refused
        } else {
            StepKind::Accepted
        },
        vec![format!("HTTP {status}: {}", shorten(&page, 400))],
    );
    // The error page's title and text; its check is the verdict's code, its links are noise.
    let description = page
        .split("Check that failed")
        .next()
        .unwrap_or_default()
        .trim();
    Ok(Verdict {
        refused,
        status: Some(status),
        code: Some(check.to_owned()),
        description: Some(shorten(description, 400)),
        summary: if refused {
            summary.to_owned()
        } else {
            format!("The real /callback did not refuse as expected (HTTP {status}).")
        },
    })
}

/// Opens `callback_url` at the naive handler (in-process) and, if it signs the victim in,
/// shows whose account that is, then revokes the tokens so they do not linger.
pub async fn naive_run(
    ctx: &LabContext<'_>,
    mut transcript: Transcript,
    callback_url: &str,
    title: &str,
    success: &str,
) -> Result<NaiveReport, LabError> {
    let response = AuthorizationResponse {
        code: query_param(callback_url, "code"),
        state: query_param(callback_url, "state"),
        iss: query_param(callback_url, "iss"),
        error: query_param(callback_url, "error"),
        error_description: query_param(callback_url, "error_description"),
        error_uri: None,
    };
    let outcome = ctx
        .lab
        .naive
        .naive_callback(ctx.oauth, &ctx.provider, &response, &mut transcript)
        .await;
    let (succeeded, summary) = match outcome {
        Ok(signed_in) => {
            transcript.step(
                title,
                StepKind::Accepted,
                vec![format!(
                    "ACCEPTED: tokens for {} (access token {}).",
                    signed_in.scopes.join(" "),
                    shared::fingerprint(&signed_in.access_token)
                )],
            );
            let me = transcript
                .send(
                    ctx.oauth.http(),
                    get(
                        &ctx.oauth.settings().provider_url("/api/auth/me"),
                        Some(&signed_in.access_token),
                    )?,
                )
                .await?;
            transcript.step(
                "The victim's session now reads this account's profile",
                StepKind::Accepted,
                vec![format!(
                    "HTTP {}: username {}",
                    me.status().as_u16(),
                    json_field(&me, "username").unwrap_or_else(|| "(not shown)".into())
                )],
            );
            let tokens = Tokens {
                access: signed_in.access_token,
                refresh: signed_in.refresh_token,
                scope: signed_in.scopes.join(" "),
            };
            tidy_up(ctx, &mut transcript, &tokens).await?;
            (true, success.to_owned())
        }
        Err(reason) => {
            transcript.step(title, StepKind::Refused, vec![reason.clone()]);
            (false, format!("Even the naive handler gave up: {reason}."))
        }
    };
    Ok(NaiveReport {
        steps: transcript.finish(ctx.oauth.masker()),
        succeeded,
        summary,
    })
}

/// `access token 1a2b3c4d: active = true`, for a step's notes.
pub fn active_note(token: &str, active: Option<bool>) -> String {
    format!(
        "access token {}: active = {}",
        shared::fingerprint(token),
        show_active(active)
    )
}

/// An introspection answer in words.
pub fn show_active(active: Option<bool>) -> &'static str {
    match active {
        Some(true) => "true",
        Some(false) => "false",
        None => "unknown (no introspection endpoint)",
    }
}

/// `text` cut to `limit` characters, with `…` where it was cut.
pub fn shorten(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(limit).collect();
    short.push('…');
    short
}
