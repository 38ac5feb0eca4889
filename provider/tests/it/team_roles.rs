//! Team roles (README, "Security choices", roles as well as scopes; OWASP API1:2023): the scope says what the *client* may do, the role says what
//! the *user* may do, and a change needs both. The demo user is `admin` of `platform` (alone)
//! and a plain `member` of `design` (whose admin is `carol`); every token below carries
//! `teams:write`, so each refusal is the role's, not the scope's.

use reqwest::StatusCode;
use serde_json::json;

use testkit::{TestProvider, spawn_provider, token_pair};

/// An access token of the demo user that may read and write teams.
async fn writer_token(provider: &TestProvider) -> String {
    token_pair(
        &provider
            .user_tokens_with_scope("profile:read teams:read teams:write")
            .await,
    )
    .0
}

async fn add(
    provider: &TestProvider,
    token: &str,
    team: &str,
    username: &str,
    role: &str,
) -> reqwest::Response {
    provider
        .api
        .post(provider.url(&format!("/api/user/teams/{team}/members")))
        .bearer_auth(token)
        .json(&json!({"username": username, "role": role}))
        .send()
        .await
        .expect("the provider answers")
}

async fn remove(
    provider: &TestProvider,
    token: &str,
    team: &str,
    username: &str,
) -> reqwest::Response {
    provider
        .api
        .delete(provider.url(&format!("/api/user/teams/{team}/members/{username}")))
        .bearer_auth(token)
        .send()
        .await
        .expect("the provider answers")
}

/// The members of `team` as `(username, role)` pairs, as the demo user sees them.
async fn members(provider: &TestProvider, token: &str, team: &str) -> Vec<(String, String)> {
    let response = provider
        .get_with_token(&format!("/api/user/teams/{team}/members"), token)
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{team}");
    let members: Vec<serde_json::Value> = response.json().await.expect("a JSON array");
    members
        .iter()
        .map(|m| {
            (
                m["username"].as_str().unwrap_or_default().to_owned(),
                m["role"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Asserts a refusal: `status`, JSON `{error: code, error_description}` whose description
/// contains `rule`, and no `WWW-Authenticate` challenge (the token is fine; the role is not).
async fn assert_refused(response: reqwest::Response, status: StatusCode, code: &str, rule: &str) {
    assert_eq!(response.status(), status);
    assert!(
        response.headers().get("www-authenticate").is_none(),
        "a role refusal is not a token problem"
    );
    let body: serde_json::Value = response.json().await.expect("a JSON error body");
    assert_eq!(body["error"], code, "{body}");
    let description = body["error_description"].as_str().unwrap_or_default();
    assert!(description.contains(rule), "{body}");
}

#[tokio::test]
async fn a_plain_member_with_teams_write_cannot_add_an_admin_and_nobody_is_added() {
    let provider = spawn_provider().await;
    let token = writer_token(&provider).await;
    let before = members(&provider, &token, "design").await;
    for role in ["admin", "member"] {
        let response = add(&provider, &token, "design", "mallory", role).await;
        assert_refused(
            response,
            StatusCode::FORBIDDEN,
            "forbidden",
            "only an admin of this team may add members",
        )
        .await;
    }
    assert_eq!(members(&provider, &token, "design").await, before);
}

#[tokio::test]
async fn a_plain_member_cannot_remove_the_teams_admin() {
    let provider = spawn_provider().await;
    let token = writer_token(&provider).await;
    let response = remove(&provider, &token, "design", "carol").await;
    assert_refused(
        response,
        StatusCode::FORBIDDEN,
        "forbidden",
        "only an admin of this team may remove other members",
    )
    .await;
    assert!(
        members(&provider, &token, "design")
            .await
            .contains(&("carol".into(), "admin".into()))
    );
}

#[tokio::test]
async fn a_plain_member_may_leave_the_team() {
    let provider = spawn_provider().await;
    let token = writer_token(&provider).await;
    let response = remove(&provider, &token, "design", "demo").await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let teams: Vec<serde_json::Value> = provider
        .get_with_token("/api/user/teams", &token)
        .await
        .json()
        .await
        .expect("a JSON array");
    assert!(teams.iter().all(|team| team["id"] != "design"), "{teams:?}");
}

#[tokio::test]
async fn an_admin_adds_an_admin_and_removes_a_member() {
    let provider = spawn_provider().await;
    let token = writer_token(&provider).await;
    assert_eq!(
        add(&provider, &token, "platform", "erin", "admin")
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        remove(&provider, &token, "platform", "alice")
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let platform = members(&provider, &token, "platform").await;
    assert!(platform.contains(&("erin".into(), "admin".into())));
    assert!(platform.iter().all(|(name, _)| name != "alice"));
}

#[tokio::test]
async fn the_last_admin_cannot_leave_and_stays_admin() {
    let provider = spawn_provider().await;
    let token = writer_token(&provider).await;
    let response = remove(&provider, &token, "platform", "demo").await;
    assert_refused(
        response,
        StatusCode::CONFLICT,
        "conflict",
        "must keep at least one admin",
    )
    .await;
    assert!(
        members(&provider, &token, "platform")
            .await
            .contains(&("demo".into(), "admin".into()))
    );
}

#[tokio::test]
async fn an_admin_may_leave_once_the_team_has_another_admin() {
    let provider = spawn_provider().await;
    let token = writer_token(&provider).await;
    assert_eq!(
        add(&provider, &token, "platform", "erin", "admin")
            .await
            .status(),
        StatusCode::CREATED
    );
    let response = remove(&provider, &token, "platform", "demo").await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}
