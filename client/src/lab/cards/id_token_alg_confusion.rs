//! Card 13: algorithm confusion, the provider's RS256 public key used as an HS256 secret.
//!
//! The attack: the provider publishes its RSA public key for anyone to verify with. The
//! attacker writes an ID token with `alg: HS256` and computes the HMAC with that public key
//! as the "secret". A verifier that lets the header choose the algorithm, and hands the HMAC
//! the only key it has, gets the same MAC and believes it. RFC 8725 §2.1 ("Weak Signatures
//! and Insufficient Signature Validation") and §3.1: verifiers "MUST NOT use any other
//! algorithms" than the ones they chose; Core §3.1.3.7 steps 6–7.
//!
//! Refused by the client: `check_algorithm` in `client/src/oauth/id_token.rs` (step 2 of
//! `validate`): HMAC is not on the allow-list, so a public key is never used as a secret.
//! The naive check ([`crate::lab::naive_id_token`]) computes the HMAC with the public key.

use serde_json::json;

use crate::flow::{openid_core, rfc};
use crate::lab::cards::{AttackReport, Card};
use crate::lab::forge::{
    NAIVE_ID_TOKEN, decoded, fresh_nonce, hmac_with_public_key, id_token_attack, id_token_claims,
    provider_jwks, provider_key,
};
use crate::lab::harness::LabContext;
use crate::lab::transcript::{StepKind, Transcript};
use crate::lab::{LabError, code};

pub fn card() -> Card {
    Card {
        id: "id-token-alg-confusion",
        number: 13,
        title: "Algorithm confusion: an RS256 public key as an HS256 secret",
        wants: "To forge an ID token that \"verifies\" with the provider's own key, using only what the provider publishes.",
        does: "Reads the provider's real JWK Set, takes its RSA key (RS256), writes an ID token with alg HS256 and that key's kid, and computes the HMAC with the public key's bytes as the secret. Gives it to this client's real ID token check with the provider's real keys, then to a deliberately naive check.",
        defence: "A public key is public: any MAC computed with it can be computed by anyone. The client fixes the algorithms it accepts (RS256, ES256, EdDSA: public-key signatures only) and a key is used only with its own algorithm, so HS256 is refused at the algorithm step and the public key never becomes a secret.",
        defended_by: "client",
        rfcs: vec![
            openid_core("3.1.3.7", "IDTokenValidation"),
            rfc(8725, "2.1"),
            rfc(8725, "3.1"),
        ],
        refused_by: vec![
            code("client/src/oauth/id_token.rs", "check_algorithm"),
            code("shared/src/jose.rs", "verify_signature"),
        ],
        naive: Some(NAIVE_ID_TOKEN),
        setting: None,
    }
}

pub async fn run(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let mut transcript = Transcript::new();
    let jwks = provider_jwks(ctx, &mut transcript).await?;
    let key = provider_key(&jwks)?;
    let nonce = fresh_nonce();
    let header = json!({"alg": "HS256", "kid": key.kid});
    let token = hmac_with_public_key(&header, &id_token_claims(ctx, &nonce), key);
    transcript.step(
        "The attacker \"signs\" an ID token with HS256, keyed with the provider's public key",
        StepKind::Setup,
        vec![
            decoded(&token),
            format!(
                "the HMAC secret: the public {} key {}'s bytes, read from jwks_uri",
                key.kty,
                key.kid.as_deref().unwrap_or("-")
            ),
        ],
    );
    let (_, report) = id_token_attack(
        ctx,
        transcript,
        &token,
        &jwks,
        &nonce,
        "The naive check let the header pick HS256, keyed the HMAC with the provider's public key, got the attacker's MAC, and believed the claims.",
    );
    Ok(report)
}
