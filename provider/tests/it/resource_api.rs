//! RFC 6750 (bearer tokens at the resource server): how a token is sent, the
//! `WWW-Authenticate: Bearer` challenges, scopes per endpoint; and the contract's team API.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use testkit::{TestProvider, header_value, spawn_provider, spawn_provider_with, token_pair};

const ALL_SCOPES: &str = "profile:read teams:read teams:write";

/// An access token of the demo user with every scope.
async fn writer_token(provider: &TestProvider) -> String {
    token_pair(&provider.user_tokens_with_scope(ALL_SCOPES).await).0
}

/// POST a JSON body (as raw text) to the members of `team`.
async fn add_member(
    provider: &TestProvider,
    token: &str,
    team: &str,
    body: &str,
) -> reqwest::Response {
    provider
        .api
        .post(provider.url(&format!("/api/user/teams/{team}/members")))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("the provider answers")
}

async fn remove_member(
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

/// Asserts a team API error: `status` with a JSON `{error, error_description}` body.
async fn assert_api_error(response: reqwest::Response, status: StatusCode) {
    assert_eq!(response.status(), status);
    let body: serde_json::Value = response.json().await.expect("a JSON error body");
    assert!(body["error"].is_string(), "{body}");
    assert!(body["error_description"].is_string(), "{body}");
}

#[tokio::test]
async fn no_token_is_401_with_a_bare_bearer_challenge() {
    let provider = spawn_provider().await;
    for path in ["/protected", "/resource", "/api/auth/me", "/api/user/teams"] {
        let response = provider
            .api
            .get(provider.url(path))
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(
            header_value(&response, "www-authenticate").as_deref(),
            Some("Bearer realm=\"oauth-flow-rs\""),
            "no error code when no token was sent (RFC 6750 §3.1): {path}"
        );
    }
}

#[tokio::test]
async fn a_bad_token_is_401_invalid_token() {
    let provider = spawn_provider().await;
    let response = provider
        .get_with_token("/api/auth/me", "not-a-real-token")
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = header_value(&response, "www-authenticate").expect("a challenge");
    assert!(
        challenge.starts_with("Bearer realm=\"oauth-flow-rs\""),
        "{challenge}"
    );
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
}

#[tokio::test]
async fn a_refresh_token_is_not_an_access_token() {
    let provider = spawn_provider().await;
    let (_, refresh) = token_pair(&provider.user_tokens().await);
    let response = provider.get_with_token("/protected", &refresh).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_token_without_the_needed_scope_is_403_insufficient_scope_naming_it() {
    let provider = spawn_provider().await;
    let (access, _) = token_pair(&provider.user_tokens().await);
    let response = add_member(
        &provider,
        &access,
        "platform",
        r#"{"username":"erin","role":"member"}"#,
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let challenge = header_value(&response, "www-authenticate").expect("a challenge");
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    assert!(challenge.contains("scope=\"teams:write\""), "{challenge}");

    let profile_only = token_pair(&provider.user_tokens_with_scope("profile:read").await).0;
    let teams = provider
        .get_with_token("/api/user/teams", &profile_only)
        .await;
    assert_eq!(teams.status(), StatusCode::FORBIDDEN);
    let challenge = header_value(&teams, "www-authenticate").expect("a challenge");
    assert!(challenge.contains("scope=\"teams:read\""), "{challenge}");
}

#[tokio::test]
async fn the_profile_endpoint_returns_the_users_profile() {
    let provider = spawn_provider().await;
    let (access, _) = token_pair(&provider.user_tokens().await);
    let response = provider.get_with_token("/api/auth/me", &access).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["id"], "user1");
    assert_eq!(body["username"], "demo");
    assert!(
        body["email"].as_str().is_some_and(|e| e.contains('@')),
        "{body}"
    );
    assert!(
        body["display_name"].as_str().is_some_and(|n| !n.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn the_user_belongs_to_at_least_two_teams_and_is_admin_of_one() {
    let provider = spawn_provider().await;
    let (access, _) = token_pair(&provider.user_tokens().await);
    let response = provider.get_with_token("/api/user/teams", &access).await;
    assert_eq!(response.status(), StatusCode::OK);
    let teams: Vec<serde_json::Value> = response.json().await.expect("a JSON array");
    assert!(teams.len() >= 2, "{teams:?}");
    assert!(
        teams.iter().any(|team| team["role"] == "admin"),
        "{teams:?}"
    );
    for team in &teams {
        assert!(team["id"].is_string() && team["name"].is_string(), "{team}");
        assert!(
            team["role"] == "admin" || team["role"] == "member",
            "{team}"
        );
    }
}

#[tokio::test]
async fn team_members_are_a_json_array_of_username_and_role() {
    let provider = spawn_provider().await;
    let (access, _) = token_pair(&provider.user_tokens().await);
    let response = provider
        .get_with_token("/api/user/teams/platform/members", &access)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let members: serde_json::Value = response.json().await.expect("JSON");
    let members = members.as_array().expect("a JSON array");
    assert!(members.iter().any(|m| m["username"] == "demo"));
    for member in members {
        assert!(member["username"].is_string() && member["role"].is_string());
    }
}

#[tokio::test]
async fn adding_a_member_is_201_and_adding_them_again_is_409() {
    let provider = spawn_provider().await;
    let token = writer_token(&provider).await;
    let body = r#"{"username":"erin","role":"member"}"#;
    let added = add_member(&provider, &token, "platform", body).await;
    assert_eq!(added.status(), StatusCode::CREATED);
    let member: serde_json::Value = added.json().await.expect("JSON");
    assert_eq!(member, json!({"username": "erin", "role": "member"}));
    let members: Vec<serde_json::Value> = provider
        .get_with_token("/api/user/teams/platform/members", &token)
        .await
        .json()
        .await
        .expect("a JSON array");
    assert!(members.iter().any(|m| m["username"] == "erin"));

    let again = add_member(&provider, &token, "platform", body).await;
    assert_api_error(again, StatusCode::CONFLICT).await;
}

#[tokio::test]
async fn removing_a_member_is_204_and_removing_them_again_is_404() {
    let provider = spawn_provider().await;
    let token = writer_token(&provider).await;
    let removed = remove_member(&provider, &token, "platform", "alice").await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let again = remove_member(&provider, &token, "platform", "alice").await;
    assert_api_error(again, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn an_unknown_team_is_404() {
    let provider = spawn_provider().await;
    let token = writer_token(&provider).await;
    let members = provider
        .get_with_token("/api/user/teams/no-such-team/members", &token)
        .await;
    assert_api_error(members, StatusCode::NOT_FOUND).await;
    let added = add_member(
        &provider,
        &token,
        "no-such-team",
        r#"{"username":"erin","role":"member"}"#,
    )
    .await;
    assert_api_error(added, StatusCode::NOT_FOUND).await;
    let removed = remove_member(&provider, &token, "no-such-team", "erin").await;
    assert_api_error(removed, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn a_malformed_member_body_is_400() {
    let provider = spawn_provider().await;
    let token = writer_token(&provider).await;
    for body in [
        "not json",
        r#"{"username":"erin"}"#,
        r#"{"username":"erin","role":"owner"}"#,
        r#"{"username":42,"role":"member"}"#,
        "",
    ] {
        let response = add_member(&provider, &token, "platform", body).await;
        assert_api_error(response, StatusCode::BAD_REQUEST).await;
    }
}

#[tokio::test]
async fn a_member_body_that_is_not_a_json_object_is_400() {
    let provider = spawn_provider().await;
    let token = writer_token(&provider).await;
    for body in [r#"["erin","member"]"#, r#""erin""#, "null"] {
        let response = add_member(&provider, &token, "platform", body).await;
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "the body must be the object {{username, role}}, not {body}"
        );
    }
}

#[tokio::test]
async fn a_username_that_breaks_the_rules_is_400() {
    let provider = spawn_provider().await;
    let token = writer_token(&provider).await;
    let too_long = "a".repeat(65);
    for username in ["with space", too_long.as_str(), "", "ünïcode", "a/b"] {
        let body = json!({"username": username, "role": "member"}).to_string();
        let response = add_member(&provider, &token, "platform", &body).await;
        assert_api_error(response, StatusCode::BAD_REQUEST).await;
    }
    let longest = "b".repeat(64);
    let body = json!({"username": longest, "role": "admin"}).to_string();
    let response = add_member(&provider, &token, "platform", &body).await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "64 characters is allowed"
    );
}

/// Asserts RFC 6750 §3.1's answer to a request that "lacks any authentication
/// information": 401 and a challenge with the realm only, no `error` code.
fn assert_bare_bearer_challenge(response: &reqwest::Response, what: &str) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{what}");
    assert_eq!(
        header_value(response, "www-authenticate").as_deref(),
        Some("Bearer realm=\"oauth-flow-rs\""),
        "no error code (RFC 6750 §3.1): {what}"
    );
}

#[tokio::test]
async fn a_token_in_the_query_string_is_refused_by_default_with_a_bare_challenge_naming_the_setting()
 {
    let provider = spawn_provider().await;
    let (access, _) = token_pair(&provider.user_tokens().await);
    let response = provider
        .api
        .get(provider.url(&format!("/protected?access_token={access}")))
        .send()
        .await
        .expect("answers");
    assert_bare_bearer_challenge(&response, "a query-string token while they are off");
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("ALLOW_BEARER_IN_QUERY")),
        "{body}"
    );
}

#[tokio::test]
async fn another_authorization_scheme_is_401_with_a_bare_bearer_challenge() {
    let provider = spawn_provider().await;
    for (scheme, value) in [
        ("Basic", "Basic dGVzdGNsaWVudDp0ZXN0c2VjcmV0"),
        ("Digest", "Digest username=\"demo\""),
        ("a bare word", "Token"),
    ] {
        for path in ["/protected", "/api/auth/me", "/api/user/teams"] {
            let response = provider
                .api
                .get(provider.url(path))
                .header("authorization", value)
                .send()
                .await
                .expect("answers");
            assert_bare_bearer_challenge(&response, &format!("{scheme} at {path}"));
        }
    }
}

#[tokio::test]
async fn a_token_in_the_query_string_is_accepted_when_allowed() {
    let provider = spawn_provider_with(&[("ALLOW_BEARER_IN_QUERY", "true")]).await;
    let (access, _) = token_pair(&provider.user_tokens().await);
    let response = provider
        .api
        .get(provider.url(&format!("/api/auth/me?access_token={access}")))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_token_in_both_header_and_query_is_400_invalid_request() {
    for allowed in ["true", "false"] {
        let provider = spawn_provider_with(&[("ALLOW_BEARER_IN_QUERY", allowed)]).await;
        let (access, _) = token_pair(&provider.user_tokens().await);
        let response = provider
            .get_with_token(&format!("/protected?access_token={access}"), &access)
            .await;
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "allowed={allowed}"
        );
        let body: serde_json::Value = response.json().await.expect("JSON");
        assert_eq!(body["error"], "invalid_request");
    }
}

#[tokio::test]
async fn the_public_resource_needs_no_token() {
    let provider = spawn_provider().await;
    let response = provider
        .api
        .get(provider.url("/public"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert!(body["message"].is_string());
}

#[tokio::test]
async fn an_expired_token_is_refused_the_moment_it_expires() {
    let provider = spawn_provider_with(&[("ACCESS_TOKEN_TTL", "1")]).await;
    let (access, _) = token_pair(&provider.user_tokens().await);
    provider.clock.advance(Duration::from_millis(1200));
    for path in ["/protected", "/api/auth/me"] {
        let response = provider.get_with_token(path, &access).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        let challenge = header_value(&response, "www-authenticate").expect("a challenge");
        assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    }
}

#[tokio::test]
async fn a_revoked_token_is_refused_at_once() {
    let provider = spawn_provider().await;
    let (access, _) = token_pair(&provider.user_tokens().await);
    assert_eq!(
        provider
            .get_with_token("/api/auth/me", &access)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(provider.revoke(&access).await.status(), StatusCode::OK);
    let response = provider.get_with_token("/api/auth/me", &access).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}
