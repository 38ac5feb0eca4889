//! Card 1: replaying an authorization code.
//!
//! The attack: an authorization code that leaked (a proxy log, browser history, a `Referer`
//! header) is redeemed a second time. RFC 6749 §4.1.2: "The client MUST NOT use the
//! authorization code more than once. If an authorization code is used more than once, the
//! authorization server MUST deny the request and SHOULD revoke (when possible) all tokens
//! previously issued based on that authorization code" (also §10.5, RFC 9700 §4.2.4).
//!
//! Refused by the provider: `exchange_code` answers `invalid_grant`, and the store revokes
//! the grant, so the first use's tokens die too (the card shows it by introspection).

use crate::flow::rfc;
use crate::lab::cards::{AttackReport, Card};
use crate::lab::harness::{
    LabContext, RealFlow, active_note, answer_note, default_scope, introspect, kind_of,
    obtain_tokens, redeem, refresh_grant, show_active, verdict_of,
};
use crate::lab::transcript::{StepKind, Transcript};
use crate::lab::{LabError, code};

/// The card: what the attacker wants, what the button does, what refuses it.
pub fn card() -> Card {
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
    }
}

/// The attack: a real flow, the code redeemed as the client would, then redeemed again;
/// afterwards, whether the first use's tokens still work.
pub async fn run(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let mut transcript = Transcript::new();
    let RealFlow {
        code,
        verifier,
        tokens,
    } = obtain_tokens(
        ctx,
        &mut transcript,
        &default_scope(ctx),
        "The client redeems the code: tokens",
    )
    .await?;
    let before = introspect(ctx, &mut transcript, &tokens.access).await?;
    transcript.step(
        "Introspection: the access token is active",
        StepKind::Check,
        vec![active_note(&tokens.access, before)],
    );
    let replay = redeem(ctx, &mut transcript, &code, Some(&verifier)).await?;
    let verdict = verdict_of(
        &replay,
        "The second redemption of the same code was refused.",
        "The provider accepted the same code twice: its single-use rule does not hold.",
    );
    transcript.step(
        "The attack: the same code, redeemed a second time",
        kind_of(&replay),
        vec![answer_note(&replay)],
    );
    let after = introspect(ctx, &mut transcript, &tokens.access).await?;
    transcript.step(
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
        let refreshed = refresh_grant(ctx, &mut transcript, refresh, None).await?;
        transcript.step(
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
        steps: transcript.finish(ctx.oauth.masker()),
        consequences,
        naive: None,
    })
}
