//! Card 14: an expired ID token.
//!
//! The attack: an ID token that leaked long ago (a log, a backup, a shared screenshot of
//! the inspector) is presented again. Core §3.1.3.7 step 9: "The current time MUST be before
//! the time represented by the exp Claim (possibly allowing for some small leeway to
//! account for clock skew)" (also RFC 7519 §4.1.4).
//!
//! Refused by the client: `check_expiry` in `client/src/oauth/id_token.rs` (step 9 of
//! `validate`), with `CLOCK_SKEW_SECONDS` of leeway. The naive check
//! ([`crate::lab::naive_id_token`]) never reads `exp`.

use serde_json::json;

use crate::flow::{openid_core, rfc};
use crate::lab::cards::{AttackReport, Card};
use crate::lab::forge::{NAIVE_ID_TOKEN, StandInProvider, now};
use crate::lab::harness::LabContext;
use crate::lab::{LabError, code};

pub fn card() -> Card {
    Card {
        id: "id-token-expired",
        number: 14,
        title: "An expired ID token",
        wants: "To sign in with an ID token that was genuine once, an hour ago.",
        does: "Makes a properly signed ID token (signed by a key the lab made, standing in for the provider's) that expired an hour ago, everything else right, and gives it to this client's real ID token check, then to a deliberately naive one.",
        defence: "An ID token is a statement about one login, valid for minutes. The client refuses it once now is past exp (with a minute of leeway for clock skew), so a token that leaked yesterday signs nobody in today.",
        defended_by: "client",
        rfcs: vec![
            openid_core("3.1.3.7", "IDTokenValidation"),
            rfc(7519, "4.1.4"),
        ],
        refused_by: vec![
            code("client/src/oauth/id_token.rs", "check_expiry"),
            code("client/src/oauth/id_token.rs", "validate"),
        ],
        naive: Some(NAIVE_ID_TOKEN),
        setting: None,
    }
}

pub async fn run(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let provider = StandInProvider::generate()?;
    let token = provider.id_token(ctx, &provider.nonce, |claims| {
        let an_hour_ago = now().saturating_sub(3600);
        claims["iat"] = json!(an_hour_ago.saturating_sub(300));
        claims["exp"] = json!(an_hour_ago);
    })?;
    Ok(provider.attack(
        ctx,
        "An ID token that expired an hour ago",
        &token,
        "Signed by a key the lab made, standing in for the provider's.",
        "The naive check verified the signature and never looked at exp: an hour-old token still signs the user in, and so would a year-old one.",
    ))
}
