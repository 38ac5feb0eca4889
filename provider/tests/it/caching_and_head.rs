//! Caches and `HEAD` (RFC 9111 §5.2.2.5 `no-store`; RFC 9110 §9.3.2 `HEAD`). Pages and API answers with user data carry
//! `Cache-Control: no-store`, so no shared or browser cache keeps them; `HEAD` answers
//! wherever `GET` does, with the same status and headers and no body (RFC 9110 §9.3.2).

use reqwest::StatusCode;

use testkit::{
    AuthorizationRequest, TestProvider, header_value, new_browser, spawn_provider, token_pair,
};

fn assert_no_store(response: &reqwest::Response, what: &str) {
    assert_eq!(
        header_value(response, "cache-control").as_deref(),
        Some("no-store"),
        "{what}"
    );
}

#[tokio::test]
async fn the_login_consent_and_account_pages_are_not_stored_by_caches() {
    let provider = spawn_provider().await;
    let browser = new_browser();
    let request = AuthorizationRequest::default();
    let login = provider.start_authorization(&browser, &request).await;
    assert_eq!(login.status(), StatusCode::OK);
    assert_no_store(&login, "the login page");

    let login_html = login.text().await.expect("a body");
    let logged_in = provider
        .log_in(&browser, &login_html, testkit::USERNAME, testkit::PASSWORD)
        .await;
    let consent = provider.follow(&browser, &logged_in).await;
    assert_eq!(consent.status(), StatusCode::OK);
    assert_no_store(&consent, "the consent page");

    let account = browser
        .get(provider.url("/account"))
        .send()
        .await
        .expect("answers");
    assert_eq!(account.status(), StatusCode::OK);
    assert_no_store(&account, "the account page");
}

#[tokio::test]
async fn api_answers_with_user_data_are_not_stored_by_caches() {
    let provider = spawn_provider().await;
    let (access, _) = token_pair(&provider.user_tokens().await);
    for path in [
        "/api/auth/me",
        "/api/user/teams",
        "/api/user/teams/platform/members",
        "/protected",
    ] {
        let response = provider.get_with_token(path, &access).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_no_store(&response, path);
    }
}

/// GET and HEAD of `path`; asserts HEAD has GET's status, content type and no body.
async fn assert_head_like_get(provider: &TestProvider, path: &str, token: Option<&str>) {
    let request = |method: reqwest::Method| {
        let builder = provider.api.request(method, provider.url(path));
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    };
    let get = request(reqwest::Method::GET).send().await.expect("answers");
    let head = request(reqwest::Method::HEAD)
        .send()
        .await
        .expect("answers");
    assert_eq!(head.status(), get.status(), "{path}");
    assert_ne!(head.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
    assert_ne!(head.status(), StatusCode::NOT_FOUND, "{path}");
    assert_eq!(
        header_value(&head, "content-type"),
        header_value(&get, "content-type"),
        "{path}"
    );
    assert!(head.bytes().await.expect("a response").is_empty(), "{path}");
}

#[tokio::test]
async fn head_answers_wherever_get_does_with_no_body() {
    let provider = spawn_provider().await;
    let (access, _) = token_pair(&provider.user_tokens().await);
    let authorize = format!(
        "/oauth/authorize?{}",
        AuthorizationRequest::default().query()
    );
    for path in [
        "/.well-known/oauth-authorization-server",
        "/public",
        "/static/style.css",
        authorize.as_str(),
        "/account",
    ] {
        assert_head_like_get(&provider, path, None).await;
    }
    for path in ["/api/auth/me", "/api/user/teams", "/protected"] {
        assert_head_like_get(&provider, path, Some(&access)).await;
    }
    // The connection is still in step after those HEADs: a body sent by mistake would
    // have been read as the start of the next answer.
    let after = provider.get_with_token("/api/auth/me", &access).await;
    assert_eq!(after.status(), StatusCode::OK);
}

#[tokio::test]
async fn every_page_names_an_icon_the_provider_serves_so_no_browser_asks_for_a_missing_one() {
    let provider = spawn_provider().await;
    let browser = new_browser();
    let login = provider
        .start_authorization(&browser, &AuthorizationRequest::default())
        .await;
    let html = login.text().await.expect("a body");
    assert!(
        html.contains(r#"<link rel="icon" href="/static/favicon.svg""#),
        "{html}"
    );
    // The page's icon, and the one a browser asks for when a page names none.
    for path in ["/static/favicon.svg", "/favicon.ico"] {
        let icon = browser
            .get(provider.url(path))
            .send()
            .await
            .expect("answers");
        assert_eq!(icon.status(), StatusCode::OK, "{path}");
        assert_eq!(
            header_value(&icon, "content-type").as_deref(),
            Some("image/svg+xml"),
            "{path}"
        );
    }
}
