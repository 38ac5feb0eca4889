//! The flow inspector (`/flow`) narrates the notes API's traffic: the token request for it
//! (RFC 8707 §2.2) with the token decoded as the API will read it (RFC 9068: header and
//! claims, the signature masked), each call with the API's checks in order, beside the
//! opaque token's introspection; and the discovery from the API alone (RFC 9728 §5).

use testkit::apps::{base_url, spawn_api_on};
use testkit::{Browser, Page, TestApps, free_listener, spawn_with};

/// The provider (with `provider_env`), the notes API and the client, each on a free port.
async fn apps_with_the_notes_api(provider_env: &[(&str, &str)]) -> (TestApps, String) {
    let api_listener = free_listener();
    let api_url = base_url(&api_listener, "127.0.0.1");
    let mut provider = vec![("API_URL", api_url.as_str())];
    provider.extend_from_slice(provider_env);
    let apps = spawn_with(&provider, &[("API_URL", &api_url)]).await;
    spawn_api_on(api_listener, &apps.provider, &[]);
    (apps, api_url)
}

/// Signs in (which lists the notes with the API's token), then opens `/flow`.
async fn flow_after_sign_in(apps: &TestApps) -> Page {
    let browser = Browser::new();
    let home = apps.log_in(&browser).await;
    home.assert_contains("No notes yet");
    browser.get(&apps.client_url("/flow")).await
}

/// Whether `text` holds a whole compact JWS (`eyJ….eyJ….…`): a raw JWT, not a masked one.
fn holds_a_raw_jwt(text: &str) -> bool {
    let base64url = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    text.match_indices("eyJ").any(|(start, _)| {
        let rest = &text[start..];
        let mut parts = rest.splitn(3, '.');
        let header = parts.next().unwrap_or_default();
        let claims = parts.next().unwrap_or_default();
        header.len() > 10
            && header.chars().all(base64url)
            && claims.starts_with("eyJ")
            && claims.len() > 10
            && claims.chars().all(base64url)
    })
}

#[tokio::test]
async fn the_inspector_shows_the_notes_apis_jwt_decoded_with_aud_the_api_and_the_apis_checks_in_order()
 {
    let (apps, api_url) = apps_with_the_notes_api(&[]).await;
    let flow = flow_after_sign_in(&apps).await;

    flow.assert_contains("Token for the notes API (RFC 8707 resource)");
    flow.assert_contains("client/src/oauth/resource_token.rs");
    flow.assert_contains("A JWT access token (RFC 9068, typ at+jwt)");
    flow.assert_contains(r#"header: {"alg":"#);
    flow.assert_contains(r#""typ":"at+jwt""#);
    flow.assert_contains(&format!(r#""aud":"{api_url}""#));
    flow.assert_contains(&format!(
        "aud = \"{api_url}\": the notes API's resource identifier (API_URL)"
    ));
    flow.assert_contains("signature: ••••••••");

    flow.assert_contains("Notes API: GET /notes (scope notes:read)");
    for (number, check) in [
        (1, "Parse"),
        (2, "Type: typ is at+jwt"),
        (3, "Algorithm"),
        (4, "Key"),
        (5, "Signature"),
        (6, "Claims"),
        (7, "Issuer"),
        (8, "Audience: aud contains API_URL"),
        (9, "Lifetime"),
        (10, "Scope: the token carries notes:read ✓"),
    ] {
        flow.assert_contains(&format!("{number}. {check}"));
    }
    flow.assert_contains("api/src/access_token.rs · validate");
    flow.assert_contains("api/src/bearer.rs");
    assert!(
        !holds_a_raw_jwt(&flow.body),
        "no raw token anywhere in the page: {}",
        flow.body
    );
}

#[tokio::test]
async fn with_opaque_api_tokens_the_inspector_shows_the_apis_introspection_checks_instead() {
    let (apps, _) = apps_with_the_notes_api(&[("API_ACCESS_TOKEN_FORMAT", "opaque")]).await;
    let flow = flow_after_sign_in(&apps).await;

    flow.assert_contains("Token for the notes API (RFC 8707 resource)");
    flow.assert_contains("An opaque access token (API_ACCESS_TOKEN_FORMAT=opaque)");
    flow.assert_contains("Notes API: GET /notes (scope notes:read)");
    flow.assert_contains("posts it to the provider's introspection endpoint");
    flow.assert_contains("1. Active: active is true");
    flow.assert_contains("4. Audience: aud contains API_URL");
    flow.assert_contains("api/src/introspection.rs · validate");
    assert!(!flow.body.contains("A JWT access token"), "{}", flow.body);
}

#[tokio::test]
async fn the_discovery_from_the_api_alone_is_recorded_as_numbered_inspector_steps() {
    let (apps, api_url) = apps_with_the_notes_api(&[]).await;
    let browser = Browser::new();
    apps.log_in(&browser).await;
    let page = browser.get(&apps.client_url("/discover")).await;
    page.assert_contains("Found: the authorization server");

    let flow = browser.get(&apps.client_url("/flow")).await;
    flow.assert_contains("From the API alone, 1: The API without a token");
    flow.assert_contains(&format!("GET {api_url}/notes"));
    flow.assert_contains("From the API alone, 2: The protected resource metadata");
    flow.assert_contains("From the API alone, 3: The authorization server");
    flow.assert_contains(&format!("authorization server: {}", apps.provider));
    flow.assert_contains("client/src/resource_discovery.rs");
}
