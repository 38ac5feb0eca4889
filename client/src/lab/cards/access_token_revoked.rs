//! Card 22, the honest one: a revoked JWT access token is still accepted until it expires.
//!
//! Not an attack the API refuses: the price of self-contained tokens. RFC 9068 §1: a JWT
//! access token lets a resource server validate it "without having to ... call the
//! authorization server" (no introspection round trip), and therefore without hearing that
//! it was revoked (RFC 7009 §2: revocation reaches the authorization server). RFC 7662 §2.2:
//! introspection answers `"active": false` for a revoked token, at the cost of one call per
//! check. RFC 9700 §4.10.1 and RFC 9068 §5 recommend short lifetimes for exactly this.
//!
//! The real API's JWT check (`validate` in `api/src/access_token.rs`) ACCEPTS the revoked
//! token, and the card says so. The lab plays the provider with
//! [`crate::lab::fake_issuer`] (revocation and introspection included), since the provider
//! does not yet issue JWT access tokens.

use crate::flow::rfc;
use crate::lab::agent::post_form;
use crate::lab::cards::{AttackReport, Card, Verdict};
use crate::lab::fake_issuer::{FakeIssuer, check_at_api_for_real};
use crate::lab::forge::{access_token_claims, decoded, now};
use crate::lab::harness::{LabContext, answer_note};
use crate::lab::transcript::{StepKind, Transcript, json_bool};
use crate::lab::{LabError, code};

/// The lifetime of the token in this card: what the demo's short-lived tokens would have.
const LIFETIME_SECONDS: u64 = 300;

pub fn card() -> Card {
    Card {
        id: "access-token-revoked",
        number: 22,
        title: "The honest card: a revoked JWT is accepted until it expires",
        wants: "To keep using a stolen JWT access token after the user (or the provider) revoked it.",
        does: "Plays the provider with a stand-in issuer of its own on 127.0.0.1 (JWK Set, revocation, introspection), signs a five-minute JWT access token for the notes API, shows the notes API's real check accepting it, revokes it at the issuer (RFC 7009), gives it to the real check again, and asks the issuer's introspection endpoint (RFC 7662).",
        defence: "None, by design: the API checks a JWT by itself, from its signature and claims, so it never hears about a revocation. Introspection says inactive at once. The mitigations, and what they cost: short lifetimes (minutes: the window closes by itself; the client refreshes more often, one token request each time); introspection for high-value calls (revocation takes effect at once; one round trip to the provider per call, and the provider must be up: the benchmark measures it); or opaque tokens with a short introspection cache (INTROSPECTION_CACHE_TTL, the same trade-off in seconds).",
        defended_by: "notes API (it does not: that is the lesson)",
        rfcs: vec![
            rfc(9068, "1"),
            rfc(7009, "2"),
            rfc(7662, "2.2"),
            rfc(9700, "4.10.1"),
        ],
        refused_by: vec![
            code("api/src/access_token.rs", "validate"),
            code("api/src/introspection.rs", "validate"),
        ],
        naive: None,
        setting: Some(
            "INTROSPECTION_CACHE_TTL (api): for opaque tokens, how long a revoked token may still work at the API.",
        ),
    }
}

pub async fn run(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let mut transcript = Transcript::new();
    let fake = FakeIssuer::start()?;
    let outcome = play(ctx, &mut transcript, &fake).await;
    fake.stop().await;
    let (verdict, consequences) = outcome?;
    Ok(AttackReport {
        verdict,
        steps: transcript.finish(ctx.oauth.masker()),
        consequences,
        naive: None,
    })
}

async fn play(
    ctx: &LabContext<'_>,
    transcript: &mut Transcript,
    fake: &FakeIssuer,
) -> Result<(Verdict, Vec<String>), LabError> {
    let api_url = ctx.oauth.settings().api_url.clone();
    let claims = access_token_claims(ctx, &fake.issuer, &api_url, now() + LIFETIME_SECONDS);
    let token = fake.key.sign(&fake.key.header(Some("at+jwt")), &claims)?;
    transcript.secret(&token);
    transcript.step(
        "A five-minute JWT access token for the notes API",
        StepKind::Setup,
        vec![
            decoded(&token),
            format!(
                "Signed by the lab's stand-in issuer at {}, which the checks below trust.",
                fake.issuer
            ),
        ],
    );
    let before = check_at_api_for_real(
        fake,
        transcript,
        &token,
        &api_url,
        "Before: the notes API's real check accepts it",
    )
    .await;
    let revoked = transcript
        .send(
            ctx.oauth.http(),
            post_form(
                &fake.url("/revoke"),
                &[("token", &token), ("token_type_hint", "access_token")],
                None,
            )?,
        )
        .await?;
    transcript.step(
        "The token is revoked at the issuer (RFC 7009)",
        StepKind::Setup,
        vec![answer_note(&revoked)],
    );
    let after = check_at_api_for_real(
        fake,
        transcript,
        &token,
        &api_url,
        "After revocation: the notes API's real check, again",
    )
    .await;
    let introspected = transcript
        .send(
            ctx.oauth.http(),
            post_form(
                &fake.url("/introspect"),
                &[("token", &token), ("token_type_hint", "access_token")],
                None,
            )?,
        )
        .await?;
    let active = json_bool(&introspected, "active");
    transcript.step(
        "Introspection at the issuer (RFC 7662): the mitigation for high-value calls",
        if active == Some(false) {
            StepKind::Refused
        } else {
            StepKind::Accepted
        },
        vec![format!(
            "active = {}",
            active.map_or("unknown".to_owned(), |active| active.to_string())
        )],
    );
    let verdict = Verdict {
        refused: after.refused,
        status: after.status,
        code: Some(if after.refused {
            "refused".into()
        } else {
            "accepted after revocation".into()
        }),
        description: Some(format!(
            "the JWT check before revocation: {}; after: {}; introspection: active = {}",
            if before.refused { "refused" } else { "accepted" },
            if after.refused { "refused" } else { "accepted" },
            active.map_or("unknown".to_owned(), |active| active.to_string())
        )),
        summary: "As designed, the notes API's JWT check still ACCEPTS the revoked token: it never asks the issuer. Introspection says inactive. The window is the token's remaining lifetime, five minutes here.".into(),
    };
    Ok((
        verdict,
        vec![
            format!("Short lifetimes: this token's window after revocation is at most its lifetime, {LIFETIME_SECONDS} seconds. Cost: a refresh (one token request) every few minutes per client."),
            "Introspection for high-value calls (deleting all notes, a payment): inactive at once. Cost: one round trip to the provider per call, and the provider must be up (the benchmark's rows: the API's GET with a JWT against one with introspection).".into(),
            "Opaque tokens with a short introspection cache (INTROSPECTION_CACHE_TTL): revocation takes effect within the cache's lifetime.".into(),
        ],
    ))
}
