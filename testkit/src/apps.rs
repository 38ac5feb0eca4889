//! Both apps, in-process on free loopback ports, wired to each other as a learner wires them:
//! the client's `AUTH_SERVER` is the provider, the provider registers the client's
//! `/callback` (RFC 6749 §3.1.2: an exact redirect URI) and its `/spa/callback` for the public
//! client, whose origin may call it cross-origin (CORS). Each test gets its own pair, so
//! tests run in parallel and never meet a running `cargo run` on 8080 and 3000.
//!
//! [`TestApps::authorize`] walks one login hop by hop with a [`Browser`] (the client's
//! `/login` → the provider's login and consent pages → the redirect back), asserting each
//! hop, and stops before `/callback` so a test can tamper with it; [`TestApps::log_in`]
//! goes all the way to the signed-in home page.

use std::net::TcpListener;

use reqwest::StatusCode;
use shared::env::EnvSource;

use crate::demo::{PASSWORD, USERNAME};
use crate::user_agent::{Browser, Page, consent_form, login_form};

/// Both apps, running, and a browser.
pub struct TestApps {
    /// `http://127.0.0.1:<port>` of the provider (`http://localhost:<port>` from
    /// [`spawn_localhost_apps`]).
    pub provider: String,
    /// `http://127.0.0.1:<port>` of the client.
    pub client: String,
    pub browser: Browser,
    pub provider_handle: actix_web::dev::ServerHandle,
}

/// A free loopback port, bound: the listener is handed to the app, so no other process can
/// take the port in between.
pub fn free_listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").expect("a free port on loopback")
}

/// `http://<host>:<port>` of `listener`, `host` being `127.0.0.1` or `localhost`.
pub fn base_url(listener: &TcpListener, host: &str) -> String {
    let port = listener.local_addr().expect("bound").port();
    format!("http://{host}:{port}")
}

/// Provider and client with the default settings (rate limits off).
pub async fn spawn_provider_and_client() -> TestApps {
    spawn_with(&[], &[]).await
}

/// Provider and client with extra settings for each.
pub async fn spawn_with(
    provider_pairs: &[(&str, &str)],
    client_pairs: &[(&str, &str)],
) -> TestApps {
    spawn_named("127.0.0.1", provider_pairs, client_pairs)
}

/// Provider and client named `localhost`, as the README tells a learner to open them (the
/// browser test's screenshots show what the learner sees).
pub async fn spawn_localhost_apps() -> TestApps {
    spawn_named("localhost", &[], &[])
}

fn spawn_named(
    host: &str,
    provider_pairs: &[(&str, &str)],
    client_pairs: &[(&str, &str)],
) -> TestApps {
    let provider_listener = free_listener();
    let client_listener = free_listener();
    let provider = base_url(&provider_listener, host);
    let client = base_url(&client_listener, host);
    let redirect_uri = format!("{client}/callback");
    let provider_handle =
        spawn_provider_at(provider_listener, &provider, &redirect_uri, provider_pairs);
    spawn_client_at(client_listener, &client, &provider, client_pairs);
    TestApps {
        provider,
        client,
        browser: Browser::new(),
        provider_handle,
    }
}

/// Starts the provider on `listener` (issuer `http://127.0.0.1:<port>`), registered with
/// `redirect_uri`; see [`spawn_provider_at`].
pub fn spawn_provider_on(
    listener: TcpListener,
    redirect_uri: &str,
    pairs: &[(&str, &str)],
) -> actix_web::dev::ServerHandle {
    let issuer = base_url(&listener, "127.0.0.1");
    spawn_provider_at(listener, &issuer, redirect_uri, pairs)
}

/// Starts the provider on `listener` as `issuer` (RFC 8414, RFC 9207's `iss`), registered
/// with `redirect_uri`; the public client (`/spa`) is registered on the same origin, which
/// may call it cross-origin (CORS). `pairs` override the defaults (`RATE_LIMIT=off`,
/// `WORKERS=2`). The in-memory store, whatever `TEST_STORE` says.
pub fn spawn_provider_at(
    listener: TcpListener,
    issuer: &str,
    redirect_uri: &str,
    pairs: &[(&str, &str)],
) -> actix_web::dev::ServerHandle {
    let client_origin = url::Url::parse(redirect_uri)
        .expect("a redirect URI")
        .origin()
        .ascii_serialization();
    let public_redirect_uri = format!("{client_origin}/spa/callback");
    let mut env = EnvSource::from_pairs([
        ("ISSUER", issuer),
        ("REDIRECT_URI", redirect_uri),
        ("PUBLIC_REDIRECT_URI", public_redirect_uri.as_str()),
        ("ALLOWED_ORIGINS", client_origin.as_str()),
        ("RATE_LIMIT", "off"),
        ("WORKERS", "2"),
    ]);
    for (key, value) in pairs {
        env.set(*key, *value);
    }
    let settings = provider::config::Settings::from_source(&env).expect("valid provider settings");
    let app = provider::startup::Application::from_listener(settings, listener)
        .expect("the provider starts");
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    handle
}

/// Starts the API (the notes resource server) on `listener`, trusting the provider at
/// `auth_server` (RFC 8414 discovery, its `jwks_uri` and introspection endpoint); returns its
/// `API_URL` (`http://127.0.0.1:<port>`), which is also its resource identifier (RFC 8707).
/// `pairs` override the defaults (`JWKS_REFRESH_FLOOR=0`, so a test never waits for a refetch).
pub fn spawn_api_on(
    listener: TcpListener,
    auth_server: &str,
    pairs: &[(&str, &str)],
) -> actix_web::dev::ServerHandle {
    let url = base_url(&listener, "127.0.0.1");
    let mut env = EnvSource::from_pairs([
        ("API_URL", url.as_str()),
        ("AUTH_SERVER", auth_server),
        ("JWKS_REFRESH_FLOOR", "0"),
    ]);
    for (key, value) in pairs {
        env.set(*key, *value);
    }
    let settings = api::config::Settings::from_source(&env).expect("valid API settings");
    let app = api::startup::Application::from_listener(settings, listener).expect("the API starts");
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    handle
}

/// Starts the client on `listener`, logging in with the provider at `provider`.
pub fn spawn_client_on(listener: TcpListener, provider: &str, pairs: &[(&str, &str)]) {
    let base = format!("http://{}", listener.local_addr().expect("bound"));
    spawn_client_at(listener, &base, provider, pairs);
}

/// Starts the client on `listener`, reachable as `base` (its `REDIRECT_URI` is
/// `{base}/callback`), logging in with the provider at `provider`.
pub fn spawn_client_at(listener: TcpListener, base: &str, provider: &str, pairs: &[(&str, &str)]) {
    let address = listener.local_addr().expect("bound");
    let mut env = EnvSource::from_pairs([
        ("AUTH_SERVER", provider.to_owned()),
        ("REDIRECT_URI", format!("{base}/callback")),
        ("CLIENT_BIND", address.to_string()),
        ("RATE_LIMIT", "off".to_owned()),
    ]);
    for (key, value) in pairs {
        env.set(*key, *value);
    }
    let settings = client::config::Settings::from_source(&env).expect("valid client settings");
    let app =
        client::startup::Application::from_listener(settings, listener).expect("the client starts");
    tokio::spawn(app.run_until_stopped());
}

/// The hops of one login, for tests that stop half-way.
pub struct LoginHops {
    /// The authorization request URL the client redirected to.
    pub authorization_url: String,
    /// The provider's redirect back to the client (`/callback?code&state&iss`).
    pub callback_url: String,
}

impl TestApps {
    pub fn client_url(&self, path: &str) -> String {
        format!("{}{path}", self.client)
    }

    pub fn provider_url(&self, path: &str) -> String {
        format!("{}{path}", self.provider)
    }

    /// `/login` on the client, then the provider's login and consent pages, up to the
    /// provider's redirect back; `decision` is `approve` or `deny`. Each hop is asserted.
    pub async fn authorize(
        &self,
        browser: &Browser,
        login_path: &str,
        decision: &str,
    ) -> LoginHops {
        let start = browser.get(&self.client_url(login_path)).await;
        let authorization_url = start.redirect_target(StatusCode::SEE_OTHER);
        assert!(
            authorization_url.starts_with(&self.provider_url("/oauth/authorize?")),
            "the client sends the browser to the provider's authorization endpoint: {authorization_url}"
        );
        let mut page = browser.get(&authorization_url).await;
        if page.body.contains("name=\"password\"") {
            assert_eq!(page.status, StatusCode::OK, "the login page: {}", page.body);
            let form = login_form(&page.body, USERNAME, PASSWORD);
            let logged_in = browser
                .post_filled(&self.provider_url("/login"), &form)
                .await;
            let next = logged_in.redirect_target(StatusCode::SEE_OTHER);
            page = browser.get(&next).await;
        }
        assert_eq!(
            page.status,
            StatusCode::OK,
            "the consent page: {}",
            page.body
        );
        page.assert_contains("name=\"decision\"");
        let form = consent_form(&page.body, decision);
        let decided = browser
            .post_filled(&self.provider_url("/oauth/authorize"), &form)
            .await;
        let callback_url = decided.redirect_target(StatusCode::SEE_OTHER);
        assert!(
            callback_url.starts_with(&self.client_url("/callback?")),
            "the provider sends the browser back to the redirect URI: {callback_url}"
        );
        LoginHops {
            authorization_url,
            callback_url,
        }
    }

    /// The whole login through the client's pages; answers the signed-in home page.
    pub async fn log_in(&self, browser: &Browser) -> Page {
        let hops = self.authorize(browser, "/login", "approve").await;
        self.finish(browser, &hops.callback_url).await
    }

    /// `/callback` then the redirect to `/`; answers the home page.
    pub async fn finish(&self, browser: &Browser, callback_url: &str) -> Page {
        let callback = browser.get(callback_url).await;
        let home = callback.redirect_target(StatusCode::SEE_OTHER);
        assert_eq!(home, self.client_url("/"));
        let page = browser.get(&home).await;
        assert_eq!(page.status, StatusCode::OK);
        page
    }

    /// The signed-in home page, asserted signed in.
    pub async fn home(&self, browser: &Browser) -> Page {
        let page = browser.get(&self.client_url("/")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        page
    }

    /// POSTs one of the client's own forms with the CSRF token found on `page`.
    pub async fn submit(
        &self,
        browser: &Browser,
        page: &Page,
        path: &str,
        extra: &[(&str, &str)],
    ) -> Page {
        let csrf = page.hidden("csrf_token");
        let mut form = vec![("csrf_token", csrf.as_str())];
        form.extend_from_slice(extra);
        browser.post(&self.client_url(path), &form).await
    }
}
