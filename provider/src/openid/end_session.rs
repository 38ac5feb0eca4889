//! # RP-Initiated Logout: the provider's `end_session_endpoint` (OpenID Connect RP-Initiated Logout 1.0)
//!
//! Signing out of a client app ends *its* session; the user is still signed in here, at the
//! provider, and the next "Sign in" goes through without a password. RP-Initiated Logout
//! lets the app send the browser to the provider's `end_session_endpoint` (advertised in
//! discovery, §2.1) so the provider's session ends too, and the provider sends the browser
//! back to the app (§3).
//!
//! The request (§2) carries, all OPTIONAL:
//!
//! - `id_token_hint`: an ID token this provider issued to the app: whose session to end,
//!   and proof the app took part in it.
//! - `client_id`: which app asks, when there is no hint.
//! - `post_logout_redirect_uri`: where to send the browser afterwards, registered in advance.
//! - `state`: echoed on that redirect, so the app can tie the answer to its own request.
//! - `ui_locales`, `logout_hint`: accepted and ignored (one language, one demo user).
//!
//! [`check_logout`] runs the protective checks as an ordered list of named steps, each
//! beside the spec's words; [`how_to_end`] decides whether the user is asked first. This
//! module knows no HTTP: the handler is [`crate::web::logout`].

use crate::domain::client::ClientRegistry;
use crate::oauth::authorize::is_echoable_state;
use crate::oauth::params::Params;
use crate::openid::jws::verify;
use crate::openid::keys::{Algorithm, Jwks};

/// Where the endpoint is served; `end_session_endpoint` is the issuer plus this.
pub const END_SESSION_PATH: &str = "/oauth/end_session";

/// Where the confirmation page's form posts (the user's "yes, sign me out").
pub const CONFIRM_PATH: &str = "/oauth/end_session/confirm";

/// The logout request's parameters (§2), from the query of a GET or the body of a POST.
/// An empty value counts as absent (as RFC 6749 §3.1 reads parameters).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogoutRequest {
    pub id_token_hint: Option<String>,
    pub client_id: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
}

impl LogoutRequest {
    /// The request in `encoded` (a query string or a form body); a parameter sent twice is
    /// refused, since which of the two counts would be a guess.
    pub fn parse(encoded: &[u8]) -> Result<LogoutRequest, LogoutRefused> {
        let params = Params::parse(encoded);
        const NAMES: [&str; 4] = [
            "id_token_hint",
            "client_id",
            "post_logout_redirect_uri",
            "state",
        ];
        if params.first_repeated(&NAMES).is_some() {
            return Err(LogoutRefused::Repeated);
        }
        let get = |name: &str| params.get(name).map(str::to_owned);
        Ok(LogoutRequest {
            id_token_hint: get("id_token_hint"),
            client_id: get("client_id"),
            post_logout_redirect_uri: get("post_logout_redirect_uri"),
            state: get("state"),
        })
    }
}

/// Why a logout request was refused. Each is an error page and never a redirect: the
/// redirect target is exactly what could not be trusted. The messages never repeat the
/// request's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LogoutRefused {
    #[error("a parameter was sent more than once")]
    Repeated,
    #[error("the id_token_hint is not an ID token this provider issued")]
    HintNotOurs,
    #[error("the client_id is not the client the id_token_hint was issued to")]
    ClientMismatch,
    #[error("the client_id is not a client registered here")]
    UnknownClient,
    #[error("a post_logout_redirect_uri was sent without client_id or id_token_hint")]
    NoClientForRedirect,
    #[error("the post_logout_redirect_uri is not one registered for this client")]
    RedirectNotRegistered,
    #[error("the state is not printable ASCII of at most 512 characters")]
    BadState,
}

/// A logout request that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedLogout {
    /// The `sub` of a valid `id_token_hint`: whose session the app asks to end.
    pub hinted_subject: Option<String>,
    /// The hint's `sid`, if it has one: which provider session it was issued in.
    pub hinted_sid: Option<String>,
    /// The registered client that asks, named by `client_id` or by the hint.
    pub client_id: Option<String>,
    /// Where the browser goes afterwards, if the app asked and may.
    pub return_to: Option<PostLogoutRedirect>,
}

/// A `post_logout_redirect_uri` that exactly matched a registered one, with the `state` to
/// echo. Only [`check_logout`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostLogoutRedirect {
    uri: String,
    state: Option<String>,
}

impl PostLogoutRedirect {
    /// The registered URI as sent.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    pub fn state(&self) -> Option<&str> {
        self.state.as_deref()
    }

    /// The redirect (§3): "the OP passes this value back to the RP using the `state`
    /// parameter", added to any query the URI already has.
    pub fn location(&self) -> String {
        let Some(state) = &self.state else {
            return self.uri.clone();
        };
        let encoded: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("state", state)
            .finish();
        let separator = if self.uri.contains('?') { '&' } else { '?' };
        format!("{}{separator}{encoded}", self.uri)
    }
}

/// Checks a logout request against this provider (its `issuer`, the published `jwks` and the
/// registered `clients`), step by step:
///
/// 1. **hint is ours**. `id_token_hint`: "ID Token previously issued by the OP to the RP"
///    (§2). Its signature must check with a key we publish, and its `iss` must be ours.
///    Its expiry is not checked: "The OP SHOULD accept ID Tokens when the RP identified by
///    the ID Token's `aud` claim and/or `sid` claim has a current session or had a recent
///    session at the OP, even when the `exp` time has passed" (§2): apps keep the ID token
///    of the login, which has usually expired when the user signs out.
/// 2. **client matches the hint**. "When both `client_id` and `id_token_hint` are present,
///    the OP MUST verify that the Client Identifier matches the one used when issuing the
///    ID Token" (§2).
/// 3. **client is registered**. Whichever names the client, it must be one we know.
/// 4. **a redirect needs a client**. The `post_logout_redirect_uri` "MUST have been
///    previously registered with the OP" (§2), registered *for a client*: without
///    `client_id` or a hint we cannot tell whose list to look in ("The most common use case
///    for this parameter [`client_id`] is to specify the Client Identifier when
///    `post_logout_redirect_uri` is used but `id_token_hint` is not", §2).
/// 5. **redirect registered exactly**. "The OP MUST NOT perform post-logout redirection if
///    the `post_logout_redirect_uri` value supplied does not exactly match one of the
///    previously registered `post_logout_redirect_uris` values" (§3): string equality, no
///    prefix or pattern, or the endpoint becomes an open redirector.
/// 6. **state is echoable**. Echoed on the redirect (§2 `state`), so it is bounded like an
///    authorization request's `state` (printable ASCII, at most 512 characters).
pub fn check_logout(
    request: &LogoutRequest,
    issuer: &str,
    jwks: &Jwks,
    clients: &ClientRegistry,
) -> Result<CheckedLogout, LogoutRefused> {
    // 1. hint is ours
    let hint = match &request.id_token_hint {
        Some(token) => Some(verified_hint(token, issuer, jwks)?),
        None => None,
    };

    // 2. client matches the hint
    let client_id = match (&request.client_id, &hint) {
        (Some(sent), Some(hint)) if !hint.audience.iter().any(|aud| aud == sent) => {
            return Err(LogoutRefused::ClientMismatch);
        }
        (Some(sent), _) => Some(sent.clone()),
        (None, Some(hint)) => hint.client_id(),
        (None, None) => None,
    };

    // 3. client is registered
    let client = match &client_id {
        Some(id) => Some(clients.find(id).ok_or(LogoutRefused::UnknownClient)?),
        None => None,
    };

    let return_to = match &request.post_logout_redirect_uri {
        None => None,
        Some(uri) => {
            // 4. a redirect needs a client
            let client = client.ok_or(LogoutRefused::NoClientForRedirect)?;
            // 5. redirect registered exactly
            if !client.has_post_logout_redirect_uri(uri) {
                return Err(LogoutRefused::RedirectNotRegistered);
            }
            // 6. state is echoable
            if request
                .state
                .as_deref()
                .is_some_and(|state| !is_echoable_state(state))
            {
                return Err(LogoutRefused::BadState);
            }
            Some(PostLogoutRedirect {
                uri: uri.clone(),
                state: request.state.clone(),
            })
        }
    };
    let (hinted_subject, hinted_sid) = match hint {
        Some(hint) => (Some(hint.subject), hint.sid),
        None => (None, None),
    };
    Ok(CheckedLogout {
        hinted_subject,
        hinted_sid,
        client_id,
        return_to,
    })
}

/// What a verified `id_token_hint` tells: whose session, issued to which client.
struct Hint {
    subject: String,
    /// `aud`: one client id, or several (Core §2).
    audience: Vec<String>,
    /// `azp`: the party it was issued to, when `aud` has several (Core §2).
    authorized_party: Option<String>,
    /// `sid`: the provider session it was issued in (Front-Channel Logout 1.0 §3).
    sid: Option<String>,
}

impl Hint {
    /// The client the token was issued to: `azp` when present, else the one `aud`.
    fn client_id(&self) -> Option<String> {
        match (&self.authorized_party, self.audience.as_slice()) {
            (Some(azp), _) => Some(azp.clone()),
            (None, [only]) => Some(only.clone()),
            (None, _) => None,
        }
    }
}

/// Step 1: the hint's signature by one of our published keys, our `iss`, and a `sub`.
fn verified_hint(token: &str, issuer: &str, jwks: &Jwks) -> Result<Hint, LogoutRefused> {
    let verified = verify(token, jwks, &Algorithm::ALL).map_err(|_| LogoutRefused::HintNotOurs)?;
    let claims = verified.claims;
    let text = |name: &str| claims.get(name).and_then(|value| value.as_str());
    if text("iss") != Some(issuer) {
        return Err(LogoutRefused::HintNotOurs);
    }
    let subject = text("sub").ok_or(LogoutRefused::HintNotOurs)?.to_owned();
    let audience = match claims.get("aud") {
        Some(serde_json::Value::String(one)) => vec![one.clone()],
        Some(serde_json::Value::Array(many)) => many
            .iter()
            .filter_map(|aud| aud.as_str().map(str::to_owned))
            .collect(),
        _ => return Err(LogoutRefused::HintNotOurs),
    };
    Ok(Hint {
        subject,
        audience,
        authorized_party: text("azp").map(str::to_owned),
        sid: text("sid").map(str::to_owned),
    })
}

/// Whether the session ends at once or the user is asked first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// End the session (if any) and go on.
    Now,
    /// Show "Sign out of the provider?" with a CSRF-protected form.
    AskFirst,
}

/// §2: "At the Logout Endpoint, the OP SHOULD ask the End-User whether to log out of the OP
/// as well. Furthermore, the OP MUST ask the End-User this question if an `id_token_hint`
/// was not provided or if the supplied ID Token does not belong to the current OP session
/// with the RP". Without that, any page could sign the user out with one link.
///
/// - `signed_in`: the user of this browser's session and the session's `sid`, if anyone is
///   signed in. The hint "belongs to the current OP session" when it names that user and,
///   if it carries a `sid`, that session's: an ID token from an earlier session of the same
///   user (signed out since, and signed in again) does not end this one without asking.
/// - `cookies_may_be_withheld`: the request is a POST, which may come cross-site from the
///   app's page, and `SameSite=Lax` withholds our session cookie then: "nobody signed in"
///   is not known, so the user is asked (the confirmation form is same-site and carries it).
pub fn how_to_end(
    checked: &CheckedLogout,
    signed_in: Option<SignedIn<'_>>,
    cookies_may_be_withheld: bool,
) -> Ending {
    let Some(current) = signed_in else {
        // Nothing to end, so nothing to ask: the logout still succeeds.
        return if cookies_may_be_withheld {
            Ending::AskFirst
        } else {
            Ending::Now
        };
    };
    let same_user = checked.hinted_subject.as_deref() == Some(current.user);
    // A hint without `sid` (an older token) is judged by its `sub` alone.
    let same_session = match checked.hinted_sid.as_deref() {
        None => true,
        Some(hinted) => current.sid == Some(hinted),
    };
    if same_user && same_session {
        Ending::Now
    } else {
        Ending::AskFirst
    }
}

/// The provider session of the browser asking to log out.
#[derive(Debug, Clone, Copy)]
pub struct SignedIn<'a> {
    pub user: &'a str,
    /// The session's `sid` (`None` for a session an older release logged in).
    pub sid: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::client::RegisteredClient;
    use crate::openid::id_token::{IdTokenFor, sign_id_token};
    use crate::openid::keys::SigningKey;

    const ISSUER: &str = "http://localhost:8080";
    const BACK: &str = "http://localhost:3000/logged-out";

    fn clients() -> ClientRegistry {
        ClientRegistry::new([
            RegisteredClient::confidential("app", "App", "s", "http://localhost:3000/callback")
                .with_post_logout_redirect_uris(&[BACK.to_owned()]),
            RegisteredClient::public("spa", "SPA", "http://localhost:3000/spa/callback"),
        ])
    }

    fn id_token(key: &SigningKey, issuer: &str, client_id: &str) -> String {
        let token = IdTokenFor {
            issuer,
            subject: "user1",
            client_id,
            auth_time: 1,
            nonce: None,
            sid: Some("s1"),
            access_token: "at",
            issued_at: 1,
            // Long expired: a hint is still a hint (§2).
            expires_at: 2,
        };
        sign_id_token(key, &token).unwrap()
    }

    fn ours() -> (SigningKey, Jwks) {
        let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
        let jwks = Jwks {
            keys: vec![key.public_jwk()],
        };
        (key, jwks)
    }

    fn request(hint: Option<String>, client: Option<&str>, uri: Option<&str>) -> LogoutRequest {
        LogoutRequest {
            id_token_hint: hint,
            client_id: client.map(str::to_owned),
            post_logout_redirect_uri: uri.map(str::to_owned),
            state: Some("s 1&2".into()),
        }
    }

    #[test]
    fn an_expired_hint_of_ours_names_the_user_and_client_and_the_redirect_echoes_state() {
        let (key, jwks) = ours();
        let hint = id_token(&key, ISSUER, "app");
        let checked = check_logout(
            &request(Some(hint), None, Some(BACK)),
            ISSUER,
            &jwks,
            &clients(),
        )
        .unwrap();
        assert_eq!(checked.hinted_subject.as_deref(), Some("user1"));
        assert_eq!(checked.hinted_sid.as_deref(), Some("s1"));
        assert_eq!(checked.client_id.as_deref(), Some("app"));
        let back = checked.return_to.unwrap();
        assert_eq!(back.location(), format!("{BACK}?state=s+1%262"));
    }

    #[test]
    fn each_untrusted_part_is_refused_by_its_own_step() {
        let (key, jwks) = ours();
        let (foreign_key, _) = ours();
        let cases = [
            (
                request(Some(id_token(&foreign_key, ISSUER, "app")), None, None),
                LogoutRefused::HintNotOurs,
            ),
            (
                request(Some(id_token(&key, "http://evil", "app")), None, None),
                LogoutRefused::HintNotOurs,
            ),
            (
                request(Some("not.a.jws".into()), None, None),
                LogoutRefused::HintNotOurs,
            ),
            (
                request(Some(id_token(&key, ISSUER, "app")), Some("spa"), None),
                LogoutRefused::ClientMismatch,
            ),
            (
                request(None, Some("nobody"), None),
                LogoutRefused::UnknownClient,
            ),
            (
                request(None, None, Some(BACK)),
                LogoutRefused::NoClientForRedirect,
            ),
            (
                request(None, Some("app"), Some("http://localhost:3000/logged-out/")),
                LogoutRefused::RedirectNotRegistered,
            ),
            (
                request(None, Some("spa"), Some(BACK)),
                LogoutRefused::RedirectNotRegistered,
            ),
        ];
        for (request, refused) in cases {
            assert_eq!(
                check_logout(&request, ISSUER, &jwks, &clients()),
                Err(refused),
                "{request:?}"
            );
        }
        let mut bad_state = request(None, Some("app"), Some(BACK));
        bad_state.state = Some("line\nbreak".into());
        assert_eq!(
            check_logout(&bad_state, ISSUER, &jwks, &clients()),
            Err(LogoutRefused::BadState)
        );
    }

    #[test]
    fn the_user_is_asked_unless_the_hint_names_the_signed_in_user() {
        let hinted = CheckedLogout {
            hinted_subject: Some("user1".into()),
            hinted_sid: None,
            client_id: Some("app".into()),
            return_to: None,
        };
        let unhinted = CheckedLogout {
            hinted_subject: None,
            ..hinted.clone()
        };
        let user = |user| {
            Some(SignedIn {
                user,
                sid: Some("s1"),
            })
        };
        assert_eq!(how_to_end(&hinted, user("user1"), false), Ending::Now);
        assert_eq!(how_to_end(&hinted, user("user2"), false), Ending::AskFirst);
        assert_eq!(
            how_to_end(&unhinted, user("user1"), false),
            Ending::AskFirst
        );
        let this_session = CheckedLogout {
            hinted_sid: Some("s1".into()),
            ..hinted.clone()
        };
        let earlier_session = CheckedLogout {
            hinted_sid: Some("s0".into()),
            ..hinted.clone()
        };
        assert_eq!(how_to_end(&this_session, user("user1"), false), Ending::Now);
        assert_eq!(
            how_to_end(&earlier_session, user("user1"), false),
            Ending::AskFirst
        );
        assert_eq!(how_to_end(&unhinted, None, false), Ending::Now);
        assert_eq!(how_to_end(&unhinted, None, true), Ending::AskFirst);
    }

    #[test]
    fn a_parameter_sent_twice_is_refused_and_empty_ones_are_absent() {
        assert_eq!(
            LogoutRequest::parse(b"state=a&state=b"),
            Err(LogoutRefused::Repeated)
        );
        let request = LogoutRequest::parse(b"client_id=app&state=&ui_locales=fr").unwrap();
        assert_eq!(request.client_id.as_deref(), Some("app"));
        assert_eq!(request.state, None);
    }
}
