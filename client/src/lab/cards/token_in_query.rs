//! Card 7: a bearer token in the query string.
//!
//! The attack: `GET /protected?access_token=...`, where the token leaks into access logs,
//! browser history and `Referer` headers. RFC 6750 §2.3 allows the query form only where
//! headers are impossible, and §5.3 says tokens SHOULD NOT be passed in page URLs
//! (RFC 9700 §4.3.2).
//!
//! Refused by the provider: `presented_token` accepts the `Authorization` header only, and
//! answers 401 with a bare `WWW-Authenticate: Bearer` challenge (RFC 6750 §3.1), unless
//! `ALLOW_BEARER_IN_QUERY=true`, which the card then reports as a success of the attack.

use crate::flow::rfc;
use crate::lab::agent::{get, with_param};
use crate::lab::cards::{AttackReport, Card};
use crate::lab::harness::{
    LabContext, answer_note, kind_of, post_as_client, tidy_up, tokens_of, verdict_of,
};
use crate::lab::transcript::{StepKind, Transcript, header};
use crate::lab::{LabError, code};

/// The card: what the attacker wants, what the button does, what refuses it.
pub fn card() -> Card {
    Card {
        id: "token-in-query",
        number: 7,
        title: "A token in the query string",
        wants: "Bearer tokens in URLs (?access_token=...), where they leak: server and proxy access logs record URLs, browsers keep them in history, and the Referer header sends them to the next site.",
        does: "Gets an access token (client_credentials), calls the provider's /protected with it in the query string, then the same token in the Authorization header.",
        defence: "The provider accepts tokens in the Authorization header only. A request with its token in the query string lacks the authentication the resource accepts, so it is refused with 401 and a bare WWW-Authenticate: Bearer challenge (no error code, RFC 6750 §3.1) before the token is even looked up. The header call shows the token itself was fine.",
        defended_by: "provider",
        rfcs: vec![rfc(6750, "2.3"), rfc(6750, "5.3"), rfc(9700, "4.3.2")],
        refused_by: vec![code("provider/src/api/bearer.rs", "presented_token")],
        naive: None,
        setting: Some(
            "ALLOW_BEARER_IN_QUERY (provider, default false) turns query-string tokens on, as RFC 6750 §2.3 allows for clients that cannot send headers. Turn it on and this card's attack succeeds: that is the leak the default prevents.",
        ),
    }
}

/// The attack: a `client_credentials` token sent in the query string, then the same token
/// in the `Authorization` header.
pub async fn run(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let mut transcript = Transcript::new();
    let settings = ctx.oauth.settings();
    let form = [
        ("grant_type", "client_credentials"),
        ("scope", "profile:read"),
    ];
    let issued = post_as_client(ctx, &mut transcript, &ctx.provider.endpoints.token, &form).await?;
    let tokens = tokens_of(&mut transcript, &issued, "the client_credentials grant")?;
    transcript.step(
        "An access token (client_credentials, for the client itself)",
        StepKind::Setup,
        vec![tokens.describe()],
    );
    let resource = settings.provider_url("/protected");
    let in_query = with_param(&resource, "access_token", &tokens.access)?;
    let answer = transcript
        .send(ctx.oauth.http(), get(&in_query, None)?)
        .await?;
    let challenge = header(&answer, "www-authenticate");
    let refused = !answer.status().is_success();
    let verdict = verdict_of(
        &answer,
        "The token in the query string was refused before it was even looked up.",
        "The provider ACCEPTED the token in the URL: it runs with ALLOW_BEARER_IN_QUERY=true, so this token is now in its access log.",
    );
    transcript.step(
        "The attack: GET /protected?access_token=…",
        kind_of(&answer),
        vec![
            answer_note(&answer),
            format!(
                "WWW-Authenticate: {}",
                challenge.as_deref().unwrap_or("(none)")
            ),
        ],
    );
    let with_header = transcript
        .send(ctx.oauth.http(), get(&resource, Some(&tokens.access))?)
        .await?;
    transcript.step(
        "The same token in the Authorization header",
        StepKind::Check,
        vec![format!(
            "HTTP {}: the token itself is valid; only the way it was sent was refused.",
            with_header.status().as_u16()
        )],
    );
    tidy_up(ctx, &mut transcript, &tokens).await?;
    Ok(AttackReport {
        verdict,
        steps: transcript.finish(ctx.oauth.masker()),
        consequences: vec![if refused {
            "The URL with the token was refused, but it still reached the provider: never put a token in a URL, refused or not (it is now in the provider's access log if it logs query strings; this one logs none).".into()
        } else {
            "Set ALLOW_BEARER_IN_QUERY=false (the default) and run this card again.".into()
        }],
        naive: None,
    })
}
