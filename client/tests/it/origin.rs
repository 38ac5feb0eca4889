//! One origin: the redirect URI's. A request for another host name is redirected there
//! first, or the session cookie made at `/login` would be missing at `/callback`.

use reqwest::StatusCode;

use testkit::{Browser, spawn_provider_and_client};

#[tokio::test]
async fn a_request_for_another_host_name_is_redirected_to_the_redirect_uris_origin() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    let port = apps.client.rsplit(':').next().expect("a port");
    let response = browser
        .http
        .get(apps.client_url("/login?add_scope=teams%3Awrite"))
        .header("host", format!("localhost:{port}"))
        .send()
        .await
        .expect("the client answers");
    assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
    let location = response.headers()["location"].to_str().expect("ASCII");
    assert_eq!(location, apps.client_url("/login?add_scope=teams%3Awrite"));
    assert!(
        response.headers().get("set-cookie").is_none(),
        "no session is started on the wrong origin"
    );
}
