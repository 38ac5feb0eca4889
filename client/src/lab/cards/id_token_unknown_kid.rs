//! Card 15: an ID token naming a `kid` the provider's JWK Set does not have.
//!
//! The attack: sign an ID token with a key of the attacker's own and name it with a `kid`
//! the provider never published. RFC 7515 §4.1.4: the `kid` "is a hint indicating which key
//! was used to secure the JWS"; Core §10.1.1: keys rotate, so a client that meets an
//! unknown `kid` may fetch the JWK Set again, but only keys the issuer publishes ever verify.
//!
//! Refused by the client: `check_key` in `client/src/oauth/id_token.rs` (step 3 of
//! `validate`); `Validation::wants_fresh_keys` makes the callback refetch `jwks_uri` once,
//! and a second miss is final. The naive check ([`crate::lab::naive_id_token`]) decodes a
//! token whose key it cannot find without verifying it.

use crate::flow::{openid_core, rfc};
use crate::lab::cards::{AttackReport, Card};
use crate::lab::forge::{
    LabKey, NAIVE_ID_TOKEN, decoded, fresh_nonce, id_token_attack, id_token_claims, provider_jwks,
};
use crate::lab::harness::LabContext;
use crate::lab::transcript::{StepKind, Transcript};
use crate::lab::{LabError, code};

pub fn card() -> Card {
    Card {
        id: "id-token-unknown-kid",
        number: 15,
        title: "An ID token signed with a kid the JWK Set does not have",
        wants: "To sign ID tokens with a key of their own, hoping the client trusts whatever key a token names.",
        does: "Reads the provider's real JWK Set, makes a key of the attacker's own with kid attacker-key, signs a complete, correct-looking ID token with it, and gives it to this client's real ID token check with the provider's keys. Then to a deliberately naive check.",
        defence: "A kid only says which of the issuer's own keys to use. The client looks it up in the JWK Set from the provider's jwks_uri; an unknown kid gets one refetch (keys rotate), then the token is refused. A key the provider never published never verifies anything.",
        defended_by: "client",
        rfcs: vec![
            openid_core("10.1.1", "RotateSigKeys"),
            rfc(7515, "4.1.4"),
            rfc(8725, "3.10"),
        ],
        refused_by: vec![
            code("client/src/oauth/id_token.rs", "check_key"),
            code("client/src/oauth/id_token.rs", "validate"),
        ],
        naive: Some(NAIVE_ID_TOKEN),
        setting: None,
    }
}

pub async fn run(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let mut transcript = Transcript::new();
    let jwks = provider_jwks(ctx, &mut transcript).await?;
    let attacker = LabKey::generate("attacker-key")?;
    let nonce = fresh_nonce();
    let token = attacker.sign(&attacker.header(None), &id_token_claims(ctx, &nonce))?;
    transcript.step(
        "The attacker signs an ID token with a key of their own, kid attacker-key",
        StepKind::Setup,
        vec![decoded(&token)],
    );
    let (validation, mut report) = id_token_attack(
        ctx,
        transcript,
        &token,
        &jwks,
        &nonce,
        "The naive check found no key with that kid and decoded the claims without verifying them: the attacker's key signs anyone in.",
    );
    if validation.wants_fresh_keys() {
        report.consequences.push("At /callback, an unknown kid makes the client fetch jwks_uri once more (the provider may have rotated its keys); the attacker's kid is still not there, so the refusal is final.".into());
    }
    Ok(report)
}
