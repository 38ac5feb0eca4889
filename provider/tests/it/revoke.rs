//! RFC 7009 (token revocation): a client says it no longer needs a token, and the token dies
//! at once; a refresh token takes its grant's access tokens with it; invalid tokens and
//! unknown hints are not errors.

use reqwest::StatusCode;

use testkit::{
    CLIENT_ID, PUBLIC_CLIENT_ID, assert_json_error, header_value, spawn_provider, token_pair,
};

#[tokio::test]
async fn revoking_an_access_token_kills_it_at_once() {
    let provider = spawn_provider().await;
    let (access, _) = token_pair(&provider.user_tokens().await);
    assert_eq!(
        provider
            .get_with_token("/protected", &access)
            .await
            .status(),
        StatusCode::OK
    );
    let response = provider.revoke(&access).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let protected = provider.get_with_token("/protected", &access).await;
    assert_eq!(protected.status(), StatusCode::UNAUTHORIZED);
    let challenge = header_value(&protected, "www-authenticate").expect("a challenge");
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert!(!provider.is_active(&access).await);
}

#[tokio::test]
async fn revoking_a_refresh_token_kills_its_grants_access_tokens_too() {
    let provider = spawn_provider().await;
    let (first_access, first_refresh) = token_pair(&provider.user_tokens().await);
    let rotated = provider
        .refresh(&first_refresh)
        .await
        .json::<shared::token::TokenResponse>()
        .await
        .expect("a token response");
    let (access, refresh) = token_pair(&rotated);
    let response = provider
        .post_as_client(
            "/oauth/revoke",
            &[("token", &refresh), ("token_type_hint", "refresh_token")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    for token in [&access, &refresh, &first_access] {
        assert!(!provider.is_active(token).await);
    }
    let protected = provider.get_with_token("/protected", &access).await;
    assert_eq!(protected.status(), StatusCode::UNAUTHORIZED);
    let refreshed = provider.refresh(&refresh).await;
    assert_json_error(refreshed, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn revoking_an_unknown_token_is_200() {
    let provider = spawn_provider().await;
    let response = provider.revoke("no-such-token").await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_token_type_hint_is_ignored_and_the_token_is_revoked() {
    let provider = spawn_provider().await;
    let (access, _) = token_pair(&provider.user_tokens().await);
    let response = provider
        .post_as_client(
            "/oauth/revoke",
            &[("token", &access), ("token_type_hint", "id_token")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!provider.is_active(&access).await);
}

#[tokio::test]
async fn a_wrong_token_type_hint_still_finds_the_token() {
    let provider = spawn_provider().await;
    let (access, _) = token_pair(&provider.user_tokens().await);
    let response = provider
        .post_as_client(
            "/oauth/revoke",
            &[("token", &access), ("token_type_hint", "refresh_token")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!provider.is_active(&access).await);
}

#[tokio::test]
async fn a_revocation_without_token_is_invalid_request() {
    let provider = spawn_provider().await;
    let response = provider
        .post_as_client("/oauth/revoke", &[("token_type_hint", "access_token")])
        .await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn a_revocation_with_bad_client_authentication_is_401_and_revokes_nothing() {
    let provider = spawn_provider().await;
    let (access, _) = token_pair(&provider.user_tokens().await);
    let response = provider
        .api
        .post(provider.url("/oauth/revoke"))
        .basic_auth(CLIENT_ID, Some("wrong-secret"))
        .form(&[("token", access.as_str())])
        .send()
        .await
        .expect("answers");
    assert!(header_value(&response, "www-authenticate").is_some_and(|c| c.starts_with("Basic")));
    assert_json_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let anonymous = provider
        .api
        .post(provider.url("/oauth/revoke"))
        .form(&[("token", access.as_str())])
        .send()
        .await
        .expect("answers");
    assert_json_error(anonymous, StatusCode::UNAUTHORIZED, "invalid_client").await;
    assert!(provider.is_active(&access).await);
}

#[tokio::test]
async fn a_token_of_another_client_is_refused_with_unauthorized_client_and_not_revoked() {
    let provider = spawn_provider().await;
    let (spa_access, spa_refresh) = token_pair(&provider.public_client_tokens().await);
    for token in [&spa_access, &spa_refresh] {
        let response = provider.revoke(token).await;
        assert_json_error(response, StatusCode::BAD_REQUEST, "unauthorized_client").await;
    }
    assert!(provider.is_active(&spa_access).await);
    assert!(provider.is_active(&spa_refresh).await);

    let (access, _) = token_pair(&provider.user_tokens().await);
    let by_spa = provider
        .api
        .post(provider.url("/oauth/revoke"))
        .form(&[("token", access.as_str()), ("client_id", PUBLIC_CLIENT_ID)])
        .send()
        .await
        .expect("answers");
    assert_json_error(by_spa, StatusCode::BAD_REQUEST, "unauthorized_client").await;
    assert!(provider.is_active(&access).await);
}

#[tokio::test]
async fn the_public_client_revokes_its_own_token_with_its_client_id_only() {
    let provider = spawn_provider().await;
    let (access, refresh) = token_pair(&provider.public_client_tokens().await);
    let response = provider
        .api
        .post(provider.url("/oauth/revoke"))
        .form(&[("token", refresh.as_str()), ("client_id", PUBLIC_CLIENT_ID)])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!provider.is_active(&refresh).await);
    assert!(
        !provider.is_active(&access).await,
        "the grant's access token died with it"
    );
}

#[tokio::test]
async fn a_revoked_client_credentials_token_is_refused() {
    let provider = spawn_provider().await;
    let tokens = provider.client_token(None).await;
    let token = tokens.access_token.expose();
    assert_eq!(provider.revoke(token).await.status(), StatusCode::OK);
    let response = provider.get_with_token("/resource", token).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_revocation_body_that_is_not_a_form_or_repeats_a_parameter_is_invalid_request() {
    let provider = spawn_provider().await;
    let (access, _) = token_pair(&provider.user_tokens().await);
    let json = provider
        .api
        .post(provider.url("/oauth/revoke"))
        .basic_auth(CLIENT_ID, Some(testkit::CLIENT_SECRET))
        .header("content-type", "application/json")
        .body(format!(r#"{{"token":"{access}"}}"#))
        .send()
        .await
        .expect("answers");
    assert_json_error(json, StatusCode::BAD_REQUEST, "invalid_request").await;
    let repeated = provider
        .api
        .post(provider.url("/oauth/revoke"))
        .basic_auth(CLIENT_ID, Some(testkit::CLIENT_SECRET))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={access}&token=other"))
        .send()
        .await
        .expect("answers");
    assert_json_error(repeated, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert!(provider.is_active(&access).await, "nothing was revoked");
}
