//! `HEAD` answers wherever `GET` does (RFC 9110 §9.3.2): the same status and headers, no
//! body. Link checkers, monitors and some proxies send it.

use reqwest::StatusCode;

use crate::helpers::{Browser, spawn_provider_and_client};

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
