//! Card 4: reusing a rotated refresh token.
//!
//! The attack: a copied refresh token, presented after the legitimate client has refreshed
//! (and so retired it). RFC 9700 §4.14.2: with refresh token rotation, a retired refresh
//! token presented again tells the server that two parties hold it, and it revokes the
//! active refresh token too (also RFC 6749 §10.4).
//!
//! Refused by the provider: `refresh` answers `invalid_grant` and the store's
//! `commit_rotation` revokes the whole grant; the card shows the new refresh token and the
//! newest access token dead as well.

use crate::flow::rfc;
use crate::lab::cards::{AttackReport, Card};
use crate::lab::harness::{
    LabContext, active_note, answer_note, default_scope, introspect, kind_of, obtain_tokens,
    refresh_grant, show_active, tokens_of, verdict_of,
};
use crate::lab::transcript::{StepKind, Transcript};
use crate::lab::{LabError, code};

/// The card: what the attacker wants, what the button does, what refuses it.
pub fn card() -> Card {
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
    }
}

/// The attack: a real flow, one refresh (rotation), then the retired refresh token again;
/// afterwards, whether the new tokens still work.
pub async fn run(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let mut transcript = Transcript::new();
    let first = obtain_tokens(
        ctx,
        &mut transcript,
        &default_scope(ctx),
        "The client redeems the code: tokens",
    )
    .await?
    .tokens;
    let old_refresh = first
        .refresh
        .clone()
        .ok_or_else(|| LabError::new("the provider issued no refresh token"))?;
    let rotated = refresh_grant(ctx, &mut transcript, &old_refresh, None).await?;
    let second = tokens_of(&mut transcript, &rotated, "the first refresh")?;
    transcript.step(
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
    let reuse = refresh_grant(ctx, &mut transcript, &old_refresh, None).await?;
    let verdict = verdict_of(
        &reuse,
        "The retired refresh token was refused, and the whole grant revoked.",
        "The provider accepted a retired refresh token: rotation does not detect reuse.",
    );
    transcript.step(
        "The attack: the retired refresh token, presented again (the attacker's copy)",
        kind_of(&reuse),
        vec![answer_note(&reuse)],
    );
    let mut consequences = Vec::new();
    if let Some(new_refresh) = &second.refresh {
        let after = refresh_grant(ctx, &mut transcript, new_refresh, None).await?;
        transcript.step(
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
    let active = introspect(ctx, &mut transcript, &second.access).await?;
    transcript.step(
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
        steps: transcript.finish(ctx.oauth.masker()),
        consequences,
        naive: None,
    })
}
