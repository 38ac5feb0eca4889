//! `HEAD` answers wherever `GET` does (RFC 9110 §9.3.2): the same status and headers, no
//! body. Link checkers, monitors and some proxies send it.

use reqwest::StatusCode;

use testkit::{Browser, spawn_provider_and_client};

#[tokio::test]
async fn head_answers_wherever_get_does_with_no_body() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    apps.log_in(&browser).await;
    for path in [
        "/",
        "/flow",
        "/spa",
        "/static/style.css",
        "/static/client.js",
    ] {
        let url = apps.client_url(path);
        let get = browser.http.get(&url).send().await.expect("answers");
        let head = browser.http.head(&url).send().await.expect("answers");
        assert_eq!(head.status(), get.status(), "{path}");
        assert_eq!(head.status(), StatusCode::OK, "{path}");
        assert_eq!(
            head.headers().get("content-type"),
            get.headers().get("content-type"),
            "{path}"
        );
        assert!(head.bytes().await.expect("a response").is_empty(), "{path}");
    }
    // The connection is still in step after those HEADs, and the session still works.
    let home = apps.home(&browser).await;
    home.assert_contains("Log out");
}

#[tokio::test]
async fn every_page_names_an_icon_the_client_serves_so_no_browser_asks_for_a_missing_one() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    let home = apps.home(&browser).await;
    home.assert_contains(r#"<link rel="icon" href="/static/favicon.svg""#);
    for path in ["/static/favicon.svg", "/favicon.ico"] {
        let icon = browser
            .http
            .get(apps.client_url(path))
            .send()
            .await
            .expect("answers");
        assert_eq!(icon.status(), StatusCode::OK, "{path}");
        assert_eq!(
            icon.headers()
                .get("content-type")
                .and_then(|value| value.to_str().ok()),
            Some("image/svg+xml"),
            "{path}"
        );
    }
}
