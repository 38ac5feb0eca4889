//! The provider alone, in-process on `127.0.0.1:0`, with methods in the protocol's words:
//! the front channel walked by a [`new_browser`] (request, login, consent, the redirect back),
//! then the back channel as a client's server makes it: the token endpoint (RFC 6749 §4.1.3,
//! §4.4, §6) with `client_secret_basic` or as the public client, revocation (RFC 7009),
//! introspection (RFC 7662) and bearer calls to the API (RFC 6750).
//!
//! A test changes one thing (a setting, a request field, a token) and asserts what the
//! provider answers; the helpers here assert only the steps that must work for the test to
//! mean anything (the login page is shown, approval redirects).

use std::sync::Arc;

use provider::config::Settings;
use provider::domain::ManualClock;
use provider::startup::Application;
use provider::store::Store;
use reqwest::{Response, StatusCode};
use shared::env::EnvSource;
use shared::token::TokenResponse;

use crate::backend;
use crate::demo::{
    CLIENT_ID, CLIENT_SECRET, PASSWORD, PUBLIC_CLIENT_ID, PUBLIC_REDIRECT_URI, REDIRECT_URI,
    USERNAME,
};
use crate::html::hidden_input;
use crate::pkce::{AuthorizationRequest, VERIFIER};
use crate::urls::{location, query_param};
use crate::user_agent::{consent_form, login_form, new_browser};

/// A running provider.
pub struct TestProvider {
    pub base: String,
    pub issuer: String,
    /// A browser: keeps cookies, never follows redirects.
    pub browser: reqwest::Client,
    /// An API caller without cookies (a client app's back end).
    pub api: reqwest::Client,
    pub store: Arc<Store>,
    /// The provider's clock: `clock.advance(…)` expires codes and tokens without waiting.
    pub clock: ManualClock,
    pub handle: actix_web::dev::ServerHandle,
    /// The provider's state, to run what its background tasks do without waiting for them
    /// (e.g. `app.sync_signing_keys()` after moving the clock).
    pub app: actix_web::web::Data<provider::state::AppState>,
}

/// A provider with the default settings, rate limits off.
pub async fn spawn_provider() -> TestProvider {
    spawn_provider_with(&[]).await
}

/// A provider with extra settings over the defaults (`RATE_LIMIT=off` unless given), on
/// this run's store (`TEST_STORE`, see [`backend`]).
pub async fn spawn_provider_with(pairs: &[(&str, &str)]) -> TestProvider {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port on loopback");
    let port = listener.local_addr().expect("bound").port();
    let issuer = format!("http://127.0.0.1:{port}");
    let mut env = EnvSource::from_pairs([
        ("ISSUER", issuer.as_str()),
        ("RATE_LIMIT", "off"),
        ("WORKERS", "2"),
    ]);
    for (key, value) in backend::store_settings() {
        env.set(key, value);
    }
    for (key, value) in pairs {
        env.set(*key, *value);
    }
    let settings = Settings::from_source(&env).expect("test settings are valid");
    let clock = ManualClock::new();
    let app = Application::connect_with_clock(settings, listener, clock.clock())
        .await
        .expect("the provider starts");
    let store = app.store();
    let handle = app.handle();
    let app_state = app.app_state();
    tokio::spawn(app.run_until_stopped());
    TestProvider {
        base: issuer.clone(),
        issuer,
        browser: new_browser(),
        api: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(crate::POOL_IDLE_TIMEOUT)
            .build()
            .expect("a reqwest client"),
        store,
        clock,
        handle,
        app: app_state,
    }
}

/// The result of walking a flow up to the redirect back to the client.
#[derive(Debug, Clone)]
pub struct Redirect {
    pub location: String,
}

impl Redirect {
    pub fn param(&self, name: &str) -> Option<String> {
        query_param(&self.location, name)
    }
}

impl TestProvider {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET `/oauth/authorize` with this request, in `browser`.
    pub async fn start_authorization(
        &self,
        browser: &reqwest::Client,
        request: &AuthorizationRequest,
    ) -> Response {
        browser
            .get(self.url(&format!("/oauth/authorize?{}", request.query())))
            .send()
            .await
            .expect("the provider answers")
    }

    /// Submits the login form found in `page_html`.
    pub async fn log_in(
        &self,
        browser: &reqwest::Client,
        page_html: &str,
        username: &str,
        password: &str,
    ) -> Response {
        let form = login_form(page_html, username, password);
        browser
            .post(self.url("/login"))
            .form(&form)
            .send()
            .await
            .expect("the provider answers")
    }

    /// Follows a local redirect (a path on the provider) in `browser`.
    pub async fn follow(&self, browser: &reqwest::Client, response: &Response) -> Response {
        let location = location(response);
        let url = if location.starts_with('/') {
            self.url(&location)
        } else {
            location
        };
        browser.get(url).send().await.expect("the provider answers")
    }

    /// Submits the consent form found in `page_html` with `decision`.
    pub async fn decide(
        &self,
        browser: &reqwest::Client,
        page_html: &str,
        decision: &str,
    ) -> Response {
        let form = consent_form(page_html, decision);
        browser
            .post(self.url("/oauth/authorize"))
            .form(&form)
            .send()
            .await
            .expect("the provider answers")
    }

    /// Authorization request → login page → log in → consent page, in `browser`.
    /// Returns the consent page's HTML.
    pub async fn reach_consent(
        &self,
        browser: &reqwest::Client,
        request: &AuthorizationRequest,
    ) -> String {
        let login_page = self.start_authorization(browser, request).await;
        assert_eq!(
            login_page.status(),
            StatusCode::OK,
            "the login page is shown"
        );
        let login_html = login_page.text().await.expect("a body");
        if hidden_input(&login_html, "decision").is_some()
            || login_html.contains("name=\"decision\"")
        {
            return login_html;
        }
        let logged_in = self.log_in(browser, &login_html, USERNAME, PASSWORD).await;
        assert_eq!(
            logged_in.status(),
            StatusCode::SEE_OTHER,
            "a correct login continues"
        );
        let consent = self.follow(browser, &logged_in).await;
        assert_eq!(
            consent.status(),
            StatusCode::OK,
            "the consent page is shown"
        );
        consent.text().await.expect("a body")
    }

    /// The whole front channel: request, login, approve; returns the redirect to the client.
    pub async fn authorize(&self, request: &AuthorizationRequest) -> Redirect {
        let browser = new_browser();
        self.authorize_in(&browser, request).await
    }

    pub async fn authorize_in(
        &self,
        browser: &reqwest::Client,
        request: &AuthorizationRequest,
    ) -> Redirect {
        let consent_html = self.reach_consent(browser, request).await;
        let approved = self.decide(browser, &consent_html, "approve").await;
        assert_eq!(
            approved.status(),
            StatusCode::SEE_OTHER,
            "approval redirects to the client"
        );
        Redirect {
            location: location(&approved),
        }
    }

    /// A fresh authorization code for the default confidential request.
    pub async fn authorization_code(&self) -> String {
        let redirect = self.authorize(&AuthorizationRequest::default()).await;
        redirect.param("code").expect("the redirect carries a code")
    }

    /// POST `/oauth/token` with `form`, authenticated with client_secret_basic.
    pub async fn token_request(&self, form: &[(&str, &str)]) -> Response {
        self.post_as_client("/oauth/token", form).await
    }

    /// Exchanges `code` with the RFC 7636 verifier.
    pub async fn exchange_code(&self, code: &str) -> Response {
        self.token_request(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ])
        .await
    }

    /// Runs the whole authorization code flow and returns the token response.
    pub async fn user_tokens(&self) -> TokenResponse {
        let code = self.authorization_code().await;
        let response = self.exchange_code(&code).await;
        issued_tokens(response).await
    }

    /// The same flow asking for `scope`.
    pub async fn user_tokens_with_scope(&self, scope: &str) -> TokenResponse {
        let request = AuthorizationRequest {
            scope: Some(scope.into()),
            ..AuthorizationRequest::default()
        };
        let code = self
            .authorize(&request)
            .await
            .param("code")
            .expect("a code");
        let response = self.exchange_code(&code).await;
        issued_tokens(response).await
    }

    /// Uses a refresh token.
    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    /// A client_credentials token.
    pub async fn client_token(&self, scope: Option<&str>) -> TokenResponse {
        let mut form = vec![("grant_type", "client_credentials")];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        let response = self.token_request(&form).await;
        issued_tokens(response).await
    }

    /// GET `path` with `Authorization: Bearer token`.
    pub async fn get_with_token(&self, path: &str, token: &str) -> Response {
        self.api
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("the provider answers")
    }

    /// POST a form to `path` authenticated as the confidential client.
    pub async fn post_as_client(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.api
            .post(self.url(path))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(form)
            .send()
            .await
            .expect("the provider answers")
    }

    /// Whether introspection says `token` is active.
    pub async fn is_active(&self, token: &str) -> bool {
        let response = self
            .post_as_client("/oauth/introspect", &[("token", token)])
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: serde_json::Value = response.json().await.expect("JSON");
        body["active"].as_bool().expect("active is a boolean")
    }

    /// A fresh authorization code for the public client (`spa-client`), PKCE S256.
    pub async fn public_authorization_code(&self) -> String {
        self.authorize(&AuthorizationRequest::public_client())
            .await
            .param("code")
            .expect("the redirect carries a code")
    }

    /// POST `/oauth/token` as the public client: `client_id` in the form, no secret.
    pub async fn public_token_request(&self, form: &[(&str, &str)]) -> Response {
        let mut form = form.to_vec();
        form.push(("client_id", PUBLIC_CLIENT_ID));
        self.api
            .post(self.url("/oauth/token"))
            .form(&form)
            .send()
            .await
            .expect("the provider answers")
    }

    /// Exchanges a public client's `code` with its redirect URI and the RFC 7636 verifier.
    pub async fn public_exchange_code(&self, code: &str) -> Response {
        self.public_token_request(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", PUBLIC_REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ])
        .await
    }

    /// The public client's whole flow: its token response.
    pub async fn public_client_tokens(&self) -> TokenResponse {
        let code = self.public_authorization_code().await;
        let response = self.public_exchange_code(&code).await;
        issued_tokens(response).await
    }

    /// The public client uses its refresh token (no secret).
    pub async fn public_refresh(&self, refresh_token: &str) -> Response {
        self.public_token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    /// POST `/oauth/revoke` as the confidential client.
    pub async fn revoke(&self, token: &str) -> Response {
        self.post_as_client("/oauth/revoke", &[("token", token)])
            .await
    }

    /// The flow in `browser` (which stays signed in to the provider) up to the tokens.
    pub async fn user_tokens_in(&self, browser: &reqwest::Client) -> TokenResponse {
        let code = self
            .authorize_in(browser, &AuthorizationRequest::default())
            .await
            .param("code")
            .expect("a code");
        let response = self.exchange_code(&code).await;
        issued_tokens(response).await
    }

    /// GET `path` in `browser`, returning the status and the page.
    pub async fn page(&self, browser: &reqwest::Client, path: &str) -> (StatusCode, String) {
        let response = browser
            .get(self.url(path))
            .send()
            .await
            .expect("the provider answers");
        let status = response.status();
        (status, response.text().await.expect("a body"))
    }
}

/// The access token and the refresh token of a token response, as strings.
pub fn token_pair(tokens: &TokenResponse) -> (String, String) {
    (
        tokens.access_token.expose().to_owned(),
        tokens
            .refresh_token
            .as_ref()
            .expect("this grant returns a refresh token")
            .expose()
            .to_owned(),
    )
}

/// A successful token response (RFC 6749 §5.1): 200 and its JSON, asserted.
async fn issued_tokens(response: Response) -> TokenResponse {
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("a token response")
}
