//! RFC 6749 §6 (refreshing an access token) with RFC 9700 §4.14.2 (refresh token rotation
//! and reuse detection): each refresh returns a new refresh token and retires the old; a
//! retired one used again revokes the whole grant; the scope may narrow, never widen.

use std::time::Duration;

use reqwest::StatusCode;
use shared::token::TokenResponse;

use testkit::{
    PUBLIC_CLIENT_ID, assert_json_error, spawn_provider, spawn_provider_with, token_pair,
};

#[tokio::test]
async fn a_refresh_returns_a_new_refresh_token_and_retires_the_old_one() {
    let provider = spawn_provider().await;
    let (access, refresh) = token_pair(&provider.user_tokens().await);
    let response = provider.refresh(&refresh).await;
    assert_eq!(response.status(), StatusCode::OK);
    let rotated: TokenResponse = response.json().await.expect("a token response");
    let (new_access, new_refresh) = token_pair(&rotated);
    assert_ne!(new_access, access);
    assert_ne!(new_refresh, refresh, "the refresh token rotates");
    assert_eq!(rotated.token_type, "Bearer");
    assert_eq!(rotated.scope, "profile:read teams:read");
    assert!(provider.is_active(&new_access).await);
    assert!(provider.is_active(&new_refresh).await);
    assert!(
        !provider.is_active(&refresh).await,
        "the old refresh token is retired"
    );
    let protected = provider.get_with_token("/protected", &new_access).await;
    assert_eq!(protected.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_retired_refresh_token_used_again_revokes_the_whole_grant() {
    let provider = spawn_provider().await;
    let (first_access, first_refresh) = token_pair(&provider.user_tokens().await);
    let rotated: TokenResponse = provider
        .refresh(&first_refresh)
        .await
        .json()
        .await
        .expect("a token response");
    let (second_access, second_refresh) = token_pair(&rotated);

    let reuse = provider.refresh(&first_refresh).await;
    assert_json_error(reuse, StatusCode::BAD_REQUEST, "invalid_grant").await;

    for token in [&first_access, &second_access, &second_refresh] {
        assert!(
            !provider.is_active(token).await,
            "every token of the grant is dead"
        );
    }
    for access in [&first_access, &second_access] {
        let protected = provider.get_with_token("/protected", access).await;
        assert_eq!(protected.status(), StatusCode::UNAUTHORIZED);
    }
    let refresh_again = provider.refresh(&second_refresh).await;
    assert_json_error(refresh_again, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn a_refresh_may_narrow_the_scope_and_a_later_refresh_can_still_get_the_original() {
    let provider = spawn_provider().await;
    let (_, refresh) = token_pair(&provider.user_tokens().await);
    let narrowed = provider
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("scope", "profile:read"),
        ])
        .await;
    assert_eq!(narrowed.status(), StatusCode::OK);
    let narrowed: TokenResponse = narrowed.json().await.expect("a token response");
    assert_eq!(narrowed.scope, "profile:read");
    let (narrow_access, narrow_refresh) = token_pair(&narrowed);
    let me = provider
        .get_with_token("/api/auth/me", &narrow_access)
        .await;
    assert_eq!(me.status(), StatusCode::OK);
    let teams = provider
        .get_with_token("/api/user/teams", &narrow_access)
        .await;
    assert_eq!(
        teams.status(),
        StatusCode::FORBIDDEN,
        "the narrowed access token lost teams:read"
    );

    let widened_back = provider.refresh(&narrow_refresh).await;
    assert_eq!(widened_back.status(), StatusCode::OK);
    let original: TokenResponse = widened_back.json().await.expect("a token response");
    assert_eq!(original.scope, "profile:read teams:read");
    let teams = provider
        .get_with_token("/api/user/teams", original.access_token.expose())
        .await;
    assert_eq!(teams.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_refresh_asking_for_more_scope_than_granted_is_invalid_scope() {
    let provider = spawn_provider().await;
    let (_, refresh) = token_pair(&provider.user_tokens().await);
    let widened = provider
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("scope", "profile:read teams:read teams:write"),
        ])
        .await;
    assert_json_error(widened, StatusCode::BAD_REQUEST, "invalid_scope").await;
    assert!(
        provider.is_active(&refresh).await,
        "a refused refresh does not retire the token"
    );
}

#[tokio::test]
async fn another_clients_refresh_token_is_invalid_grant() {
    let provider = spawn_provider().await;
    let (_, spa_refresh) = token_pair(&provider.public_client_tokens().await);
    let response = provider.refresh(&spa_refresh).await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let own_use = provider.public_refresh(&spa_refresh).await;
    assert_eq!(
        own_use.status(),
        StatusCode::OK,
        "the owner's token is unharmed"
    );
}

#[tokio::test]
async fn a_refresh_without_refresh_token_is_invalid_request() {
    let provider = spawn_provider().await;
    let response = provider
        .token_request(&[("grant_type", "refresh_token")])
        .await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn an_unknown_refresh_token_is_invalid_grant() {
    let provider = spawn_provider().await;
    let response = provider.refresh("not-a-refresh-token").await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn an_access_token_is_not_a_refresh_token() {
    let provider = spawn_provider().await;
    let (access, _) = token_pair(&provider.user_tokens().await);
    let response = provider.refresh(&access).await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn an_expired_refresh_token_is_invalid_grant() {
    let provider = spawn_provider_with(&[("REFRESH_TOKEN_TTL", "1")]).await;
    let (_, refresh) = token_pair(&provider.user_tokens().await);
    provider.clock.advance(Duration::from_millis(1200));
    let response = provider.refresh(&refresh).await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn refresh_responses_and_their_errors_are_not_cached() {
    let provider = spawn_provider().await;
    let (_, refresh) = token_pair(&provider.user_tokens().await);
    let success = provider.refresh(&refresh).await;
    assert_eq!(success.status(), StatusCode::OK);
    assert_eq!(success.headers()["cache-control"], "no-store");
    assert_eq!(success.headers()["pragma"], "no-cache");
    let failure = provider.refresh(&refresh).await;
    assert_eq!(failure.status(), StatusCode::BAD_REQUEST);
    assert_eq!(failure.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn a_retired_refresh_token_presented_by_another_client_is_invalid_grant_and_the_grant_stays_live()
 {
    let provider = spawn_provider().await;
    let (_, retired) = token_pair(&provider.user_tokens().await);
    let rotated = provider.refresh(&retired).await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let (access, current) = token_pair(&rotated.json().await.expect("a token response"));
    // The public spa-client needs no secret: anyone can present a token in its name.
    let stranger = provider
        .api
        .post(provider.url("/oauth/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", retired.as_str()),
            ("client_id", PUBLIC_CLIENT_ID),
        ])
        .send()
        .await
        .expect("the provider answers");
    assert_json_error(stranger, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(
        provider.is_active(&access).await,
        "another client's reuse must not revoke the owner's grant (RFC 6749 §10.4)"
    );
    assert_eq!(
        provider.refresh(&current).await.status(),
        StatusCode::OK,
        "the owner's current refresh token still works"
    );
}

#[tokio::test]
async fn a_whitespace_only_scope_on_a_refresh_is_invalid_scope_and_the_token_stays_usable() {
    let provider = spawn_provider().await;
    let (_, refresh) = token_pair(&provider.user_tokens().await);
    let response = provider
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
            ("scope", " "),
        ])
        .await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_scope").await;
    assert_eq!(provider.refresh(&refresh).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_grant_older_than_its_absolute_lifetime_cannot_be_refreshed_however_often_it_rotated() {
    let provider = spawn_provider_with(&[("GRANT_MAX_LIFETIME", "2")]).await;
    let (mut access, mut refresh) = token_pair(&provider.user_tokens().await);
    // Rotating keeps the refresh token fresh (14 days each time), but not the grant.
    for _ in 0..2 {
        let rotated = provider.refresh(&refresh).await;
        assert_eq!(rotated.status(), StatusCode::OK);
        (access, refresh) = token_pair(&rotated.json().await.expect("a token response"));
        provider.clock.advance(Duration::from_millis(1100));
    }
    let response = provider.refresh(&refresh).await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(
        !provider.is_active(&access).await,
        "no token of the grant outlives it, the last access token included"
    );
}
