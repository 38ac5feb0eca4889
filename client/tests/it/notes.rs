//! The notes API (`API_URL`), a resource server that is not the provider: the client asks
//! for a token per resource (RFC 8707 §2.1–2.2) and shows the user's notes on the signed-in
//! page; against a provider without the notes API the page stays up and says so.

use reqwest::StatusCode;
use testkit::apps::{base_url, spawn_api_on};
use testkit::{Browser, TestApps, free_listener, spawn_with};

/// The provider, the notes API and the client, each on a free port; the provider and the
/// client both know the API as `API_URL`. `api_running: false` leaves the port closed.
async fn provider_api_and_client(api_running: bool) -> (TestApps, String) {
    let api_listener = free_listener();
    let api_url = base_url(&api_listener, "127.0.0.1");
    let apps = spawn_with(&[("API_URL", &api_url)], &[("API_URL", &api_url)]).await;
    if api_running {
        spawn_api_on(api_listener, &apps.provider, &[]);
    } else {
        drop(api_listener);
    }
    (apps, api_url)
}

#[tokio::test]
async fn against_a_provider_without_the_notes_api_the_request_names_no_resource_and_the_page_says_so()
 {
    // Today's provider offers no notes: scopes (its metadata's scopes_supported), so the
    // default SCOPES' notes:read and notes:write are not asked for, nor any resource.
    let (apps, _) = provider_api_and_client(true).await;
    let metadata = reqwest::get(apps.provider_url("/.well-known/oauth-authorization-server"))
        .await
        .expect("the provider answers")
        .text()
        .await
        .expect("its metadata");
    let browser = Browser::new();
    let hops = apps.authorize(&browser, "/login", "approve").await;
    if metadata.contains("notes:read") {
        // A provider with the notes API: both resources are named (RFC 8707 §2.1).
        assert_eq!(
            hops.authorization_url.matches("resource=").count(),
            2,
            "{}",
            hops.authorization_url
        );
        return;
    }
    assert!(
        !hops.authorization_url.contains("resource=") && !hops.authorization_url.contains("notes"),
        "{}",
        hops.authorization_url
    );
    let home = apps.finish(&browser, &hops.callback_url).await;
    home.assert_contains("does not offer the notes API");
    home.assert_contains("Signed in");
}

#[tokio::test]
async fn the_authorization_request_names_both_resources_and_the_user_adds_and_reads_a_note_at_the_api()
 {
    let (apps, api_url) = provider_api_and_client(true).await;
    let browser = Browser::new();
    let hops = apps.authorize(&browser, "/login", "approve").await;
    let issuer = url::form_urlencoded::byte_serialize(apps.provider.as_bytes()).collect::<String>();
    let api = url::form_urlencoded::byte_serialize(api_url.as_bytes()).collect::<String>();
    assert!(
        hops.authorization_url
            .contains(&format!("resource={issuer}"))
            && hops.authorization_url.contains(&format!("resource={api}")),
        "RFC 8707 §2.1, both resources: {}",
        hops.authorization_url
    );
    let home = apps.finish(&browser, &hops.callback_url).await;
    home.assert_contains("No notes yet");

    let added = apps
        .submit(
            &browser,
            &home,
            "/notes",
            &[("text", "<b>bring the slides</b>")],
        )
        .await;
    assert_eq!(
        added.redirect_target(StatusCode::SEE_OTHER),
        apps.client_url("/")
    );
    let home = apps.home(&browser).await;
    home.assert_contains("Note added");
    // Shown as text (assert_contains reads the page with its escapes undone), never as
    // markup (the raw body has no `<b>`).
    home.assert_contains("<b>bring the slides</b>");
    assert!(
        !home.body.contains("<b>bring the slides"),
        "escaped: {}",
        home.body
    );
    // The profile, read with the provider's own token, is still there, and that token
    // outlived the refresh that got the notes API's token: the client never had to
    // refresh it (RFC 8707 §2.2, a token per resource, each valid at once).
    home.assert_contains("demo");
    home.assert_contains("0 refresh(es) since login");
}

#[tokio::test]
async fn with_the_notes_api_not_running_the_signed_in_page_stays_up_and_says_to_start_it() {
    let (apps, _) = provider_api_and_client(false).await;
    let browser = Browser::new();
    let home = apps.log_in(&browser).await;
    home.assert_contains("The notes API is not running: start it with `cargo run`.");
    home.assert_contains("Signed in");
}

#[tokio::test]
async fn discovering_from_the_api_alone_follows_the_401_to_its_metadata_then_to_the_providers_metadata()
 {
    let (apps, api_url) = provider_api_and_client(true).await;
    let page = Browser::new().get(&apps.client_url("/discover")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // 1. The 401 and its challenge, 2. RFC 9728 metadata, 3. RFC 8414 metadata.
    page.assert_contains("1. The API without a token");
    page.assert_contains(&format!("GET {api_url}/notes"));
    page.assert_contains("resource_metadata=");
    page.assert_contains("2. The protected resource metadata");
    page.assert_contains(&format!(
        "GET {api_url}/.well-known/oauth-protected-resource"
    ));
    page.assert_contains("3. The authorization server");
    page.assert_contains(&format!(
        "GET {}/.well-known/oauth-authorization-server",
        apps.provider
    ));
    page.assert_contains(&format!(
        "Found: the authorization server {}",
        apps.provider
    ));
    page.assert_contains("href=\"/login\"");
}

#[tokio::test]
async fn discovery_refuses_resource_metadata_whose_resource_is_not_the_api_asked() {
    // The same API under another name: its metadata says 127.0.0.1, the client asked
    // localhost. RFC 9728 §3.3: the resource must be identical, else refused.
    let api_listener = free_listener();
    let port = api_listener.local_addr().expect("bound").port();
    let asked = format!("http://localhost:{port}");
    let apps = spawn_with(&[], &[("API_URL", &asked)]).await;
    spawn_api_on(api_listener, &apps.provider, &[]);
    let page = Browser::new().get(&apps.client_url("/discover")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.assert_contains("Stopped at step 2");
    page.assert_contains("refused (RFC 9728 §3.3)");
    assert!(
        !page.body.contains("Found: the authorization server"),
        "{}",
        page.body
    );
}
