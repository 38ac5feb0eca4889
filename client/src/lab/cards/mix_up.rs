//! Card 8: mix-up, an authorization response whose `iss` is not the provider the login
//! started with.
//!
//! The attack: a client that works with several providers, one of them the attacker's, is
//! tricked into sending a code from the honest provider to the attacker's token endpoint.
//! RFC 9207 §2.4: the client MUST compare `iss` with the issuer it sent the request to, by
//! simple string comparison, and reject a mismatch (also RFC 9700 §4.4).
//!
//! Refused by this client: `finish_login` refuses with "iss mismatch" before the code goes
//! anywhere. The same response at [`crate::lab::naive_callback`], which ignores `iss`, is
//! redeemed.

use crate::flow::rfc;
use crate::lab::agent::{query_param, with_param};
use crate::lab::cards::{AttackReport, Card, NAIVE_CALLBACK};
use crate::lab::harness::{
    LabContext, approve, naive_run, open_at_real_callback, start_login_at_client,
};
use crate::lab::transcript::{StepKind, Transcript};
use crate::lab::{LabError, code};

/// The issuer a mix-up response claims to come from: one this client never started with.
pub const ATTACKER_ISSUER: &str = "https://attacker.example";

/// The card: what the attacker wants, what the button does, what refuses it.
pub fn card() -> Card {
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
            code("client/src/oauth/callback.rs", "check_issuer"),
            code("client/src/routes/callback.rs", "callback"),
        ],
        naive: Some(NAIVE_CALLBACK),
        setting: None,
    }
}

/// The attack: the victim's own flow, its response rewritten to another `iss`, opened at
/// the real `/callback`, then the same at the naive one.
pub async fn run(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let lab = ctx.lab;
    let mut transcript = Transcript::new();
    let authorization = start_login_at_client(ctx, &mut transcript, &lab.victim).await?;
    transcript.step(
        "The victim's browser starts a login at this client",
        StepKind::Setup,
        vec![format!(
            "This client started the login with the issuer {}.",
            ctx.provider.endpoints.issuer
        )],
    );
    let callback = approve(ctx, &mut transcript, &lab.victim, &authorization).await?;
    let mixed = with_param(&callback, "iss", ATTACKER_ISSUER)?;
    transcript.step(
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
        &mut transcript,
        lab,
        &mixed,
        "The attack: the response with the wrong iss, at the real /callback",
        "iss mismatch",
        "The real /callback refused the response: iss mismatch. The code was never sent anywhere.",
    )
    .await?;

    let mut naive_transcript = Transcript::new();
    let scopes = ctx.provider.askable_scopes(&ctx.oauth.settings().scopes);
    let naive_url = lab.naive.begin_login(&ctx.provider, &scopes);
    naive_transcript.step(
        "The victim's browser starts a login at the NAIVE client",
        StepKind::Setup,
        Vec::new(),
    );
    let naive_callback = approve(ctx, &mut naive_transcript, &lab.victim, &naive_url).await?;
    let naive_mixed = with_param(&naive_callback, "iss", ATTACKER_ISSUER)?;
    naive_transcript.step(
        "The victim approves; the response is rewritten to say iss=https://attacker.example",
        StepKind::Setup,
        Vec::new(),
    );
    let naive = naive_run(
        ctx,
        naive_transcript,
        &naive_mixed,
        "The response with the wrong iss, at the NAIVE callback",
        "The naive handler never looked at iss and redeemed the code of a response that says it comes from https://attacker.example. With the attacker's provider among its providers, it would have sent this code to the attacker's token endpoint.",
    )
    .await?;
    Ok(AttackReport {
        verdict,
        steps: transcript.finish(ctx.oauth.masker()),
        consequences: vec![
            "The real client refused before redeeming: the code expires unused.".into(),
        ],
        naive: Some(naive),
    })
}
