//! DNS rebinding (README, "Security choices"): a page on `evil.example` points its own name at
//! 127.0.0.1 and drives the provider from the victim's browser; only the `Host` header gives
//! it away. The provider answers to its issuer's host, the loopback names and
//! `ALLOWED_HOSTS`, and refuses any other `Host` with 421 and a page saying why.

use reqwest::StatusCode;

use testkit::{
    AuthorizationRequest, CLIENT_ID, CLIENT_SECRET, TestProvider, spawn_provider,
    spawn_provider_with, token_pair,
};

/// The provider's port, which a rebinding page keeps: only the name changes.
fn port_of(provider: &TestProvider) -> u16 {
    url::Url::parse(&provider.base)
        .ok()
        .and_then(|url| url.port())
        .expect("the test provider has a port")
}

/// GET `path` naming `host` in the `Host` header.
async fn get_as(provider: &TestProvider, host: &str, path: &str) -> reqwest::Response {
    provider
        .api
        .get(provider.url(path))
        .header("host", host)
        .send()
        .await
        .expect("the provider answers")
}

async fn assert_misdirected(response: reqwest::Response, what: &str) {
    assert_eq!(response.status(), StatusCode::MISDIRECTED_REQUEST, "{what}");
    let page = response.text().await.expect("a body");
    assert!(page.contains("DNS-rebinding"), "{what}: {page}");
    assert!(page.contains("ALLOWED_HOSTS"), "{what}: {page}");
}

#[tokio::test]
async fn a_rebinding_host_is_refused_with_421_on_a_page_the_token_endpoint_and_the_api() {
    let provider = spawn_provider().await;
    let evil = format!("evil.example:{}", port_of(&provider));
    let (access, _) = token_pair(&provider.user_tokens().await);

    let query = AuthorizationRequest::default().query();
    let page = get_as(&provider, &evil, &format!("/oauth/authorize?{query}")).await;
    assert_misdirected(page, "the authorization page").await;

    let token = provider
        .api
        .post(provider.url("/oauth/token"))
        .header("host", &evil)
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("answers");
    assert_misdirected(token, "the token endpoint").await;

    let api = provider
        .api
        .get(provider.url("/api/auth/me"))
        .header("host", &evil)
        .bearer_auth(&access)
        .send()
        .await
        .expect("answers");
    assert_misdirected(api, "the API, even with a valid token").await;

    let account = get_as(&provider, &evil, "/account").await;
    assert_misdirected(account, "the account page").await;
}

#[tokio::test]
async fn the_loopback_names_are_answered_on_any_port() {
    let provider = spawn_provider().await;
    let port = port_of(&provider);
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        "LOCALHOST".to_owned(),
    ] {
        let response = get_as(&provider, &host, "/public").await;
        assert_eq!(response.status(), StatusCode::OK, "{host}");
    }
}

#[tokio::test]
async fn the_issuers_host_is_answered_on_the_issuers_port_only() {
    let provider = spawn_provider_with(&[("ISSUER", "http://auth.test:8443")]).await;
    let ok = get_as(&provider, "auth.test:8443", "/public").await;
    assert_eq!(ok.status(), StatusCode::OK);
    let metadata = get_as(
        &provider,
        "auth.test:8443",
        "/.well-known/oauth-authorization-server",
    )
    .await;
    assert_eq!(metadata.status(), StatusCode::OK);
    let other_port = get_as(&provider, "auth.test:8444", "/public").await;
    assert_misdirected(other_port, "the issuer's name on another port").await;
}

#[tokio::test]
async fn allowed_hosts_adds_names_the_provider_answers_to() {
    let provider = spawn_provider_with(&[("ALLOWED_HOSTS", "intranet.test,auth.corp:9000")]).await;
    let port = port_of(&provider);
    let by_name = get_as(&provider, &format!("intranet.test:{port}"), "/public").await;
    assert_eq!(by_name.status(), StatusCode::OK);
    let with_port = get_as(&provider, "auth.corp:9000", "/public").await;
    assert_eq!(with_port.status(), StatusCode::OK);
    let wrong_port = get_as(&provider, "auth.corp:9001", "/public").await;
    assert_misdirected(wrong_port, "an allowed name on a port it does not name").await;
    let evil = get_as(&provider, &format!("evil.example:{port}"), "/public").await;
    assert_misdirected(evil, "a name not in the list").await;
}
