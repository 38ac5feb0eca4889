//! The attack lab's cards: nine attacks on the authorization code flow and the APIs it opens, each performed for
//! real against the running provider, each refused for a reason an RFC names.
//!
//! | card | attack | refused by | RFC |
//! |---|---|---|---|
//! | 1 | replaying an authorization code | provider | RFC 6749 §4.1.2, §10.5 |
//! | 2 | login CSRF: a `state` this browser never started | client | RFC 6749 §10.12 |
//! | 3 | a stolen code without (or with a wrong) PKCE verifier | provider | RFC 7636 §4.6 |
//! | 4 | reusing a rotated refresh token | provider | RFC 9700 §4.14.2 |
//! | 5 | a redirect to an unregistered URI | provider | RFC 6749 §4.1.2.1, RFC 9700 §4.1.3 |
//! | 6 | widening the scope on refresh | provider | RFC 6749 §6 |
//! | 7 | a bearer token in the query string | provider | RFC 6750 §2.3, §5.3 |
//! | 8 | mix-up: an `iss` that is not the provider's | client | RFC 9207 §2.4 |
//! | 9 | a scope is not a permission: a plain member adding an admin | provider | RFC 6749 §3.3 |
//!
//! Cards 2 and 8 are defences of this client, so they run twice: against the real
//! `/callback` over HTTP, and against [`crate::lab::naive_callback`], where they succeed.
//! Card 9 runs twice too: against the provider's team API, and against
//! [`crate::lab::naive_team_api`], which checks the scope only.

use std::sync::Arc;

use oauth2::{HttpResponse, PkceCodeChallenge};
use serde::Serialize;
use shared::team::{TeamMember, TeamRole};

use crate::flow::{CodeRef, RfcLink, rfc};
use crate::lab::agent::{
    Agent, Decision, authorization_request, get, location, post, post_form, query_param, with_param,
};
use crate::lab::naive_team_api;
use crate::lab::transcript::{
    LabStep, StepKind, Transcript, error_of, header, json_bool, json_field,
};
use crate::lab::{Lab, LabError, page_text};
use crate::oauth::{AuthorizationResponse, OAuth, Provider};

/// The issuer a mix-up response claims to come from: one this client never started with.
pub const ATTACKER_ISSUER: &str = "https://attacker.example";
/// Where the open-redirect card asks the provider to send the code.
pub const ATTACKER_REDIRECT: &str = "https://attacker.example/steal";

/// One card of the lab: the attack, what it wants, and what refuses it.
#[derive(Debug, Clone, Serialize)]
pub struct Card {
    /// The path segment of its button: `POST /lab/{id}`.
    pub id: &'static str,
    pub number: usize,
    pub title: &'static str,
    /// What the attacker wants.
    pub wants: &'static str,
    /// What the button does, for real.
    pub does: &'static str,
    /// Why it fails: the defence in a few sentences.
    pub defence: &'static str,
    /// `provider` or `client`: whose defence this is.
    pub defended_by: &'static str,
    pub rfcs: Vec<RfcLink>,
    /// The files and functions that refuse it.
    pub refused_by: Vec<CodeRef>,
    /// For client-side defences: the naive handler the attack also runs against.
    pub naive: Option<CodeRef>,
    /// A setting that changes the outcome, and what it does.
    pub setting: Option<&'static str>,
}

const fn code(file: &'static str, function: &'static str) -> CodeRef {
    CodeRef { file, function }
}

const NAIVE: CodeRef = code("client/src/lab/naive_callback.rs", "naive_callback");

/// Every card, in the order of the page.
pub fn cards() -> Vec<Card> {
    vec![
        Card {
            id: "code-replay",
            number: 1,
            title: "Replaying an authorization code",
            wants: "An authorization code that leaked (a proxy log, browser history, a Referer header) redeemed a second time, for tokens of their own.",
            does: "Runs a real flow (the lab's browser logs in as demo and approves), redeems the code as the client would, checks the access token is active, then redeems the same code again. Then it introspects the first access token and tries the first refresh token.",
            defence: "A code works once. A second use is refused with invalid_grant, and because two parties evidently hold the code, the provider also revokes every token the first use produced: the legitimate client's tokens die too, so whoever got them first loses them.",
            defended_by: "provider",
            rfcs: vec![rfc(6749, "4.1.2"), rfc(6749, "10.5"), rfc(9700, "4.2.4")],
            refused_by: vec![
                code(
                    "provider/src/oauth/token/authorization_code.rs",
                    "exchange_code",
                ),
                code("provider/src/store.rs", "commit_code"),
                code("provider/src/store.rs", "revoke_grant"),
            ],
            naive: None,
            setting: None,
        },
        Card {
            id: "login-csrf",
            number: 2,
            title: "Login CSRF: finishing a flow with a state this browser never started",
            wants: "The victim signed in to the client with the attacker's account, without noticing: whatever the victim then saves (a card number, a document) lands in the attacker's account.",
            does: "The attacker's browser starts a login at this client, logs in at the provider, approves, and keeps the redirect back (code, state, iss) instead of opening it. The victim's browser, which has a login of its own pending, is then made to open that link: first at this client's real /callback, then at the deliberately naive callback.",
            defence: "The client keeps the state it sent in the browser's own server-side session and compares it (in constant time) with the one that comes back. The attacker's state was never sent from the victim's browser, so the real /callback refuses with \"state mismatch\" and exchanges nothing. The naive handler keeps its pending logins server-wide, keyed by state: the attacker's state is in there, so it redeems the attacker's code in the victim's session.",
            defended_by: "client",
            rfcs: vec![rfc(6749, "10.12"), rfc(9700, "4.7")],
            refused_by: vec![
                code("client/src/routes/callback.rs", "callback"),
                code("client/src/session/vault.rs", "take_pending"),
                code("client/src/oauth.rs", "same_state"),
            ],
            naive: Some(NAIVE),
            setting: None,
        },
        Card {
            id: "stolen-code",
            number: 3,
            title: "A stolen code without the PKCE verifier",
            wants: "Tokens for a code intercepted on its way back to the client (a malicious app on the same device, a log). The attacker even has the client's credentials here (for a public client there is no secret at all): only the verifier is missing.",
            does: "Runs a real flow and takes the code. Redeems it with no code_verifier, then with a verifier of the attacker's own. Then the legitimate client redeems it with the real verifier. Last, it starts a flow with no code_challenge at all, as a client that skips PKCE would, and tries to redeem that flow's code without a verifier.",
            defence: "The code is bound to the code_challenge of the authorization request, the SHA-256 of a verifier that never left the client's server. Without it the code is worthless (invalid_grant). The check runs before the code is marked used, so the attacker's tries do not burn it: the legitimate client still gets its tokens. And a request without a code_challenge gets no code at all (invalid_request), so no client can opt out. (Workshop exercise ex03 turns that off: rerun this card to see it succeed.)",
            defended_by: "provider",
            rfcs: vec![rfc(7636, "4.6"), rfc(7636, "1"), rfc(9700, "2.1.1")],
            refused_by: vec![
                code(
                    "provider/src/oauth/token/authorization_code.rs",
                    "check_binding",
                ),
                code("provider/src/domain/pkce.rs", "is_satisfied_by"),
                code("provider/src/oauth/authorize.rs", "check_pkce"),
            ],
            naive: None,
            setting: None,
        },
        Card {
            id: "refresh-reuse",
            number: 4,
            title: "Reusing a rotated refresh token",
            wants: "Long-lived access from a copied refresh token, while the legitimate client keeps refreshing too.",
            does: "Runs a real flow, refreshes once (the provider rotates: a new refresh token, the old one retired), then presents the retired refresh token again, as an attacker holding a copy would. Then it tries the new refresh token and introspects the newest access token.",
            defence: "Refresh tokens rotate, and a retired one presented again means two parties hold it. The provider cannot tell which one is legitimate, so it refuses (invalid_grant) and revokes the whole grant: the new refresh token and its access token die too. The user logs in again; the attacker is out.",
            defended_by: "provider",
            rfcs: vec![rfc(9700, "4.14.2"), rfc(6749, "10.4"), rfc(6749, "6")],
            refused_by: vec![
                code("provider/src/oauth/token/refresh_token.rs", "refresh"),
                code("provider/src/store.rs", "commit_rotation"),
            ],
            naive: None,
            setting: None,
        },
        Card {
            id: "open-redirect",
            number: 5,
            title: "A redirect to an unregistered URI (open redirect)",
            wants: "The provider sending the user, with a fresh code, to the attacker's site instead of the client's redirect URI.",
            does: "Sends the lab's browser to the authorization endpoint with the client's real client_id and a redirect_uri of the attacker's, twice: a foreign one, and one that starts with the client's own address (http://client@attacker.example/...: the part before @ is a user name, the host is attacker.example).",
            defence: "The redirect URI must equal a registered one, character for character: no prefix, no pattern. Until it does, the provider shows an error page itself and never redirects, since an unverified redirect URI may be the attacker's (and an error redirect would make the provider an open redirector).",
            defended_by: "provider",
            rfcs: vec![
                rfc(6749, "4.1.2.1"),
                rfc(6749, "3.1.2.3"),
                rfc(9700, "4.1.3"),
            ],
            refused_by: vec![
                code("provider/src/oauth/authorize.rs", "check_redirect_uri"),
                code("provider/src/domain/client.rs", "verify_redirect_uri"),
            ],
            naive: None,
            setting: None,
        },
        Card {
            id: "scope-widening",
            number: 6,
            title: "Widening the scope on refresh",
            wants: "More than the user approved (teams:write) from a refresh token granted for less (profile:read).",
            does: "Runs a real flow asking only for profile:read, then refreshes asking for profile:read teams:write. Then refreshes again without a scope.",
            defence: "A refresh may narrow the scope, never widen it: a scope the user did not approve is invalid_scope. The refused request changes nothing, so the refresh token still works for what was granted.",
            defended_by: "provider",
            rfcs: vec![rfc(6749, "6"), rfc(6749, "3.3"), rfc(6749, "5.2")],
            refused_by: vec![
                code("provider/src/oauth/token/mod.rs", "requested_scope"),
                code("provider/src/oauth/token/refresh_token.rs", "refresh"),
            ],
            naive: None,
            setting: None,
        },
        Card {
            id: "token-in-query",
            number: 7,
            title: "A token in the query string",
            wants: "Bearer tokens in URLs (?access_token=...), where they leak: server and proxy access logs record URLs, browsers keep them in history, and the Referer header sends them to the next site.",
            does: "Gets an access token (client_credentials), calls the provider's /protected with it in the query string, then the same token in the Authorization header.",
            defence: "The provider accepts tokens in the Authorization header only. A request with its token in the query string lacks the authentication the resource accepts, so it is refused with 401 and a bare WWW-Authenticate: Bearer challenge (no error code, RFC 6750 §3.1) before the token is even looked up. The header call shows the token itself was fine.",
            defended_by: "provider",
            rfcs: vec![rfc(6750, "2.3"), rfc(6750, "5.3"), rfc(9700, "4.3.2")],
            refused_by: vec![code("provider/src/api/bearer.rs", "presented_token")],
            naive: None,
            setting: Some(
                "ALLOW_BEARER_IN_QUERY (provider, default false) turns query-string tokens on, as RFC 6750 §2.3 allows for clients that cannot send headers. Turn it on and this card's attack succeeds: that is the leak the default prevents.",
            ),
        },
        Card {
            id: "mix-up",
            number: 8,
            title: "Mix-up: a response whose iss is not the provider the client started with",
            wants: "A client that works with several providers, one of them the attacker's, tricked into sending a code (and its verifier) from the honest provider to the attacker's token endpoint.",
            does: "The victim's browser starts a login (at this client's real /login, then at the naive client), logs in at the provider and approves; the authorization response is then rewritten to say iss=https://attacker.example, as a mix-up makes it look, and opened: at the real /callback, then at the naive callback.",
            defence: "The provider promises iss in every authorization response (its metadata says authorization_response_iss_parameter_supported). The client compares iss with the issuer it started the login with, by simple string comparison, before looking at anything else, and refuses a mismatch (\"iss mismatch\"): the code is never sent anywhere. The naive handler ignores iss and redeems the code: with several providers configured, it would have sent it to whichever one the session believed it was talking to.",
            defended_by: "client",
            rfcs: vec![rfc(9207, "2.4"), rfc(9700, "4.4")],
            refused_by: vec![
                code("client/src/oauth.rs", "finish_login"),
                code("client/src/routes/callback.rs", "callback"),
            ],
            naive: Some(NAIVE),
            setting: None,
        },
        Card {
            id: "scope-not-permission",
            number: 9,
            title: "A scope is not a permission: a plain member with teams:write adds an admin",
            wants: "Control of a team the user merely belongs to: with a token that carries teams:write, add mallory as an admin of a team where the user is a plain member, and take it over from there.",
            does: "Runs a real flow asking for teams:read teams:write (the lab's browser logs in as demo and approves), lists the user's teams, picks one where demo is a plain member, and POSTs {\"username\": \"mallory\", \"role\": \"admin\"} to its members with the token. Then it lists the team again. Last, the same request goes to a deliberately naive team handler that checks the scope only.",
            defence: "The scope says what the client may do for the user; the user's role in the team says what the user may do; a change needs both. teams:write lets the app manage teams as far as the user may, never further. Only a team's admins add members or grant admin, so the provider refuses with 403 forbidden, naming the rule, and the team is unchanged. (A member may still leave, and a team never loses its last admin: 409.) The naive handler introspects the token, sees teams:write, and adds mallory as admin.",
            defended_by: "provider",
            rfcs: vec![rfc(6749, "3.3"), rfc(6750, "3.1"), rfc(7662, "2.2")],
            refused_by: vec![
                code("provider/src/domain/teams.rs", "add_member"),
                code("provider/src/api/teams.rs", "add_member"),
            ],
            naive: Some(code("client/src/lab/naive_team_api.rs", "naive_add_member")),
            setting: None,
        },
    ]
}

/// The card with this id.
pub fn card(id: &str) -> Option<Card> {
    cards().into_iter().find(|card| card.id == id)
}

/// The outcome of the decisive request: refused or not, and the reason given.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub refused: bool,
    pub status: Option<u16>,
    /// The RFC error code (`invalid_grant`) or, for the client's own checks, the check that
    /// failed (`state mismatch`).
    pub code: Option<String>,
    pub description: Option<String>,
    /// One sentence: what happened.
    pub summary: String,
}

/// The run against the deliberately naive callback handler.
#[derive(Debug, Clone, Serialize)]
pub struct NaiveReport {
    pub steps: Vec<LabStep>,
    pub succeeded: bool,
    pub summary: String,
}

/// Everything a run shows on its card.
#[derive(Debug, Clone, Serialize)]
pub struct AttackReport {
    pub verdict: Verdict,
    pub steps: Vec<LabStep>,
    /// What the run proved afterwards ("the first access token is now inactive").
    pub consequences: Vec<String>,
    pub naive: Option<NaiveReport>,
}

/// What a run needs: the OAuth client (settings, back channel), the provider, the lab.
pub struct LabContext<'a> {
    pub oauth: &'a OAuth,
    pub provider: Arc<Provider>,
    pub lab: &'a Lab,
}

/// Runs the card `id`'s attack. `None` if there is no such card.
pub async fn run(id: &str, ctx: &LabContext<'_>) -> Option<Result<AttackReport, LabError>> {
    Some(match id {
        "code-replay" => code_replay(ctx).await,
        "login-csrf" => login_csrf(ctx).await,
        "stolen-code" => stolen_code(ctx).await,
        "refresh-reuse" => refresh_reuse(ctx).await,
        "open-redirect" => open_redirect(ctx).await,
        "scope-widening" => scope_widening(ctx).await,
        "token-in-query" => token_in_query(ctx).await,
        "mix-up" => mix_up(ctx).await,
        "scope-not-permission" => scope_not_permission(ctx).await,
        _ => return None,
    })
}

// ----- card 1 -----

async fn code_replay(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let mut t = Transcript::new();
    let (code, verifier) = obtain_code(ctx, &mut t, &ctx.lab.attacker, &default_scope(ctx)).await?;
    let first = redeem(ctx, &mut t, &code, Some(&verifier)).await?;
    let tokens = tokens_of(&mut t, &first, "the first redemption of the code")?;
    t.step(
        "The client redeems the code: tokens",
        StepKind::Setup,
        vec![tokens.describe()],
    );
    let before = introspect(ctx, &mut t, &tokens.access).await?;
    t.step(
        "Introspection: the access token is active",
        StepKind::Check,
        vec![active_note(&tokens.access, before)],
    );
    let replay = redeem(ctx, &mut t, &code, Some(&verifier)).await?;
    let verdict = verdict_of(
        &replay,
        "The second redemption of the same code was refused.",
        "The provider accepted the same code twice: its single-use rule does not hold.",
    );
    t.step(
        "The attack: the same code, redeemed a second time",
        kind_of(&replay),
        vec![answer_note(&replay)],
    );
    let after = introspect(ctx, &mut t, &tokens.access).await?;
    t.step(
        "Introspection again: the first access token",
        StepKind::Check,
        vec![active_note(&tokens.access, after)],
    );
    let mut consequences = vec![format!(
        "The first access token {}: active before the replay = {}, after = {}.",
        shared::fingerprint(&tokens.access),
        show_active(before),
        show_active(after)
    )];
    if let Some(refresh) = &tokens.refresh {
        let refreshed = refresh_grant(ctx, &mut t, refresh, None).await?;
        t.step(
            "And the first refresh token",
            StepKind::Check,
            vec![answer_note(&refreshed)],
        );
        consequences.push(format!(
            "The first refresh token {}: {}.",
            shared::fingerprint(refresh),
            answer_note(&refreshed)
        ));
    }
    Ok(AttackReport {
        verdict,
        steps: t.finish(ctx.oauth.masker()),
        consequences,
        naive: None,
    })
}

// ----- card 2 -----

async fn login_csrf(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let lab = ctx.lab;
    let mut t = Transcript::new();
    let login_url = format!("{}/login", ctx.oauth.settings().public_origin());
    let started = t.send(&lab.attacker.http, get(&login_url, None)?).await?;
    let authorization = location(&login_url, &started).ok_or_else(|| {
        LabError::new(format!(
            "this client's /login did not redirect (HTTP {})",
            started.status().as_u16()
        ))
    })?;
    t.step(
        "The attacker's browser starts a login at this client",
        StepKind::Setup,
        vec!["This client keeps the state it sends in the attacker's session, server-side.".into()],
    );
    let callback = lab
        .attacker
        .authorize(&mut t, &authorization, credentials(lab), Decision::Approve)
        .await?;
    remember_code(&mut t, &callback);
    t.step(
        "The attacker logs in at the provider and approves, then keeps the redirect back instead of opening it",
        StepKind::Setup,
        vec![format!(
            "The link the attacker will plant (a hidden image, a link in an email): {callback}"
        )],
    );
    let victim_login = t.send(&lab.victim.http, get(&login_url, None)?).await?;
    t.step(
        "The victim's browser has a login of its own pending at this client",
        StepKind::Setup,
        vec![format!(
            "GET /login answered {}: a state of the victim's own is now kept in the victim's session. (Without one, /callback answers \"No login in progress\" instead: refused either way.)",
            victim_login.status().as_u16()
        )],
    );
    let verdict = open_at_real_callback(
        &mut t,
        lab,
        &callback,
        "The attack: the victim's browser opens the attacker's link at the real /callback",
        "state mismatch",
        "The real /callback refused the attacker's link: state mismatch. Nothing was exchanged.",
    )
    .await?;

    // The same attack against the deliberately naive handler.
    let mut n = Transcript::new();
    let scopes = ctx.oauth.settings().scopes.clone();
    let naive_url = lab.naive.begin_login(&ctx.provider, &scopes);
    n.step(
        "The attacker starts a login at the NAIVE client",
        StepKind::Setup,
        vec![
            "The naive client remembers (state → PKCE verifier) in one server-wide table, for no browser in particular.".into(),
        ],
    );
    let naive_callback = lab
        .attacker
        .authorize(&mut n, &naive_url, credentials(lab), Decision::Approve)
        .await?;
    remember_code(&mut n, &naive_callback);
    n.step(
        "The attacker approves at the provider and keeps the redirect back",
        StepKind::Setup,
        Vec::new(),
    );
    let naive = naive_run(
        ctx,
        n,
        &naive_callback,
        "The victim's browser opens the attacker's link at the NAIVE callback",
        "The naive handler found the attacker's state in its server-wide table and redeemed the attacker's code: the victim's session is now signed in to the attacker's account.",
    )
    .await?;
    Ok(AttackReport {
        verdict,
        steps: t.finish(ctx.oauth.masker()),
        consequences: vec![
            "The attacker's code was not redeemed by the real client (it expires unused within a minute).".into(),
        ],
        naive: Some(naive),
    })
}

// ----- card 3 -----

async fn stolen_code(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let mut t = Transcript::new();
    let (code, verifier) = obtain_code(ctx, &mut t, &ctx.lab.attacker, &default_scope(ctx)).await?;
    let without = redeem(ctx, &mut t, &code, None).await?;
    t.step(
        "The attack: the stolen code, redeemed without a code_verifier",
        kind_of(&without),
        vec![answer_note(&without)],
    );
    let (_, guessed) = PkceCodeChallenge::new_random_sha256();
    t.secret(guessed.secret());
    let wrong = redeem(ctx, &mut t, &code, Some(guessed.secret())).await?;
    t.step(
        "The attack again: with a code_verifier of the attacker's own",
        kind_of(&wrong),
        vec![answer_note(&wrong)],
    );
    let legit = redeem(ctx, &mut t, &code, Some(&verifier)).await?;
    let mut consequences = vec![format!(
        "The legitimate client, with the real verifier: {}.",
        answer_note(&legit)
    )];
    let legit_kind = if legit.status().is_success() {
        StepKind::Check
    } else {
        StepKind::Refused
    };
    t.step(
        "The legitimate client redeems the code with its verifier",
        legit_kind,
        vec![answer_note(&legit)],
    );
    if let Ok(tokens) = tokens_of(&mut t, &legit, "the legitimate redemption") {
        consequences.push("The attacker's attempts did not burn the code.".into());
        tidy_up(ctx, &mut t, &tokens).await?;
    }

    // A client that skips PKCE: the provider must issue it no code at all, or its codes
    // could be redeemed by whoever steals them.
    let settings = ctx.oauth.settings();
    let request = authorization_request(
        &ctx.provider.endpoints.authorization,
        &settings.client_id,
        settings.redirect_uri.as_str(),
        &default_scope(ctx),
    )?;
    let callback = ctx
        .lab
        .attacker
        .authorize(
            &mut t,
            &request.url_without_pkce(),
            credentials(ctx.lab),
            Decision::Approve,
        )
        .await?;
    let unprotected_refused = match query_param(&callback, "code") {
        None => {
            let refusal = format!(
                "error={}: {}",
                query_param(&callback, "error").unwrap_or_default(),
                query_param(&callback, "error_description").unwrap_or_default()
            );
            t.step(
                "And a flow without PKCE at all (no code_challenge): the provider issues no code",
                StepKind::Refused,
                vec![refusal.clone()],
            );
            consequences.push(format!(
                "An authorization request without a code_challenge gets no code: {refusal}."
            ));
            true
        }
        Some(code) => {
            t.secret(&code);
            t.step(
                "And a flow without PKCE at all (no code_challenge): the provider issued a code",
                StepKind::Accepted,
                Vec::new(),
            );
            let stolen = redeem(ctx, &mut t, &code, None).await?;
            t.step(
                "The attack: that flow's code, stolen, redeemed without a verifier",
                kind_of(&stolen),
                vec![answer_note(&stolen)],
            );
            consequences.push(format!(
                "A flow without PKCE got a code, and its stolen code: {}.",
                answer_note(&stolen)
            ));
            if let Ok(tokens) = tokens_of(&mut t, &stolen, "the stolen code") {
                tidy_up(ctx, &mut t, &tokens).await?;
            }
            !stolen.status().is_success()
        }
    };

    let refused =
        !without.status().is_success() && !wrong.status().is_success() && unprotected_refused;
    let verdict = Verdict {
        refused,
        status: Some(wrong.status().as_u16()),
        code: error_of(&wrong).0.or(error_of(&without).0),
        description: Some(format!(
            "without a verifier: {}; with a wrong one: {}",
            error_of(&without).1.unwrap_or_default(),
            error_of(&wrong).1.unwrap_or_default()
        )),
        summary: if refused {
            "Every attempt was refused: the code is useless without the verifier, and the provider issues no code without a challenge.".into()
        } else {
            "The provider gave tokens for a stolen code without its verifier: PKCE is not enforced."
                .into()
        },
    };
    Ok(AttackReport {
        verdict,
        steps: t.finish(ctx.oauth.masker()),
        consequences,
        naive: None,
    })
}

// ----- card 4 -----

async fn refresh_reuse(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let mut t = Transcript::new();
    let (code, verifier) = obtain_code(ctx, &mut t, &ctx.lab.attacker, &default_scope(ctx)).await?;
    let first = redeem(ctx, &mut t, &code, Some(&verifier)).await?;
    let first = tokens_of(&mut t, &first, "the code exchange")?;
    t.step(
        "The client redeems the code: tokens",
        StepKind::Setup,
        vec![first.describe()],
    );
    let old_refresh = first
        .refresh
        .clone()
        .ok_or_else(|| LabError::new("the provider issued no refresh token"))?;
    let rotated = refresh_grant(ctx, &mut t, &old_refresh, None).await?;
    let second = tokens_of(&mut t, &rotated, "the first refresh")?;
    t.step(
        "The client refreshes: the provider rotates the refresh token",
        StepKind::Setup,
        vec![
            second.describe(),
            format!(
                "The refresh token {} is now retired.",
                shared::fingerprint(&old_refresh)
            ),
        ],
    );
    let reuse = refresh_grant(ctx, &mut t, &old_refresh, None).await?;
    let verdict = verdict_of(
        &reuse,
        "The retired refresh token was refused, and the whole grant revoked.",
        "The provider accepted a retired refresh token: rotation does not detect reuse.",
    );
    t.step(
        "The attack: the retired refresh token, presented again (the attacker's copy)",
        kind_of(&reuse),
        vec![answer_note(&reuse)],
    );
    let mut consequences = Vec::new();
    if let Some(new_refresh) = &second.refresh {
        let after = refresh_grant(ctx, &mut t, new_refresh, None).await?;
        t.step(
            "The new refresh token (the legitimate client's)",
            StepKind::Check,
            vec![answer_note(&after)],
        );
        consequences.push(format!(
            "The new refresh token {}: {}.",
            shared::fingerprint(new_refresh),
            answer_note(&after)
        ));
    }
    let active = introspect(ctx, &mut t, &second.access).await?;
    t.step(
        "Introspection: the newest access token",
        StepKind::Check,
        vec![active_note(&second.access, active)],
    );
    consequences.push(format!(
        "The newest access token {}: active = {}.",
        shared::fingerprint(&second.access),
        show_active(active)
    ));
    Ok(AttackReport {
        verdict,
        steps: t.finish(ctx.oauth.masker()),
        consequences,
        naive: None,
    })
}

// ----- card 5 -----

async fn open_redirect(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let mut t = Transcript::new();
    let settings = ctx.oauth.settings();
    let registered = settings.redirect_uri.as_str();
    let lookalike = format!(
        "{}@attacker.example{}",
        settings.public_origin(),
        settings.redirect_uri.path()
    );
    let mut decisive = None;
    for (title, redirect_uri) in [
        (
            "The attack: a redirect_uri on the attacker's site",
            ATTACKER_REDIRECT.to_owned(),
        ),
        (
            "The attack again: a redirect_uri that starts with the client's own address",
            lookalike,
        ),
    ] {
        let request = authorization_request(
            &ctx.provider.endpoints.authorization,
            &settings.client_id,
            &redirect_uri,
            &default_scope(ctx),
        )?;
        let answer = t
            .send(&ctx.lab.attacker.http, get(&request.url, None)?)
            .await?;
        let redirected = header(&answer, "location");
        let text = page_text(&String::from_utf8_lossy(answer.body()));
        t.step(
            title,
            if redirected.is_none() && !answer.status().is_success() {
                StepKind::Refused
            } else {
                StepKind::Accepted
            },
            vec![
                format!("redirect_uri = {redirect_uri} (registered: {registered})"),
                match &redirected {
                    Some(_) => format!(
                        "HTTP {} with a Location header: the provider redirected.",
                        answer.status().as_u16()
                    ),
                    None => format!(
                        "HTTP {}, no Location header: no redirect. The provider's page says: {}",
                        answer.status().as_u16(),
                        shorten(&text, 300)
                    ),
                },
            ],
        );
        let refused = redirected.is_none() && answer.status().is_client_error();
        if decisive.as_ref().is_none_or(|v: &Verdict| v.refused) {
            decisive = Some(Verdict {
                refused,
                status: Some(answer.status().as_u16()),
                code: None,
                description: Some(shorten(&text, 300)),
                summary: if refused {
                    "No redirect: the provider showed its own error page (HTTP 400) for both unregistered redirect URIs.".into()
                } else {
                    format!("The provider redirected to {redirect_uri}: an open redirector.")
                },
            });
        }
    }
    Ok(AttackReport {
        verdict: decisive.ok_or_else(|| LabError::new("no request was sent"))?,
        steps: t.finish(ctx.oauth.masker()),
        consequences: vec![
            "No code was issued: the provider stops before asking the user anything.".into(),
        ],
        naive: None,
    })
}

// ----- card 6 -----

async fn scope_widening(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let mut t = Transcript::new();
    let (code, verifier) = obtain_code(ctx, &mut t, &ctx.lab.attacker, "profile:read").await?;
    let first = redeem(ctx, &mut t, &code, Some(&verifier)).await?;
    let tokens = tokens_of(&mut t, &first, "the code exchange")?;
    t.step(
        "The client redeems the code: tokens for profile:read only",
        StepKind::Setup,
        vec![tokens.describe()],
    );
    let refresh = tokens
        .refresh
        .clone()
        .ok_or_else(|| LabError::new("the provider issued no refresh token"))?;
    let wider = refresh_grant(ctx, &mut t, &refresh, Some("profile:read teams:write")).await?;
    let verdict = verdict_of(
        &wider,
        "The wider scope was refused.",
        "The provider widened the grant on refresh: the user never approved teams:write.",
    );
    t.step(
        "The attack: refresh, asking for profile:read teams:write",
        kind_of(&wider),
        vec![answer_note(&wider)],
    );
    let mut consequences = Vec::new();
    if wider.status().is_success() {
        if let Ok(widened) = tokens_of(&mut t, &wider, "the widened refresh") {
            tidy_up(ctx, &mut t, &widened).await?;
        }
    } else {
        let again = refresh_grant(ctx, &mut t, &refresh, None).await?;
        t.step(
            "The same refresh token, without a scope",
            StepKind::Check,
            vec![answer_note(&again)],
        );
        consequences.push(format!(
            "The refresh token still works for what was granted: {}.",
            answer_note(&again)
        ));
        if let Ok(renewed) = tokens_of(&mut t, &again, "the plain refresh") {
            tidy_up(ctx, &mut t, &renewed).await?;
        }
    }
    Ok(AttackReport {
        verdict,
        steps: t.finish(ctx.oauth.masker()),
        consequences,
        naive: None,
    })
}

// ----- card 7 -----

async fn token_in_query(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let mut t = Transcript::new();
    let settings = ctx.oauth.settings();
    let issued = t
        .send(
            ctx.oauth.http(),
            post_form(
                &ctx.provider.endpoints.token,
                &[
                    ("grant_type", "client_credentials"),
                    ("scope", "profile:read"),
                ],
                Some((&settings.client_id, settings.client_secret.expose())),
            )?,
        )
        .await?;
    let tokens = tokens_of(&mut t, &issued, "the client_credentials grant")?;
    t.step(
        "An access token (client_credentials, for the client itself)",
        StepKind::Setup,
        vec![tokens.describe()],
    );
    let resource = settings.provider_url("/protected");
    let in_query = with_param(&resource, "access_token", &tokens.access)?;
    let answer = t.send(ctx.oauth.http(), get(&in_query, None)?).await?;
    let challenge = header(&answer, "www-authenticate");
    let refused = !answer.status().is_success();
    let verdict = verdict_of(
        &answer,
        "The token in the query string was refused before it was even looked up.",
        "The provider ACCEPTED the token in the URL: it runs with ALLOW_BEARER_IN_QUERY=true, so this token is now in its access log.",
    );
    t.step(
        "The attack: GET /protected?access_token=…",
        kind_of(&answer),
        vec![
            answer_note(&answer),
            format!(
                "WWW-Authenticate: {}",
                challenge.as_deref().unwrap_or("(none)")
            ),
        ],
    );
    let with_header = t
        .send(ctx.oauth.http(), get(&resource, Some(&tokens.access))?)
        .await?;
    t.step(
        "The same token in the Authorization header",
        StepKind::Check,
        vec![format!(
            "HTTP {}: the token itself is valid; only the way it was sent was refused.",
            with_header.status().as_u16()
        )],
    );
    tidy_up(ctx, &mut t, &tokens).await?;
    Ok(AttackReport {
        verdict,
        steps: t.finish(ctx.oauth.masker()),
        consequences: vec![if refused {
            "The URL with the token was refused, but it still reached the provider: never put a token in a URL, refused or not (it is now in the provider's access log if it logs query strings; this one logs none).".into()
        } else {
            "Set ALLOW_BEARER_IN_QUERY=false (the default) and run this card again.".into()
        }],
        naive: None,
    })
}

// ----- card 8 -----

async fn mix_up(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let lab = ctx.lab;
    let mut t = Transcript::new();
    let login_url = format!("{}/login", ctx.oauth.settings().public_origin());
    let started = t.send(&lab.victim.http, get(&login_url, None)?).await?;
    let authorization = location(&login_url, &started).ok_or_else(|| {
        LabError::new(format!(
            "this client's /login did not redirect (HTTP {})",
            started.status().as_u16()
        ))
    })?;
    t.step(
        "The victim's browser starts a login at this client",
        StepKind::Setup,
        vec![format!(
            "This client started the login with the issuer {}.",
            ctx.provider.endpoints.issuer
        )],
    );
    let callback = lab
        .victim
        .authorize(&mut t, &authorization, credentials(lab), Decision::Approve)
        .await?;
    remember_code(&mut t, &callback);
    let mixed = with_param(&callback, "iss", ATTACKER_ISSUER)?;
    t.step(
        "The victim logs in and approves; the authorization response is rewritten",
        StepKind::Setup,
        vec![
            format!(
                "iss as the provider sent it: {}",
                query_param(&callback, "iss").unwrap_or_else(|| "(none)".into())
            ),
            format!("iss as it arrives: {ATTACKER_ISSUER}"),
        ],
    );
    let verdict = open_at_real_callback(
        &mut t,
        lab,
        &mixed,
        "The attack: the response with the wrong iss, at the real /callback",
        "iss mismatch",
        "The real /callback refused the response: iss mismatch. The code was never sent anywhere.",
    )
    .await?;

    let mut n = Transcript::new();
    let scopes = ctx.oauth.settings().scopes.clone();
    let naive_url = lab.naive.begin_login(&ctx.provider, &scopes);
    n.step(
        "The victim's browser starts a login at the NAIVE client",
        StepKind::Setup,
        Vec::new(),
    );
    let naive_callback = lab
        .victim
        .authorize(&mut n, &naive_url, credentials(lab), Decision::Approve)
        .await?;
    remember_code(&mut n, &naive_callback);
    let naive_mixed = with_param(&naive_callback, "iss", ATTACKER_ISSUER)?;
    n.step(
        "The victim approves; the response is rewritten to say iss=https://attacker.example",
        StepKind::Setup,
        Vec::new(),
    );
    let naive = naive_run(
        ctx,
        n,
        &naive_mixed,
        "The response with the wrong iss, at the NAIVE callback",
        "The naive handler never looked at iss and redeemed the code of a response that says it comes from https://attacker.example. With the attacker's provider among its providers, it would have sent this code to the attacker's token endpoint.",
    )
    .await?;
    Ok(AttackReport {
        verdict,
        steps: t.finish(ctx.oauth.masker()),
        consequences: vec![
            "The real client refused before redeeming: the code expires unused.".into(),
        ],
        naive: Some(naive),
    })
}

// ----- card 9 -----

/// The team the attack aims at, and the member it tries to add.
const MALLORY: &str = "mallory";

async fn scope_not_permission(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let mut t = Transcript::new();
    let (code, verifier) =
        obtain_code(ctx, &mut t, &ctx.lab.attacker, "teams:read teams:write").await?;
    let redeemed = redeem(ctx, &mut t, &code, Some(&verifier)).await?;
    let tokens = tokens_of(&mut t, &redeemed, "redeeming the code")?;
    t.step(
        "The user approves teams:write: a token that may manage teams",
        StepKind::Setup,
        vec![tokens.describe()],
    );
    let settings = ctx.oauth.settings();
    let teams = t
        .send(
            ctx.oauth.http(),
            get(
                &settings.provider_url("/api/user/teams"),
                Some(&tokens.access),
            )?,
        )
        .await?;
    let teams: Vec<shared::team::Team> = serde_json::from_slice(teams.body()).map_err(|_| {
        LabError::new(format!(
            "the provider's /api/user/teams did not answer a team list (HTTP {})",
            teams.status().as_u16()
        ))
    })?;
    let Some(team) = teams.iter().find(|team| team.role == TeamRole::Member) else {
        tidy_up(ctx, &mut t, &tokens).await?;
        return Err(LabError::new(
            "the lab's user is a plain member of no team, so there is nothing to show",
        ));
    };
    let members_url = settings.provider_url(&format!("/api/user/teams/{}/members", team.id));
    let before = team_members(ctx, &mut t, &members_url, &tokens.access).await?;
    t.step(
        format!("The user's teams: in {}, demo is a plain member", team.name),
        StepKind::Setup,
        vec![format!(
            "{} now: {}",
            team.id,
            naive_team_api::describe(&before)
        )],
    );

    let mallory = TeamMember {
        username: MALLORY.into(),
        role: TeamRole::Admin,
    };
    let body = serde_json::to_string(&mallory)
        .map_err(|_| LabError::new("the new member could not be written as JSON"))?;
    let mut request = post(&members_url, "application/json", body, None)?;
    if let Ok(value) = format!("Bearer {}", tokens.access).parse() {
        request
            .headers_mut()
            .insert(oauth2::http::header::AUTHORIZATION, value);
    }
    let attempt = t.send(ctx.oauth.http(), request).await?;
    let verdict = verdict_of(
        &attempt,
        "Refused: the token carries teams:write, but demo is a plain member of this team, and only its admins add members.",
        "The provider ACCEPTED: a plain member's token added an admin. It checks the scope and not the role.",
    );
    t.step(
        format!(
            "The attack: POST /api/user/teams/{}/members {{mallory, admin}}",
            team.id
        ),
        kind_of(&attempt),
        vec![answer_note(&attempt)],
    );
    let after = team_members(ctx, &mut t, &members_url, &tokens.access).await?;
    let unchanged = after.iter().all(|m| m.username != MALLORY);
    t.step(
        "The team, listed again",
        if unchanged {
            StepKind::Check
        } else {
            StepKind::Accepted
        },
        vec![format!("{}: {}", team.id, naive_team_api::describe(&after))],
    );

    let mut n = Transcript::new();
    let outcome = naive_team_api::naive_add_member(
        ctx.oauth,
        &ctx.provider,
        &tokens.access,
        &before,
        mallory,
        &mut n,
    )
    .await;
    let naive = match outcome {
        Ok(members) => {
            n.step(
                "The same request at the NAIVE team handler",
                StepKind::Accepted,
                vec![format!(
                    "ACCEPTED: {} would now be {}",
                    team.id,
                    naive_team_api::describe(&members)
                )],
            );
            NaiveReport {
                steps: n.finish(ctx.oauth.masker()),
                succeeded: true,
                summary: "The naive handler introspected the token, saw teams:write, and made mallory an admin of a team whose user is a plain member. From there mallory can remove the real admin.".into(),
            }
        }
        Err(reason) => {
            n.step(
                "The same request at the NAIVE team handler",
                StepKind::Refused,
                vec![reason.clone()],
            );
            NaiveReport {
                steps: n.finish(ctx.oauth.masker()),
                succeeded: false,
                summary: format!("Even the naive handler gave up: {reason}."),
            }
        }
    };
    tidy_up(ctx, &mut t, &tokens).await?;
    Ok(AttackReport {
        verdict,
        steps: t.finish(ctx.oauth.masker()),
        consequences: vec![if unchanged {
            "The team is unchanged: no mallory. The token still works for what demo may do (listing teams, leaving one, and managing a team demo is admin of).".into()
        } else {
            "mallory is now an admin of the team: the provider enforces scopes but not roles."
                .into()
        }],
        naive: Some(naive),
    })
}

/// The members of a team, as the provider lists them to this token.
async fn team_members(
    ctx: &LabContext<'_>,
    t: &mut Transcript,
    members_url: &str,
    token: &str,
) -> Result<Vec<TeamMember>, LabError> {
    let answer = t
        .send(ctx.oauth.http(), get(members_url, Some(token))?)
        .await?;
    serde_json::from_slice(answer.body()).map_err(|_| {
        LabError::new(format!(
            "the provider did not list the team's members (HTTP {})",
            answer.status().as_u16()
        ))
    })
}

// ----- the naive half -----

/// Opens `callback_url` at the naive handler (in-process) and, if it signs the victim in,
/// shows whose account that is, then revokes the tokens so they do not linger.
async fn naive_run(
    ctx: &LabContext<'_>,
    mut n: Transcript,
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
        .naive_callback(ctx.oauth, &ctx.provider, &response, &mut n)
        .await;
    let (succeeded, summary) = match outcome {
        Ok(signed_in) => {
            n.step(
                title,
                StepKind::Accepted,
                vec![format!(
                    "ACCEPTED: tokens for {} (access token {}).",
                    signed_in.scopes.join(" "),
                    shared::fingerprint(&signed_in.access_token)
                )],
            );
            let me = n
                .send(
                    ctx.oauth.http(),
                    get(
                        &ctx.oauth.settings().provider_url("/api/auth/me"),
                        Some(&signed_in.access_token),
                    )?,
                )
                .await?;
            n.step(
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
            tidy_up(ctx, &mut n, &tokens).await?;
            (true, success.to_owned())
        }
        Err(reason) => {
            n.step(title, StepKind::Refused, vec![reason.clone()]);
            (false, format!("Even the naive handler gave up: {reason}."))
        }
    };
    Ok(NaiveReport {
        steps: n.finish(ctx.oauth.masker()),
        succeeded,
        summary,
    })
}

// ----- what the cards share -----

/// The tokens of a successful token response (kept only for the run, masked on the page).
struct Tokens {
    access: String,
    refresh: Option<String>,
    scope: String,
}

impl Tokens {
    fn describe(&self) -> String {
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

fn credentials(lab: &Lab) -> (&str, &str) {
    (&lab.username, lab.password.expose())
}

fn default_scope(ctx: &LabContext<'_>) -> String {
    ctx.oauth.settings().scopes.join(" ")
}

/// The client's flow up to the code: an authorization request built like `/login`'s, the
/// agent logs in and approves; answers the code and the verifier.
async fn obtain_code(
    ctx: &LabContext<'_>,
    t: &mut Transcript,
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
    t.secret(request.verifier.secret());
    let callback = agent
        .authorize(t, &request.url, credentials(ctx.lab), Decision::Approve)
        .await?;
    let code = query_param(&callback, "code").ok_or_else(|| {
        LabError::new(format!(
            "the provider sent no code: {}",
            query_param(&callback, "error").unwrap_or_else(|| "no error either".into())
        ))
    })?;
    t.secret(&code);
    t.step(
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

fn remember_code(t: &mut Transcript, callback: &str) {
    if let Some(code) = query_param(callback, "code") {
        t.secret(&code);
    }
}

/// `POST /oauth/token` `grant_type=authorization_code`, authenticated as this client.
async fn redeem(
    ctx: &LabContext<'_>,
    t: &mut Transcript,
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
    t.send(
        ctx.oauth.http(),
        post_form(
            &ctx.provider.endpoints.token,
            &form,
            Some((&settings.client_id, settings.client_secret.expose())),
        )?,
    )
    .await
}

/// `POST /oauth/token` `grant_type=refresh_token`, optionally with a `scope`.
async fn refresh_grant(
    ctx: &LabContext<'_>,
    t: &mut Transcript,
    refresh: &str,
    scope: Option<&str>,
) -> Result<HttpResponse, LabError> {
    let settings = ctx.oauth.settings();
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", refresh)];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    t.send(
        ctx.oauth.http(),
        post_form(
            &ctx.provider.endpoints.token,
            &form,
            Some((&settings.client_id, settings.client_secret.expose())),
        )?,
    )
    .await
}

/// RFC 7662: `Some(active)`, or `None` when the provider publishes no introspection endpoint.
async fn introspect(
    ctx: &LabContext<'_>,
    t: &mut Transcript,
    token: &str,
) -> Result<Option<bool>, LabError> {
    let Some(endpoint) = &ctx.provider.endpoints.introspection else {
        return Ok(None);
    };
    let settings = ctx.oauth.settings();
    let answer = t
        .send(
            ctx.oauth.http(),
            post_form(
                endpoint,
                &[("token", token), ("token_type_hint", "access_token")],
                Some((&settings.client_id, settings.client_secret.expose())),
            )?,
        )
        .await?;
    Ok(json_bool(&answer, "active"))
}

/// Revokes what a run obtained (RFC 7009), so the lab leaves no live grant behind.
async fn tidy_up(
    ctx: &LabContext<'_>,
    t: &mut Transcript,
    tokens: &Tokens,
) -> Result<(), LabError> {
    let Some(endpoint) = &ctx.provider.endpoints.revocation else {
        return Ok(());
    };
    let settings = ctx.oauth.settings();
    let (token, hint) = match &tokens.refresh {
        Some(refresh) => (refresh.as_str(), "refresh_token"),
        None => (tokens.access.as_str(), "access_token"),
    };
    let answer = t
        .send(
            ctx.oauth.http(),
            post_form(
                endpoint,
                &[("token", token), ("token_type_hint", hint)],
                Some((&settings.client_id, settings.client_secret.expose())),
            )?,
        )
        .await?;
    t.step(
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
fn tokens_of(t: &mut Transcript, response: &HttpResponse, what: &str) -> Result<Tokens, LabError> {
    if !response.status().is_success() {
        return Err(LabError::new(format!(
            "{what} failed, so the attack could not be set up: {}",
            answer_note(response)
        )));
    }
    let access = json_field(response, "access_token")
        .ok_or_else(|| LabError::new(format!("{what}: no access_token in the answer")))?;
    t.secret(&access);
    let refresh = json_field(response, "refresh_token");
    if let Some(refresh) = &refresh {
        t.secret(refresh);
    }
    Ok(Tokens {
        access,
        refresh,
        scope: json_field(response, "scope").unwrap_or_default(),
    })
}

fn kind_of(response: &HttpResponse) -> StepKind {
    if response.status().is_success() {
        StepKind::Accepted
    } else {
        StepKind::Refused
    }
}

/// `HTTP 400 invalid_grant: the authorization code was already used; ...`.
fn answer_note(response: &HttpResponse) -> String {
    let status = response.status().as_u16();
    match error_of(response) {
        (Some(code), Some(description)) => format!("HTTP {status} {code}: {description}"),
        (Some(code), None) => format!("HTTP {status} {code}"),
        _ if response.status().is_success() => format!("HTTP {status}: accepted"),
        _ => format!("HTTP {status}"),
    }
}

fn verdict_of(response: &HttpResponse, refused: &str, accepted: &str) -> Verdict {
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

/// The verdict of a check of this client's own (a page, not JSON).
/// The victim's browser opens `link` at the client's real `/callback`: the attack holds only
/// if the answer is an error page naming the check that failed (`state mismatch`, ...).
async fn open_at_real_callback(
    t: &mut Transcript,
    lab: &Lab,
    link: &str,
    title: &str,
    check: &str,
    summary: &str,
) -> Result<Verdict, LabError> {
    let opened = t.send(&lab.victim.http, get(link, None)?).await?;
    let status = opened.status().as_u16();
    let page = page_text(&String::from_utf8_lossy(opened.body()));
    let refused = opened.status().is_client_error() && page.contains(check);
    t.step(
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

fn active_note(token: &str, active: Option<bool>) -> String {
    format!(
        "access token {}: active = {}",
        shared::fingerprint(token),
        show_active(active)
    )
}

fn show_active(active: Option<bool>) -> &'static str {
    match active {
        Some(true) => "true",
        Some(false) => "false",
        None => "unknown (no introspection endpoint)",
    }
}

fn shorten(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(limit).collect();
    short.push('…');
    short
}
