//! Smaller rules of the client (README, "Security choices"): a form without a CSRF token, the lab and
//! the error gallery only where they are safe, and their actions limited per session.

use reqwest::StatusCode;

use testkit::{Browser, spawn_provider_and_client, spawn_with};

#[tokio::test]
async fn a_form_without_any_csrf_token_field_is_refused_with_403_like_a_wrong_one() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    apps.log_in(&browser).await;
    for (path, form) in [
        ("/logout", vec![]),
        ("/refresh", vec![]),
        (
            "/teams/1/members",
            vec![("username", "mallory"), ("role", "member")],
        ),
    ] {
        let missing = browser.post(&apps.client_url(path), &form).await;
        assert_eq!(
            missing.status,
            StatusCode::FORBIDDEN,
            "{path} without csrf_token: {}",
            missing.body
        );
        let mut wrong = form.clone();
        wrong.push(("csrf_token", "not-the-token"));
        let wrong = browser.post(&apps.client_url(path), &wrong).await;
        assert_eq!(
            wrong.status,
            StatusCode::FORBIDDEN,
            "{path} with a wrong csrf_token"
        );
    }
    // Nothing happened: still signed in.
    apps.home(&browser).await.assert_contains("Log out");
}

#[tokio::test]
async fn the_lab_and_the_gallery_are_off_when_the_client_listens_beyond_loopback() {
    let apps = spawn_with(&[], &[("CLIENT_BIND", "0.0.0.0:3000")]).await;
    let browser = Browser::new();
    for path in ["/lab", "/errors"] {
        let page = browser.get(&apps.client_url(path)).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        page.assert_contains("LAB=on");
    }
    for path in ["/lab/login-csrf", "/errors/invalid_client"] {
        let refused = browser
            .post(&apps.client_url(path), &[("csrf_token", "any")])
            .await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{path} runs nothing");
    }
}

#[tokio::test]
async fn the_lab_setting_turns_them_on_beyond_loopback_and_off_on_loopback() {
    let on = spawn_with(&[], &[("CLIENT_BIND", "0.0.0.0:3000"), ("LAB", "on")]).await;
    let page = Browser::new().get(&on.client_url("/lab")).await;
    assert_eq!(page.status, StatusCode::OK, "LAB=on");
    let off = spawn_with(&[], &[("LAB", "off")]).await;
    let page = Browser::new().get(&off.client_url("/errors")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND, "LAB=off on loopback");
}

#[tokio::test]
async fn lab_and_gallery_actions_are_rate_limited_per_session() {
    let apps = spawn_with(
        &[],
        &[("RATE_LIMIT", "on"), ("RATE_LIMIT_LAB_PER_MINUTE", "2")],
    )
    .await;
    let browser = Browser::new();
    let gallery = browser.get(&apps.client_url("/errors")).await;
    for _ in 0..2 {
        let page = apps
            .submit(&browser, &gallery, "/errors/invalid_client", &[])
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    }
    let third = apps
        .submit(&browser, &gallery, "/lab/login-csrf", &[])
        .await;
    assert_eq!(
        third.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        third.body
    );
    assert!(third.headers.contains_key("retry-after"));
    // Another session has its own allowance.
    let other = Browser::new();
    let gallery = other.get(&apps.client_url("/errors")).await;
    let page = apps
        .submit(&other, &gallery, "/errors/invalid_client", &[])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
}

#[tokio::test]
async fn add_scope_accepts_only_the_scopes_this_app_knows() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    let known = browser
        .get(&apps.client_url("/login?add_scope=teams:write"))
        .await;
    assert_eq!(
        known.status,
        StatusCode::SEE_OTHER,
        "a known scope starts a login"
    );
    let unknown = browser
        .get(&apps.client_url(&format!("/login?add_scope={}", "x".repeat(30_000))))
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    unknown.assert_contains("invalid_request");
    let unknown = browser
        .get(&apps.client_url("/login?add_scope=admin"))
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{}", unknown.body);
}

#[tokio::test]
async fn forged_callbacks_on_one_cookie_keep_the_flow_log_small() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    apps.log_in(&browser).await;
    let forged_state = "f".repeat(20_000);
    for _ in 0..100 {
        let refused = browser
            .get(&apps.client_url(&format!("/callback?code=x&state={forged_state}")))
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    }
    let flow = browser.get(&apps.client_url("/flow")).await;
    let responses = flow.body.matches("(C) Authorization response").count();
    println!(
        "client /flow after 100 forged callbacks: {} bytes, {responses} authorization responses shown",
        flow.body.len()
    );
    assert!(responses <= 16, "{responses} authorization responses kept");
    assert!(
        !flow.body.contains(&forged_state[..100]),
        "a forged state is shown shortened"
    );
    assert!(
        flow.body.len() < 512 * 1024,
        "/flow is {} bytes",
        flow.body.len()
    );
}

#[tokio::test]
async fn logins_are_rate_limited_per_address_when_limits_are_on() {
    let apps = spawn_with(
        &[],
        &[
            ("RATE_LIMIT", "on"),
            ("RATE_LIMIT_CLIENT_LOGIN_PER_MINUTE", "3"),
        ],
    )
    .await;
    for _ in 0..3 {
        let started = Browser::new().get(&apps.client_url("/login")).await;
        assert_eq!(started.status, StatusCode::SEE_OTHER);
    }
    let limited = Browser::new().get(&apps.client_url("/login")).await;
    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        limited.body
    );
    assert!(limited.headers.contains_key("retry-after"));
}
