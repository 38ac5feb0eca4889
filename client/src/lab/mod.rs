//! The attack lab (`/lab`) and the error gallery (`/errors`): pages where a learner breaks
//! OAuth on purpose and watches it hold.
//!
//! Every attack is performed for real, over HTTP, against the running provider (and, for the
//! defences that are the client's own, against this client's real `/callback`). This server
//! plays the attacker with user agents of its own ([`agent::Agent`]: a cookie jar, no
//! redirects followed), which log in at the provider as the demo user, consent, and take
//! the code, exactly as a browser would. Everything they send and receive is recorded and
//! masked ([`transcript::Transcript`], built on [`crate::wire::Masker`]) before it reaches a
//! page: codes, tokens, verifiers and the client secret show only their first characters.
//!
//! In reading order:
//! - [`cards`]: the catalogue, then one file per card: the attack, the RFC section that
//!   refuses it, who refuses it (RFC 6749 §10, RFC 6819, RFC 7636, RFC 9207, RFC 9700).
//! - [`harness`]: the steps every card is built from (a real flow up to the code, the token
//!   requests, introspection, revocation, opening a link at the real and the naive callback).
//! - [`agent`] and [`transcript`]: the lab's browsers, and the masked record of a run.
//! - [`naive_callback`]: a DELIBERATELY NAIVE callback handler, reachable only from the lab
//!   (called in-process; no route serves it), so the attacks the client itself defends
//!   against (`state`, `iss`) can be seen succeeding there and failing on the real one.
//! - [`naive_team_api`]: a DELIBERATELY NAIVE team API that checks the token's scope and not
//!   the user's role, so card 9 can show "a scope is not a permission" succeeding there.
//! - [`forge`]: the signed-token cards' steps: forging ID tokens and JWT access tokens
//!   (`alg: none`, an HMAC keyed with a public key, a key of the attacker's own), and running
//!   the client's real ID token check (OpenID Connect Core §3.1.3.7) and the notes API's
//!   (RFC 9068 §4) on them; [`fake_issuer`]: a stand-in issuer for the cards that need a
//!   token properly signed by one.
//! - [`naive_id_token`] and [`naive_access_token`]: DELIBERATELY NAIVE JWT checks (the header
//!   picks the algorithm, the token may bring its own key, `aud`, `exp`, `nonce` and `typ` are
//!   never read), so cards 10–21 can show each attack succeeding there.
//! - [`gallery`]: each RFC error the provider can return, on demand (RFC 6749 §4.1.2.1 and
//!   §5.2, RFC 6750 §3.1, RFC 6585 §4).

pub mod agent;
pub mod cards;
pub mod fake_issuer;
pub mod forge;
pub mod gallery;
pub mod harness;
pub mod naive_access_token;
pub mod naive_callback;
pub mod naive_id_token;
pub mod naive_team_api;
pub mod transcript;

use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Serialize;

use crate::error::ClientError;

use crate::config::Settings;
use crate::flow::CodeRef;
use agent::Agent;
use naive_callback::NaiveClient;

/// What the lab keeps between runs: its user agents (so they stay logged in at the provider
/// and the provider's login rate limit is not spent on every click) and the naive client.
pub struct Lab {
    /// The attacker's browser.
    pub attacker: Agent,
    /// The victim's browser: the learner's stand-in, who only opens links.
    pub victim: Agent,
    /// The deliberately naive callback handler, for the client-side defences.
    pub naive: NaiveClient,
    /// The provider account the agents log in with. The demo provider has one user, so the
    /// attacker's account and the victim's are the same `demo`; the cards say so.
    pub username: String,
    pub password: shared::Secret,
    /// Whether the lab and the gallery are on at all (`LAB`).
    pub enabled: bool,
    /// Actions (a card run, a gallery error) per session: `RATE_LIMIT_LAB_PER_MINUTE`, or
    /// none with `RATE_LIMIT=off`. One click can send hundreds of requests to the provider.
    actions: Option<DefaultKeyedRateLimiter<String>>,
}

impl Lab {
    /// The lab for these settings. The agents log in as the provider's demo user
    /// (`OAUTH_USERNAME`/`OAUTH_PASSWORD`, read from the same `.env` as the provider).
    pub fn new(settings: &Settings) -> reqwest::Result<Self> {
        Ok(Self {
            attacker: Agent::new("attacker's browser", settings.http_timeout)?,
            victim: Agent::new("victim's browser", settings.http_timeout)?,
            naive: NaiveClient::default(),
            username: settings.lab_username.clone(),
            password: settings.lab_password.clone(),
            enabled: settings.lab,
            actions: settings.rate_limit.then(|| {
                let per_minute =
                    NonZeroU32::new(settings.lab_actions_per_minute).unwrap_or(NonZeroU32::MIN);
                RateLimiter::keyed(Quota::per_minute(per_minute))
            }),
        })
    }

    /// Refuses with [`ClientError::LabOff`] when the lab is off (`LAB`).
    pub fn require_on(&self) -> Result<(), ClientError> {
        if self.enabled {
            Ok(())
        } else {
            Err(ClientError::LabOff)
        }
    }

    /// Counts one action for the session whose CSRF token is `session_key` (already
    /// checked, so it is this session's own); over the limit, a 429 with `Retry-After`.
    pub fn count_action(&self, session_key: &str) -> Result<(), ClientError> {
        let Some(actions) = &self.actions else {
            return Ok(());
        };
        // Sessions come and go: forget the buckets that are full again, so the map stays
        // as small as the number of recently active sessions.
        if actions.len() > 10_000 {
            actions.retain_recent();
        }
        actions
            .check_key(&session_key.to_owned())
            .map_err(|not_until| {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                ClientError::TooManyRequests {
                    what: "lab and gallery actions",
                    retry_after: wait.as_secs_f64().ceil().max(1.0) as u64,
                }
            })
    }
}

/// A file and a function that a card or a gallery entry names (a test checks they exist).
pub const fn code(file: &'static str, function: &'static str) -> CodeRef {
    CodeRef { file, function }
}

/// Why the lab could not run an attack to its end (provider down, an unexpected answer).
/// Shown on the card instead of a result; never a 500.
#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[error("{0}")]
pub struct LabError(pub String);

impl LabError {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }
}

/// The text of an HTML page, for showing a refusal page in a wire record: the `<main>` part,
/// tags dropped, entities decoded, whitespace collapsed.
pub fn page_text(html: &str) -> String {
    let start = html.find("<main").unwrap_or(0);
    let end = html[start..]
        .find("</main>")
        .map_or(html.len(), |end| start + end);
    let mut text = String::new();
    let mut in_tag = false;
    for ch in html[start..end].chars() {
        match ch {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' => in_tag = false,
            _ if !in_tag => text.push(ch),
            _ => {}
        }
    }
    let text = text
        .replace("&#x2F;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_text_keeps_the_main_part_as_plain_text() {
        let html = "<html><head><title>x</title></head><body><div>role</div><main>\n<h1>Bad  request</h1><p>The return address (redirect_uri) is &quot;not&quot; registered</p></main></body></html>";
        assert_eq!(
            page_text(html),
            "Bad request The return address (redirect_uri) is \"not\" registered"
        );
    }
}
