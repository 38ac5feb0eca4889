//! Steps (A)–(E) of the flow inspector: the login, from the authorization request through
//! the provider's login and consent and the authorization response with its checks to the
//! token request (RFC 6749 §4.1 with PKCE, RFC 7636 §4, and the `iss` check of RFC 9207 §2.4).

use super::openid::id_token_step;
use super::{Channel, Step, code, rfc};
use crate::error::ClientError;
use crate::oauth::callback::Check;
use crate::oauth::{AuthorizationRequest, Callback, LOGIN_TIMEOUT};

impl Step {
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
