//! Several provider *processes* behind one address: two instances of the provider binary
//! (`CARGO_BIN_EXE_provider`), each on 127.0.0.1:0, sharing one Redis, one
//! `SESSION_KEY` and one `ISSUER`, as behind a load balancer that sends each request
//! anywhere. Any instance must continue a flow another started, and a revocation on one
//! must be seen at once by the other.
//!
//! These tests need Redis whatever `TEST_STORE` says: without `redis-server` on the `PATH`
//! they fail, saying so (`.ci/run` installs it).

use std::process::Command;

use reqwest::StatusCode;
use shared::token::TokenResponse;

use testkit::backend::{TEST_SESSION_KEY, fresh_prefix, redis_server};
use testkit::process::{Program, Server};
use testkit::user_agent::{consent_form, login_form};
use testkit::{
    AuthorizationRequest, CLIENT_ID, CLIENT_SECRET, PASSWORD, REDIRECT_URI, USERNAME, VERIFIER,
    location, new_browser, query_param,
};

/// One provider process; killed when dropped.
pub(crate) struct Instance {
    base: String,
    server: Server,
}

impl Instance {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops the process at once (SIGKILL): no graceful shutdown, as in a crash.
    fn kill(&mut self) {
        self.server.kill();
    }
}

/// The issuer both instances announce: one provider, whichever process answers.
const ISSUER: &str = "http://provider.test";

/// Two instances on one Redis (under a fresh key prefix), sharing `ISSUER`.
fn two_instances() -> (Instance, Instance) {
    let prefix = fresh_prefix();
    (spawn_instance(&prefix), spawn_instance(&prefix))
}

/// One provider process on 127.0.0.1:0; its address is read from its start-up line.
pub(crate) fn spawn_instance(prefix: &str) -> Instance {
    let mut command = Command::new(env!("CARGO_BIN_EXE_provider"));
    command
        // Only these settings: no `.env` from the workspace (the temp dir has none).
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DOTENV", "off")
        .env("PROVIDER_BIND", "127.0.0.1:0")
        .env("ISSUER", ISSUER)
        .env("STORE", redis_server().url())
        .env("STORE_PREFIX", prefix)
        .env("SESSION_KEY", TEST_SESSION_KEY)
        .env("RATE_LIMIT", "off")
        .env("WORKERS", "1")
        .env("RUST_LOG", "info")
        .current_dir(std::env::temp_dir());
    let server = Program::spawn_server(command, "provider listening on http://");
    Instance {
        base: format!("http://{}", server.address),
        server,
    }
}

/// GET `/oauth/authorize` on `instance`: the login page's HTML.
async fn start_authorization(browser: &reqwest::Client, instance: &Instance) -> String {
    let query = AuthorizationRequest::default().query();
    let page = browser
        .get(instance.url(&format!("/oauth/authorize?{query}")))
        .send()
        .await
        .expect("the provider answers");
    assert_eq!(page.status(), StatusCode::OK, "the login page");
    page.text().await.expect("a body")
}

/// Posts the login form of `login_html` to `instance`, follows to the consent page there.
async fn log_in(browser: &reqwest::Client, instance: &Instance, login_html: &str) -> String {
    let form = login_form(login_html, USERNAME, PASSWORD);
    let logged_in = browser
        .post(instance.url("/login"))
        .form(&form)
        .send()
        .await
        .expect("the provider answers");
    assert_eq!(
        logged_in.status(),
        StatusCode::SEE_OTHER,
        "the login succeeds"
    );
    let next = location(&logged_in);
    let consent = browser
        .get(instance.url(&next))
        .send()
        .await
        .expect("the provider answers");
    assert_eq!(consent.status(), StatusCode::OK, "the consent page");
    consent.text().await.expect("a body")
}

/// Approves on `instance`: the code from the redirect (checking `iss`).
async fn approve(browser: &reqwest::Client, instance: &Instance, consent_html: &str) -> String {
    let form = consent_form(consent_html, "approve");
    let approved = browser
        .post(instance.url("/oauth/authorize"))
        .form(&form)
        .send()
        .await
        .expect("the provider answers");
    assert_eq!(approved.status(), StatusCode::SEE_OTHER);
    let redirect = location(&approved);
    assert!(redirect.starts_with(REDIRECT_URI), "{redirect}");
    assert_eq!(query_param(&redirect, "iss").as_deref(), Some(ISSUER));
    query_param(&redirect, "code").expect("the redirect carries a code")
}

async fn token_request(instance: &Instance, form: &[(&str, &str)]) -> reqwest::Response {
    reqwest::Client::new()
        .post(instance.url("/oauth/token"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(form)
        .send()
        .await
        .expect("the provider answers")
}

async fn refresh(instance: &Instance, refresh_token: &str) -> reqwest::Response {
    token_request(
        instance,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

async fn exchange(instance: &Instance, code: &str) -> TokenResponse {
    let response = token_request(
        instance,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK, "the code exchange");
    response.json().await.expect("a token response")
}

async fn protected_status(instance: &Instance, access_token: &str) -> StatusCode {
    reqwest::Client::new()
        .get(instance.url("/protected"))
        .bearer_auth(access_token)
        .send()
        .await
        .expect("the provider answers")
        .status()
}

#[tokio::test]
async fn a_flow_hops_between_two_instances_and_a_revocation_on_one_holds_on_the_other() {
    let (a, b) = two_instances();
    let browser = new_browser();

    // (A) the authorization starts on A; (B) login and consent on B; (D) the code is
    // exchanged on A.
    let login_html = start_authorization(&browser, &a).await;
    let consent_html = log_in(&browser, &b, &login_html).await;
    let code = approve(&browser, &b, &consent_html).await;
    let tokens = exchange(&a, &code).await;
    let first_access = tokens.access_token.expose().to_owned();
    assert_eq!(protected_status(&b, &first_access).await, StatusCode::OK);

    // Refresh on B: rotation is seen by A at once.
    let refresh_token = tokens
        .refresh_token
        .as_ref()
        .expect("a refresh token")
        .expose();
    let refreshed = refresh(&b, refresh_token).await;
    assert_eq!(refreshed.status(), StatusCode::OK, "the refresh on B");
    let refreshed: TokenResponse = refreshed.json().await.expect("a token response");
    let access = refreshed.access_token.expose().to_owned();
    let new_refresh = refreshed
        .refresh_token
        .as_ref()
        .expect("rotated")
        .expose()
        .to_owned();
    assert_eq!(protected_status(&a, &access).await, StatusCode::OK);

    // Revoke on A (the refresh token: the whole grant); B refuses every token of it.
    let revoked = reqwest::Client::new()
        .post(a.url("/oauth/revoke"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[("token", new_refresh.as_str())])
        .send()
        .await
        .expect("the provider answers");
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_eq!(
        protected_status(&b, &access).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        protected_status(&b, &first_access).await,
        StatusCode::UNAUTHORIZED
    );
    let again = refresh(&b, &new_refresh).await;
    assert_eq!(
        again.status(),
        StatusCode::BAD_REQUEST,
        "the revoked refresh token is dead on B"
    );
}

#[tokio::test]
async fn a_code_spent_on_one_instance_is_refused_on_the_other_and_its_replay_kills_the_tokens() {
    let (a, b) = two_instances();
    let browser = new_browser();
    let login_html = start_authorization(&browser, &a).await;
    let consent_html = log_in(&browser, &a, &login_html).await;
    let code = approve(&browser, &a, &consent_html).await;
    let tokens = exchange(&a, &code).await;

    let replay = token_request(
        &b,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = replay.json().await.expect("a JSON error");
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        protected_status(&a, tokens.access_token.expose()).await,
        StatusCode::UNAUTHORIZED,
        "the replay on B revoked what the code bought on A"
    );
}

#[tokio::test]
async fn a_flow_started_on_an_instance_that_dies_finishes_on_the_other() {
    let (mut a, b) = two_instances();
    let browser = new_browser();

    // Login on A, then A dies before consent.
    let login_html = start_authorization(&browser, &a).await;
    let consent_html = log_in(&browser, &a, &login_html).await;
    a.kill();
    assert!(
        browser.get(a.url("/public")).send().await.is_err(),
        "A is gone"
    );

    // The session (login, pending request, CSRF token) lives in Redis: B carries on.
    let code = approve(&browser, &b, &consent_html).await;
    let tokens = exchange(&b, &code).await;
    assert_eq!(
        protected_status(&b, tokens.access_token.expose()).await,
        StatusCode::OK
    );
    let account = browser
        .get(b.url("/account"))
        .send()
        .await
        .expect("the provider answers");
    assert_eq!(account.status(), StatusCode::OK, "still signed in on B");
    let html = account.text().await.expect("a body");
    assert!(html.contains(CLIENT_ID), "the new grant is listed on B");
}
