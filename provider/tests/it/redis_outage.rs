//! What a client sees when Redis stops under a running provider, and when it comes back
//! (docs/readme/redis.md). Requests that need the store fail fast with 503, never hang and
//! never call a good token invalid; once Redis answers again, so does the provider. Redis
//! here restarts empty (no persistence), so what it held is gone: that fails closed.
//!
//! These tests start a Redis of their own, whatever `TEST_STORE` says.

use std::time::Duration;

use reqwest::{Response, StatusCode};

use testkit::backend::{PrivateRedis, TEST_SESSION_KEY};
use testkit::{
    AuthorizationRequest, TestProvider, assert_json_error, header_value, new_browser,
    spawn_provider_with,
};

/// Far above any answer the provider should give (2 s at most with Redis down): a request
/// that takes this long is hanging, and the test says so instead of hanging CI.
const HANG: Duration = Duration::from_secs(30);

async fn answered(request: impl Future<Output = Response>) -> Response {
    tokio::time::timeout(HANG, request)
        .await
        .expect("the provider answers instead of hanging while Redis is down")
}

async fn client_credentials(provider: &TestProvider) -> Response {
    answered(provider.token_request(&[("grant_type", "client_credentials")])).await
}

/// The login page, in a fresh browser: it needs a new session, so a session write.
async fn login_page(provider: &TestProvider) -> Response {
    let browser = new_browser();
    answered(provider.start_authorization(&browser, &AuthorizationRequest::default())).await
}

#[tokio::test]
async fn while_redis_is_down_tokens_the_api_and_pages_fail_fast_and_all_work_again_when_it_is_back()
{
    let mut redis = PrivateRedis::start();
    let url = redis.url();
    let provider = spawn_provider_with(&[
        ("STORE", url.as_str()),
        ("STORE_PREFIX", "outage:"),
        ("SESSION_KEY", TEST_SESSION_KEY),
    ])
    .await;
    let issued = client_credentials(&provider).await;
    assert_eq!(issued.status(), StatusCode::OK);
    let token: serde_json::Value = issued.json().await.expect("a token response");
    let token = token["access_token"].as_str().expect("a token").to_owned();
    let protected = answered(provider.get_with_token("/protected", &token)).await;
    assert_eq!(protected.status(), StatusCode::OK);

    redis.stop();
    // Twice each: the first request finds the connection dead, the next one waits on the
    // reconnection, and both must answer.
    for _ in 0..2 {
        let refused = client_credentials(&provider).await;
        assert_eq!(
            header_value(&refused, "cache-control").as_deref(),
            Some("no-store")
        );
        assert_json_error(
            refused,
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
        )
        .await;
        let api = answered(provider.get_with_token("/protected", &token)).await;
        assert_eq!(
            api.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "a token that cannot be checked is not called invalid"
        );
        assert!(header_value(&api, "retry-after").is_some());
        let page = login_page(&provider).await;
        assert!(
            page.status().is_server_error(),
            "the login page cannot keep a session: an error page, {}",
            page.status()
        );
    }

    redis.restart();
    let mut statuses = Vec::new();
    for _ in 0..20 {
        let status = client_credentials(&provider).await.status();
        statuses.push(status);
        if status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::OK),
        "tokens are issued again once Redis is back: {statuses:?}"
    );
    let page = login_page(&provider).await;
    assert_eq!(
        page.status(),
        StatusCode::OK,
        "sessions work again as soon as tokens do"
    );
    let forgotten = answered(provider.get_with_token("/protected", &token)).await;
    assert_eq!(
        forgotten.status(),
        StatusCode::UNAUTHORIZED,
        "a Redis restarted without persistence forgot the token: refused, not honoured"
    );
}
