//! # What an OpenID authentication request says about signing in (Core 1.0 §3.1.2.1)
//!
//! Four parameters of the authorization request let the Relying Party steer the sign-in
//! step that RFC 6749 §4.1.1 leaves to the server:
//!
//! - `prompt`: `none` ("MUST NOT display any authentication or consent user interface
//!   pages"; errors instead, §3.1.2.6), `login` ("SHOULD prompt the End-User for
//!   reauthentication"), `consent` ("SHOULD prompt the End-User for consent"),
//!   `select_account` (this provider has one account per browser, so choosing one *is*
//!   signing in: it is treated as `login`).
//! - `max_age`: "the allowable elapsed time in seconds since the last time the End-User was
//!   actively authenticated"; older, and the user signs in again. The ID token then carries
//!   `auth_time`, which this provider's always do.
//! - `login_hint`: who the Relying Party thinks is signing in; it fills the username field.
//! - `id_token_hint`: an ID token this provider issued, naming (by `sub`) the user the
//!   Relying Party expects. Another user signed in here means signing in again.
//!
//! They are parsed once, when the request arrives ([`SignInRequest`], kept with the pending
//! request), and judged each time the request is looked at ([`SignInRequest::sign_in_needed`]),
//! because the browser's session changes in between (the user signs in).
//!
//! Like `nonce`, they count only in a request whose scope has `openid`: in a plain OAuth
//! request they are unrecognised parameters, which RFC 6749 §3.1 says to ignore.

use serde::{Deserialize, Serialize};

use crate::openid::jws::verify;
use crate::openid::keys::{Algorithm, Jwks};

/// Core §3.1.2.1's `prompt`, as the flags this provider acts on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Prompt {
    /// `none`: no page at all; `login_required` or `consent_required` instead.
    pub none: bool,
    /// `login` (or `select_account`): sign in again even with a session.
    pub login: bool,
    /// `consent`: show the consent page even if consent was given before.
    pub consent: bool,
}

impl Prompt {
    /// Reads the space-delimited list. "If this parameter contains `none` with any other
    /// value, an error is returned." A value this provider does not know (such as the
    /// Prompt Create draft's `create`) is ignored: Core 1.0 (errata set 2) allows either,
    /// and "in practice, not returning errors for not-understood values will help
    /// facilitate phasing in extensions using new prompt values".
    pub fn parse(value: &str) -> Result<Prompt, &'static str> {
        let values: Vec<&str> = value.split(' ').filter(|v| !v.is_empty()).collect();
        let none = values.contains(&"none");
        if none && values.len() > 1 {
            return Err("prompt=none cannot be combined with another prompt value");
        }
        Ok(Prompt {
            none,
            login: values.contains(&"login") || values.contains(&"select_account"),
            consent: values.contains(&"consent"),
        })
    }
}

impl TryFrom<String> for Prompt {
    type Error = &'static str;

    fn try_from(value: String) -> Result<Prompt, &'static str> {
        Prompt::parse(&value)
    }
}

impl From<Prompt> for String {
    fn from(prompt: Prompt) -> String {
        let values = [
            (prompt.none, "none"),
            (prompt.login, "login"),
            (prompt.consent, "consent"),
        ];
        values
            .iter()
            .filter(|(set, _)| *set)
            .map(|(_, name)| *name)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The longest `login_hint` kept: the provider keeps it with the pending request for
/// anyone who asks, so it is bounded; a longer one is ignored (it is only a hint).
pub const MAX_LOGIN_HINT_LENGTH: usize = 256;

/// The longest `id_token_hint` looked at. Our ID tokens are about 1 KB (RS256); the bound
/// keeps a signature check from being spent on megabytes.
pub const MAX_ID_TOKEN_HINT_LENGTH: usize = 8 * 1024;

/// Core §2 bounds `sub`: "It MUST NOT exceed 255 ASCII characters in length."
const MAX_SUBJECT_LENGTH: usize = 255;

/// A bounded string the session may keep: `login_hint` or the hinted `sub`. Read back from
/// the session it is checked again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Bounded<const MAX: usize>(String);

impl<const MAX: usize> Bounded<MAX> {
    pub fn parse(value: &str) -> Option<Self> {
        (!value.is_empty() && value.len() <= MAX && !value.chars().any(char::is_control))
            .then(|| Bounded(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<const MAX: usize> TryFrom<String> for Bounded<MAX> {
    type Error = &'static str;

    fn try_from(value: String) -> Result<Self, &'static str> {
        Self::parse(&value).ok_or("too long, empty or with control characters")
    }
}

impl<const MAX: usize> From<Bounded<MAX>> for String {
    fn from(value: Bounded<MAX>) -> String {
        value.0
    }
}

/// The user name a `login_hint` suggests.
pub type LoginHint = Bounded<MAX_LOGIN_HINT_LENGTH>;
/// The `sub` of an `id_token_hint`.
pub type HintedSubject = Bounded<MAX_SUBJECT_LENGTH>;

/// What an `openid` request asked about signing in, kept with the pending request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInRequest {
    #[serde(default)]
    pub prompt: Prompt,
    /// `max_age` in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_hint: Option<LoginHint>,
    /// The `sub` of the `id_token_hint`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hinted_subject: Option<HintedSubject>,
    /// The user signed in for this very request: what `prompt=login`, `max_age` and the hint
    /// asked for has happened, and is not asked again (which would loop when `max_age=0`).
    #[serde(default)]
    pub signed_in_for_it: bool,
}

/// Why the user must sign in before deciding: the `error_description` of `login_required`.
pub type SignInReason = &'static str;

impl SignInRequest {
    /// Whether the user must sign in (again) before this request goes on, and why:
    ///
    /// 1. **nobody signed in**: no provider session.
    /// 2. **signed in for it**: the user signed in after this request arrived; nothing more
    ///    is asked.
    /// 3. **prompt=login**: "prompt the End-User for reauthentication".
    /// 4. **max_age**: "If the elapsed time is greater than this value, the OP MUST attempt
    ///    to actively re-authenticate the End-User"; `max_age=0` "is equivalent to
    ///    `prompt=login`". A session without a recorded `auth_time` is too old.
    /// 5. **id_token_hint**: the signed-in user is not the hint's `sub`.
    ///
    /// `signed_in` is the session's user and `auth_time` (seconds), `now` is in seconds.
    pub fn sign_in_needed(
        &self,
        signed_in: Option<(&str, Option<u64>)>,
        now: u64,
    ) -> Option<SignInReason> {
        // 1. nobody signed in
        let Some((user_id, auth_time)) = signed_in else {
            return Some("the end-user is not signed in at the provider");
        };
        // 2. signed in for it
        if self.signed_in_for_it {
            return None;
        }
        // 3. prompt=login
        if self.prompt.login {
            return Some("the request asks the end-user to sign in again (prompt=login)");
        }
        // 4. max_age
        if let Some(max_age) = self.max_age {
            let too_old = match auth_time {
                None => true,
                Some(auth_time) => max_age == 0 || now.saturating_sub(auth_time) > max_age,
            };
            if too_old {
                return Some("the end-user signed in longer ago than max_age allows");
            }
        }
        // 5. id_token_hint
        if self
            .hinted_subject
            .as_ref()
            .is_some_and(|sub| sub.as_str() != user_id)
        {
            return Some("the signed-in end-user is not the one the id_token_hint names");
        }
        None
    }
}

/// `max_age` (Core §3.1.2.1): a non-negative integer number of seconds.
pub fn parse_max_age(value: &str) -> Result<u64, &'static str> {
    if value.is_empty() || !value.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err("max_age must be a non-negative whole number of seconds");
    }
    value
        .parse()
        .map_err(|_| "max_age must be a non-negative whole number of seconds")
}

/// `id_token_hint` (Core §3.1.2.1): "ID Token previously issued by the Authorization
/// Server", so it must carry our signature (checked with our own published keys) and our
/// `iss`. It need not be current: "the ID Token [...] MAY have expired", so `exp` is not
/// checked. Answers its `sub`.
pub fn verify_id_token_hint(
    hint: &str,
    jwks: &Jwks,
    issuer: &str,
) -> Result<HintedSubject, &'static str> {
    const NOT_OURS: &str = "id_token_hint is not an ID token issued by this provider";
    if hint.len() > MAX_ID_TOKEN_HINT_LENGTH {
        return Err(NOT_OURS);
    }
    let verified = verify(hint, jwks, &Algorithm::ALL).map_err(|_| NOT_OURS)?;
    if verified.claims.get("iss").and_then(|iss| iss.as_str()) != Some(issuer) {
        return Err(NOT_OURS);
    }
    verified
        .claims
        .get("sub")
        .and_then(|sub| sub.as_str())
        .and_then(HintedSubject::parse)
        .ok_or(NOT_OURS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_none_stands_alone_and_unknown_values_are_ignored() {
        assert!(Prompt::parse("none").unwrap().none);
        assert!(Prompt::parse("none login").is_err());
        assert!(Prompt::parse("create none").is_err());
        let both = Prompt::parse("login consent create").unwrap();
        assert!(both.login && both.consent && !both.none);
        assert!(Prompt::parse("select_account").unwrap().login);
        assert_eq!(String::from(both), "login consent");
    }

    #[test]
    fn max_age_is_a_non_negative_integer() {
        assert_eq!(parse_max_age("0"), Ok(0));
        assert_eq!(parse_max_age("3600"), Ok(3600));
        for bad in ["-1", "1.5", "+3", " 3", "ten", "99999999999999999999999"] {
            assert!(parse_max_age(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_sign_in_older_than_max_age_is_asked_again_and_max_age_zero_always() {
        let request = SignInRequest {
            max_age: Some(60),
            ..SignInRequest::default()
        };
        assert_eq!(
            request.sign_in_needed(Some(("u", Some(1_000))), 1_060),
            None
        );
        assert!(
            request
                .sign_in_needed(Some(("u", Some(1_000))), 1_061)
                .is_some()
        );
        assert!(request.sign_in_needed(Some(("u", None)), 1_000).is_some());
        let zero = SignInRequest {
            max_age: Some(0),
            ..SignInRequest::default()
        };
        assert!(
            zero.sign_in_needed(Some(("u", Some(1_000))), 1_000)
                .is_some()
        );
        let done = SignInRequest {
            signed_in_for_it: true,
            ..zero
        };
        assert_eq!(done.sign_in_needed(Some(("u", Some(1_000))), 1_001), None);
    }
}
