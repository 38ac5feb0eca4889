//! RFC 6749 §4.1.1–4.1.2.1 and RFC 9207: the authorization endpoint's checks, in order.
//! Until the client and redirect URI are verified, errors are pages; after, redirects.

use reqwest::StatusCode;

use testkit::{
    AuthorizationRequest, REDIRECT_URI, assert_redirected_with_error, location, new_browser,
    query_param, spawn_provider,
};

async fn assert_error_page_without_redirect(request: AuthorizationRequest) {
    let provider = spawn_provider().await;
    let response = provider.start_authorization(&new_browser(), &request).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response.headers().get("location").is_none(),
        "never a redirect"
    );
    let html = response.text().await.expect("a page");
    assert!(
        html.contains("cannot be trusted"),
        "an error page explains: {html}"
    );
}

#[tokio::test]
async fn unknown_client_sees_an_error_page_and_is_not_redirected() {
    assert_error_page_without_redirect(AuthorizationRequest {
        client_id: Some("nobody".into()),
        ..AuthorizationRequest::default()
    })
    .await;
}

#[tokio::test]
async fn missing_client_id_sees_an_error_page() {
    assert_error_page_without_redirect(AuthorizationRequest {
        client_id: None,
        ..AuthorizationRequest::default()
    })
    .await;
}

#[tokio::test]
async fn a_redirect_uri_that_is_not_an_exact_match_is_never_redirected_to() {
    for near_miss in [
        "http://localhost:3000/callback/",
        "http://localhost:3000/callback?next=/evil",
        "http://localhost:3000/callbac",
        "http://evil.example/callback",
        "http://localhost:3000/callback/../evil",
        "https://localhost:3000/callback",
    ] {
        assert_error_page_without_redirect(AuthorizationRequest {
            redirect_uri: Some(near_miss.into()),
            // Even a request that is wrong in other ways must not be redirected.
            response_type: Some("token".into()),
            ..AuthorizationRequest::default()
        })
        .await;
    }
}

#[tokio::test]
async fn a_repeated_client_id_or_redirect_uri_is_an_error_page() {
    for name in ["client_id", "redirect_uri"] {
        let value = if name == "client_id" {
            "testclient"
        } else {
            REDIRECT_URI
        };
        assert_error_page_without_redirect(AuthorizationRequest {
            extra: vec![(name.into(), value.into())],
            ..AuthorizationRequest::default()
        })
        .await;
    }
}

#[tokio::test]
async fn an_omitted_redirect_uri_means_the_single_registered_one() {
    let provider = spawn_provider().await;
    let request = AuthorizationRequest {
        redirect_uri: None,
        ..AuthorizationRequest::default()
    };
    let redirect = provider.authorize(&request).await;
    assert!(redirect.location.starts_with(REDIRECT_URI));
    assert!(redirect.param("code").is_some());
}

#[tokio::test]
async fn a_response_type_other_than_code_is_redirected_as_unsupported_response_type() {
    let provider = spawn_provider().await;
    let request = AuthorizationRequest {
        response_type: Some("token".into()),
        ..AuthorizationRequest::default()
    };
    let response = provider.start_authorization(&new_browser(), &request).await;
    assert_redirected_with_error(&response, "unsupported_response_type", &provider.issuer);
}

#[tokio::test]
async fn a_missing_response_type_is_redirected_as_invalid_request() {
    let provider = spawn_provider().await;
    let request = AuthorizationRequest {
        response_type: None,
        ..AuthorizationRequest::default()
    };
    let response = provider.start_authorization(&new_browser(), &request).await;
    assert_redirected_with_error(&response, "invalid_request", &provider.issuer);
}

#[tokio::test]
async fn an_unknown_scope_is_redirected_as_invalid_scope_with_state_and_iss() {
    let provider = spawn_provider().await;
    let request = AuthorizationRequest {
        scope: Some("profile:read admin:everything".into()),
        ..AuthorizationRequest::default()
    };
    let response = provider.start_authorization(&new_browser(), &request).await;
    assert_redirected_with_error(&response, "invalid_scope", &provider.issuer);
    assert_eq!(
        query_param(&location(&response), "state").as_deref(),
        Some("state-123")
    );
}

#[tokio::test]
async fn any_other_repeated_parameter_is_redirected_as_invalid_request() {
    let provider = spawn_provider().await;
    let request = AuthorizationRequest {
        extra: vec![("scope".into(), "teams:write".into())],
        ..AuthorizationRequest::default()
    };
    let response = provider.start_authorization(&new_browser(), &request).await;
    assert_redirected_with_error(&response, "invalid_request", &provider.issuer);
}

#[tokio::test]
async fn unknown_parameters_are_ignored() {
    let provider = spawn_provider().await;
    let request = AuthorizationRequest {
        extra: vec![
            ("nonce".into(), "n".into()),
            ("prompt".into(), "login".into()),
        ],
        ..AuthorizationRequest::default()
    };
    let response = provider.start_authorization(&new_browser(), &request).await;
    assert_eq!(response.status(), StatusCode::OK, "the login page is shown");
}

#[tokio::test]
async fn state_is_echoed_exactly_as_sent_on_success_and_on_error() {
    let provider = spawn_provider().await;
    let tricky = "a b+c/d?e=f&g%h~!*'()[]{}<>\"";
    let success = provider
        .authorize(&AuthorizationRequest {
            state: Some(tricky.into()),
            ..AuthorizationRequest::default()
        })
        .await;
    assert_eq!(success.param("state").as_deref(), Some(tricky));
    let error = provider
        .start_authorization(
            &new_browser(),
            &AuthorizationRequest {
                state: Some(tricky.into()),
                scope: Some("nope".into()),
                ..AuthorizationRequest::default()
            },
        )
        .await;
    assert_eq!(
        query_param(&location(&error), "state").as_deref(),
        Some(tricky)
    );
}

#[tokio::test]
async fn success_redirects_with_code_state_and_iss() {
    let provider = spawn_provider().await;
    let redirect = provider.authorize(&AuthorizationRequest::default()).await;
    assert!(redirect.location.starts_with(&format!("{REDIRECT_URI}?")));
    let code = redirect.param("code").expect("a code");
    assert_eq!(code.len(), 43, "256 bits, base64url without padding");
    assert_eq!(redirect.param("state").as_deref(), Some("state-123"));
    assert_eq!(
        redirect.param("iss").as_deref(),
        Some(provider.issuer.as_str())
    );
}

#[tokio::test]
async fn a_request_with_no_scope_is_granted_profile_read() {
    let provider = spawn_provider().await;
    let request = AuthorizationRequest {
        scope: None,
        ..AuthorizationRequest::default()
    };
    let code = provider
        .authorize(&request)
        .await
        .param("code")
        .expect("a code");
    let tokens: shared::token::TokenResponse = provider
        .exchange_code(&code)
        .await
        .json()
        .await
        .expect("tokens");
    assert_eq!(tokens.scope, "profile:read");
}

#[tokio::test]
async fn a_whitespace_only_scope_is_redirected_as_invalid_scope() {
    let provider = spawn_provider().await;
    // (`scope=` with no value is omitted, RFC 6749 §3.1, so it gets the default.)
    for blank in [" ", "   ", "\t"] {
        let request = AuthorizationRequest {
            scope: Some(blank.into()),
            ..AuthorizationRequest::default()
        };
        let response = provider.start_authorization(&new_browser(), &request).await;
        assert_redirected_with_error(&response, "invalid_scope", &provider.issuer);
    }
}
