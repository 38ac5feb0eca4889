//! RFC 6749 §4.4 (the client credentials grant), with the token endpoint's general rules
//! that every grant shares: client authentication (§2.3.1), the form body (§3.2), repeated
//! and unknown parameters (§3.1), and §5.2 error bodies.

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use shared::token::TokenResponse;

use testkit::{
    CLIENT_ID, CLIENT_SECRET, TestProvider, assert_json_error, header_value, spawn_provider,
};

/// POST `/oauth/token` with a raw body and content type, authenticated with Basic.
async fn raw_token_request(
    provider: &TestProvider,
    content_type: &str,
    body: &str,
) -> reqwest::Response {
    provider
        .api
        .post(provider.url("/oauth/token"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .header(CONTENT_TYPE, content_type)
        .body(body.to_owned())
        .send()
        .await
        .expect("the provider answers")
}

#[tokio::test]
async fn a_client_token_has_no_refresh_token_and_defaults_to_profile_read() {
    let provider = spawn_provider().await;
    let response = provider
        .token_request(&[("grant_type", "client_credentials")])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "profile:read");
    assert_eq!(body["expires_in"], 3600);
    assert!(body["access_token"].as_str().is_some_and(|t| t.len() >= 22));
}

#[tokio::test]
async fn a_client_may_ask_for_any_scope_it_is_allowed() {
    let provider = spawn_provider().await;
    let tokens = provider
        .client_token(Some("profile:read teams:read teams:write"))
        .await;
    assert_eq!(tokens.scope, "profile:read teams:read teams:write");
    let narrow = provider.client_token(Some("teams:write")).await;
    assert_eq!(narrow.scope, "teams:write");
}

#[tokio::test]
async fn an_unknown_scope_is_invalid_scope() {
    let provider = spawn_provider().await;
    let response = provider
        .token_request(&[("grant_type", "client_credentials"), ("scope", "admin")])
        .await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_scope").await;
}

#[tokio::test]
async fn a_wrong_secret_is_401_invalid_client_with_a_basic_challenge() {
    let provider = spawn_provider().await;
    let response = provider
        .api
        .post(provider.url("/oauth/token"))
        .basic_auth(CLIENT_ID, Some("wrong-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("answers");
    let challenge = header_value(&response, "www-authenticate").expect("a challenge");
    assert!(challenge.starts_with("Basic"), "{challenge}");
    let body = assert_json_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
    assert!(body["error_description"].is_string());
}

#[tokio::test]
async fn an_unknown_client_is_401_invalid_client() {
    let provider = spawn_provider().await;
    let response = provider
        .api
        .post(provider.url("/oauth/token"))
        .basic_auth("nobody", Some(CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("answers");
    assert!(header_value(&response, "www-authenticate").is_some());
    assert_json_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn client_secret_post_works_for_client_credentials() {
    let provider = spawn_provider().await;
    let response = provider
        .api
        .post(provider.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: TokenResponse = response.json().await.expect("a token response");
    assert!(tokens.refresh_token.is_none());
}

#[tokio::test]
async fn basic_and_client_secret_post_at_once_is_invalid_request() {
    let provider = spawn_provider().await;
    let response = provider
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ])
        .await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn a_request_without_client_authentication_is_invalid_client() {
    let provider = spawn_provider().await;
    let response = provider
        .api
        .post(provider.url("/oauth/token"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("answers");
    assert!(header_value(&response, "www-authenticate").is_some_and(|c| c.starts_with("Basic")));
    assert_json_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn the_public_client_may_not_use_client_credentials() {
    let provider = spawn_provider().await;
    let response = provider
        .public_token_request(&[("grant_type", "client_credentials")])
        .await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "unauthorized_client").await;
}

#[tokio::test]
async fn an_unknown_grant_type_is_unsupported_grant_type() {
    let provider = spawn_provider().await;
    let response = provider.token_request(&[("grant_type", "password")]).await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "unsupported_grant_type").await;
}

#[tokio::test]
async fn a_missing_grant_type_is_invalid_request() {
    let provider = spawn_provider().await;
    let response = provider.token_request(&[("scope", "profile:read")]).await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn a_json_body_is_400_invalid_request_not_415() {
    let provider = spawn_provider().await;
    let response = raw_token_request(
        &provider,
        "application/json",
        r#"{"grant_type":"client_credentials"}"#,
    )
    .await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn a_multipart_body_is_400_invalid_request_not_415() {
    let provider = spawn_provider().await;
    let body = "--XBOUNDARY\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\n\
                client_credentials\r\n--XBOUNDARY--\r\n";
    let response =
        raw_token_request(&provider, "multipart/form-data; boundary=XBOUNDARY", body).await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn a_text_body_or_none_is_400_invalid_request_not_415() {
    let provider = spawn_provider().await;
    let response =
        raw_token_request(&provider, "text/plain", "grant_type=client_credentials").await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    let no_type = provider
        .api
        .post(provider.url("/oauth/token"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .body("grant_type=client_credentials")
        .send()
        .await
        .expect("answers");
    assert_json_error(no_type, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn a_repeated_parameter_is_invalid_request() {
    let provider = spawn_provider().await;
    let response = raw_token_request(
        &provider,
        "application/x-www-form-urlencoded",
        "grant_type=client_credentials&scope=profile%3Aread&scope=teams%3Aread",
    )
    .await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn unknown_parameters_are_ignored() {
    let provider = spawn_provider().await;
    let response = provider
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("audience", "https://elsewhere.example"),
            ("color", "blue"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_client_token_opens_protected_and_resource_in_the_clients_name() {
    let provider = spawn_provider().await;
    let tokens = provider.client_token(None).await;
    for path in ["/protected", "/resource"] {
        let response = provider
            .get_with_token(path, tokens.access_token.expose())
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let body: serde_json::Value = response.json().await.expect("JSON");
        assert_eq!(body["accessed_by"], CLIENT_ID, "{path}");
        assert!(body["message"].is_string());
    }
}

#[tokio::test]
async fn a_client_token_has_no_user_so_the_profile_endpoint_refuses_it() {
    let provider = spawn_provider().await;
    let tokens = provider.client_token(Some("profile:read")).await;
    let response = provider
        .get_with_token("/api/auth/me", tokens.access_token.expose())
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = header_value(&response, "www-authenticate").expect("a challenge");
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
}

#[tokio::test]
async fn basic_credentials_are_form_urlencoded_before_base64_as_rfc_6749_2_3_1_says() {
    let secret = "s e:c%ret/+";
    let provider = testkit::spawn_provider_with(&[("CLIENT_SECRET", secret)]).await;
    let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let response = provider
        .api
        .post(provider.url("/oauth/token"))
        .basic_auth(CLIENT_ID, Some(encoded))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    let in_form = provider
        .api
        .post(provider.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", secret),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(in_form.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_whitespace_only_scope_is_invalid_scope_not_every_scope() {
    let provider = spawn_provider().await;
    for blank in [" ", "  "] {
        let response = provider
            .token_request(&[("grant_type", "client_credentials"), ("scope", blank)])
            .await;
        assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_scope").await;
    }
}
