//! Card 18: algorithm confusion at the notes API, the provider's public key as an HMAC secret.
//!
//! The attack: write an access token for the notes API with `alg: HS256` and compute the
//! HMAC with the provider's published RSA public key as the secret. RFC 8725 §2.1 names it;
//! §3.1: verifiers "MUST NOT use any other algorithms" than the ones they chose; RFC 9068
//! §4: "The resource server MUST check that the `alg` ... is one of the algorithms it
//! supports".
//!
//! Refused by the notes API: step 3 (`Algorithm`) of `validate` in `api/src/access_token.rs`:
//! HMAC is not on the allow-list, and a key is used only with its own algorithm
//! (`verify_signature` in `shared/src/jose.rs`). The naive check
//! ([`crate::lab::naive_access_token`]) keys the HMAC with the public key.

use serde_json::json;

use crate::flow::rfc;
use crate::lab::cards::{AttackReport, Card};
use crate::lab::forge::{
    NAIVE_ACCESS_TOKEN, access_token_attack, access_token_claims, decoded, hmac_with_public_key,
    now, provider_jwks, provider_key,
};
use crate::lab::harness::LabContext;
use crate::lab::transcript::{StepKind, Transcript};
use crate::lab::{LabError, code};

pub fn card() -> Card {
    Card {
        id: "access-token-alg-confusion",
        number: 18,
        title: "Algorithm confusion at the notes API: the RSA public key as an HMAC secret",
        wants: "To forge access tokens for the notes API with nothing but the provider's published public key.",
        does: "Reads the provider's real JWK Set, takes its RSA key, writes a JWT access token for the notes API with alg HS256 and that key's kid, computes the HMAC with the public key's bytes as the secret, and sends it to the running notes API. Then to a deliberately naive JWT check.",
        defence: "The API accepts public-key signatures only (RS256, ES256, EdDSA), and uses each key only with its own algorithm: an HS256 token is refused at the algorithm step, and the public key is never used as a secret.",
        defended_by: "notes API",
        rfcs: vec![rfc(9068, "4"), rfc(8725, "2.1"), rfc(8725, "3.1")],
        refused_by: vec![
            code("api/src/access_token.rs", "validate"),
            code("shared/src/jose.rs", "verify_signature"),
        ],
        naive: Some(NAIVE_ACCESS_TOKEN),
        setting: None,
    }
}

pub async fn run(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let mut transcript = Transcript::new();
    let jwks = provider_jwks(ctx, &mut transcript).await?;
    let key = provider_key(&jwks)?;
    let settings = ctx.oauth.settings();
    let claims = access_token_claims(
        ctx,
        &ctx.provider.endpoints.issuer,
        &settings.api_url,
        now() + 300,
    );
    let header = json!({"typ": "at+jwt", "alg": "HS256", "kid": key.kid});
    let token = hmac_with_public_key(&header, &claims, key);
    transcript.step(
        "The attacker \"signs\" an access token with HS256, keyed with the provider's public key",
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
    access_token_attack(
        ctx,
        transcript,
        &token,
        &jwks,
        "Algorithm",
        "The notes API refused the HS256 token: HMAC is not on its allow-list.",
        "The naive check let the header pick HS256 and keyed the HMAC with the provider's public key: the attacker's MAC matched.",
    )
    .await
}
