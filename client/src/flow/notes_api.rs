//! The notes API steps of the flow inspector: a token for the API alone (RFC 8707 §2.2
//! resource indicators), shown decoded when it is a JWT (RFC 9068 §2.2), and each call with
//! the checks the API runs on it, in its order (RFC 9068 §4, or RFC 7662 §2.2 when opaque).

use oauth2::AccessToken;

use super::{Channel, Step, code, rfc};
use crate::notes_api::NotesCall;
use crate::oauth::resource_token::ResourceToken;

impl Step {
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
