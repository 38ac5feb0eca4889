//! Calls to the notes API (`API_URL`), a resource server that is not the provider (RFC
//! 6749 §1.1's fourth role), with the token the provider issued for it (RFC 8707).
//!
//! `GET /notes` lists the signed-in user's notes (scope `notes:read`), `POST /notes` adds
//! one (`notes:write`); both send `Authorization: Bearer` (RFC 6750 §2.1). Each call answers
//! a typed [`NotesOutcome`] and keeps what went over the wire ([`Recorded`]); the flow
//! inspector's steps are made from them in [`crate::flow`] (the token decoded, the API's
//! checks), never here. A tolerant reader: a note that cannot be read is left out
//! and counted, an answer that is not the documented JSON is [`NotesOutcome::Unreadable`].
//!
//! A 401 carries the API's challenge (RFC 6750 §3, RFC 9728 §5.1: `WWW-Authenticate: Bearer
//! error="invalid_token", resource_metadata="…"`); the caller then gets a new API token once
//! and retries once, as with the provider's own API.

use std::time::Duration;

use oauth2::AccessToken;
use oauth2::http::{Method, Request, header};
use serde::{Deserialize, Serialize};

use crate::error::ClientError;
use crate::flow;
use crate::oauth::{OAuth, TokenErrorCode};
use crate::session::vault::BrowserState;
use crate::wire::{Masker, Recorded, Recorder};

/// A notes API token this close to its expiry is replaced before use, not sent to fail.
const EXPIRY_MARGIN: Duration = Duration::from_secs(5);

/// What the page says when the notes API does not answer at all.
pub const API_DOWN: &str = "The notes API is not running: start it with `cargo run`.";

/// One note, as the API returns it (`{id, text}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Note {
    pub id: u64,
    pub text: String,
}

/// What a call to the notes API came to.
#[derive(Debug)]
pub enum NotesOutcome {
    /// `GET /notes` 200: the notes read, and how many entries could not be.
    Listed { notes: Vec<Note>, unreadable: usize },
    /// `POST /notes` 201.
    Added(Note),
    /// 401 (RFC 6750 §3): the `WWW-Authenticate` challenge as sent.
    Unauthorized { challenge: Option<String> },
    /// 403 `insufficient_scope`, 400 (a note too long, empty) or another refusal.
    Refused { status: u16, detail: String },
    /// An answer that is not the documented JSON.
    Unreadable { status: u16, detail: String },
    /// Nothing answers at `API_URL` (not started, wrong port, timed out).
    Down { url: String },
}

/// A call's outcome and its traffic.
pub struct NotesCall {
    pub outcome: NotesOutcome,
    pub wire: Recorded,
}

/// Why no call to the notes API could be made: a sentence for the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoApiToken(pub String);

/// Calls the notes API for this browser (`text`: add that note, else list them), with the
/// notes API's own token: fetched first when the session has none or it is about to
/// expire ([`OAuth::api_token`], RFC 8707 §2.2), and on a 401 fetched again once and the
/// call retried once. The session's token lock is held throughout, as for the provider's
/// API: the token request rotates the refresh token, and two at once would end the grant.
pub async fn call_for(
    oauth: &OAuth,
    browser: &BrowserState,
    text: Option<&str>,
) -> Result<NotesOutcome, NoApiToken> {
    let provider = oauth
        .provider()
        .await
        .map_err(|error| NoApiToken(error.to_string()))?;
    let mut guard = browser.tokens.lock().await;
    let tokens = guard
        .as_mut()
        .ok_or_else(|| NoApiToken("You are signed out.".into()))?;
    let api_url = &oauth.settings().api_url;
    let mut retried = false;
    loop {
        let usable = tokens
            .api
            .as_ref()
            .filter(|api| !api.needs_refresh(EXPIRY_MARGIN))
            .map(|api| api.access.clone());
        let access = match usable {
            Some(access) => access,
            None => {
                let refresh = tokens.refresh.clone().ok_or_else(|| {
                    NoApiToken(
                        "The provider gave no refresh token, so this app cannot ask it for a token for the notes API (RFC 8707 §2.2)."
                            .into(),
                    )
                })?;
                let answer = oauth.api_token(&provider, &refresh).await;
                browser.record(vec![flow::notes_api_token_step(&answer)]);
                let mut api = answer.result.map_err(|error| NoApiToken(why(&error)))?;
                // The provider rotated the refresh token: the new one is the session's now.
                if let Some(rotated) = api.refresh.take() {
                    tokens.refresh = Some(rotated);
                }
                let access = api.access.clone();
                tokens.api = Some(Box::new(api));
                access
            }
        };
        let call = call(oauth.http(), api_url, &access, text).await;
        browser.record(vec![flow::notes_api_call_step(
            &access,
            &call,
            text.is_some(),
        )]);
        match call.outcome {
            // RFC 6750 §3.1 `invalid_token`: expired or revoked early. One new token, one retry.
            NotesOutcome::Unauthorized { .. } if !retried => {
                tracing::info!("the notes API refused its token; fetching a new one once");
                tokens.api = None;
                retried = true;
            }
            outcome => return Ok(outcome),
        }
    }
}

/// A failed token request for the notes API, as the page says it.
fn why(error: &ClientError) -> String {
    match error {
        ClientError::TokenRefused { code, .. }
            if *code == TokenErrorCode::Other("invalid_target".into()) =>
        {
            "The provider does not issue tokens for the notes API: it answered invalid_target (RFC 8707 §2), so it does not know API_URL as a resource.".into()
        }
        other => format!("No token for the notes API: {other}"),
    }
}

/// The body of `POST /notes`.
#[derive(Serialize)]
struct NewNote<'a> {
    text: &'a str,
}

/// `GET <API_URL>/notes` with `token`.
pub async fn list(http: &reqwest::Client, api_url: &str, token: &AccessToken) -> NotesCall {
    call(http, api_url, token, None).await
}

/// `POST <API_URL>/notes` of `text` with `token`.
pub async fn add(
    http: &reqwest::Client,
    api_url: &str,
    token: &AccessToken,
    text: &str,
) -> NotesCall {
    call(http, api_url, token, Some(text)).await
}

async fn call(
    http: &reqwest::Client,
    api_url: &str,
    token: &AccessToken,
    text: Option<&str>,
) -> NotesCall {
    let url = format!("{api_url}/notes");
    let masker = Masker::new().secret(token.secret());
    let recorder = Recorder::new(http);
    let builder = Request::builder()
        .uri(&url)
        .header(header::ACCEPT, "application/json")
        // RFC 6750 §2.1: the token in the Authorization header, never in the URL.
        .header(header::AUTHORIZATION, format!("Bearer {}", token.secret()));
    let request = match text {
        None => builder.method(Method::GET).body(Vec::new()),
        Some(text) => builder
            .method(Method::POST)
            .header(header::CONTENT_TYPE, "application/json")
            .body(serde_json::to_vec(&NewNote { text }).unwrap_or_default()),
    };
    let outcome = match request {
        Err(error) => NotesOutcome::Unreadable {
            status: 0,
            detail: format!("API_URL does not make a usable URL ({error})"),
        },
        Ok(request) => match recorder.send(request).await {
            Err(_) => NotesOutcome::Down { url: url.clone() },
            Ok(response) => read(
                response.status().as_u16(),
                response
                    .headers()
                    .get(header::WWW_AUTHENTICATE)
                    .and_then(|value| value.to_str().ok()),
                response.body(),
                text.is_some(),
            ),
        },
    };
    NotesCall {
        outcome,
        wire: recorder.finish(masker),
    }
}

/// Reads an answer of the notes API as far as it can be read.
fn read(status: u16, challenge: Option<&str>, body: &[u8], added: bool) -> NotesOutcome {
    let unreadable = |detail: String| NotesOutcome::Unreadable { status, detail };
    match (status, added) {
        (200, false) => match serde_json::from_slice::<Vec<serde_json::Value>>(body) {
            Ok(entries) => {
                let total = entries.len();
                let notes: Vec<Note> = entries
                    .into_iter()
                    .filter_map(|entry| serde_json::from_value(entry).ok())
                    .collect();
                NotesOutcome::Listed {
                    unreadable: total - notes.len(),
                    notes,
                }
            }
            Err(error) => unreadable(format!("not a JSON array of notes ({error})")),
        },
        (201, true) => match serde_json::from_slice(body) {
            Ok(note) => NotesOutcome::Added(note),
            Err(error) => unreadable(format!("not a note ({error})")),
        },
        (401, _) => NotesOutcome::Unauthorized {
            challenge: challenge.map(str::to_owned),
        },
        (status, _) => NotesOutcome::Refused {
            status,
            detail: challenge
                .map(str::to_owned)
                .or_else(|| {
                    serde_json::from_slice::<serde_json::Value>(body)
                        .ok()
                        .and_then(|value| {
                            let text = |key: &str| {
                                value.get(key).and_then(|v| v.as_str()).map(str::to_owned)
                            };
                            text("error_description").or_else(|| text("error"))
                        })
                })
                .unwrap_or_else(|| format!("HTTP {status}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_with_one_unreadable_entry_keeps_the_others_and_counts_it() {
        let body = br#"[{"id":1,"text":"a"},{"id":2},{"id":3,"text":"c","extra":true}]"#;
        match read(200, None, body, false) {
            NotesOutcome::Listed { notes, unreadable } => {
                assert_eq!(notes.len(), 2);
                assert_eq!(notes[1].text, "c");
                assert_eq!(unreadable, 1);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_401_keeps_the_challenge_and_a_403_names_the_error() {
        let challenge = r#"Bearer error="invalid_token", resource_metadata="http://api/.well-known/oauth-protected-resource""#;
        assert!(matches!(
            read(401, Some(challenge), b"", false),
            NotesOutcome::Unauthorized { challenge: Some(c) } if c == challenge
        ));
        let refused = read(403, Some(r#"Bearer error="insufficient_scope""#), b"", true);
        assert!(
            matches!(&refused, NotesOutcome::Refused { status: 403, detail } if detail.contains("insufficient_scope")),
            "{refused:?}"
        );
    }
}
