//! Card 6: widening the scope on refresh.
//!
//! The attack: a refresh token granted for `profile:read` asks for
//! `profile:read teams:write`. RFC 6749 §6: the requested scope "MUST NOT include any scope
//! not originally granted by the resource owner"; the error is `invalid_scope` (§5.2).
//!
//! Refused by the provider: `requested_scope` in the token endpoint. The refused request
//! changes nothing: the card shows the same refresh token still working for what was granted.

use crate::flow::rfc;
use crate::lab::cards::{AttackReport, Card};
use crate::lab::harness::{
    LabContext, answer_note, kind_of, obtain_tokens, refresh_grant, tidy_up, tokens_of, verdict_of,
};
use crate::lab::transcript::{StepKind, Transcript};
use crate::lab::{LabError, code};

/// The card: what the attacker wants, what the button does, what refuses it.
pub fn card() -> Card {
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
    }
}

/// The attack: a real flow for `profile:read`, then a refresh asking for more, then a
/// refresh asking for nothing in particular.
pub async fn run(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let mut transcript = Transcript::new();
    let tokens = obtain_tokens(
        ctx,
        &mut transcript,
        "profile:read",
        "The client redeems the code: tokens for profile:read only",
    )
    .await?
    .tokens;
    let refresh = tokens
        .refresh
        .clone()
        .ok_or_else(|| LabError::new("the provider issued no refresh token"))?;
    let wider = refresh_grant(
        ctx,
        &mut transcript,
        &refresh,
        Some("profile:read teams:write"),
    )
    .await?;
    let verdict = verdict_of(
        &wider,
        "The wider scope was refused.",
        "The provider widened the grant on refresh: the user never approved teams:write.",
    );
    transcript.step(
        "The attack: refresh, asking for profile:read teams:write",
        kind_of(&wider),
        vec![answer_note(&wider)],
    );
    let mut consequences = Vec::new();
    if wider.status().is_success() {
        if let Ok(widened) = tokens_of(&mut transcript, &wider, "the widened refresh") {
            tidy_up(ctx, &mut transcript, &widened).await?;
        }
    } else {
        let again = refresh_grant(ctx, &mut transcript, &refresh, None).await?;
        transcript.step(
            "The same refresh token, without a scope",
            StepKind::Check,
            vec![answer_note(&again)],
        );
        consequences.push(format!(
            "The refresh token still works for what was granted: {}.",
            answer_note(&again)
        ));
        if let Ok(renewed) = tokens_of(&mut transcript, &again, "the plain refresh") {
            tidy_up(ctx, &mut transcript, &renewed).await?;
        }
    }
    Ok(AttackReport {
        verdict,
        steps: transcript.finish(ctx.oauth.masker()),
        consequences,
        naive: None,
    })
}
