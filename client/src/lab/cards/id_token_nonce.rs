//! Card 11: a replayed `nonce` and a missing one.
//!
//! The attack: an ID token captured from an earlier login (a log, a leaked redirect, an
//! attacker's own login) is injected into a new one, or a token without a nonce is offered.
//! Core §3.1.3.7 step 11: "If a nonce value was sent in the Authentication Request, a nonce
//! Claim MUST be present and its value checked to verify that it is the same value as the
//! one that was sent in the Authentication Request" (§15.5.2: nonce implementation notes).
//!
//! Refused by the client: `check_nonce` in `client/src/oauth/id_token.rs` (step 11 of
//! `validate`), compared in constant time with the nonce kept server-side with `state`.
//! The naive check ([`crate::lab::naive_id_token`]) never reads `nonce`.

use crate::flow::openid_core;
use crate::lab::cards::{AttackReport, Card};
use crate::lab::forge::{
    NAIVE_ID_TOKEN, StandInProvider, all_refused, check_id_token_for_real, decoded, fresh_nonce,
    naive_report,
};
use crate::lab::harness::LabContext;
use crate::lab::naive_id_token::naive_validate_id_token;
use crate::lab::transcript::{StepKind, Transcript};
use crate::lab::{LabError, code};

pub fn card() -> Card {
    Card {
        id: "id-token-nonce",
        number: 11,
        title: "A replayed nonce, and a missing one",
        wants: "To replay an ID token from an earlier login into a new one (token injection), so the browser is signed in as whoever that token names.",
        does: "Starts a login that sent a fresh nonce, then offers the client's real ID token check two properly signed ID tokens (signed by a key the lab made, standing in for the provider's): one carrying the nonce of an earlier login, one carrying none. Then the same two at a deliberately naive check.",
        defence: "The nonce binds an ID token to the one login that asked for it: the client makes it, keeps it server-side with state, and refuses any token that does not carry exactly it (constant-time compare). A token from another login carries another nonce; a token with none cannot prove it answers this one.",
        defended_by: "client",
        rfcs: vec![
            openid_core("3.1.3.7", "IDTokenValidation"),
            openid_core("15.5.2", "NonceNotes"),
        ],
        refused_by: vec![
            code("client/src/oauth/id_token.rs", "check_nonce"),
            code("client/src/oauth/id_token.rs", "validate"),
        ],
        naive: Some(NAIVE_ID_TOKEN),
        setting: None,
    }
}

pub async fn run(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let mut transcript = Transcript::new();
    let provider = StandInProvider::generate()?;
    let (jwks, nonce) = (&provider.jwks, &provider.nonce);
    let replayed = provider.id_token(ctx, &fresh_nonce(), |_| {})?;
    let missing = provider.id_token(ctx, nonce, |claims| {
        if let Some(claims) = claims.as_object_mut() {
            claims.remove("nonce");
        }
    })?;
    transcript.step(
        "This browser's login sent a fresh nonce; two ID tokens that do not answer it",
        StepKind::Setup,
        vec![
            format!(
                "the nonce this login sent: {} (kept server-side with state)",
                shared::fingerprint(nonce)
            ),
            format!("replayed from an earlier login: {}", decoded(&replayed)),
            format!("without a nonce: {}", decoded(&missing)),
            "Both signed by a key the lab made, standing in for the provider's.".into(),
        ],
    );
    let (_, first) = check_id_token_for_real(
        ctx,
        &mut transcript,
        &replayed,
        jwks,
        nonce,
        "The attack: an earlier login's ID token, at the client's real check",
    );
    let (_, second) = check_id_token_for_real(
        ctx,
        &mut transcript,
        &missing,
        jwks,
        nonce,
        "The attack: an ID token without a nonce, at the client's real check",
    );
    let verdict = all_refused(
        vec![first, second],
        "The client's ID token check refused both at step \"nonce\": neither token answers the login this browser started.",
    );
    let naive = naive_report(
        ctx,
        &[
            ("The replayed ID token at the NAIVE check", &replayed),
            ("The ID token without a nonce at the NAIVE check", &missing),
        ],
        |token| naive_validate_id_token(token, jwks),
        "The naive check accepted both: it never compares the nonce, so any ID token from any login signs this browser in.",
    );
    Ok(AttackReport {
        verdict,
        steps: transcript.finish(ctx.oauth.masker()),
        consequences: vec!["No session was made.".into()],
        naive: Some(naive),
    })
}
