//! RP-Initiated Logout 1.0 at the provider's `end_session_endpoint`: discovery names it
//! (§2.1); a trusted request ends the provider session and sends the browser back to a
//! registered `post_logout_redirect_uri` with `state` (§2, §3); anything that cannot be
//! trusted is an error page without a redirect, or a confirmation page whose form needs its
//! CSRF token. Last, the whole round trip with the real client.

use provider::openid::id_token::{IdTokenFor, sign_id_token};
use provider::openid::keys::{Algorithm, SigningKey};
use reqwest::StatusCode;
use testkit::{
    AuthorizationRequest, Browser, CLIENT_ID, PUBLIC_CLIENT_ID, TestProvider, hidden_input,
    location, query_param, spawn_provider, spawn_with,
};

/// What our client registers by default: `REDIRECT_URI`'s origin + `/logged-out`.
const LOGGED_OUT: &str = "http://localhost:3000/logged-out";

fn openid_request() -> AuthorizationRequest {
    AuthorizationRequest {
        scope: Some("openid profile:read".into()),
        ..AuthorizationRequest::default()
    }
}

/// Signs in `provider.browser` with `openid` and returns the ID token of the code exchange.
async fn sign_in(provider: &TestProvider) -> String {
    let code = provider
        .authorize_in(&provider.browser, &openid_request())
        .await
        .param("code")
        .expect("a code");
    let tokens: serde_json::Value = provider
        .exchange_code(&code)
        .await
        .json()
        .await
        .expect("JSON");
    tokens["id_token"].as_str().expect("an id_token").to_owned()
}

/// Whether the browser is still signed in at the provider: a new authorization request
/// shows the consent page, not the login page.
async fn still_signed_in(provider: &TestProvider) -> bool {
    let page = provider
        .start_authorization(&provider.browser, &openid_request())
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    !page
        .text()
        .await
        .expect("a body")
        .contains("name=\"password\"")
}

/// GET the endpoint with `params`, in the provider's browser.
async fn end_session(provider: &TestProvider, params: &[(&str, &str)]) -> reqwest::Response {
    provider
        .browser
        .get(provider.url("/oauth/end_session"))
        .query(params)
        .send()
        .await
        .expect("the provider answers")
}

/// POST the confirmation form with `form`, in the provider's browser.
async fn confirm(provider: &TestProvider, form: &[(&str, String)]) -> reqwest::Response {
    provider
        .browser
        .post(provider.url("/oauth/end_session/confirm"))
        .form(form)
        .send()
        .await
        .expect("answers")
}

/// The refusal of a request that cannot be trusted: an error page (400) naming `parameter`,
/// and no redirect anywhere.
async fn assert_error_page_naming(response: reqwest::Response, parameter: &str) {
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{parameter}");
    assert!(response.headers().get("location").is_none(), "{parameter}");
    let page = response.text().await.expect("a body");
    assert!(page.contains(parameter), "{page}");
}

#[tokio::test]
async fn discovery_and_the_rfc8414_document_name_the_end_session_endpoint() {
    let provider = spawn_provider().await;
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let metadata: serde_json::Value = provider
            .api
            .get(provider.url(path))
            .send()
            .await
            .expect("answers")
            .json()
            .await
            .expect("JSON");
        assert_eq!(
            metadata["end_session_endpoint"],
            format!("{}/oauth/end_session", provider.issuer),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_valid_hint_and_a_registered_uri_end_the_session_and_redirect_back_with_state() {
    let provider = spawn_provider().await;
    let id_token = sign_in(&provider).await;
    assert!(still_signed_in(&provider).await);

    let response = end_session(
        &provider,
        &[
            ("id_token_hint", id_token.as_str()),
            ("post_logout_redirect_uri", LOGGED_OUT),
            ("state", "xyz 1&2"),
            ("ui_locales", "fr"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let back = location(&response);
    assert!(back.starts_with(&format!("{LOGGED_OUT}?")), "{back}");
    assert_eq!(query_param(&back, "state").as_deref(), Some("xyz 1&2"));
    assert!(
        !still_signed_in(&provider).await,
        "the login page is shown again"
    );
}

#[tokio::test]
async fn an_unregistered_post_logout_uri_is_an_error_page_without_a_redirect() {
    let provider = spawn_provider().await;
    let id_token = sign_in(&provider).await;
    for unregistered in [
        "https://evil.example/",
        "http://localhost:3000/logged-out/",
        "http://localhost:3000/logged-out?next=evil",
    ] {
        let response = end_session(
            &provider,
            &[
                ("id_token_hint", id_token.as_str()),
                ("post_logout_redirect_uri", unregistered),
                ("state", "xyz"),
            ],
        )
        .await;
        assert_error_page_naming(response, "post_logout_redirect_uri").await;
    }
    assert!(still_signed_in(&provider).await, "nothing was ended");
}

#[tokio::test]
async fn without_a_hint_the_user_is_asked_and_the_form_works_only_with_its_csrf_token() {
    let provider = spawn_provider().await;
    sign_in(&provider).await;
    let response = end_session(
        &provider,
        &[
            ("client_id", CLIENT_ID),
            ("post_logout_redirect_uri", LOGGED_OUT),
            ("state", "s1"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.expect("a body");
    assert!(page.contains("Sign out of the provider?"), "{page}");
    assert!(still_signed_in(&provider).await, "asking ends nothing");

    let field = |name: &str| hidden_input(&page, name).expect(name);
    let request = [
        ("client_id", field("client_id")),
        (
            "post_logout_redirect_uri",
            field("post_logout_redirect_uri"),
        ),
        ("state", field("state")),
    ];
    for forged in ["", "not-the-token"] {
        let mut form = request.to_vec();
        form.push(("csrf_token", forged.to_owned()));
        let refused = confirm(&provider, &form).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    }
    assert!(
        still_signed_in(&provider).await,
        "a forged form ends nothing"
    );

    let mut form = request.to_vec();
    form.push(("csrf_token", field("csrf_token")));
    let confirmed = confirm(&provider, &form).await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&confirmed), format!("{LOGGED_OUT}?state=s1"));
    assert!(!still_signed_in(&provider).await);
}

#[tokio::test]
async fn a_hint_signed_by_another_key_is_refused_and_ends_nothing() {
    let provider = spawn_provider().await;
    sign_in(&provider).await;
    let foreign = SigningKey::generate(Algorithm::RS256).expect("a key");
    let forged = sign_id_token(
        &foreign,
        &IdTokenFor {
            issuer: &provider.issuer,
            subject: "user1",
            client_id: CLIENT_ID,
            auth_time: 0,
            nonce: None,
            sid: None,
            access_token: "x",
            issued_at: 0,
            expires_at: u64::MAX / 2,
        },
    )
    .expect("signed");
    let response = end_session(
        &provider,
        &[
            ("id_token_hint", forged.as_str()),
            ("post_logout_redirect_uri", LOGGED_OUT),
        ],
    )
    .await;
    assert_error_page_naming(response, "id_token_hint").await;
    assert!(still_signed_in(&provider).await);
}

#[tokio::test]
async fn a_client_id_other_than_the_hints_audience_is_refused() {
    let provider = spawn_provider().await;
    let id_token = sign_in(&provider).await;
    let response = end_session(
        &provider,
        &[
            ("id_token_hint", id_token.as_str()),
            ("client_id", PUBLIC_CLIENT_ID),
        ],
    )
    .await;
    assert_error_page_naming(response, "client_id").await;
    assert!(still_signed_in(&provider).await);
}

#[tokio::test]
async fn a_logout_without_a_session_still_succeeds() {
    let provider = spawn_provider().await;
    let response = end_session(&provider, &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.expect("a body");
    assert!(page.contains("You are signed out"), "{page}");

    let back = end_session(
        &provider,
        &[
            ("client_id", CLIENT_ID),
            ("post_logout_redirect_uri", "http://localhost:3000/"),
            ("state", "s2"),
        ],
    )
    .await;
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&back), "http://localhost:3000/?state=s2");
}

#[tokio::test]
async fn logging_out_at_the_client_ends_the_provider_session_and_lands_on_its_logged_out_page() {
    let apps = spawn_with(&[], &[("SCOPES", "openid profile:read")]).await;
    let browser = Browser::new();
    let home = apps.log_in(&browser).await;

    let out = apps
        .submit(&browser, &home, "/logout", &[])
        .await
        .redirect_target(StatusCode::SEE_OTHER);
    assert!(
        out.starts_with(&apps.provider_url("/oauth/end_session?")),
        "the client sends the browser to the end_session_endpoint: {out}"
    );
    let at_provider = browser.get(&out).await;
    let logged_out = at_provider.redirect_target(StatusCode::SEE_OTHER);
    assert!(
        logged_out.starts_with(&apps.client_url("/logged-out?state=")),
        "the provider sends the browser back to the client: {logged_out}"
    );
    let returned = browser.get(&logged_out).await;
    let home = browser
        .get(&returned.redirect_target(StatusCode::SEE_OTHER))
        .await;
    home.assert_contains("Signed out, here and at the provider");

    let again = browser
        .get(&apps.client_url("/login"))
        .await
        .redirect_target(StatusCode::SEE_OTHER);
    browser
        .get(&again)
        .await
        .assert_contains("name=\"password\"");
}
