//! Settings that follow another one (docs/workshop.md, "a port is taken"): moving the client
//! to another port is one key, `REDIRECT_URI`; the public client's redirect URI and the CORS
//! origins follow it at the provider unless they are set, exactly as the client derives them.

use reqwest::StatusCode;
use reqwest::header::ORIGIN;

use testkit::{AuthorizationRequest, PUBLIC_CLIENT_ID, new_browser, spawn_provider_with};

const MOVED_REDIRECT_URI: &str = "http://localhost:4000/callback";
const MOVED_ORIGIN: &str = "http://localhost:4000";

#[tokio::test]
async fn with_only_redirect_uri_moved_the_spa_can_still_start_its_flow_and_pass_cors() {
    let provider = spawn_provider_with(&[("REDIRECT_URI", MOVED_REDIRECT_URI)]).await;

    // The public client's authorization request, with the redirect URI the client derives.
    let request = AuthorizationRequest {
        client_id: Some(PUBLIC_CLIENT_ID.into()),
        redirect_uri: Some(format!("{MOVED_ORIGIN}/spa/callback")),
        ..AuthorizationRequest::default()
    };
    let response = provider.start_authorization(&new_browser(), &request).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the login page, not a refused redirect_uri"
    );

    // The page on the moved origin may call the token endpoint.
    let preflight = provider
        .api
        .request(reqwest::Method::OPTIONS, provider.url("/oauth/token"))
        .header(ORIGIN, MOVED_ORIGIN)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .expect("the provider answers");
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .and_then(|value| value.to_str().ok()),
        Some(MOVED_ORIGIN)
    );
}

#[tokio::test]
async fn an_explicit_public_redirect_uri_still_wins_over_the_derived_one() {
    let provider = spawn_provider_with(&[
        ("REDIRECT_URI", MOVED_REDIRECT_URI),
        ("PUBLIC_REDIRECT_URI", "http://localhost:4000/elsewhere"),
    ])
    .await;
    let request = AuthorizationRequest {
        client_id: Some(PUBLIC_CLIENT_ID.into()),
        redirect_uri: Some(format!("{MOVED_ORIGIN}/spa/callback")),
        ..AuthorizationRequest::default()
    };
    let response = provider.start_authorization(&new_browser(), &request).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
