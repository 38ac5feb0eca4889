//! OpenID Connect UserInfo (Core 1.0 §5.3): the signed-in user's claims (name, email, …),
//! asked of the provider with the access token, and believed only for the user the ID token
//! named.
//!
//! The ID token says *who* signed in (`iss` + `sub`); UserInfo says more *about* them. It is
//! an OAuth protected resource (§5.3.1: `Authorization: Bearer`), so its answer is about
//! whoever the access token belongs to, and nothing in it is signed. That is why its `sub`
//! must be the ID token's: an access token substituted for another user's would otherwise
//! put that user's name on this session. The answer is read in this order:
//!
//! 1. [`read_answer`]: a 200 with a JSON object (§5.3.2). A signed or encrypted
//!    `application/jwt` answer is not read: this client never registers for one. An error
//!    is RFC 6750's (§5.3.3), its code read from `WWW-Authenticate`.
//! 2. [`check_subject`]: `sub` is exactly the ID token's: "The sub Claim in the UserInfo
//!    Response MUST be verified to exactly match the sub Claim in the ID Token; if they do
//!    not match, the UserInfo Response values MUST NOT be used" (§5.3.4).
//! 3. [`Claims::read`]: the standard claims of §5.1 this page shows, each read on its own
//!    (a tolerant reader: a claim of an unexpected type is left out and named).
//!
//! Any failure is a [`UserInfoProblem`] the page shows in place of the claims; the session
//! stays, since the ID token already said who signed in.

use oauth2::AccessToken;
use oauth2::http::{Method, Request, header};
use serde_json::{Map, Value};

use crate::oauth::{OAuth, Provider};
use crate::wire::{Recorded, Recorder};

/// The claims this page shows (Core §5.1), read from a UserInfo answer whose `sub` matched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    pub sub: String,
    pub name: Option<String>,
    pub preferred_username: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    /// The other claims' names (shown, not used).
    pub others: Vec<String>,
    /// One sentence per standard claim of an unexpected type, left out.
    pub unreadable: Vec<String>,
}

/// Why there are no claims to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserInfoProblem {
    /// The provider's metadata has no `userinfo_endpoint`.
    NotPublished,
    /// No answer (connection refused, timeout).
    Unreachable { detail: String },
    /// An answer other than 200: RFC 6750's error code when the provider sent one.
    Refused { status: u16, error: Option<String> },
    /// A 200 that is not a JSON object with a `sub`.
    NotUnderstood { detail: String },
    /// §5.3.4: the answer is about someone else. Its claims are not used.
    SubjectMismatch { id_token: String, userinfo: String },
}

impl UserInfoProblem {
    /// One sentence for the page.
    pub fn describe(&self) -> String {
        match self {
            UserInfoProblem::NotPublished => {
                "The provider publishes no userinfo_endpoint, so there are no claims beyond the ID token's.".into()
            }
            UserInfoProblem::Unreachable { detail } => {
                format!("UserInfo could not be reached ({detail}).")
            }
            UserInfoProblem::Refused { status, error } => match error {
                Some(error) => format!("UserInfo answered {status} {error} (Core §5.3.3)."),
                None => format!("UserInfo answered HTTP {status}."),
            },
            UserInfoProblem::NotUnderstood { detail } => {
                format!("UserInfo's answer could not be read: {detail}.")
            }
            UserInfoProblem::SubjectMismatch { id_token, userinfo } => format!(
                "UserInfo answered for sub {userinfo:?}, but the ID token's sub is {id_token:?}: \
                 the answer is about someone else, so its claims are not shown (OpenID Connect \
                 Core §5.3.4: if they do not match, the UserInfo Response values MUST NOT be used)."
            ),
        }
    }
}

/// The outcome of one UserInfo request: the traffic, for the inspector, and the claims.
pub struct UserInfo {
    /// The discovered `userinfo_endpoint`, if there is one.
    pub endpoint: Option<String>,
    /// The access token sent, by fingerprint.
    pub fingerprint: String,
    pub wire: Recorded,
    /// The HTTP status, when there was an answer (a 401 makes the caller refresh once).
    pub status: Option<u16>,
    pub result: Result<Claims, UserInfoProblem>,
}

impl OAuth {
    /// Core §5.3.1: `GET userinfo_endpoint` with `access` as a Bearer token, its answer
    /// checked against `subject`, the validated ID token's `sub`.
    pub async fn userinfo(
        &self,
        provider: &Provider,
        access: &AccessToken,
        subject: &str,
    ) -> UserInfo {
        let recorder = Recorder::new(&self.http);
        let fingerprint = shared::fingerprint(access.secret());
        let endpoint = provider
            .endpoints
            .openid
            .as_ref()
            .and_then(|openid| openid.userinfo.clone());
        let finish = |status, result| UserInfo {
            endpoint: endpoint.clone(),
            fingerprint: fingerprint.clone(),
            wire: recorder.finish(self.masker().secret(access.secret())),
            status,
            result,
        };
        let Some(url) = endpoint.as_deref() else {
            return finish(None, Err(UserInfoProblem::NotPublished));
        };
        let request = Request::builder()
            .method(Method::GET)
            .uri(url)
            // RFC 6750 §2.1: the token in the Authorization header, never in the URL.
            .header(header::AUTHORIZATION, format!("Bearer {}", access.secret()))
            .header(header::ACCEPT, "application/json")
            .body(Vec::new());
        let Ok(request) = request else {
            return finish(
                None,
                Err(UserInfoProblem::NotUnderstood {
                    detail: format!("the userinfo_endpoint {url:?} is not a usable URL"),
                }),
            );
        };
        let response = match recorder.send(request).await {
            Ok(response) => response,
            Err(error) => {
                return finish(
                    None,
                    Err(UserInfoProblem::Unreachable {
                        detail: error.to_string(),
                    }),
                );
            }
        };
        let status = response.status().as_u16();
        let result = read_answer(&response)
            .and_then(|claims| check_subject(&claims, subject).map(|()| Claims::read(&claims)));
        match &result {
            Ok(_) => tracing::info!(status, "userinfo read"),
            Err(problem) => {
                tracing::info!(status, problem = %problem.describe(), "userinfo not used")
            }
        }
        finish(Some(status), result)
    }
}

/// Step 1: a 200 with a JSON object (§5.3.2); otherwise RFC 6750's error (§5.3.3).
fn read_answer(response: &oauth2::HttpResponse) -> Result<Map<String, Value>, UserInfoProblem> {
    let status = response.status().as_u16();
    if status != 200 {
        let error = response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .and_then(|value| value.to_str().ok())
            .and_then(|challenge| crate::provider_api::parse_challenge(challenge).0);
        return Err(UserInfoProblem::Refused { status, error });
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if content_type.starts_with("application/jwt") {
        return Err(UserInfoProblem::NotUnderstood {
            detail: "it is a signed or encrypted JWT (application/jwt), which this client does not ask for".into(),
        });
    }
    match serde_json::from_slice(response.body()) {
        Ok(Value::Object(claims)) => Ok(claims),
        Ok(_) => Err(UserInfoProblem::NotUnderstood {
            detail: "it is JSON but not an object of claims".into(),
        }),
        Err(error) => Err(UserInfoProblem::NotUnderstood {
            detail: format!("it is not JSON ({error})"),
        }),
    }
}

/// Step 2, §5.3.4: `sub` exactly the ID token's (a plain comparison: `sub` is an identifier, not
/// a secret).
fn check_subject(claims: &Map<String, Value>, subject: &str) -> Result<(), UserInfoProblem> {
    match claims.get("sub").and_then(Value::as_str) {
        Some(sub) if sub == subject => Ok(()),
        Some(sub) => Err(UserInfoProblem::SubjectMismatch {
            id_token: subject.to_owned(),
            userinfo: sub.to_owned(),
        }),
        None => Err(UserInfoProblem::NotUnderstood {
            detail: "it has no sub (Core §5.3.2: the sub Claim MUST always be returned)".into(),
        }),
    }
}

impl Claims {
    /// Step 3: the standard claims this page shows, each read on its own.
    fn read(claims: &Map<String, Value>) -> Self {
        const SHOWN: [&str; 5] = [
            "sub",
            "name",
            "preferred_username",
            "email",
            "email_verified",
        ];
        let mut unreadable = Vec::new();
        let mut text = |name: &str| match claims.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(value)) => Some(value.clone()),
            Some(_) => {
                unreadable.push(format!("{name} is not a string (Core §5.1)"));
                None
            }
        };
        let name = text("name");
        let preferred_username = text("preferred_username");
        let email = text("email");
        let email_verified = match claims.get("email_verified") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(verified)) => Some(*verified),
            Some(_) => {
                unreadable.push("email_verified is not a boolean (Core §5.1)".into());
                None
            }
        };
        Claims {
            sub: claims
                .get("sub")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            name,
            preferred_username,
            email,
            email_verified,
            others: claims
                .keys()
                .filter(|name| !SHOWN.contains(&name.as_str()))
                .cloned()
                .collect(),
            unreadable,
        }
    }
}
