//! Card 21: an expired JWT access token at the notes API.
//!
//! The attack: an access token that leaked (a log line, a proxy, a crash report) is used
//! after it expired. RFC 9068 §4: "The current time MUST be before the time represented by
//! the `exp` claim. Implementers MAY provide for some small leeway, usually no more than a
//! few minutes, to account for clock skew" (RFC 7519 §4.1.4).
//!
//! Refused by the notes API: step 9 (`Lifetime`) of `validate` in `api/src/access_token.rs`,
//! with `CLOCK_SKEW_SECONDS` of leeway. The lab plays the provider with
//! [`crate::lab::fake_issuer`] (it cannot sign with the provider's key) and calls the API's
//! `validate` in-process. The naive check ([`crate::lab::naive_access_token`]) never reads
//! `exp`.

use crate::flow::rfc;
use crate::lab::cards::{AttackReport, Card};
use crate::lab::fake_issuer::{FakeIssuer, stand_in_attack};
use crate::lab::forge::{NAIVE_ACCESS_TOKEN, access_token_claims, decoded, now};
use crate::lab::harness::LabContext;
use crate::lab::transcript::{StepKind, Transcript};
use crate::lab::{LabError, code};

pub fn card() -> Card {
    Card {
        id: "access-token-expired",
        number: 21,
        title: "An expired access token at the notes API",
        wants: "To keep using an access token that leaked, long after it expired.",
        does: "Plays the provider with a stand-in issuer of its own on 127.0.0.1 (the lab cannot sign with the provider's key), signs a JWT access token for the notes API that expired an hour ago, and gives it to the notes API's real check (api/src/access_token.rs validate, in-process, trusting the stand-in). Then to a deliberately naive JWT check.",
        defence: "A JWT access token carries its own end: exp. The API refuses it once now is past exp (30 seconds of leeway for clock skew). Short lifetimes are what bound the damage of a leaked JWT, since the API never asks the provider about it.",
        defended_by: "notes API",
        rfcs: vec![rfc(9068, "4"), rfc(7519, "4.1.4")],
        refused_by: vec![code("api/src/access_token.rs", "validate")],
        naive: Some(NAIVE_ACCESS_TOKEN),
        setting: None,
    }
}

pub async fn run(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let mut transcript = Transcript::new();
    let fake = FakeIssuer::start()?;
    let api_url = ctx.oauth.settings().api_url.clone();
    let claims = access_token_claims(ctx, &fake.issuer, &api_url, now().saturating_sub(3600));
    let token = fake.key.sign(&fake.key.header(Some("at+jwt")), &claims)?;
    transcript.step(
        "An access token for the notes API that expired an hour ago",
        StepKind::Setup,
        vec![
            decoded(&token),
            format!(
                "Signed by the lab's stand-in issuer at {}, which the check below trusts.",
                fake.issuer
            ),
        ],
    );
    Ok(stand_in_attack(
        ctx,
        transcript,
        fake,
        &token,
        "The naive check verified the signature and never read exp: a leaked token works forever.",
    )
    .await)
}
