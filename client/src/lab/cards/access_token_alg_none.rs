//! Card 17: an unsigned JWT access token, `alg: none`, at the notes API.
//!
//! The attack: write an access token for the notes API with any `sub` and scope, `alg:
//! none`, no signature. RFC 9068 §4: "The resource server MUST validate the signature of
//! all incoming JWT access tokens according to [RFC7515] using the algorithm specified in
//! the JWT `alg` Header Parameter. The resource server MUST reject any JWT in which the
//! value of `alg` is `none`" (RFC 8725 §3.1).
//!
//! Refused by the notes API: step 3 (`Algorithm`) of `validate` in `api/src/access_token.rs`:
//! the allow-list `shared::jose::Alg` cannot name `none`. The naive check
//! ([`crate::lab::naive_access_token`]) lets the header choose.

use serde_json::json;

use crate::flow::rfc;
use crate::lab::cards::{AttackReport, Card};
use crate::lab::forge::{
    NAIVE_ACCESS_TOKEN, access_token_attack, access_token_claims, decoded, now, provider_jwks,
    provider_key, unsigned,
};
use crate::lab::harness::LabContext;
use crate::lab::transcript::{StepKind, Transcript};
use crate::lab::{LabError, code};

pub fn card() -> Card {
    Card {
        id: "access-token-alg-none",
        number: 17,
        title: "An unsigned access token (alg: none) at the notes API",
        wants: "To read and write any user's notes with an access token they wrote themselves.",
        does: "Reads the provider's public keys (to name one of its kid values), writes a JWT access token for the notes API (typ at+jwt, the provider as iss, the API as aud, sub user1, scope notes:read notes:write) with alg none and an empty signature, and sends it to the running notes API's GET /notes. Then to a deliberately naive JWT check.",
        defence: "The API decides which algorithms it accepts (RS256, ES256, EdDSA), never the token. alg none is refused before any key is looked at: 401 invalid_token, with the RFC 9728 challenge that points at the API's metadata.",
        defended_by: "notes API",
        rfcs: vec![rfc(9068, "4"), rfc(8725, "3.1"), rfc(7519, "6")],
        refused_by: vec![
            code("api/src/access_token.rs", "validate"),
            code("shared/src/jose.rs", "from_name"),
        ],
        naive: Some(NAIVE_ACCESS_TOKEN),
        setting: None,
    }
}

pub async fn run(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let mut transcript = Transcript::new();
    let jwks = provider_jwks(ctx, &mut transcript).await?;
    let kid = provider_key(&jwks)?.kid.clone().unwrap_or_default();
    let settings = ctx.oauth.settings();
    let claims = access_token_claims(
        ctx,
        &ctx.provider.endpoints.issuer,
        &settings.api_url,
        now() + 300,
    );
    let token = unsigned(
        &json!({"typ": "at+jwt", "alg": "none", "kid": kid}),
        &claims,
    );
    transcript.step(
        "The attacker writes an access token with alg none and no signature",
        StepKind::Setup,
        vec![decoded(&token), "the signature part is empty".into()],
    );
    access_token_attack(
        ctx,
        transcript,
        &token,
        &jwks,
        "Algorithm",
        "The notes API refused the unsigned token: none is not on its allow-list.",
        "The naive check read alg none as \"no signature needed\": anyone can read and write user1's notes.",
    )
    .await
}
