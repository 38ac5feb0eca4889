//! Card 20: a token for the provider's API sent to the notes API (audience).
//!
//! The attack: a genuine access token, issued for another resource server (the provider's
//! own API), is replayed at the notes API: a compromised or curious API reusing the tokens
//! it receives. RFC 9068 §4: "The resource server MUST validate that the `aud` claim contains
//! a resource indicator value corresponding to an identifier the resource server expects for
//! itself. The JWT access token MUST be rejected if `aud` does not contain a resource
//! indicator of the current resource server as a valid audience" (RFC 8707 §2: a token is
//! only valid for the resource it was issued for).
//!
//! Refused by the notes API: step 8 (`Audience`) of `validate` in `api/src/access_token.rs`,
//! against its own `API_URL`. The lab cannot sign with the provider's key, so it plays the
//! provider with [`crate::lab::fake_issuer`] and calls the API's `validate` in-process,
//! trusting that issuer. The naive check ([`crate::lab::naive_access_token`]) never reads
//! `aud`.

use crate::flow::rfc;
use crate::lab::cards::{AttackReport, Card};
use crate::lab::fake_issuer::{FakeIssuer, stand_in_attack};
use crate::lab::forge::{NAIVE_ACCESS_TOKEN, access_token_claims, decoded, now};
use crate::lab::harness::LabContext;
use crate::lab::transcript::{StepKind, Transcript};
use crate::lab::{LabError, code};

pub fn card() -> Card {
    Card {
        id: "access-token-audience",
        number: 20,
        title: "A token for the provider's API sent to the notes API (aud)",
        wants: "To use a token issued for one API at another: any API that receives the user's token (or logs it) could replay it everywhere else the user has data.",
        does: "Plays the provider with a stand-in issuer of its own on 127.0.0.1 (metadata and JWK Set: the lab cannot sign with the provider's key), signs a genuine-looking JWT access token whose aud is the provider's own API, and gives it to the notes API's real check (api/src/access_token.rs validate, called in-process, trusting the stand-in as the API trusts AUTH_SERVER). Then to a deliberately naive JWT check.",
        defence: "Every token names the resource it is for (aud, from the client's RFC 8707 resource parameter). The notes API accepts only tokens whose aud contains its own identifier (API_URL), compared exactly: a token for the provider's API, however genuine, is refused. With audiences, a leak at one API stays at that API.",
        defended_by: "notes API",
        rfcs: vec![rfc(9068, "4"), rfc(8707, "2"), rfc(7519, "4.1.3")],
        refused_by: vec![code("api/src/access_token.rs", "validate")],
        naive: Some(NAIVE_ACCESS_TOKEN),
        setting: Some("API_URL: the notes API's resource identifier, the aud it requires."),
    }
}

pub async fn run(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let mut transcript = Transcript::new();
    let fake = FakeIssuer::start()?;
    let api_url = ctx.oauth.settings().api_url.clone();
    let provider_api = ctx.provider.endpoints.issuer.clone();
    let claims = access_token_claims(ctx, &fake.issuer, &provider_api, now() + 300);
    let token = fake.key.sign(&fake.key.header(Some("at+jwt")), &claims)?;
    transcript.step(
        "A genuine access token for the provider's API (aud = the provider), signed by the issuer",
        StepKind::Setup,
        vec![
            decoded(&token),
            format!(
                "The issuer is the lab's stand-in at {}, which the check below trusts; the notes API's identifier is {api_url}.",
                fake.issuer
            ),
        ],
    );
    Ok(stand_in_attack(ctx, transcript, fake, &token, "The naive check verified the issuer's signature and never read aud: a token for the provider's API opens the notes API too.").await)
}
