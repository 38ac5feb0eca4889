//! Card 10: an ID token issued to another client (`aud`).
//!
//! The attack: a site the user also signs in to (another client of the same provider)
//! receives the user's ID token, and presents it here as its own proof of login. Core
//! §3.1.3.7 step 3: "The Client MUST validate that the aud (audience) Claim contains its
//! client_id value registered at the Issuer identified by the iss (issuer) Claim as an
//! audience. ... The ID Token MUST be rejected if the ID Token does not list the Client as a
//! valid audience".
//!
//! Refused by the client: `check_audience` in `client/src/oauth/id_token.rs` (step 7 of
//! `validate`). The naive check ([`crate::lab::naive_id_token`]) never reads `aud`.

use serde_json::json;

use crate::flow::{openid_core, rfc};
use crate::lab::cards::{AttackReport, Card};
use crate::lab::forge::{NAIVE_ID_TOKEN, StandInProvider};
use crate::lab::harness::LabContext;
use crate::lab::{LabError, code};

/// The client the stolen ID token was issued to.
pub const OTHER_CLIENT: &str = "another-client";

pub fn card() -> Card {
    Card {
        id: "id-token-audience",
        number: 10,
        title: "An ID token issued to another client",
        wants: "To sign in here as the user with an ID token the provider issued to another application (one the attacker runs, or one that leaked it): a genuine token, signed by the provider, about the real user.",
        does: "Makes a properly signed ID token whose aud and azp name another-client (the lab signs with a key of its own and hands the client's check a JWK Set holding it, standing in for the provider's keys: it cannot sign with the provider's), with the right iss, sub, exp and nonce. Gives it to this client's real ID token check, then to a deliberately naive one.",
        defence: "An ID token says who signed in *to whom*. The client checks that aud contains its own client_id (and that azp, if present, is itself): a token for another client proves nothing here, however genuine its signature. Without that check, every application the user ever signed in to could sign in here as the user.",
        defended_by: "client",
        rfcs: vec![
            openid_core("3.1.3.7", "IDTokenValidation"),
            rfc(7519, "4.1.3"),
            rfc(8725, "3.9"),
        ],
        refused_by: vec![
            code("client/src/oauth/id_token.rs", "check_audience"),
            code("client/src/oauth/id_token.rs", "validate"),
        ],
        naive: Some(NAIVE_ID_TOKEN),
        setting: None,
    }
}

pub async fn run(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let provider = StandInProvider::generate()?;
    let token = provider.id_token(ctx, &provider.nonce, |claims| {
        claims["aud"] = json!(OTHER_CLIENT);
        claims["azp"] = json!(OTHER_CLIENT);
    })?;
    Ok(provider.attack(
        ctx,
        "An ID token issued to another client: aud and azp name another-client",
        &token,
        "Signed by a key the lab made, standing in for the provider's: the check is given a JWK Set that holds it.",
        "The naive check verified the signature and stopped there: it signed the user in with a token meant for another-client.",
    ))
}
