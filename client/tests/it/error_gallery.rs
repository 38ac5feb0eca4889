//! `/errors`: each error the provider can answer, triggered for real, with the wire
//! response, the cause and the fix; nothing secret on the page.

use reqwest::StatusCode;

use crate::lab::{assert_no_secret_on, card_text};
use testkit::{Browser, TestApps, spawn_provider_and_client, spawn_with};

/// Opens `/errors`, presses entry `id`'s button, answers the entry's text.
async fn trigger(apps: &TestApps, id: &str) -> String {
    let browser = Browser::new();
    let gallery = browser.get(&apps.client_url("/errors")).await;
    assert_eq!(gallery.status, StatusCode::OK, "{}", gallery.body);
    let page = apps
        .submit(&browser, &gallery, &format!("/errors/{id}"), &[])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_no_secret_on(&page);
    let entry = card_text(&page, id);
    assert!(
        !entry.contains("could not trigger it"),
        "entry {id} failed:\n{entry}"
    );
    assert!(
        !entry.contains("That is not the answer this gallery expected"),
        "entry {id}:\n{entry}"
    );
    assert!(entry.contains("Cause:") && entry.contains("Fix:"));
    entry
}

#[tokio::test]
async fn the_gallery_lists_every_error_with_a_post_form() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    let gallery = browser.get(&apps.client_url("/errors")).await;
    assert_eq!(gallery.status, StatusCode::OK);
    gallery.assert_contains("You are on the CLIENT app");
    for code in [
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
        "access_denied",
        "invalid_token",
        "insufficient_scope",
        "rate_limited",
    ] {
        gallery.assert_contains(&format!(
            "<form method=\"post\" action=\"/errors/{code}#{code}\">"
        ));
    }
    let forged = browser
        .post(
            &apps.client_url("/errors/invalid_grant"),
            &[("csrf_token", "forged")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn invalid_request_a_json_body_at_the_token_endpoint() {
    let apps = spawn_provider_and_client().await;
    let entry = trigger(&apps, "invalid_request").await;
    assert!(
        entry.contains("The provider answered HTTP 400 <code>invalid_request</code>"),
        "{entry}"
    );
    assert!(
        entry.contains("application/x-www-form-urlencoded"),
        "{entry}"
    );
    assert!(entry.contains("content-type: application/json"), "{entry}");
}

#[tokio::test]
async fn invalid_client_a_wrong_secret_is_401_with_a_basic_challenge() {
    let apps = spawn_provider_and_client().await;
    let entry = trigger(&apps, "invalid_client").await;
    assert!(
        entry.contains("The provider answered HTTP 401 <code>invalid_client</code>"),
        "{entry}"
    );
    assert!(entry.contains("www-authenticate: Basic"), "{entry}");
    assert!(
        entry.contains("testclient:[14 characters, hidden]"),
        "the wrong secret is hidden whole too: {entry}"
    );
}

#[tokio::test]
async fn invalid_grant_a_code_the_provider_never_issued() {
    let apps = spawn_provider_and_client().await;
    let entry = trigger(&apps, "invalid_grant").await;
    assert!(
        entry.contains("The provider answered HTTP 400 <code>invalid_grant</code>"),
        "{entry}"
    );
    assert!(
        entry.contains("the authorization code is not valid"),
        "{entry}"
    );
}

#[tokio::test]
async fn unauthorized_client_the_public_client_asking_for_client_credentials() {
    let apps = spawn_provider_and_client().await;
    let entry = trigger(&apps, "unauthorized_client").await;
    assert!(
        entry.contains("The provider answered HTTP 400 <code>unauthorized_client</code>"),
        "{entry}"
    );
    assert!(
        entry.contains("this client may not use the client_credentials grant"),
        "{entry}"
    );
    assert!(entry.contains("client_id=spa-client"), "{entry}");
}

#[tokio::test]
async fn unsupported_grant_type_the_password_grant() {
    let apps = spawn_provider_and_client().await;
    let entry = trigger(&apps, "unsupported_grant_type").await;
    assert!(
        entry.contains("The provider answered HTTP 400 <code>unsupported_grant_type</code>"),
        "{entry}"
    );
    assert!(entry.contains("grant_type=password"), "{entry}");
    assert!(entry.contains("password=(not shown)"), "{entry}");
}

#[tokio::test]
async fn invalid_scope_an_unknown_scope() {
    let apps = spawn_provider_and_client().await;
    let entry = trigger(&apps, "invalid_scope").await;
    assert!(
        entry.contains("The provider answered HTTP 400 <code>invalid_scope</code>"),
        "{entry}"
    );
    assert!(entry.contains("admin:everything"), "{entry}");
}

#[tokio::test]
async fn access_denied_a_real_flow_denied_at_the_consent_page() {
    let apps = spawn_provider_and_client().await;
    let entry = trigger(&apps, "access_denied").await;
    assert!(
        entry.contains("The provider answered HTTP 303 <code>access_denied</code>"),
        "{entry}"
    );
    assert!(entry.contains("error=access_denied"), "{entry}");
    assert!(
        entry.contains("state echoed exactly as sent: true"),
        "{entry}"
    );
    assert!(
        entry.contains(&format!("iss = {}", apps.provider)),
        "{entry}"
    );
}

#[tokio::test]
async fn invalid_token_an_unknown_bearer_token_is_401_with_a_bearer_challenge() {
    let apps = spawn_provider_and_client().await;
    let entry = trigger(&apps, "invalid_token").await;
    assert!(
        entry.contains("The provider answered HTTP 401 <code>invalid_token</code>"),
        "{entry}"
    );
    assert!(
        entry.contains("www-authenticate: Bearer realm=")
            && entry.contains("error=\"invalid_token\""),
        "{entry}"
    );
}

#[tokio::test]
async fn insufficient_scope_a_teams_token_calling_the_profile_is_403_naming_the_scope() {
    let apps = spawn_provider_and_client().await;
    let entry = trigger(&apps, "insufficient_scope").await;
    assert!(
        entry.contains("The provider answered HTTP 403 <code>insufficient_scope</code>"),
        "{entry}"
    );
    assert!(
        entry.contains("error=\"insufficient_scope\", scope=\"profile:read\""),
        "{entry}"
    );
}

#[tokio::test]
async fn rate_limited_a_bounded_burst_meets_429_with_retry_after() {
    let apps = spawn_with(
        &[("RATE_LIMIT", "on"), ("RATE_LIMIT_TOKEN_PER_SECOND", "1")],
        &[],
    )
    .await;
    let entry = trigger(&apps, "rate_limited").await;
    assert!(entry.contains("The provider answered HTTP 429"), "{entry}");
    assert!(entry.contains("rate_limited"), "{entry}");
    assert!(entry.contains("Retry-After:"), "{entry}");
    assert!(entry.contains("RATE_LIMIT_TOKEN_PER_SECOND"), "{entry}");
    // The counts add up: every request sent is counted once, by its answer.
    let number_before = |marker: &str| -> usize {
        let head = &entry[..entry
            .find(marker)
            .unwrap_or_else(|| panic!("{marker}: {entry}"))];
        let digits: String = head
            .chars()
            .rev()
            .skip_while(|c| *c == ' ')
            .take_while(char::is_ascii_digit)
            .collect();
        digits
            .chars()
            .rev()
            .collect::<String>()
            .parse()
            .expect("a count")
    };
    let sent = number_before("requests sent:");
    let refused = number_before("answered 401 invalid_client");
    let limited = number_before("answered 429");
    assert!(limited >= 1, "{entry}");
    assert_eq!(refused + limited, sent, "{entry}");
    // After the burst, this app's real client still gets tokens.
    let browser = Browser::new();
    let home = apps.log_in(&browser).await;
    home.assert_contains("Signed in");
}

#[tokio::test]
async fn with_rate_limits_off_the_burst_stops_and_says_why() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    let gallery = browser.get(&apps.client_url("/errors")).await;
    let page = apps
        .submit(&browser, &gallery, "/errors/rate_limited", &[])
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let entry = card_text(&page, "rate_limited");
    assert!(
        entry.contains("No 429 after 300 requests: the provider runs with RATE_LIMIT=off"),
        "{entry}"
    );
}
