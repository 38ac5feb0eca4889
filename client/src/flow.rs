//! The flow inspector's record: every step of a browser's most recent flow, as it went over
//! the wire, with the reason it exists (RFC link) and the file and function on each side.
//!
//! This is the one place that narrates. The protocol (`oauth/`, `provider_api.rs`) returns
//! typed outcomes that keep what went over the wire as data; the functions at the end of
//! this file ([`authorization_request_step`], [`callback_steps`], ...) turn them into
//! steps, and the texts of each kind of step live in one constructor of [`Step`].
//! Everything stored here is already masked ([`crate::wire::Masker`]): the log never holds
//! a secret, so showing it cannot leak one. Tokens appear by fingerprint
//! ([`shared::fingerprint`]), the same 8 hex digits both binaries' logs print.

use std::collections::VecDeque;
use std::time::{SystemTime, UNIX_EPOCH};

use oauth2::AccessToken;
use serde::Serialize;

use crate::error::ClientError;
use crate::notes_api::NotesCall;
use crate::oauth::callback::{Check, IdTokenOutcome};
use crate::oauth::id_token::Validation;
use crate::oauth::introspection::Introspection;
use crate::oauth::refresh::Refresh;
use crate::oauth::resource_token::ResourceToken;
use crate::oauth::revocation::Revocation;
use crate::oauth::userinfo::UserInfo;
use crate::oauth::{AuthorizationRequest, Callback, LOGIN_TIMEOUT, Provider, TokenSet};
use crate::provider_api::Resource;
use crate::resource_discovery::{Hop as ResourceHop, ResourceDiscovery};
use crate::wire::{Recorded, WireRecord};

/// How many steps after the login itself are kept (API calls, refreshes, revocations).
const LATER_STEPS_KEPT: usize = 40;

/// How many steps of the login itself are kept. A login has five or so; the rest are
/// refused callbacks, which anyone can send on one cookie (before this bound, 1,000 forged
/// callbacks grew one session by 19 MB and `/flow` to 31 MB).
const LOGIN_STEPS_KEPT: usize = 16;

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

    // ----- the catalogue: one constructor per kind of step, in flow order -----

    /// Step 0: discovery, once per process.
    pub fn discovery(source: &str) -> Self {
        Step::new(
            format!("Discovery: the provider's endpoints, from {source}"),
            Channel::Back,
            "Before anything else the client asks the provider to describe itself: its issuer, \
             and where its authorization, token, revocation and introspection endpoints are. \
             So AUTH_SERVER is the only URL in the settings, and the issuer learnt here is what \
             the 'iss' of every authorization response must match.",
        )
        .rfcs([rfc(8414, "3"), rfc(8414, "3.3")])
        .client([code("client/src/discovery.rs", "discover")])
        .provider([code("provider/src/oauth/metadata.rs", "metadata")])
    }

    /// (A) The authorization request: the browser is sent to the provider.
    pub fn authorization_request(incremental: bool) -> Self {
        let why = if incremental {
            "Incremental authorization: the client needs a scope it was not granted, so it \
             sends the browser back to the provider asking for it (with the scopes it already \
             has). The user sees a consent page for the wider request; nothing changes until \
             they approve."
        } else {
            "The client sends the browser to the provider's authorization endpoint with a \
             redirect (303). 'state' ties the answer to this browser (CSRF protection); the \
             code challenge binds the code to a secret verifier that never leaves the client's \
             server (PKCE)."
        };
        Step::new("(A) Authorization request", Channel::Front, why)
            .rfcs([rfc(6749, "4.1.1"), rfc(7636, "4.3"), rfc(6749, "10.12")])
            .client([
                code("client/src/routes/login.rs", "login"),
                code("client/src/oauth/authorization_request.rs", "begin_login"),
            ])
            .provider([code("provider/src/oauth/authorize.rs", "authorize")])
    }

    /// (B) At the provider: login and consent, which the client never sees.
    pub fn at_provider() -> Self {
        Step::new(
            "(B) At the provider: the user logs in and consents",
            Channel::AtProvider,
            "The user authenticates to the provider (its own session cookie, \
             'provider_session') and approves or denies the request. The client sees none of \
             this: no password ever reaches it. That is the point of OAuth.",
        )
        .rfcs([rfc(6749, "4.1.1"), rfc(6749, "10.2")])
        .provider([
            code("provider/src/oauth/authorize.rs", "authorize"),
            code("provider/src/web/login.rs", "submit_login"),
            code("provider/src/oauth/consent.rs", "decide"),
        ])
    }

    /// (C) The authorization response: the browser comes back to the redirect URI.
    pub fn authorization_response(params: Vec<(String, String)>) -> Self {
        Step::new(
            "(C) Authorization response: back at the redirect URI",
            Channel::Front,
            "The provider redirects the browser to the registered redirect URI with a \
             short-lived, single-use 'code' (or an 'error'), the 'state' as sent, and 'iss'. \
             The client checks 'state' against the one it kept (constant-time) and 'iss' \
             against the issuer from discovery (mix-up defence) before anything else.",
        )
        .rfcs([rfc(6749, "4.1.2"), rfc(9207, "2.4"), rfc(6749, "4.1.2.1")])
        .client([
            code("client/src/routes/callback.rs", "callback"),
            code("client/src/oauth/callback.rs", "finish_login"),
        ])
        .provider([code("provider/src/oauth/consent.rs", "decide")])
        .params(params)
    }

    /// (D)–(E) The token request: the code and the verifier for tokens, server to server.
    pub fn token_request() -> Self {
        Step::new(
            "(D) Token request → (E) tokens",
            Channel::Back,
            "The client's server trades the code for tokens, proving who it is with its secret \
             (HTTP Basic) and that it started this flow with the PKCE code verifier. The \
             provider answers with 'Cache-Control: no-store'. The tokens stay on the client's \
             server; the browser only ever holds a session id.",
        )
        .rfcs([
            rfc(6749, "4.1.3"),
            rfc(6749, "4.1.4"),
            rfc(7636, "4.5"),
            rfc(6749, "2.3.1"),
        ])
        .client([code("client/src/oauth/code_exchange.rs", "exchange_code")])
        .provider([code(
            "provider/src/oauth/token/authorization_code.rs",
            "exchange_code",
        )])
    }

    /// (E′) OpenID Connect: the ID token of the token response, checked before it is believed.
    pub fn id_token() -> Self {
        Step::new(
            "(E′) ID token: checked before it says who signed in",
            Channel::Back,
            "The request asked for 'openid', so the token response carries an ID token: a JWS \
             signed by the provider saying who signed in (iss + sub), to which client (aud), \
             when (iat, exp) and for which login (nonce). The client checks it in order, and \
             keeps nothing if one check fails. Below: its header and claims as decoded (the \
             signature masked), and each check with its result.",
        )
        .rfcs([
            openid_core("3.1.3.7", "IDTokenValidation"),
            openid_core("3.1.3.8", "CodeFlowTokenValidation"),
            rfc(7515, "7.1"),
        ])
        .client([
            code("client/src/oauth/callback.rs", "check_id_token"),
            code("client/src/oauth/id_token.rs", "validate"),
        ])
        .provider([code("provider/src/openid/jws.rs", "sign_jws")])
    }

    /// A refresh token grant.
    pub fn refresh(reason: &str) -> Self {
        Step::new(
            format!("Refresh: {reason}"),
            Channel::Back,
            "The client uses its refresh token for a new access token. The provider rotates \
             refresh tokens: the old one is retired, and using it again would revoke the whole \
             grant, so only one refresh runs at a time for a session.",
        )
        .rfcs([rfc(6749, "6"), rfc(9700, "4.14.2")])
        .milestone()
        .client([
            code("client/src/provider_api.rs", "fresh_access_token"),
            code("client/src/oauth/refresh.rs", "refresh"),
        ])
        .provider([code("provider/src/oauth/token/refresh_token.rs", "refresh")])
    }

    /// A revocation (logout, or the grant replaced by a new login).
    pub fn revocation(which: &str, reason: &str) -> Self {
        Step::new(
            format!("Revocation of the {which}: {reason}"),
            Channel::Back,
            "The client tells the provider it no longer needs a token, so a copy of it (in a \
             log, a backup, a stolen laptop) is worthless from now on. Revoking the refresh \
             token also ends the access tokens of its grant.",
        )
        .rfcs([rfc(7009, "2.1"), rfc(7009, "2.2")])
        .milestone()
        .client([code("client/src/oauth/revocation.rs", "revoke")])
        .provider([code("provider/src/oauth/revoke.rs", "revoke")])
    }

    /// An introspection call.
    pub fn introspection() -> Self {
        Step::new(
            "Introspection: is the access token active?",
            Channel::Back,
            "The client asks the provider what it knows about the access token: active or not, \
             its scopes, its expiry, whom it belongs to. Opaque tokens carry no readable \
             content, so this is how their facts are learnt.",
        )
        .rfcs([rfc(7662, "2.1"), rfc(7662, "2.2")])
        .client([code("client/src/oauth/introspection.rs", "introspect")])
        .provider([code("provider/src/oauth/introspect.rs", "introspect")])
    }

    /// OpenID Connect UserInfo: the user's claims, for the ID token's `sub` only.
    pub fn userinfo() -> Self {
        Step::new(
            "UserInfo: the signed-in user's claims",
            Channel::Back,
            "The client asks the provider's userinfo_endpoint, with the access token as a \
             Bearer token, for claims about the user (name, email, ...). The answer is not \
             signed and is about whoever the access token belongs to, so its sub must be \
             exactly the ID token's: if not, its claims are not used.",
        )
        .rfcs([
            openid_core("5.3.1", "UserInfoRequest"),
            openid_core("5.3.4", "UserInfoResponseValidation"),
            rfc(6750, "2.1"),
        ])
        .client([
            code("client/src/provider_api.rs", "userinfo"),
            code("client/src/oauth/userinfo.rs", "userinfo"),
        ])
        .provider([code("provider/src/api/userinfo.rs", "userinfo")])
    }

    /// The token request for the notes API: one authorization, a token per resource.
    pub fn notes_api_token() -> Self {
        Step::new(
            "Token for the notes API (RFC 8707 resource)",
            Channel::Back,
            "The notes API is a resource server that is not the provider, so it gets a token \
             of its own: the client sends its refresh token with 'resource=<API_URL>' and the \
             notes scopes, and the provider answers with an access token whose audience is \
             that API alone. Below: the token decoded (its signature masked), or why it cannot \
             be read when it is opaque.",
        )
        .rfcs([rfc(8707, "2.2"), rfc(9068, "2.2"), rfc(6749, "6")])
        .milestone()
        .client([code("client/src/oauth/resource_token.rs", "api_token")])
        .provider([
            code("provider/src/oauth/token/refresh_token.rs", "refresh"),
            code("provider/src/oauth/token/mod.rs", "mint_access"),
        ])
    }

    /// A call to the notes API with its own token.
    pub fn notes_api_call(adding: bool) -> Self {
        let what = if adding {
            "POST /notes (scope notes:write)"
        } else {
            "GET /notes (scope notes:read)"
        };
        Step::new(
            format!("Notes API: {what}"),
            Channel::Back,
            "The client calls the notes API with 'Authorization: Bearer <its token>'. The API \
             did not issue the token and shares nothing with the provider: a JWT it checks \
             by itself, with the provider's published keys; an opaque token it asks the \
             provider about. Below: the checks it runs, in order. It tells the caller only \
             'invalid_token', never which check refused (that helps an attacker).",
        )
        .rfcs([rfc(9068, "4"), rfc(7662, "2"), rfc(6750, "3.1")])
        .client([code("client/src/notes_api.rs", "call_for")])
        .api([
            code("api/src/bearer.rs", "Authorized::from_request"),
            code(
                "api/src/notes.rs",
                if adding { "add_note" } else { "list_notes" },
            ),
        ])
    }

    /// A hop of the discovery from the API alone.
    pub fn resource_discovery(number: usize, title: &str) -> Self {
        Step::new(
            format!("From the API alone, {number}: {title}"),
            Channel::Back,
            "The client knows only the API's URL and finds the authorization server that \
             protects it: the API's 401 names its metadata, that metadata names the \
             authorization server, and the server's own metadata gives its endpoints. The \
             path MCP and other new protocols use.",
        )
        .rfcs([rfc(9728, "5.1"), rfc(9728, "3.3"), rfc(8414, "3")])
        .client([
            code("client/src/routes/discover.rs", "discover"),
            code("client/src/resource_discovery.rs", "discover_from_api"),
        ])
        .api([code("api/src/metadata.rs", "protected_resource_metadata")])
    }

    /// A call to the resource server with the access token.
    pub fn api_call(resource: Resource) -> Self {
        let (what, client_fn, provider) = match resource {
            Resource::Me => (
                "your profile",
                "me",
                code("provider/src/api/profile.rs", "me"),
            ),
            Resource::Teams => (
                "your teams",
                "teams",
                code("provider/src/api/teams.rs", "list_teams"),
            ),
            Resource::Members => (
                "a team's members",
                "members",
                code("provider/src/api/teams.rs", "list_members"),
            ),
            Resource::AddMember => (
                "add a team member",
                "add_member",
                code("provider/src/api/teams.rs", "add_member"),
            ),
            Resource::RemoveMember => (
                "remove a team member",
                "remove_member",
                code("provider/src/api/teams.rs", "remove_member"),
            ),
        };
        Step::new(
            format!("API call: {what}"),
            Channel::Back,
            "The client calls the resource server with 'Authorization: Bearer <access token>'. \
             A 401 with 'WWW-Authenticate: Bearer error=\"invalid_token\"' makes it refresh \
             once and retry; a 403 'insufficient_scope' names the scope it lacks.",
        )
        .rfcs([rfc(6750, "2.1"), rfc(6750, "3.1")])
        .client([code("client/src/provider_api.rs", client_fn)])
        .provider([provider])
    }
}

/// One browser's most recent flow: the login steps, then the latest calls made with its
/// tokens (older ones are counted, not kept, so memory stays bounded).
#[derive(Debug, Default)]
pub struct FlowLog {
    login: Vec<Step>,
    later: VecDeque<Step>,
    dropped: usize,
}

impl FlowLog {
    /// Starts a new flow (at `/login`): the previous one is forgotten.
    pub fn begin(&mut self, steps: impl IntoIterator<Item = Step>) {
        self.login = steps.into_iter().collect();
        self.later.clear();
        self.dropped = 0;
    }

    /// Adds a step of the login itself (response, token exchange). When the log is full,
    /// the oldest after the first (the authorization request) goes, and is counted.
    pub fn push_login(&mut self, step: Step) {
        if self.login.len() >= LOGIN_STEPS_KEPT {
            self.login.remove(1);
            self.dropped += 1;
        }
        self.login.push(step);
    }

    /// Adds a later step (API call, refresh, revocation). When the log is full, the oldest
    /// routine call goes first; refreshes and revocations stay while there are others.
    pub fn push(&mut self, step: Step) {
        if self.later.len() == LATER_STEPS_KEPT {
            match self.later.iter().position(|kept| !kept.milestone) {
                Some(index) => {
                    self.later.remove(index);
                }
                None => {
                    self.later.pop_front();
                }
            }
            self.dropped += 1;
        }
        self.later.push_back(step);
    }

    /// The steps to show, and how many later ones were dropped in between.
    pub fn snapshot(&self) -> (Vec<Step>, usize, Vec<Step>) {
        (
            self.login.clone(),
            self.dropped,
            self.later.iter().cloned().collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.login.is_empty() && self.later.is_empty()
    }
}

// ----- from outcomes to steps: the only place the protocol's outcomes are narrated -----

/// Step 0: how the provider was discovered, and what it published.
pub fn discovery_step(provider: &Provider) -> Step {
    let endpoints = &provider.endpoints;
    let mut step = provider
        .discovery
        .iter()
        .cloned()
        .fold(Step::discovery(endpoints.source.describe()), Step::wire);
    // A 404 on the way to the fallback is expected, not a failure.
    step.ok = true;
    step.note(format!("issuer: {}", endpoints.issuer))
        .note(format!(
            "authorization endpoint: {}",
            endpoints.authorization
        ))
        .note(format!("token endpoint: {}", endpoints.token))
        .note(format!(
            "revocation endpoint: {}",
            endpoints.revocation.as_deref().unwrap_or("none published")
        ))
        .note(format!(
            "introspection endpoint: {}",
            endpoints
                .introspection
                .as_deref()
                .unwrap_or("none published")
        ))
        .note(format!(
            "iss in authorization responses (RFC 9207): {}",
            if endpoints.iss_parameter_supported {
                "promised, so required"
            } else {
                "not promised"
            }
        ))
}

/// (A): the request's parameters (the verifier masked) and how the challenge was derived.
pub fn authorization_request_step(request: &AuthorizationRequest) -> Step {
    let masker = &request.masker;
    let verifier = request.pending.verifier.secret();
    let params = request
        .url
        .query_pairs()
        .map(|(key, value)| (key.into_owned(), masker.text(&value)))
        .collect();
    Step::authorization_request(request.pending.incremental)
        .params(params)
        .note(format!(
            "PKCE: code_verifier = {} ({} random characters, kept on the client's server) → SHA-256 → base64url without padding = code_challenge {} (RFC 7636 §4.2). The provider stores the challenge; only the holder of the verifier can redeem the code.",
            shared::mask(verifier),
            verifier.len(),
            request.challenge.as_str()
        ))
        .note("state: 16 random bytes, base64url. Kept server-side; the provider must send it back unchanged.")
        .note(format!(
            "The browser is redirected (303) to {}",
            masker.url(request.url.as_str())
        ))
}

/// (B)–(E): the provider's part, the response with each check in the order it ran, and the
/// token request if the checks let the code be sent. A response refused at the first check
/// (`state`) is one step: nothing says it belongs to this browser's login.
pub fn callback_steps(callback: &Callback) -> Vec<Step> {
    let response = &callback.response;
    let masker = &callback.masker;
    let code = response.code.as_deref().map(shared::mask);
    if callback.passed.is_empty() {
        let refusal = match &callback.refused {
            Some(ClientError::StateMissing) => "state missing",
            Some(ClientError::CallbackReplayed) => {
                "this state was already used (replayed response)"
            }
            Some(ClientError::StateMismatch) => "state mismatch",
            Some(ClientError::NoLoginInProgress) => "no login in progress",
            _ => "state not checked",
        };
        let params = vec![
            ("code".to_owned(), code.unwrap_or_default()),
            (
                "state".to_owned(),
                response.state.clone().unwrap_or_default(),
            ),
        ];
        return vec![
            Step::authorization_response(params)
                .note(format!(
                    "1. state: refused: {refusal}; nothing was exchanged"
                ))
                .failed(),
        ];
    }

    let fields = [
        ("code", code),
        ("state", response.state.clone()),
        ("iss", response.iss.clone()),
        ("error", response.error.clone()),
        ("error_description", response.error_description.clone()),
        ("error_uri", response.error_uri.clone()),
    ];
    let params = fields
        .into_iter()
        .filter_map(|(name, value)| Some((name.to_owned(), masker.text(&value?))))
        .collect();
    let mut step = Step::authorization_response(params);
    for check in &callback.passed {
        step = step.note(match check {
            Check::State => "1. state: matches the one kept for this browser (compared in constant time), which is now used up ✓".to_owned(),
            Check::Age => format!(
                "2. age: the login started less than {} minutes ago ✓",
                LOGIN_TIMEOUT.as_secs() / 60
            ),
            Check::Issuer => match &response.iss {
                Some(iss) => format!("3. iss = {iss}: the issuer from discovery ✓"),
                None => "3. no iss; this provider does not promise one (RFC 9207 §2.4 allows that) ✓".to_owned(),
            },
            Check::Error => "4. error: none ✓".to_owned(),
            Check::Code => "5. code: present, sent to the token endpoint with the PKCE verifier ✓".to_owned(),
            Check::IdToken => "7. ID token: every check passed (see the ID token step) ✓".to_owned(),
        });
    }
    if let Some(refusal) = &callback.refused {
        step = step
            .note(match refusal {
                ClientError::LoginExpired => format!(
                    "2. age: the login started more than {} minutes ago: refused",
                    LOGIN_TIMEOUT.as_secs() / 60
                ),
                ClientError::IssuerMismatch {
                    expected,
                    received: Some(iss),
                } => format!("3. iss = {iss}, expected {expected}: refused (mix-up defence)"),
                ClientError::IssuerMismatch { received: None, .. } => {
                    "3. no iss, although the provider's metadata promises it: refused (RFC 9207 §2.4)".to_owned()
                }
                ClientError::AuthorizationRefused { code, .. } => {
                    format!("4. error = {code}: the provider sent no code")
                }
                ClientError::CodeMissing => "5. neither code nor error".to_owned(),
                other => format!("refused: {other}"),
            })
            .failed();
    }
    let mut steps = vec![Step::at_provider(), step];
    if let Some(exchange) = &callback.exchange {
        let step = Step::token_request().recorded(&exchange.wire);
        steps.push(match &exchange.result {
            Ok(tokens) => step.tokens(tokens),
            Err(_) => step.failed(),
        });
    }
    if let Some(outcome) = &callback.id_token {
        steps.push(id_token_step(outcome));
    } else if let Some(ClientError::IdTokenRefused { check, detail, .. }) = &callback.refused {
        steps.push(
            Step::id_token()
                .note(format!("7. ID token: {check}: refused: {detail}"))
                .failed(),
        );
    }
    steps
}

/// The ID token step: the token decoded (header and claims; the signature masked, as it is
/// never needed to read the token) and each of `id_token.rs`'s checks with its result.
pub fn id_token_step(outcome: &IdTokenOutcome) -> Step {
    let validation = &outcome.validation;
    let mut step = Step::id_token().recorded(&outcome.wire);
    step = id_token_notes(step, validation);
    match &validation.identity {
        Some(identity) => step.note(format!(
            "Signed in as sub {:?} at iss {:?}: the pair is the identity (Core §2)",
            identity.subject, identity.issuer
        )),
        None => step.failed(),
    }
}

/// An ID token decoded (header and claims; the signature masked, as it is never needed to
/// read the token) and each of `id_token.rs`'s checks with its result.
fn id_token_notes(mut step: Step, validation: &Validation) -> Step {
    let json = |value: &Option<serde_json::Value>| {
        value
            .as_ref()
            .map_or_else(|| "(not decodable)".to_owned(), ToString::to_string)
    };
    step = step
        .note(format!("header: {}", json(&validation.header)))
        .note(format!("claims: {}", json(&validation.claims)))
        .note("signature: ••••••••");
    for (number, result) in validation.checks.iter().enumerate() {
        step = step.note(format!(
            "{}. {}: {} {} ({})",
            number + 1,
            result.check.name(),
            result.detail,
            if result.passed { "✓" } else { "✗ refused" },
            result.check.function()
        ));
    }
    step
}

/// A refresh; none when there was no refresh token to send. A refreshed ID token (OpenID
/// Connect Core §12.2) is shown decoded, with its checks.
pub fn refresh_step(refresh: &Refresh) -> Option<Step> {
    let sent = refresh.sent.as_ref()?;
    let mut step = Step::refresh(&refresh.reason)
        .fingerprint("refresh token sent", sent.secret())
        .recorded(&refresh.wire);
    if let Some(validation) = &refresh.id_token {
        step = id_token_notes(
            step.note("A new ID token came with the refresh: checked like the login's, and against it (OpenID Connect Core §12.2)"),
            validation,
        );
    }
    Some(match &refresh.result {
        Ok(tokens) => step.tokens(tokens),
        Err(_) => step.failed(),
    })
}

/// One step per token revoked.
pub fn revocation_steps(revocations: &[Revocation]) -> Vec<Step> {
    revocations
        .iter()
        .map(|revocation| {
            let which = revocation.kind.name();
            let step = Step::revocation(which, &revocation.reason)
                .fingerprinted(which, revocation.fingerprint.clone());
            if !revocation.endpoint_published {
                return step.note("The provider publishes no revocation endpoint: the token stays valid until it expires.");
            }
            let step = step.recorded(&revocation.wire);
            match revocation.result {
                Ok(()) => step,
                Err(_) => step.failed(),
            }
        })
        .collect()
}

/// An introspection; none when the provider publishes no endpoint for it.
pub fn introspection_step(introspection: &Introspection) -> Option<Step> {
    if introspection.wire.exchanges.is_empty() && matches!(introspection.result, Ok(None)) {
        return None;
    }
    let step = Step::introspection()
        .fingerprinted("access token", introspection.fingerprint.clone())
        .recorded(&introspection.wire);
    Some(match introspection.result {
        Ok(_) => step,
        Err(_) => step.failed(),
    })
}

/// A UserInfo request: the traffic, and why its claims were not used when they were not.
pub fn userinfo_step(userinfo: &UserInfo) -> Step {
    let step = Step::userinfo()
        .fingerprinted("access token sent", userinfo.fingerprint.clone())
        .recorded(&userinfo.wire);
    match &userinfo.result {
        Ok(claims) => step.note(format!(
            "sub {:?} is the ID token's: the claims are used (Core §5.3.4)",
            claims.sub
        )),
        Err(problem) => step.note(problem.describe()).failed(),
    }
}

/// A call to the resource server with `access`.
pub fn api_call_step(resource: Resource, access: &AccessToken, call: &Recorded) -> Step {
    Step::api_call(resource)
        .fingerprint("access token sent", access.secret())
        .recorded(call)
}

/// The checks the notes API runs on a JWT access token, in its order: the named steps of
/// `api/src/access_token.rs` `validate` (RFC 9068 §4), each with what it looks at.
const JWT_CHECKS: [(&str, &str); 9] = [
    (
        "Parse",
        "a compact JWS, three base64url parts (RFC 7515 §7.1)",
    ),
    (
        "Type",
        "typ is at+jwt, so an ID token signed by the same keys is refused",
    ),
    (
        "Algorithm",
        "alg on the allow-list (RS256, ES256, EdDSA): never none, never HS*",
    ),
    (
        "Key",
        "kid found in the issuer's JWK Set from its jwks_uri; a jwk or jku header is never used (RFC 8725 §3.10)",
    ),
    ("Signature", "verified with that key"),
    (
        "Claims",
        "iss, exp, aud, sub, client_id, iat and jti present (RFC 9068 §2.2)",
    ),
    (
        "Issuer",
        "iss is exactly the issuer whose metadata gave the keys",
    ),
    (
        "Audience",
        "aud contains API_URL, the API's own resource identifier (RFC 8707)",
    ),
    (
        "Lifetime",
        "exp has not passed and nbf has come, with 30 s of leeway",
    ),
];

/// The checks the notes API runs on an introspection answer for an opaque token, in its
/// order: `api/src/introspection.rs` `validate` (RFC 7662 §2.2).
const INTROSPECTION_CHECKS: [(&str, &str); 5] = [
    (
        "Active",
        "active is true; anything else is inactive, with no reason given",
    ),
    (
        "Token type",
        "token_type, when given, is access_token: a refresh token is not a bearer token",
    ),
    ("Issuer", "iss, when given, is the discovered issuer"),
    ("Audience", "aud contains API_URL (RFC 8707)"),
    ("Lifetime", "exp, when given, has not passed"),
];

/// An access token as the client can read it, for the inspector only: the client never
/// relies on what a token says (RFC 6749 §1.4: it is opaque to the client), the API does.
enum AccessTokenView {
    /// An RFC 9068 JWT (`typ` `at+jwt`): its header and claims, not verified here.
    Jwt {
        header: serde_json::Value,
        claims: serde_json::Value,
    },
    /// Anything else: a reference only the provider can resolve.
    Opaque,
}

fn view_access_token(token: &str) -> AccessTokenView {
    let part = |text: &str| {
        shared::jose::base64url_decode(text)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
    };
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return AccessTokenView::Opaque;
    };
    match (part(header), part(claims)) {
        (Some(header), Some(claims))
            if header["typ"]
                .as_str()
                .is_some_and(|typ| typ.eq_ignore_ascii_case("at+jwt")) =>
        {
            AccessTokenView::Jwt { header, claims }
        }
        _ => AccessTokenView::Opaque,
    }
}

/// The token request for the notes API, and the token it brought decoded: header and
/// claims (the signature masked, as for the ID token), or why an opaque one cannot be.
pub fn notes_api_token_step(token: &ResourceToken) -> Step {
    let step = Step::notes_api_token()
        .params(vec![("resource".to_owned(), token.resource.clone())])
        .recorded(&token.wire);
    let tokens = match &token.result {
        Ok(tokens) => tokens,
        Err(error) => return step.note(format!("refused: {error}")).failed(),
    };
    let step = step.tokens(tokens);
    match view_access_token(tokens.access.secret()) {
        AccessTokenView::Jwt { header, claims } => {
            let aud_matches = audience_contains(&claims, &token.resource);
            step.note("A JWT access token (RFC 9068, typ at+jwt): anyone holding it can read it, so it carries no secret.")
                .note(format!("header: {header}"))
                .note(format!("claims: {claims}"))
                .note("signature: ••••••••")
                .note(format!(
                    "aud = {}: {}",
                    claims["aud"],
                    if aud_matches {
                        "the notes API's resource identifier (API_URL), and only valid there"
                    } else {
                        "not API_URL: the notes API will refuse it"
                    }
                ))
        }
        AccessTokenView::Opaque => step.note(
            "An opaque access token (API_ACCESS_TOKEN_FORMAT=opaque): a random reference that says nothing by itself. The notes API learns what it means by asking the provider (RFC 7662 introspection) on each call, or from its short cache.",
        ),
    }
}

/// Whether a JWT's `aud` (one string or an array, RFC 7519 §4.1.3) contains `resource`.
fn audience_contains(claims: &serde_json::Value, resource: &str) -> bool {
    match &claims["aud"] {
        serde_json::Value::String(one) => one == resource,
        serde_json::Value::Array(many) => many.iter().any(|aud| aud == resource),
        _ => false,
    }
}

/// A call to the notes API with `access`: the traffic, and the API's checks in order with
/// what the answer says of them (the API names no failed check: RFC 6750 `invalid_token`).
pub fn notes_api_call_step(access: &AccessToken, call: &NotesCall, adding: bool) -> Step {
    let mut step = Step::notes_api_call(adding)
        .fingerprint("access token sent", access.secret())
        .recorded(&call.wire);
    let status = call
        .wire
        .exchanges
        .last()
        .and_then(|exchange| exchange.response.as_ref().ok())
        .map(|response| response.status);
    // 2xx and 403 both mean the token itself passed; 403 is the scope, checked after.
    let token_passed = matches!(status, Some(200..=299 | 403));
    let mark = if token_passed { "✓" } else { "?" };
    let (checks, place): (&[(&str, &str)], _) = match view_access_token(access.secret()) {
        AccessTokenView::Jwt { .. } => (&JWT_CHECKS, "api/src/access_token.rs · validate"),
        AccessTokenView::Opaque => {
            step = step.note("Opaque token: the API posts it to the provider's introspection endpoint with its own client credentials (RFC 7662 §2.1), then checks the answer:");
            (&INTROSPECTION_CHECKS, "api/src/introspection.rs · validate")
        }
    };
    for (number, (name, what)) in checks.iter().enumerate() {
        step = step.note(format!("{}. {name}: {what} {mark} ({place})", number + 1));
    }
    let scope = if adding { "notes:write" } else { "notes:read" };
    let scope_note = match status {
        Some(200..=299) => format!("{}. Scope: the token carries {scope} ✓ (api/src/bearer.rs · Authorized::from_request)", checks.len() + 1),
        Some(403) => format!("{}. Scope: the token lacks {scope}: 403 insufficient_scope ✗ (api/src/bearer.rs · Authorized::from_request)", checks.len() + 1),
        Some(401) => "The API answered 401 invalid_token: one of these checks refused the token. Which one it logs and does not say; the client fetches a new token once and retries once.".to_owned(),
        Some(other) => format!("The API answered HTTP {other}."),
        None => "The API did not answer.".to_owned(),
    };
    step.note(scope_note)
}

/// The discovery from the API alone (RFC 9728 §5), one numbered step per hop made; the
/// one that stopped it is marked failed, with the reason.
pub fn resource_discovery_steps(found: &ResourceDiscovery) -> Vec<Step> {
    let mut steps: Vec<Step> = ResourceHop::ALL
        .iter()
        .zip(&found.wire)
        .enumerate()
        .map(|(index, (hop, wire))| {
            let mut step = Step::resource_discovery(index + 1, hop.title()).wire(wire.clone());
            // The first hop's 401 is the answer hoped for.
            step.ok = step.ok || *hop == ResourceHop::Challenge;
            step
        })
        .collect();
    match &found.result {
        Ok(discovered) => {
            if let Some(last) = steps.pop() {
                steps.push(
                    last.note(format!(
                        "resource: {} (the API asked, RFC 9728 §3.3) ✓",
                        discovered.resource
                    ))
                    .note(format!("authorization server: {}", discovered.issuer))
                    .note(format!(
                        "authorization endpoint: {}",
                        discovered.authorization_endpoint
                    ))
                    .note(format!("token endpoint: {}", discovered.token_endpoint))
                    .note(format!("scopes: {}", discovered.scopes_supported.join(" "))),
                );
            }
        }
        Err((hop, problem)) => {
            let index = ResourceHop::ALL.iter().position(|h| h == hop).unwrap_or(0);
            match steps.get_mut(index) {
                Some(step) => {
                    step.ok = false;
                    step.notes.push(format!("stopped here: {problem}"));
                }
                None => steps.push(
                    Step::resource_discovery(index + 1, hop.title())
                        .note(format!("stopped here: {problem}"))
                        .failed(),
                ),
            }
        }
    }
    steps
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
    fn the_log_keeps_the_login_and_a_bounded_tail_where_refreshes_outlive_routine_calls() {
        let mut log = FlowLog::default();
        log.begin([Step::authorization_request(false)]);
        for _ in 0..LATER_STEPS_KEPT + 5 {
            log.push(Step::introspection());
        }
        log.push(Step::refresh("expired"));
        for _ in 0..LATER_STEPS_KEPT {
            log.push(Step::introspection());
        }
        let (login, dropped, later) = log.snapshot();
        assert_eq!(login.len(), 1);
        assert_eq!(dropped, LATER_STEPS_KEPT + 6);
        assert_eq!(later.len(), LATER_STEPS_KEPT);
        assert!(later[0].milestone, "the refresh outlives the routine calls");
    }

    #[test]
    fn the_clock_prints_utc_hours_minutes_seconds() {
        let time = UNIX_EPOCH + std::time::Duration::from_secs(86_400 + 3661);
        assert_eq!(clock(time), "01:01:01");
    }
}
