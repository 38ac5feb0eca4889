//! Card 19: an access token that brings its own key (`jwk`), names it (`kid`), or points at
//! it (`jku`).
//!
//! The attack: sign an access token with a key of the attacker's own and put the public key
//! in the token's header (`jwk`, RFC 7515 §4.1.3), or a URL of a key set the attacker hosts
//! (`jku`, §4.1.2), with a `kid` of the attacker's choosing. RFC 8725 §3.10: "the use of
//! [jku, x5u] ... could result in Server-Side Request Forgery"; RFC 9068 §4: validate the
//! signature "using the keys published by the issuer" (its metadata's `jwks_uri`).
//!
//! Refused by the notes API: step 4 (`Key`) of `validate` in `api/src/access_token.rs`: keys
//! come only from the issuer's JWK Set, by `kid`; `jwk` and `jku` are never read or fetched.
//! The naive check ([`crate::lab::naive_access_token`]) verifies with the header's `jwk`.

use serde_json::json;

use crate::flow::rfc;
use crate::lab::cards::{AttackReport, Card};
use crate::lab::forge::{
    LabKey, NAIVE_ACCESS_TOKEN, access_token_attack, access_token_claims, decoded, now,
    provider_jwks,
};
use crate::lab::harness::LabContext;
use crate::lab::transcript::{StepKind, Transcript};
use crate::lab::{LabError, code};

pub fn card() -> Card {
    Card {
        id: "access-token-attacker-key",
        number: 19,
        title: "An access token carrying the attacker's own key (jwk, jku, kid)",
        wants: "To sign access tokens with a key of their own and have the API verify them with that same key, which the token itself supplies.",
        does: "Reads the provider's real JWK Set, makes a key of the attacker's own (kid attacker-key), signs a JWT access token for the notes API with it and puts the public key in the header (jwk) and a URL of the attacker's key set (jku). Sends it to the running notes API, then to a deliberately naive JWT check.",
        defence: "A key in the token proves only that whoever made the token had that key: anyone does. The API takes keys from one place, the JWK Set at its issuer's jwks_uri (from the issuer's metadata), looked up by kid; jwk, jku, x5u and x5c are never used and never fetched. The attacker's kid is not there: 401 invalid_token.",
        defended_by: "notes API",
        rfcs: vec![rfc(9068, "4"), rfc(8725, "3.10"), rfc(7515, "4.1.3")],
        refused_by: vec![
            code("api/src/access_token.rs", "validate"),
            code("api/src/authorization_server.rs", "signing_key"),
        ],
        naive: Some(NAIVE_ACCESS_TOKEN),
        setting: None,
    }
}

pub async fn run(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let mut transcript = Transcript::new();
    let jwks = provider_jwks(ctx, &mut transcript).await?;
    let attacker = LabKey::generate("attacker-key")?;
    let settings = ctx.oauth.settings();
    let claims = access_token_claims(
        ctx,
        &ctx.provider.endpoints.issuer,
        &settings.api_url,
        now() + 300,
    );
    let mut header = attacker.header(Some("at+jwt"));
    header["jwk"] = serde_json::to_value(attacker.jwk()).unwrap_or_default();
    header["jku"] = json!("https://attacker.example/jwks.json");
    let token = attacker.sign(&header, &claims)?;
    transcript.step(
        "The attacker signs an access token with a key of their own, and puts that key in the header",
        StepKind::Setup,
        vec![decoded(&token)],
    );
    access_token_attack(
        ctx,
        transcript,
        &token,
        &jwks,
        "Key (no attacker-key at the issuer's jwks_uri; jku was not fetched)",
        "The notes API refused it: attacker-key is not in its issuer's JWK Set, and it never uses a key the token brings.",
        "The naive check verified the signature with the key in the token's own jwk header: it verifies, of course. Anyone can now sign tokens for any user.",
    )
    .await
}
