//! Card 5: a redirect to an unregistered URI (an open redirect).
//!
//! The attack: the authorization endpoint is asked to send the code to the attacker's site,
//! with a foreign `redirect_uri` and with a look-alike that starts with the client's own
//! address (`http://client@attacker.example/...`). RFC 6749 §4.1.2.1: if the redirect URI
//! is invalid, the server "SHOULD inform the resource owner of the error and MUST NOT
//! automatically redirect the user-agent to the invalid redirection URI"; RFC 9700 §4.1.3
//! requires exact string matching.
//!
//! Refused by the provider: `check_redirect_uri` shows its own 400 page, with no `Location`
//! header, before asking the user anything.

use crate::flow::rfc;
use crate::lab::agent::{authorization_request, get};
use crate::lab::cards::{AttackReport, Card, Verdict};
use crate::lab::harness::{LabContext, default_scope, shorten};
use crate::lab::transcript::{StepKind, Transcript, header};
use crate::lab::{LabError, code, page_text};

/// Where the attack asks the provider to send the code.
pub const ATTACKER_REDIRECT: &str = "https://attacker.example/steal";

/// The card: what the attacker wants, what the button does, what refuses it.
pub fn card() -> Card {
    Card {
        id: "open-redirect",
        number: 5,
        title: "A redirect to an unregistered URI (open redirect)",
        wants: "The provider sending the user, with a fresh code, to the attacker's site instead of the client's redirect URI.",
        does: "Sends the lab's browser to the authorization endpoint with the client's real client_id and a redirect_uri of the attacker's, twice: a foreign one, and one that starts with the client's own address (http://client@attacker.example/...: the part before @ is a user name, the host is attacker.example).",
        defence: "The redirect URI must equal a registered one, character for character: no prefix, no pattern. Until it does, the provider shows an error page itself and never redirects, since an unverified redirect URI may be the attacker's (and an error redirect would make the provider an open redirector).",
        defended_by: "provider",
        rfcs: vec![
            rfc(6749, "4.1.2.1"),
            rfc(6749, "3.1.2.3"),
            rfc(9700, "4.1.3"),
        ],
        refused_by: vec![
            code("provider/src/oauth/authorize.rs", "check_redirect_uri"),
            code("provider/src/domain/client.rs", "verify_redirect_uri"),
        ],
        naive: None,
        setting: None,
    }
}

/// The attack: two authorization requests with unregistered redirect URIs; the decisive
/// answer is the first that is not refused (or the last refusal).
pub async fn run(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let mut transcript = Transcript::new();
    let settings = ctx.oauth.settings();
    let registered = settings.redirect_uri.as_str();
    let lookalike = format!(
        "{}@attacker.example{}",
        settings.public_origin(),
        settings.redirect_uri.path()
    );
    let mut decisive = None;
    for (title, redirect_uri) in [
        (
            "The attack: a redirect_uri on the attacker's site",
            ATTACKER_REDIRECT.to_owned(),
        ),
        (
            "The attack again: a redirect_uri that starts with the client's own address",
            lookalike,
        ),
    ] {
        let request = authorization_request(
            &ctx.provider.endpoints.authorization,
            &settings.client_id,
            &redirect_uri,
            &default_scope(ctx),
        )?;
        let answer = transcript
            .send(&ctx.lab.attacker.http, get(&request.url, None)?)
            .await?;
        let redirected = header(&answer, "location");
        let text = page_text(&String::from_utf8_lossy(answer.body()));
        transcript.step(
            title,
            if redirected.is_none() && !answer.status().is_success() {
                StepKind::Refused
            } else {
                StepKind::Accepted
            },
            vec![
                format!("redirect_uri = {redirect_uri} (registered: {registered})"),
                match &redirected {
                    Some(_) => format!(
                        "HTTP {} with a Location header: the provider redirected.",
                        answer.status().as_u16()
                    ),
                    None => format!(
                        "HTTP {}, no Location header: no redirect. The provider's page says: {}",
                        answer.status().as_u16(),
                        shorten(&text, 300)
                    ),
                },
            ],
        );
        let refused = redirected.is_none() && answer.status().is_client_error();
        if decisive.as_ref().is_none_or(|v: &Verdict| v.refused) {
            decisive = Some(Verdict {
                refused,
                status: Some(answer.status().as_u16()),
                code: None,
                description: Some(shorten(&text, 300)),
                summary: if refused {
                    "No redirect: the provider showed its own error page (HTTP 400) for both unregistered redirect URIs.".into()
                } else {
                    format!("The provider redirected to {redirect_uri}: an open redirector.")
                },
            });
        }
    }
    Ok(AttackReport {
        verdict: decisive.ok_or_else(|| LabError::new("no request was sent"))?,
        steps: transcript.finish(ctx.oauth.masker()),
        consequences: vec![
            "No code was issued: the provider stops before asking the user anything.".into(),
        ],
        naive: None,
    })
}
