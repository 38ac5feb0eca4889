//! Card 16: an ID token sent as a bearer token, to the provider's API and to the notes API.
//!
//! The attack: the ID token is a signed JWT from the same provider, with the user's `sub`,
//! and it travels through the browser-facing client; why not use it to call APIs? Core §2:
//! it is "a security token that contains Claims about the Authentication", addressed to the
//! client (`aud`), not an access token. RFC 9068 §4: "Resource servers MUST verify that the
//! `typ` header value is `at+jwt` or `application/at+jwt` and reject tokens carrying any
//! other type value" (§2.1 explains: so an ID token, signed by the same keys, is refused).
//!
//! Refused by the notes API at step 2 (`typ`) of `validate` in `api/src/access_token.rs`,
//! and by the provider's own bearer check (`authorize` in `provider/src/api/bearer.rs`), for which it is
//! simply not a token it issued as one. The naive check
//! ([`crate::lab::naive_access_token`]) verifies the signature with the provider's keys and
//! never reads `typ` or `aud`.

use crate::flow::{openid_core, rfc};
use crate::lab::agent::get;
use crate::lab::cards::{AttackReport, Card, NaiveReport, Verdict};
use crate::lab::forge::{
    NAIVE_ACCESS_TOKEN, all_refused, call_api, decoded, naive_report, provider_jwks,
};
use crate::lab::harness::{
    LabContext, answer_note, default_scope, kind_of, obtain_code, redeem, tidy_up, tokens_of,
    verdict_of,
};
use crate::lab::naive_access_token::naive_validate_access_token;
use crate::lab::transcript::{StepKind, Transcript, json_field};
use crate::lab::{LabError, code};

pub fn card() -> Card {
    Card {
        id: "id-token-as-access-token",
        number: 16,
        title: "An ID token used as an access token",
        wants: "To call APIs with the ID token: it is signed by the provider, names the user, and is easier to get hold of than the access token (it is meant for the client, and often logged or handed to the browser).",
        does: "Runs a real OpenID flow (scope openid: the lab's browser logs in as demo and approves), takes the ID token from the token response, and sends it as Authorization: Bearer to the provider's /api/auth/me and to the notes API's GET /notes. Then gives it to a deliberately naive JWT access token check.",
        defence: "An ID token tells the client who signed in; an access token tells an API what the client may do. The notes API accepts only JWTs typed at+jwt (RFC 9068), so an ID token, signed by the very same keys, is refused before its signature is even checked; its aud names the client, not the API, too. The provider's API knows its access tokens (opaque, stored hashed) and an ID token is not one of them.",
        defended_by: "provider and the notes API",
        rfcs: vec![
            rfc(9068, "4"),
            rfc(9068, "2.1"),
            openid_core("2", "IDToken"),
            rfc(6750, "3.1"),
        ],
        refused_by: vec![
            code("api/src/access_token.rs", "validate"),
            code("provider/src/api/bearer.rs", "authorize"),
        ],
        naive: Some(NAIVE_ACCESS_TOKEN),
        setting: None,
    }
}

pub async fn run(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let mut transcript = Transcript::new();
    let scope = format!("openid {}", default_scope(ctx));
    let (authorization_code, verifier) =
        obtain_code(ctx, &mut transcript, &ctx.lab.attacker, &scope).await?;
    let redeemed = redeem(ctx, &mut transcript, &authorization_code, Some(&verifier)).await?;
    let tokens = tokens_of(&mut transcript, &redeemed, "the code exchange")?;
    let Some(id_token) = json_field(&redeemed, "id_token") else {
        tidy_up(ctx, &mut transcript, &tokens).await?;
        return Err(LabError::new(
            "the provider sent no id_token for scope openid: it is not an OpenID Provider",
        ));
    };
    transcript.secret(&id_token);
    transcript.step(
        "A real OpenID flow: the token response carries an ID token",
        StepKind::Setup,
        vec![
            tokens.describe(),
            format!("the ID token: {}", decoded(&id_token)),
        ],
    );
    let outcome = attack(ctx, &mut transcript, &id_token).await;
    tidy_up(ctx, &mut transcript, &tokens).await?;
    let (verdict, naive) = outcome?;
    Ok(AttackReport {
        verdict,
        steps: transcript.finish(ctx.oauth.masker()),
        consequences: vec![
            "Neither API served the user's data for the ID token. The access token of the same response still works where it is meant to.".into(),
        ],
        naive: Some(naive),
    })
}

/// The ID token at both APIs, then at the naive check.
async fn attack(
    ctx: &LabContext<'_>,
    transcript: &mut Transcript,
    id_token: &str,
) -> Result<(Verdict, NaiveReport), LabError> {
    let me = transcript
        .send(
            ctx.oauth.http(),
            get(
                &ctx.oauth.settings().provider_url("/api/auth/me"),
                Some(id_token),
            )?,
        )
        .await?;
    transcript.step(
        "The attack: the ID token as a bearer token at the provider's GET /api/auth/me",
        kind_of(&me),
        vec![answer_note(&me)],
    );
    let at_provider = verdict_of(
        &me,
        "The provider refused it: not an access token it issued.",
        "The provider ACCEPTED an ID token as an access token.",
    );
    let notes = call_api(ctx, transcript, id_token).await?;
    transcript.step(
        "The attack: the ID token as a bearer token at the notes API's GET /notes",
        kind_of(&notes),
        vec![
            answer_note(&notes),
            "The API logs the step that refused it: Type (typ is JWT, not at+jwt).".into(),
        ],
    );
    let at_api = verdict_of(
        &notes,
        "The notes API refused it: typ is not at+jwt.",
        "The notes API ACCEPTED an ID token as an access token.",
    );
    let verdict = all_refused(
        vec![at_api, at_provider],
        "Both refused: the notes API because the token is not typed at+jwt (RFC 9068 §4), the provider because it is not an access token it issued.",
    );
    let jwks = provider_jwks(ctx, transcript).await?;
    let naive = naive_report(
        ctx,
        &[(
            "The same ID token at the NAIVE access token check",
            id_token,
        )],
        |token| naive_validate_access_token(token, &jwks),
        "The naive check verified the provider's signature and stopped: it would serve the user's notes to whoever holds their ID token.",
    );
    Ok((verdict, naive))
}
