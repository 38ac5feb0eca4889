//! Card 2: login CSRF, finishing a flow with a `state` this browser never started.
//!
//! The attack: the attacker starts a login, approves at the provider with their own account,
//! keeps the redirect back and has the victim's browser open it; the victim is then signed in
//! to the attacker's account. RFC 6749 §10.12: the client "MUST implement CSRF protection for
//! its redirection URI", binding `state` to the user agent's authenticated state (also
//! RFC 9700 §4.7).
//!
//! Refused by this client: `/callback` compares the `state` it kept in this browser's own
//! session, in constant time, and answers "state mismatch". The same link at
//! [`crate::lab::naive_callback`], which keeps pending logins server-wide, succeeds.

use crate::flow::rfc;
use crate::lab::agent::get;
use crate::lab::cards::{AttackReport, Card, NAIVE_CALLBACK};
use crate::lab::harness::{
    LabContext, approve, naive_run, open_at_real_callback, start_login_at_client,
};
use crate::lab::transcript::{StepKind, Transcript};
use crate::lab::{LabError, code};

/// The card: what the attacker wants, what the button does, what refuses it.
pub fn card() -> Card {
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
            code("client/src/oauth/callback.rs", "same_state"),
        ],
        naive: Some(NAIVE_CALLBACK),
        setting: None,
    }
}

/// The attack: the attacker's redirect back, opened in the victim's browser at the real
/// `/callback`, then the same attack at the naive one.
pub async fn run(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let lab = ctx.lab;
    let mut transcript = Transcript::new();
    let authorization = start_login_at_client(ctx, &mut transcript, &lab.attacker).await?;
    transcript.step(
        "The attacker's browser starts a login at this client",
        StepKind::Setup,
        vec!["This client keeps the state it sends in the attacker's session, server-side.".into()],
    );
    let callback = approve(ctx, &mut transcript, &lab.attacker, &authorization).await?;
    transcript.step(
        "The attacker logs in at the provider and approves, then keeps the redirect back instead of opening it",
        StepKind::Setup,
        vec![format!(
            "The link the attacker will plant (a hidden image, a link in an email): {callback}"
        )],
    );
    let login_url = format!("{}/login", ctx.oauth.settings().public_origin());
    let victim_login = transcript
        .send(&lab.victim.http, get(&login_url, None)?)
        .await?;
    transcript.step(
        "The victim's browser has a login of its own pending at this client",
        StepKind::Setup,
        vec![format!(
            "GET /login answered {}: a state of the victim's own is now kept in the victim's session. (Without one, /callback answers \"No login in progress\" instead: refused either way.)",
            victim_login.status().as_u16()
        )],
    );
    let verdict = open_at_real_callback(
        &mut transcript,
        lab,
        &callback,
        "The attack: the victim's browser opens the attacker's link at the real /callback",
        "state mismatch",
        "The real /callback refused the attacker's link: state mismatch. Nothing was exchanged.",
    )
    .await?;

    // The same attack against the deliberately naive handler.
    let mut naive_transcript = Transcript::new();
    let scopes = ctx.provider.askable_scopes(&ctx.oauth.settings().scopes);
    let naive_url = lab.naive.begin_login(&ctx.provider, &scopes);
    naive_transcript.step(
        "The attacker starts a login at the NAIVE client",
        StepKind::Setup,
        vec![
            "The naive client remembers (state → PKCE verifier) in one server-wide table, for no browser in particular.".into(),
        ],
    );
    let naive_callback = approve(ctx, &mut naive_transcript, &lab.attacker, &naive_url).await?;
    naive_transcript.step(
        "The attacker approves at the provider and keeps the redirect back",
        StepKind::Setup,
        Vec::new(),
    );
    let naive = naive_run(
        ctx,
        naive_transcript,
        &naive_callback,
        "The victim's browser opens the attacker's link at the NAIVE callback",
        "The naive handler found the attacker's state in its server-wide table and redeemed the attacker's code: the victim's session is now signed in to the attacker's account.",
    )
    .await?;
    Ok(AttackReport {
        verdict,
        steps: transcript.finish(ctx.oauth.masker()),
        consequences: vec![
            "The attacker's code was not redeemed by the real client (it expires unused within a minute).".into(),
        ],
        naive: Some(naive),
    })
}
