//! `GET /`: what the app is (signed out), or what it can see with its token (signed in):
//! profile, teams, the token's facts and the provider's introspection of it.
//!
//! Each part is read on its own (a tolerant reader, see `provider_api.rs`): what could not be
//! read is named in its place, and the rest of the page is shown.

use std::time::SystemTime;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use shared::scope::Scope;

use crate::error::ClientError;
use crate::pages::{
    HomePage, IdentityView, IntrospectionView, MemberView, MissingScope, SignedIn, TeamView,
    TokenFacts, UserInfoView, html_response,
};
use crate::provider_api::{ProviderApi, path_segment};
use crate::routes::AppState;
use crate::session::ClientSession;
use crate::session::vault::BrowserState;

/// `GET /`: the home page. An ended session (revoked at the provider) shows the signed-out
/// page with the reason, not an error.
pub async fn home(
    session: ClientSession,
    app: web::Data<AppState>,
) -> Result<HttpResponse, ClientError> {
    let settings = app.oauth.settings();
    let mut page = HomePage {
        auth_server: settings.issuer(),
        client_id: settings.client_id.clone(),
        requested_scopes: settings.scopes.clone(),
        notice: None,
        signed_in: None,
    };
    if let Some(browser) = session.browser(&app.vault)? {
        let signed_in = browser.tokens.lock().await.is_some();
        if signed_in {
            match signed_in_view(&app, &browser, &session).await {
                Ok(view) => page.signed_in = Some(view),
                Err(ClientError::SessionEnded { .. }) => {}
                Err(error) => return Err(error),
            }
        }
        page.notice = browser.take_notice();
    }
    Ok(html_response(StatusCode::OK, &page))
}

/// Everything the signed-in page shows, fetched with the session's token.
async fn signed_in_view(
    app: &AppState,
    browser: &BrowserState,
    session: &ClientSession,
) -> Result<SignedIn, ClientError> {
    let granted = browser
        .tokens
        .lock()
        .await
        .as_ref()
        .map(|tokens| tokens.scopes.clone())
        .unwrap_or_default();
    let has = |scope: Scope| granted.iter().any(|name| name == scope.as_str());
    let not_granted = |scope: Scope| format!("This app was not granted {scope}.");
    let api = ProviderApi::new(&app.oauth, browser).await?;

    // The two independent calls go out together; if the token has expired, the first to
    // take the token lock refreshes and the other waits for it (provider_api.rs).
    let (profile, teams) = futures_util::future::join(
        async {
            if has(Scope::ProfileRead) {
                api.me().await.map(Some)
            } else {
                Ok(None)
            }
        },
        async {
            if has(Scope::TeamsRead) {
                api.teams().await.map(Some)
            } else {
                Ok(None)
            }
        },
    )
    .await;
    let (profile, profile_problem) = match profile? {
        Some(Ok(profile)) => (Some(profile), None),
        Some(Err(failure)) => (None, Some(failure.describe())),
        None => (None, Some(not_granted(Scope::ProfileRead))),
    };
    let userinfo = userinfo_view(&api, browser).await?;
    let mut team_views = Vec::new();
    let teams_problem = match teams? {
        Some(Ok(teams)) => {
            for team in teams.items {
                let (members, members_problem) = match api.members(&team.id).await? {
                    Ok(members) => {
                        let problem = unreadable_entries("member", &members.unreadable);
                        (members.items, problem)
                    }
                    Err(failure) => (Vec::new(), Some(failure.describe())),
                };
                team_views.push(TeamView {
                    role: team.role.describe(),
                    path_id: path_segment(&team.id),
                    id: team.id,
                    name: team.name,
                    members: members
                        .into_iter()
                        .map(|member| MemberView {
                            path_username: path_segment(&member.username),
                            role: member.role.describe(),
                            username: member.username,
                        })
                        .collect(),
                    members_problem,
                });
            }
            unreadable_entries("team", &teams.unreadable)
        }
        Some(Err(failure)) => Some(failure.describe()),
        None => Some(not_granted(Scope::TeamsRead)),
    };
    let introspection = match api.introspect().await {
        Ok(answer) => answer.map(|answer| IntrospectionView {
            active: answer.active,
            scope: answer.scope,
            client_id: answer.client_id,
            username: answer.username,
            exp: answer.exp.and_then(|exp| i64::try_from(exp).ok()),
            problem: None,
        }),
        Err(ClientError::SessionEnded { reason }) => {
            return Err(ClientError::SessionEnded { reason });
        }
        Err(error) => Some(IntrospectionView {
            active: false,
            scope: None,
            client_id: None,
            username: None,
            exp: None,
            problem: Some(format!("Introspection failed: {error}")),
        }),
    };

    // The notes API, with a token for it alone (routes/notes.rs, templates/notes.html).
    let notes = super::notes::notes_view(app, browser).await;

    // Read after the calls: they may have refreshed the token.
    let guard = browser.tokens.lock().await;
    let tokens = guard.as_ref().ok_or_else(|| ClientError::SessionEnded {
        reason: "You are signed out".into(),
    })?;
    let now = SystemTime::now();
    let token = TokenFacts {
        scopes: tokens.scopes.clone(),
        expires_at: tokens.expires_at_unix(),
        expires_in: tokens.expires_at.map(|at| match at.duration_since(now) {
            Ok(left) => i64::try_from(left.as_secs()).unwrap_or(i64::MAX),
            Err(_) => 0,
        }),
        has_refresh_token: tokens.refresh.is_some(),
        access_fingerprint: shared::fingerprint(tokens.access.secret()),
        refresh_fingerprint: tokens
            .refresh
            .as_ref()
            .map(|refresh| shared::fingerprint(refresh.secret())),
        obtained_by: tokens.obtained_by.as_str().to_owned(),
        refreshes: tokens.refreshes,
    };
    let missing_scopes = Scope::ALL
        .into_iter()
        .filter(|scope| !tokens.has_scope(scope.as_str()))
        .map(|scope| MissingScope {
            name: scope.as_str().to_owned(),
            description: scope.description().to_owned(),
            login_href: format!(
                "/login?add_scope={}",
                url::form_urlencoded::byte_serialize(scope.as_str().as_bytes()).collect::<String>()
            ),
        })
        .collect();
    // Who signed in: the validated ID token's iss + sub, or (a plain OAuth provider) the
    // profile API's answer, which only says whose access token this is.
    let identity = match (&tokens.identity, &profile) {
        (Some(identity), _) => Some(IdentityView {
            issuer: identity.issuer.clone(),
            subject: identity.subject.clone(),
            source: "from the ID token".into(),
            why: "The provider is an OpenID Provider: it said who signed in with a signed ID token, which this app checked (signature, iss, aud, exp, nonce, …) before believing it (OpenID Connect Core §3.1.3.7).".into(),
        }),
        (None, Some(profile)) => Some(IdentityView {
            issuer: app.oauth.settings().issuer(),
            subject: profile.id.clone(),
            source: "from the profile API".into(),
            why: "The provider is a plain OAuth authorization server (no OpenID Connect in its metadata), so the app asked its profile API, GET /api/auth/me, whose access token this is. OAuth alone is not authentication: an ID token would say who signed in, to this client, for this login.".into(),
        }),
        (None, None) => None,
    };
    Ok(SignedIn {
        identity,
        csrf_token: session.csrf_token()?,
        profile,
        profile_problem,
        userinfo,
        teams: team_views,
        teams_problem,
        can_manage_teams: tokens.has_scope(Scope::TeamsWrite.as_str()),
        missing_scopes,
        token,
        introspection,
        notes,
    })
}

/// With an OpenID Connect session, the claims from UserInfo (Core §5.3), shown only for the
/// ID token's `sub` (§5.3.4); what could not be read is named in their place.
async fn userinfo_view(
    api: &ProviderApi<'_>,
    browser: &BrowserState,
) -> Result<Option<UserInfoView>, ClientError> {
    let subject = browser
        .tokens
        .lock()
        .await
        .as_ref()
        .and_then(|tokens| tokens.identity.as_ref())
        .map(|identity| identity.subject.clone());
    let Some(subject) = subject else {
        return Ok(None);
    };
    let userinfo = api.userinfo(&subject).await?;
    let endpoint = userinfo.endpoint.clone().unwrap_or_default();
    Ok(Some(match userinfo.result {
        Ok(claims) => {
            let rows = [
                ("sub", Some(claims.sub)),
                ("name", claims.name.clone()),
                ("preferred_username", claims.preferred_username),
                ("email", claims.email),
                (
                    "email_verified",
                    claims.email_verified.map(|verified| verified.to_string()),
                ),
            ];
            let problem = (!claims.unreadable.is_empty())
                .then(|| format!("Left out, as unreadable: {}.", claims.unreadable.join("; ")));
            UserInfoView {
                endpoint,
                name: claims.name,
                claims: rows
                    .into_iter()
                    .filter_map(|(name, value)| value.map(|value| (name.to_owned(), value)))
                    .collect(),
                problem,
            }
        }
        Err(problem) => UserInfoView {
            endpoint,
            name: None,
            claims: Vec::new(),
            problem: Some(problem.describe()),
        },
    }))
}

/// One sentence naming the list entries that could not be read, if any.
fn unreadable_entries(what: &str, unreadable: &[String]) -> Option<String> {
    match unreadable {
        [] => None,
        [one] => Some(format!(
            "One {what} in the provider's answer could not be read and is left out: {one}."
        )),
        many => Some(format!(
            "{} {what}s in the provider's answer could not be read and are left out: {}.",
            many.len(),
            many.join("; ")
        )),
    }
}
