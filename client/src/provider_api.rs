//! Calls to the provider's resource server (RFC 6750), with the refresh rule in one place.
//!
//! Every call takes a fresh access token from the session ([`ProviderApi::fresh_access_token`]:
//! refreshed first if it has expired), sends it as `Authorization: Bearer`, and on a 401
//! refreshes once and retries once. A refresh that fails with `invalid_grant` (revoked at the
//! provider's `/account`, expired, reused) ends the session and says why.
//!
//! One refresh at a time per session: the token lock is held across the refresh, so when
//! several requests find the token expired together, the first refreshes and the others
//! wait and use its result. Refresh tokens rotate at the provider, and a retired one used
//! again revokes the whole grant (RFC 9700 §4.14.2), so two parallel refreshes would end
//! the session.
//!
//! A tolerant reader: answers are read as far as they can be, not all or nothing. Fields this
//! app does not know are ignored, a team role it does not know (`owner`) is kept as the
//! provider spelled it ([`RoleRead::Other`]), a list entry that cannot be read is left out and
//! named ([`Listing::unreadable`]), and an answer that is not the documented JSON is a
//! [`ReadFailure`] the page shows in place, beside what could be read: another provider's API
//! is not ours, and one surprise must not cost the user the whole page.

use std::sync::Arc;
use std::time::Duration;

use oauth2::http::{Method, Request, header};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use shared::introspection::IntrospectionResponse;
use shared::profile::Profile;
use shared::team::{TeamMember, TeamRole};

use crate::error::ClientError;
use crate::flow;
use crate::oauth::errors::unreachable;
use crate::oauth::userinfo::UserInfo;
use crate::oauth::{OAuth, Provider, TokenErrorCode, TokenSet};
use crate::pages::Notice;
use crate::session::vault::BrowserState;
use crate::wire::{RawResponse, Recorder};

/// A token this close to its expiry is refreshed before use, not sent to fail.
const EXPIRY_MARGIN: Duration = Duration::from_secs(5);

/// The resource server's endpoints this app calls, one per method below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// `GET /api/auth/me`
    Me,
    /// `GET /api/user/teams`
    Teams,
    /// `GET /api/user/teams/{team_id}/members`
    Members,
    /// `POST /api/user/teams/{team_id}/members`
    AddMember,
    /// `DELETE /api/user/teams/{team_id}/members/{username}`
    RemoveMember,
}

impl Resource {
    pub const ALL: [Resource; 5] = [
        Resource::Me,
        Resource::Teams,
        Resource::Members,
        Resource::AddMember,
        Resource::RemoveMember,
    ];
}

/// An API answer that is not a success but not a reason to end the session: shown in place.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub status: u16,
    /// The RFC 6750 §3.1 or API error code, if the provider sent one.
    pub error: Option<String>,
    pub description: Option<String>,
}

impl Refusal {
    /// One sentence for the page.
    pub fn describe(&self) -> String {
        let code = self.error.as_deref().unwrap_or("error");
        match &self.description {
            Some(description) => format!(
                "The provider answered {} {code}: {description}",
                self.status
            ),
            None => format!("The provider answered {} {code}", self.status),
        }
    }
}

/// What a resource call gives: the value, or the provider's refusal.
pub type ApiResult<T> = Result<T, Refusal>;

/// Why a read gave nothing to show: shown in place, the rest of the page still rendered.
#[derive(Debug, Clone)]
pub enum ReadFailure {
    /// The provider said no (4xx): a [`Refusal`].
    Refused(Refusal),
    /// A 2xx whose body is not the JSON this endpoint is documented to return.
    NotUnderstood { detail: String },
}

impl ReadFailure {
    /// One sentence for the page.
    pub fn describe(&self) -> String {
        match self {
            ReadFailure::Refused(refusal) => refusal.describe(),
            ReadFailure::NotUnderstood { detail } => {
                format!("The provider's answer could not be read: {detail}")
            }
        }
    }
}

/// What a read gives: the value, or why there is none.
pub type ReadResult<T> = Result<T, ReadFailure>;

/// A list as read: the entries that could be read, and a sentence for each that could not.
#[derive(Debug, Clone)]
pub struct Listing<T> {
    pub items: Vec<T>,
    /// `entry 2: missing field `name``, one per entry left out.
    pub unreadable: Vec<String>,
}

/// A team role as read: one this app knows, or another one, kept as the provider spelled it
/// (shown, never acted on: this app only grants the roles it knows).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum RoleRead {
    Known(TeamRole),
    Other(String),
}

impl RoleRead {
    /// The role for the page; an unknown one says so.
    pub fn describe(&self) -> String {
        match self {
            RoleRead::Known(TeamRole::Member) => "member".to_owned(),
            RoleRead::Known(TeamRole::Admin) => "admin".to_owned(),
            RoleRead::Other(name) => format!("{name} (a role this app does not know)"),
        }
    }
}

/// A team from `GET /api/user/teams`, read tolerantly (unknown fields ignored).
#[derive(Debug, Clone, Deserialize)]
pub struct TeamRead {
    pub id: String,
    pub name: String,
    pub role: RoleRead,
}

/// A member from `GET /api/user/teams/{team_id}/members`, read tolerantly.
#[derive(Debug, Clone, Deserialize)]
pub struct MemberRead {
    pub username: String,
    pub role: RoleRead,
}

/// The resource server, for one browser.
pub struct ProviderApi<'a> {
    oauth: &'a OAuth,
    provider: Arc<Provider>,
    browser: &'a BrowserState,
}

impl<'a> ProviderApi<'a> {
    pub async fn new(oauth: &'a OAuth, browser: &'a BrowserState) -> Result<Self, ClientError> {
        Ok(Self {
            provider: oauth.provider().await?,
            oauth,
            browser,
        })
    }

    /// `GET /api/auth/me` (scope `profile:read`).
    pub async fn me(&self) -> Result<ReadResult<Profile>, ClientError> {
        let response = self
            .call(Resource::Me, Method::GET, "/api/auth/me", None)
            .await?;
        Ok(read_json(&response))
    }

    /// `GET /api/user/teams` (scope `teams:read`).
    pub async fn teams(&self) -> Result<ReadResult<Listing<TeamRead>>, ClientError> {
        let response = self
            .call(Resource::Teams, Method::GET, "/api/user/teams", None)
            .await?;
        Ok(read_list(&response))
    }

    /// `GET /api/user/teams/{team_id}/members` (scope `teams:read`).
    pub async fn members(
        &self,
        team_id: &str,
    ) -> Result<ReadResult<Listing<MemberRead>>, ClientError> {
        let path = format!("/api/user/teams/{}/members", path_segment(team_id));
        let response = self
            .call(Resource::Members, Method::GET, &path, None)
            .await?;
        Ok(read_list(&response))
    }

    /// `POST /api/user/teams/{team_id}/members` (scope `teams:write`).
    pub async fn add_member(
        &self,
        team_id: &str,
        member: &TeamMember,
    ) -> Result<ApiResult<()>, ClientError> {
        let path = format!("/api/user/teams/{}/members", path_segment(team_id));
        let body = serde_json::to_vec(member).map_err(anyhow::Error::from)?;
        let response = self
            .call(Resource::AddMember, Method::POST, &path, Some(body))
            .await?;
        Ok(outcome(&response).map(|_| ()))
    }

    /// `DELETE /api/user/teams/{team_id}/members/{username}` (scope `teams:write`).
    pub async fn remove_member(
        &self,
        team_id: &str,
        username: &str,
    ) -> Result<ApiResult<()>, ClientError> {
        let path = format!(
            "/api/user/teams/{}/members/{}",
            path_segment(team_id),
            path_segment(username)
        );
        let response = self
            .call(Resource::RemoveMember, Method::DELETE, &path, None)
            .await?;
        Ok(outcome(&response).map(|_| ()))
    }

    /// RFC 7662 introspection of the current access token (no refresh on "inactive": the
    /// page shows what the provider says).
    pub async fn introspect(&self) -> Result<Option<IntrospectionResponse>, ClientError> {
        let (access, _) = self.fresh_access_token().await?;
        let introspection = self.oauth.introspect(&self.provider, &access).await;
        self.browser.record(
            flow::introspection_step(&introspection)
                .into_iter()
                .collect(),
        );
        introspection.result
    }

    /// OpenID Connect UserInfo (Core §5.3) for `subject`, the ID token's `sub`, recorded in
    /// the flow log. A 401 refreshes once and retries once, like the API calls.
    pub async fn userinfo(&self, subject: &str) -> Result<UserInfo, ClientError> {
        let (access, generation) = self.fresh_access_token().await?;
        let first = self.oauth.userinfo(&self.provider, &access, subject).await;
        if first.wire.exchanges.is_empty() {
            // No userinfo_endpoint: nothing went over the wire, nothing to show in /flow.
            return Ok(first);
        }
        self.browser.record(vec![flow::userinfo_step(&first)]);
        if first.status != Some(401) {
            return Ok(first);
        }
        let access = self.token_after_401(generation).await?;
        let second = self.oauth.userinfo(&self.provider, &access, subject).await;
        self.browser.record(vec![flow::userinfo_step(&second)]);
        Ok(second)
    }

    /// `/refresh`: a refresh now, whatever the expiry.
    pub async fn refresh_now(&self) -> Result<TokenSet, ClientError> {
        let mut guard = self.browser.tokens.lock().await;
        if guard.is_none() {
            return Err(ClientError::NotSignedIn);
        }
        self.refresh_locked(&mut guard, "asked for by hand (/refresh)")
            .await
    }

    /// The access token to use now, refreshed first if it has expired (or is about to).
    /// Returns it with the token generation it belongs to.
    pub async fn fresh_access_token(&self) -> Result<(oauth2::AccessToken, u64), ClientError> {
        let mut guard = self.browser.tokens.lock().await;
        let current = guard.as_ref().ok_or_else(signed_out)?;
        if !current.needs_refresh(EXPIRY_MARGIN) {
            return Ok((current.access.clone(), current.generation));
        }
        let tokens = self
            .refresh_locked(&mut guard, "the access token expired")
            .await?;
        Ok((tokens.access, tokens.generation))
    }

    /// After a 401 with the token of `generation`: refreshes, unless another request
    /// already did (then its newer token is used).
    async fn token_after_401(&self, generation: u64) -> Result<oauth2::AccessToken, ClientError> {
        let mut guard = self.browser.tokens.lock().await;
        let current = guard.as_ref().ok_or_else(signed_out)?;
        if current.generation != generation {
            return Ok(current.access.clone());
        }
        let tokens = self
            .refresh_locked(&mut guard, "the API answered 401")
            .await?;
        Ok(tokens.access)
    }

    /// One refresh of `tokens` (the caller holds their lock), recorded in the flow log:
    /// the new tokens replace the old ones, or a final refusal ends the session.
    async fn refresh_locked(
        &self,
        tokens: &mut Option<TokenSet>,
        reason: &str,
    ) -> Result<TokenSet, ClientError> {
        let current = tokens.as_ref().ok_or_else(signed_out)?;
        let refresh = self.oauth.refresh(&self.provider, current, reason).await;
        self.browser
            .record(flow::refresh_step(&refresh).into_iter().collect());
        match refresh.result {
            Ok(refreshed) => {
                *tokens = Some(refreshed.clone());
                Ok(refreshed)
            }
            Err(error) => Err(self.end_if_refused(tokens, error)),
        }
    }

    /// A refresh the provider refused for good (`invalid_grant`, or no refresh token) ends
    /// the session: the tokens are dropped and the home page says why. Transient failures
    /// (provider down, 429) keep the tokens for a later try.
    fn end_if_refused(&self, tokens: &mut Option<TokenSet>, error: ClientError) -> ClientError {
        let reason = match &error {
            ClientError::TokenRefused {
                code: TokenErrorCode::InvalidGrant,
                ..
            } => {
                // What the client knows, no more: revoked, expired, reused, or a provider
                // restart that forgot every token all look the same from here.
                "The provider no longer knows this session's refresh token (it answered invalid_grant): it was revoked, it expired or was reused, or the provider restarted and forgot it"
                    .to_owned()
            }
            ClientError::SessionEnded { reason } => reason.clone(),
            _ => return error,
        };
        *tokens = None;
        tracing::info!(%reason, "session ended by a failed refresh");
        self.browser.set_notice(Notice::error(
            "The provider no longer accepts this session, log in again",
            format!("{reason}. This app dropped its tokens; log in again to continue."),
        ));
        ClientError::SessionEnded { reason }
    }

    /// The refresh-on-401 rule: send with a fresh token; on 401 refresh once and retry
    /// once; a second 401 ends the session.
    async fn call(
        &self,
        resource: Resource,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<RawResponse, ClientError> {
        let (access, generation) = self.fresh_access_token().await?;
        let first = self
            .send(resource, &method, path, body.clone(), &access)
            .await?;
        if first.status != 401 {
            return Ok(first);
        }
        let access = self.token_after_401(generation).await?;
        let second = self.send(resource, &method, path, body, &access).await?;
        if second.status == 401 {
            let mut guard = self.browser.tokens.lock().await;
            return Err(self.end_if_refused(
                &mut guard,
                ClientError::SessionEnded {
                    reason: "The provider refused even a freshly refreshed access token (401)"
                        .into(),
                },
            ));
        }
        Ok(second)
    }

    /// One request to the resource server, recorded in the flow log.
    async fn send(
        &self,
        resource: Resource,
        method: &Method,
        path: &str,
        body: Option<Vec<u8>>,
        access: &oauth2::AccessToken,
    ) -> Result<RawResponse, ClientError> {
        let url = self.oauth.settings().provider_url(path);
        let mut request = Request::builder()
            .method(method.clone())
            .uri(&url)
            // RFC 6750 §2.1: the token in the Authorization header, never in the URL.
            .header(header::AUTHORIZATION, format!("Bearer {}", access.secret()))
            .header(header::ACCEPT, "application/json");
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let request = request.body(body.unwrap_or_default()).map_err(|error| {
            ClientError::ProviderBroken {
                url: url.clone(),
                detail: format!("not a usable URL ({error})"),
            }
        })?;
        let recorder = Recorder::new(self.oauth.http());
        let result = recorder.send(request).await;
        let call = recorder.finish(self.oauth.masker().secret(access.secret()));
        self.browser
            .record(vec![flow::api_call_step(resource, access, &call)]);
        let response =
            result.map_err(|error| unreachable(&self.provider.endpoints.issuer, &error))?;
        tracing::info!(
            %method,
            path,
            status = response.status().as_u16(),
            access = %shared::fingerprint(access.secret()),
            "resource server called"
        );
        let raw = RawResponse {
            status: response.status().as_u16(),
            headers: response
                .headers()
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_owned(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: response.into_body(),
        };
        match raw.status {
            429 => Err(ClientError::RateLimited {
                url,
                retry_after: raw.header("retry-after").map(str::to_owned),
            }),
            status if status >= 500 => Err(ClientError::ProviderBroken {
                url,
                detail: format!("the resource server answered HTTP {status}"),
            }),
            _ => Ok(raw),
        }
    }
}

/// The session has no tokens (signed out, or ended by another request meanwhile).
fn signed_out() -> ClientError {
    ClientError::SessionEnded {
        reason: "You are signed out".into(),
    }
}

/// 2xx is success; anything else a [`Refusal`] with the RFC 6750 §3 challenge or the API's
/// JSON error body.
fn outcome(response: &RawResponse) -> ApiResult<()> {
    if (200..300).contains(&response.status) {
        return Ok(());
    }
    let body: Option<shared::ErrorBody> = serde_json::from_slice(&response.body).ok();
    let challenge = response.header("www-authenticate").map(parse_challenge);
    let error = body
        .as_ref()
        .map(|body| body.error.to_string())
        .or_else(|| challenge.as_ref().and_then(|c| c.0.clone()));
    let description = body.and_then(|body| body.error_description).or_else(|| {
        challenge.and_then(|(_, scope)| scope.map(|scope| format!("this needs the scope {scope}")))
    });
    Err(Refusal {
        status: response.status,
        error,
        description,
    })
}

/// A 2xx answer read as JSON of type `T`; a refusal or an unreadable body is a [`ReadFailure`].
fn read_json<T: DeserializeOwned>(response: &RawResponse) -> ReadResult<T> {
    outcome(response).map_err(ReadFailure::Refused)?;
    serde_json::from_slice(&response.body).map_err(|error| ReadFailure::NotUnderstood {
        detail: format!("it is not the JSON this endpoint is documented to return ({error})"),
    })
}

/// A 2xx answer read as a JSON array of `T`, entry by entry: an entry that cannot be read is
/// left out and named, the others are kept.
fn read_list<T: DeserializeOwned>(response: &RawResponse) -> ReadResult<Listing<T>> {
    let entries: Vec<serde_json::Value> = read_json(response)?;
    let mut listing = Listing {
        items: Vec::with_capacity(entries.len()),
        unreadable: Vec::new(),
    };
    for (index, entry) in entries.into_iter().enumerate() {
        match serde_json::from_value(entry) {
            Ok(item) => listing.items.push(item),
            Err(error) => listing
                .unreadable
                .push(format!("entry {} ({error})", index + 1)),
        }
    }
    Ok(listing)
}

/// `Bearer realm="…", error="insufficient_scope", scope="teams:write"` → (error, scope).
pub(crate) fn parse_challenge(header: &str) -> (Option<String>, Option<String>) {
    let param = |name: &str| {
        header
            .split(',')
            .filter_map(|part| part.trim().trim_start_matches("Bearer ").split_once('='))
            .find(|(key, _)| key.trim() == name)
            .map(|(_, value)| value.trim().trim_matches('"').to_owned())
    };
    (param("error"), param("scope"))
}

/// A path segment, percent-encoded (team ids and usernames come from forms): for the
/// provider's API paths, and for this app's own form actions that carry them.
pub fn path_segment(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_challenge_names_the_error_and_the_scope() {
        let (error, scope) = parse_challenge(
            r#"Bearer realm="provider", error="insufficient_scope", scope="teams:write""#,
        );
        assert_eq!(error.as_deref(), Some("insufficient_scope"));
        assert_eq!(scope.as_deref(), Some("teams:write"));
    }

    #[test]
    fn a_role_this_app_does_not_know_is_kept_as_spelled() {
        let team: TeamRead =
            serde_json::from_str(r#"{"id":"t","name":"T","role":"owner","created":"2026"}"#)
                .expect("read");
        assert_eq!(team.role, RoleRead::Other("owner".into()));
        let team: TeamRead =
            serde_json::from_str(r#"{"id":"t","name":"T","role":"admin"}"#).expect("read");
        assert_eq!(team.role, RoleRead::Known(TeamRole::Admin));
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(path_segment("a b/c"), "a%20b%2Fc");
        assert_eq!(path_segment("demo.user_1-x"), "demo.user_1-x");
    }
}
