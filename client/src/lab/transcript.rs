//! The record of one lab run: every request the lab's agents and back channel sent, grouped
//! into steps, masked only at the end, once every secret the run met is known.
//!
//! Masking is the flow inspector's ([`Masker`]): by parameter name (`code`, `code_verifier`,
//! `access_token`, `refresh_token`, `token`, `client_secret`), by header (`Authorization`),
//! then every secret string the run saw wherever it still appears. Two additions for the
//! lab: a `Location` header carrying a code is masked like a URL, and the provider's login
//! and consent forms are shown without the `password` (which the wire masker has no reason
//! to know) and with the provider's `csrf_token` masked.

use oauth2::{HttpRequest, HttpResponse};
use serde::Serialize;

use crate::lab::{LabError, page_text};
use crate::wire::{Masker, RawExchange, Recorder, WireError, WireRecord};

/// Longest refusal page text shown in a wire record.
const PAGE_TEXT_SHOWN: usize = 600;

/// What a step was, for its colour and its label on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Getting ready: logging in, consenting, obtaining a code or tokens.
    Setup,
    /// The attack itself, refused.
    Refused,
    /// The attack itself, accepted: the defence did not hold (or this is the naive handler).
    Accepted,
    /// Looking at the consequences: introspection, the legitimate use still working.
    Check,
}

/// One step as shown on a card: what was done, why, and its masked wire records.
#[derive(Debug, Clone, Serialize)]
pub struct LabStep {
    pub title: String,
    pub kind: StepKind,
    pub notes: Vec<String>,
    pub wires: Vec<WireRecord>,
}

struct RawStep {
    title: String,
    kind: StepKind,
    notes: Vec<String>,
    exchanges: Vec<RawExchange>,
}

/// A run's requests and responses, in order, and the secrets to mask in them.
#[derive(Default)]
pub struct Transcript {
    steps: Vec<RawStep>,
    current: Vec<RawExchange>,
    secrets: Vec<String>,
}

impl Transcript {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends `request` with `http`, recording it into the step being built.
    pub async fn send(
        &mut self,
        http: &reqwest::Client,
        request: HttpRequest,
    ) -> Result<HttpResponse, LabError> {
        let recorder = Recorder::new(http);
        let result = recorder.send(request).await;
        self.current.extend(recorder.take());
        result.map_err(|error| unreachable(&error))
    }

    /// Takes what a [`Recorder`] saw (a call made through the `oauth2` crate) into the step
    /// being built.
    pub fn absorb(&mut self, recorder: &Recorder<'_>) {
        self.current.extend(recorder.take());
    }

    /// Takes some of the exchanges a [`Recorder`] saw (the gallery's burst keeps two of many).
    pub fn keep(&mut self, exchanges: impl IntoIterator<Item = RawExchange>) {
        self.current.extend(exchanges);
    }

    /// A secret met along the way (a code, a token, a verifier): masked wherever it appears.
    pub fn secret(&mut self, secret: &str) {
        self.secrets.push(secret.to_owned());
    }

    /// Closes the step being built: the exchanges sent since the last step belong to it.
    pub fn step(&mut self, title: impl Into<String>, kind: StepKind, notes: Vec<String>) {
        self.steps.push(RawStep {
            title: title.into(),
            kind,
            notes,
            exchanges: std::mem::take(&mut self.current),
        });
    }

    /// Every step, masked with `masker` plus every secret the run met.
    pub fn finish(mut self, masker: Masker) -> Vec<LabStep> {
        if !self.current.is_empty() {
            self.step("Unfinished step", StepKind::Check, Vec::new());
        }
        let masker = self
            .secrets
            .iter()
            .fold(masker, |masker, secret| masker.secret(secret));
        self.steps
            .iter()
            .map(|step| LabStep {
                title: step.title.clone(),
                kind: step.kind,
                notes: step.notes.iter().map(|note| masker.text(note)).collect(),
                wires: step
                    .exchanges
                    .iter()
                    .map(|raw| mask_exchange(&masker, raw))
                    .collect(),
            })
            .collect()
    }
}

/// The wire masker's record, plus the lab's additions (see the module docs).
fn mask_exchange(masker: &Masker, raw: &RawExchange) -> WireRecord {
    let mut record = masker.record(raw);
    if let Ok(response) = &raw.response {
        if let Some(location) = response.header("location") {
            for (name, value) in &mut record.response_headers {
                if name == "location" {
                    *value = masker.url(location);
                }
            }
        }
        let is_html = response
            .header("content-type")
            .is_some_and(|ct| ct.starts_with("text/html"));
        if is_html {
            let text = page_text(&String::from_utf8_lossy(&response.body));
            let mut shown: String = text.chars().take(PAGE_TEXT_SHOWN).collect();
            if shown.len() < text.len() {
                shown.push('…');
            }
            record.response_body = format!("(an HTML page; its text:) {}", masker.text(&shown));
        }
    }
    let body_has = |name: &[u8]| raw.request_body.windows(name.len()).any(|w| w == name);
    if body_has(b"password=") || body_has(b"csrf_token=") {
        let body = String::from_utf8_lossy(&raw.request_body);
        record.request_body = url::form_urlencoded::parse(body.as_bytes())
            .map(|(key, value)| match key.as_ref() {
                "password" => format!("{key}=(not shown)"),
                "csrf_token" => format!("{key}={}", shared::mask(&value)),
                _ => format!("{key}={}", masker.text(&value)),
            })
            .collect::<Vec<_>>()
            .join("&");
        record.curl = "(a form of the provider's pages: not shown as curl)".to_owned();
    }
    record
}

fn unreachable(error: &WireError) -> LabError {
    LabError::new(match error {
        WireError::Connect { url, .. } => {
            format!(
                "Cannot connect to {url}. Is it running? (The provider: 'cargo run -p provider'. This client's own pages are reached at REDIRECT_URI's origin.)"
            )
        }
        WireError::Timeout { url } => format!("No answer from {url} within the time limit."),
        WireError::Other { url, .. } => format!("The call to {url} failed."),
    })
}

/// The `{error, error_description}` of an RFC 6749 §5.2 / RFC 6750 §3.1 JSON body.
pub fn error_of(response: &HttpResponse) -> (Option<String>, Option<String>) {
    match serde_json::from_slice::<serde_json::Value>(response.body()) {
        Ok(json) => (
            json["error"].as_str().map(str::to_owned),
            json["error_description"].as_str().map(str::to_owned),
        ),
        Err(_) => (None, None),
    }
}

/// A string field of a JSON body.
pub fn json_field(response: &HttpResponse, field: &str) -> Option<String> {
    serde_json::from_slice::<serde_json::Value>(response.body())
        .ok()
        .and_then(|json| json[field].as_str().map(str::to_owned))
}

/// A boolean field of a JSON body.
pub fn json_bool(response: &HttpResponse, field: &str) -> Option<bool> {
    serde_json::from_slice::<serde_json::Value>(response.body())
        .ok()
        .and_then(|json| json[field].as_bool())
}

/// A response header, as text.
pub fn header(response: &HttpResponse, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}
