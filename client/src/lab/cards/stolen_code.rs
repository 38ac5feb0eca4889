//! Card 3: a stolen code without the PKCE verifier.
//!
//! The attack: a code intercepted on its way back to the client is redeemed with the
//! client's credentials but without (or with a wrong) `code_verifier`; then a flow without
//! any `code_challenge` is tried, as a client that skips PKCE would. RFC 7636 §4.6: the
//! server compares the verifier's S256 with the challenge and, if they differ, refuses with
//! `invalid_grant`. RFC 9700 §2.1.1 makes PKCE a MUST for public clients and RECOMMENDED
//! for confidential ones; this provider requires it of every client.
//!
//! Refused by the provider: `check_binding` before the code is marked used (so the attacker's
//! tries do not burn it), and `check_pkce` at the authorization endpoint (no challenge, no
//! code: `invalid_request`).

use oauth2::PkceCodeChallenge;

use crate::flow::rfc;
use crate::lab::agent::{Decision, authorization_request, query_param};
use crate::lab::cards::{AttackReport, Card, Verdict};
use crate::lab::harness::{
    LabContext, answer_note, credentials, default_scope, kind_of, obtain_code, redeem, tidy_up,
    tokens_of,
};
use crate::lab::transcript::{StepKind, Transcript, error_of};
use crate::lab::{LabError, code};

/// The card: what the attacker wants, what the button does, what refuses it.
pub fn card() -> Card {
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
    }
}

/// The attack: a real flow's code redeemed without a verifier and with a wrong one, then
/// by the legitimate client; last, a flow without a `code_challenge`.
pub async fn run(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let mut transcript = Transcript::new();
    let (code, verifier) =
        obtain_code(ctx, &mut transcript, &ctx.lab.attacker, &default_scope(ctx)).await?;
    let without = redeem(ctx, &mut transcript, &code, None).await?;
    transcript.step(
        "The attack: the stolen code, redeemed without a code_verifier",
        kind_of(&without),
        vec![answer_note(&without)],
    );
    let (_, guessed) = PkceCodeChallenge::new_random_sha256();
    transcript.secret(guessed.secret());
    let wrong = redeem(ctx, &mut transcript, &code, Some(guessed.secret())).await?;
    transcript.step(
        "The attack again: with a code_verifier of the attacker's own",
        kind_of(&wrong),
        vec![answer_note(&wrong)],
    );
    let legit = redeem(ctx, &mut transcript, &code, Some(&verifier)).await?;
    let mut consequences = vec![format!(
        "The legitimate client, with the real verifier: {}.",
        answer_note(&legit)
    )];
    let legit_kind = if legit.status().is_success() {
        StepKind::Check
    } else {
        StepKind::Refused
    };
    transcript.step(
        "The legitimate client redeems the code with its verifier",
        legit_kind,
        vec![answer_note(&legit)],
    );
    if let Ok(tokens) = tokens_of(&mut transcript, &legit, "the legitimate redemption") {
        consequences.push("The attacker's attempts did not burn the code.".into());
        tidy_up(ctx, &mut transcript, &tokens).await?;
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
            &mut transcript,
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
            transcript.step(
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
            transcript.secret(&code);
            transcript.step(
                "And a flow without PKCE at all (no code_challenge): the provider issued a code",
                StepKind::Accepted,
                Vec::new(),
            );
            let stolen = redeem(ctx, &mut transcript, &code, None).await?;
            transcript.step(
                "The attack: that flow's code, stolen, redeemed without a verifier",
                kind_of(&stolen),
                vec![answer_note(&stolen)],
            );
            consequences.push(format!(
                "A flow without PKCE got a code, and its stolen code: {}.",
                answer_note(&stolen)
            ));
            if let Ok(tokens) = tokens_of(&mut transcript, &stolen, "the stolen code") {
                tidy_up(ctx, &mut transcript, &tokens).await?;
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
        steps: transcript.finish(ctx.oauth.masker()),
        consequences,
        naive: None,
    })
}
