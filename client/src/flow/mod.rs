//! The flow inspector's record: every step of a browser's most recent flow, as it went over
//! the wire, with the reason it exists (RFC link) and the file and function on each side.
//!
//! This is the one place that narrates. The protocol (`oauth/`, `provider_api.rs`) returns
//! typed outcomes that keep what went over the wire as data; each file of this folder turns
//! one part of the flow's outcomes into steps ([`authorization_request_step`],
//! [`callback_steps`], ...), and the texts of each kind of step live in one constructor of
//! [`Step`], beside the function that uses it. In flow order:
//!
//! - `discovery.rs`: step 0, the provider's metadata (RFC 8414 §3);
//! - `login.rs`: (A)–(E), authorization request, login and consent, authorization response,
//!   token request (RFC 6749 §4.1, RFC 7636, RFC 9207);
//! - `openid.rs`: the ID token and UserInfo (OpenID Connect Core 1.0 §3.1.3.7, §5.3);
//! - `provider_api.rs`: calls to the provider's resource server (RFC 6750);
//! - `refresh.rs`, `revocation.rs`, `introspection.rs`: RFC 6749 §6, RFC 7009, RFC 7662;
//! - `notes_api.rs`: the notes API's own token and calls (RFC 8707, RFC 9068);
//! - `resource_discovery.rs`: discovery from the API alone (RFC 9728 §5);
//! - `log.rs`: the bounded log of one browser's steps.
//!
//! This file holds what they share: [`Step`] and its builder, the RFC and code links.
//! Everything stored here is already masked ([`crate::wire::Masker`]): the log never holds
//! a secret, so showing it cannot leak one. Tokens appear by fingerprint
//! ([`shared::fingerprint`]), the same 8 hex digits both binaries' logs print.

mod discovery;
mod introspection;
mod log;
mod login;
mod notes_api;
mod openid;
mod provider_api;
mod refresh;
mod resource_discovery;
mod revocation;

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::oauth::TokenSet;
use crate::wire::{Recorded, WireRecord};

pub use discovery::discovery_step;
pub use introspection::introspection_step;
pub use log::FlowLog;
pub use login::{authorization_request_step, callback_steps};
pub use notes_api::{notes_api_call_step, notes_api_token_step};
pub use openid::{id_token_step, userinfo_step};
pub use provider_api::api_call_step;
pub use refresh::refresh_step;
pub use resource_discovery::resource_discovery_steps;
pub use revocation::revocation_steps;

/// The longest parameter value a step keeps (a forged callback's `state` can be any size).
pub const PARAM_SHOWN: usize = 80;

/// A link to an RFC section.
#[derive(Debug, Clone, Serialize)]
pub struct RfcLink {
    pub label: String,
    pub url: String,
}

/// `rfc(6749, "4.1.3")` → "RFC 6749 §4.1.3", linking to the rfc-editor.org section.
pub fn rfc(number: u32, section: &str) -> RfcLink {
    RfcLink {
        label: format!("RFC {number} §{section}"),
        url: format!("https://www.rfc-editor.org/rfc/rfc{number}#section-{section}"),
    }
}

/// `openid_core("3.1.3.7", "IDTokenValidation")` → "OpenID Connect Core 1.0 §3.1.3.7",
/// linking to the section's anchor in the specification.
pub fn openid_core(section: &str, anchor: &str) -> RfcLink {
    RfcLink {
        label: format!("OpenID Connect Core 1.0 §{section}"),
        url: format!("https://openid.net/specs/openid-connect-core-1_0.html#{anchor}"),
    }
}

/// A file and a function, on the client or the provider.
#[derive(Debug, Clone, Serialize)]
pub struct CodeRef {
    pub file: &'static str,
    pub function: &'static str,
}

const fn code(file: &'static str, function: &'static str) -> CodeRef {
    CodeRef { file, function }
}

/// Where a step travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Through the browser: redirects the user can see in the address bar.
    Front,
    /// Server to server: the browser never sees it.
    Back,
    /// Between the browser and the provider only; the client is not involved.
    AtProvider,
}

/// One step of the flow.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub title: String,
    pub channel: Channel,
    /// One or two sentences: why this step exists.
    pub why: String,
    pub rfcs: Vec<RfcLink>,
    pub client_code: Vec<CodeRef>,
    pub provider_code: Vec<CodeRef>,
    /// The notes API's side, when the step reaches it (the fourth role, RFC 6749 §1.1).
    pub api_code: Vec<CodeRef>,
    /// Parameters worth a table (authorization request and response), masked.
    pub params: Vec<(String, String)>,
    /// Extra lines: the PKCE derivation, the checks that passed, what failed.
    pub notes: Vec<String>,
    /// `(which token, fingerprint)`.
    pub fingerprints: Vec<(String, String)>,
    /// The requests and responses of this step (usually one), masked.
    pub wires: Vec<WireRecord>,
    /// Whether the step went as hoped (a refusal is shown in red).
    pub ok: bool,
    /// `HH:MM:SS` UTC.
    pub at: String,
    /// Refreshes and revocations: kept longer than routine API calls when the log is full.
    #[serde(skip)]
    pub milestone: bool,
}

impl Step {
    fn new(title: impl Into<String>, channel: Channel, why: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            channel,
            why: why.into(),
            rfcs: Vec::new(),
            client_code: Vec::new(),
            provider_code: Vec::new(),
            api_code: Vec::new(),
            params: Vec::new(),
            notes: Vec::new(),
            fingerprints: Vec::new(),
            wires: Vec::new(),
            ok: true,
            at: clock(SystemTime::now()),
            milestone: false,
        }
    }

    fn rfcs(mut self, links: impl IntoIterator<Item = RfcLink>) -> Self {
        self.rfcs.extend(links);
        self
    }

    fn client(mut self, refs: impl IntoIterator<Item = CodeRef>) -> Self {
        self.client_code.extend(refs);
        self
    }

    fn provider(mut self, refs: impl IntoIterator<Item = CodeRef>) -> Self {
        self.provider_code.extend(refs);
        self
    }

    fn api(mut self, refs: impl IntoIterator<Item = CodeRef>) -> Self {
        self.api_code.extend(refs);
        self
    }

    /// Attaches a recorded request and response; an answer other than 2xx (or none)
    /// marks the step failed.
    pub fn wire(mut self, record: WireRecord) -> Self {
        self.ok = self.ok
            && record
                .status
                .is_some_and(|status| (200..300).contains(&status));
        self.wires.push(record);
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Attaches every request and response of a recorded call, masked: the one way
    /// traffic enters a step.
    pub fn recorded(self, call: &Recorded) -> Self {
        call.masked().into_iter().fold(self, Step::wire)
    }

    pub fn fingerprint(self, which: &str, token: &str) -> Self {
        self.fingerprinted(which, shared::fingerprint(token))
    }

    /// A token's fingerprint, already computed.
    fn fingerprinted(mut self, which: &str, fingerprint: String) -> Self {
        self.fingerprints.push((which.to_owned(), fingerprint));
        self
    }

    /// Both tokens of a set, by fingerprint.
    fn tokens(self, tokens: &TokenSet) -> Self {
        let step = self.fingerprint("access token", tokens.access.secret());
        match &tokens.refresh {
            Some(refresh) => step.fingerprint("refresh token", refresh.secret()),
            None => step,
        }
    }

    pub fn params(mut self, params: Vec<(String, String)>) -> Self {
        let params: Vec<(String, String)> = params
            .into_iter()
            .map(|(name, value)| {
                if value.chars().count() > PARAM_SHOWN {
                    let mut shown: String = value.chars().take(PARAM_SHOWN).collect();
                    shown.push('…');
                    (name, shown)
                } else {
                    (name, value)
                }
            })
            .collect();
        self.params = params;
        self
    }

    fn milestone(mut self) -> Self {
        self.milestone = true;
        self
    }

    pub fn failed(mut self) -> Self {
        self.ok = false;
        self
    }
}
/// `HH:MM:SS` (UTC) of a time.
pub fn clock(time: SystemTime) -> String {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_secs())
        .unwrap_or_default()
        % 86_400;
    format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_links_point_at_the_section() {
        let link = rfc(6749, "4.1.3");
        assert_eq!(link.label, "RFC 6749 §4.1.3");
        assert_eq!(
            link.url,
            "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3"
        );
    }

    #[test]
    fn the_clock_prints_utc_hours_minutes_seconds() {
        let time = UNIX_EPOCH + std::time::Duration::from_secs(86_400 + 3661);
        assert_eq!(clock(time), "01:01:01");
    }
}
