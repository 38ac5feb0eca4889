//! Card 12: an unsigned ID token, `alg: none`.
//!
//! The attack: write any claims, set the header's `alg` to `none` and leave the signature
//! empty (RFC 7519 §6: an "Unsecured JWT"). RFC 8725 §3.1: "libraries MUST enable the
//! caller to specify a supported set of algorithms and MUST NOT use any other algorithms
//! when performing cryptographic operations"; Core §3.1.3.7 step 7: the `alg` "SHOULD be the
//! default of RS256 or the algorithm sent by the Client in the
//! id_token_signed_response_alg parameter during Registration".
//!
//! Refused by the client: `check_algorithm` in `client/src/oauth/id_token.rs` (step 2 of
//! `validate`): the allow-list `shared::jose::Alg` cannot even name `none`. The naive check
//! ([`crate::lab::naive_id_token`]) lets the header choose.

use crate::flow::{openid_core, rfc};
use crate::lab::cards::{AttackReport, Card};
use crate::lab::forge::{
    NAIVE_ID_TOKEN, decoded, fresh_nonce, id_token_attack, id_token_claims, provider_jwks,
    provider_key, unsigned,
};
use crate::lab::harness::LabContext;
use crate::lab::transcript::{StepKind, Transcript};
use crate::lab::{LabError, code};
use serde_json::json;

pub fn card() -> Card {
    Card {
        id: "id-token-alg-none",
        number: 12,
        title: "An unsigned ID token (alg: none)",
        wants: "To sign in as anyone by writing the ID token themselves: any sub, this client as aud, the right nonce, and no signature at all.",
        does: "Reads the provider's public keys (to name one of its kid values, as a real token would), writes an ID token with alg none and an empty signature, and gives it to this client's real ID token check with the provider's real JWK Set. Then to a deliberately naive check.",
        defence: "The verifier decides which algorithms it accepts, never the token: this client accepts RS256, ES256 and EdDSA and nothing else, so alg none is refused before any key is looked at. A library that lets the header pick treats none as \"no signature needed\".",
        defended_by: "client",
        rfcs: vec![
            openid_core("3.1.3.7", "IDTokenValidation"),
            rfc(7519, "6"),
            rfc(8725, "3.1"),
        ],
        refused_by: vec![
            code("client/src/oauth/id_token.rs", "check_algorithm"),
            code("shared/src/jose.rs", "from_name"),
        ],
        naive: Some(NAIVE_ID_TOKEN),
        setting: None,
    }
}

pub async fn run(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let mut transcript = Transcript::new();
    let jwks = provider_jwks(ctx, &mut transcript).await?;
    let kid = provider_key(&jwks)?.kid.clone().unwrap_or_default();
    let nonce = fresh_nonce();
    let token = unsigned(
        &json!({"alg": "none", "kid": kid}),
        &id_token_claims(ctx, &nonce),
    );
    transcript.step(
        "The attacker writes an ID token with alg none and no signature",
        StepKind::Setup,
        vec![decoded(&token), "the signature part is empty".into()],
    );
    let (_, report) = id_token_attack(
        ctx,
        transcript,
        &token,
        &jwks,
        &nonce,
        "The naive check read alg none as \"no signature needed\" and believed claims nobody signed.",
    );
    Ok(report)
}
