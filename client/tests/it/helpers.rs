//! Test harness: the real provider and the client, in-process on free ports, and a browser
//! (a cookie-keeping reqwest client that never follows redirects) that walks the flow hop
//! by hop, fills the provider's forms, and keeps every response it got.

#![allow(dead_code)]

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{HeaderMap, LOCATION};
use shared::env::EnvSource;

pub const USERNAME: &str = "demo";
pub const PASSWORD: &str = "demo";
pub const CLIENT_SECRET: &str = "testsecret";

/// Both apps, running, and a browser.
pub struct TestApps {
    /// `http://127.0.0.1:<port>` of the provider.
    pub provider: String,
    /// `http://127.0.0.1:<port>` of the client.
    pub client: String,
    pub browser: Browser,
    pub provider_handle: actix_web::dev::ServerHandle,
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
    let provider_listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let client_listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let provider = format!("http://{}", provider_listener.local_addr().expect("bound"));
    let client = format!("http://{}", client_listener.local_addr().expect("bound"));
    let redirect_uri = format!("{client}/callback");
    let provider_handle = spawn_provider_on(provider_listener, &redirect_uri, provider_pairs);
    spawn_client_on(client_listener, &provider, client_pairs);
    TestApps {
        provider,
        client,
        browser: Browser::new(),
        provider_handle,
    }
}

/// Starts the provider on `listener`, registered with `redirect_uri`; the public client
/// (`/spa`) is registered on the same origin, which may call it cross-origin (CORS).
pub fn spawn_provider_on(
    listener: TcpListener,
    redirect_uri: &str,
    pairs: &[(&str, &str)],
) -> actix_web::dev::ServerHandle {
    let issuer = format!("http://{}", listener.local_addr().expect("bound"));
    let client_origin = url::Url::parse(redirect_uri)
        .expect("a redirect URI")
        .origin()
        .ascii_serialization();
    let public_redirect_uri = format!("{client_origin}/spa/callback");
    let mut env = EnvSource::from_pairs([
        ("ISSUER", issuer.as_str()),
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

/// Starts the client on `listener`, logging in with the provider at `provider`.
pub fn spawn_client_on(listener: TcpListener, provider: &str, pairs: &[(&str, &str)]) {
    let address = listener.local_addr().expect("bound");
    let mut env = EnvSource::from_pairs([
        ("AUTH_SERVER", provider.to_owned()),
        ("REDIRECT_URI", format!("http://{address}/callback")),
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

/// One response as the browser got it.
#[derive(Debug, Clone)]
pub struct Page {
    pub url: String,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    /// The `Location` of a redirect.
    pub fn location(&self) -> String {
        self.headers
            .get(LOCATION)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_else(|| {
                panic!(
                    "{} {} is not a redirect:\n{}",
                    self.status, self.url, self.body
                )
            })
            .to_owned()
    }

    /// Asserts a redirect (`status`) and answers its absolute target.
    pub fn redirect_target(&self, status: StatusCode) -> String {
        assert_eq!(self.status, status, "{}:\n{}", self.url, self.body);
        absolute(&self.url, &self.location())
    }

    pub fn hidden(&self, name: &str) -> String {
        hidden_input(&self.body, name)
            .unwrap_or_else(|| panic!("no hidden input {name} in {}:\n{}", self.url, self.body))
    }

    /// The body with tera's HTML escapes undone (`&#x2F;` → `/`), for reading text.
    pub fn text(&self) -> String {
        decode_entities(&self.body)
    }

    /// Asserts the page's text (escapes undone) contains `text`.
    pub fn assert_contains(&self, text: &str) {
        assert!(
            self.text().contains(text),
            "{} should contain {text:?}:\n{}",
            self.url,
            self.body
        );
    }
}

/// A browser: one cookie jar for both apps, no redirect following, a record of everything.
pub struct Browser {
    pub http: reqwest::Client,
    pub jar: Arc<Jar>,
    seen: Arc<Mutex<Vec<Page>>>,
}

impl Clone for Browser {
    fn clone(&self) -> Self {
        Self {
            http: self.http.clone(),
            jar: Arc::clone(&self.jar),
            seen: Arc::clone(&self.seen),
        }
    }
}

impl Browser {
    pub fn new() -> Self {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(Arc::clone(&jar))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a reqwest client");
        Self {
            http,
            jar,
            seen: Arc::default(),
        }
    }

    async fn keep(&self, url: &str, response: reqwest::Response) -> Page {
        let page = Page {
            url: url.to_owned(),
            status: response.status(),
            headers: response.headers().clone(),
            body: response.text().await.expect("a body"),
        };
        self.seen.lock().expect("not poisoned").push(page.clone());
        page
    }

    pub async fn get(&self, url: &str) -> Page {
        let response = self.http.get(url).send().await.expect("the server answers");
        self.keep(url, response).await
    }

    pub async fn post(&self, url: &str, form: &[(&str, &str)]) -> Page {
        let response = self
            .http
            .post(url)
            .form(form)
            .send()
            .await
            .expect("the server answers");
        self.keep(url, response).await
    }

    /// Everything this browser has received so far.
    pub fn seen(&self) -> Vec<Page> {
        self.seen.lock().expect("not poisoned").clone()
    }

    /// The `Cookie` header this browser would send to `url`.
    pub fn cookies_for(&self, url: &str) -> String {
        let url = url.parse().expect("a URL");
        self.jar
            .cookies(&url)
            .and_then(|value| value.to_str().ok().map(str::to_owned))
            .unwrap_or_default()
    }
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
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
            let form = [
                ("username", USERNAME.to_owned()),
                ("password", PASSWORD.to_owned()),
                ("csrf_token", page.hidden("csrf_token")),
                ("request_id", page.hidden("request_id")),
            ];
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let logged_in = browser.post(&self.provider_url("/login"), &form).await;
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
        let csrf = page.hidden("csrf_token");
        let request_id = page.hidden("request_id");
        let decided = browser
            .post(
                &self.provider_url("/oauth/authorize"),
                &[
                    ("csrf_token", csrf.as_str()),
                    ("request_id", request_id.as_str()),
                    ("decision", decision),
                ],
            )
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

/// Resolves a `Location` against the URL it came from.
pub fn absolute(base: &str, location: &str) -> String {
    url::Url::parse(base)
        .and_then(|base| base.join(location))
        .map(|url| url.to_string())
        .unwrap_or_else(|_| location.to_owned())
}

/// One query parameter of a URL, decoded.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// `url` with query parameter `name` set to `value`.
pub fn with_param(url: &str, name: &str, value: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("a URL");
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(key, _)| key != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    parsed
        .query_pairs_mut()
        .clear()
        .extend_pairs(pairs)
        .append_pair(name, value);
    parsed.to_string()
}

/// The `value` of `<input type="hidden" name="NAME" value="...">`, by string scanning: the
/// first `<input` tag naming `name`, whatever the attribute order.
pub fn hidden_input(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\"");
    let mut rest = html;
    while let Some(start) = rest.find("<input") {
        let tag_end = rest[start..].find('>')? + start;
        let tag = &rest[start..tag_end];
        if tag.contains(&needle) {
            let value_start = tag.find("value=\"")? + "value=\"".len();
            let value_end = tag[value_start..].find('"')? + value_start;
            return Some(decode_entities(&tag[value_start..value_end]));
        }
        rest = &rest[tag_end..];
    }
    None
}

fn decode_entities(text: &str) -> String {
    text.replace("&#x2F;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The text of the first `<code>` after `label` in `html` (fingerprints on the home page).
pub fn code_after(html: &str, label: &str) -> Option<String> {
    let start = html.find(label)? + label.len();
    let open = html[start..].find("<code>")? + start + "<code>".len();
    let close = html[open..].find("</code>")? + open;
    Some(html[open..close].to_owned())
}

/// A provider behind a fault injector: a small proxy the client and the browser use as
/// the provider (its `ISSUER` is the proxy's URL), which forwards everything, except that it
/// can answer the next calls to one API path with `401 invalid_token` itself.
pub struct FaultyProvider {
    pub apps: TestApps,
    failures: Arc<Mutex<Vec<String>>>,
}

impl FaultyProvider {
    /// The next call to `path` (e.g. `/api/auth/me`) gets a 401, whatever its token.
    pub fn fail_next(&self, path: &str) {
        self.failures
            .lock()
            .expect("not poisoned")
            .push(path.to_owned());
    }
}

/// The proxy's upstream (the real provider), its HTTP client, and the paths to fail next.
type ProxyState = (String, reqwest::Client, Arc<Mutex<Vec<String>>>);

/// Provider, proxy and client; the client's `AUTH_SERVER` is the proxy.
pub async fn spawn_behind_fault_injector() -> FaultyProvider {
    use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

    let provider_listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let proxy_listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let client_listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let upstream = format!("http://{}", provider_listener.local_addr().expect("bound"));
    let proxy = format!("http://{}", proxy_listener.local_addr().expect("bound"));
    let client = format!("http://{}", client_listener.local_addr().expect("bound"));
    let provider_handle = spawn_provider_on(
        provider_listener,
        &format!("{client}/callback"),
        &[("ISSUER", proxy.as_str())],
    );

    let failures: Arc<Mutex<Vec<String>>> = Arc::default();
    let forward = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a reqwest client");
    let state = web::Data::new((upstream, forward, Arc::clone(&failures)));
    let server = HttpServer::new(move || {
        App::new().app_data(state.clone()).default_service(web::to(
            |req: HttpRequest, body: web::Bytes, state: web::Data<ProxyState>| async move {
                let (upstream, forward, failures) = state.get_ref();
                let path = req.path().to_owned();
                let inject = {
                    let mut failures = failures.lock().expect("not poisoned");
                    match failures.iter().position(|failing| *failing == path) {
                        Some(index) => {
                            failures.remove(index);
                            true
                        }
                        None => false,
                    }
                };
                if inject {
                    return HttpResponse::Unauthorized()
                        .insert_header((
                            "WWW-Authenticate",
                            r#"Bearer realm="provider", error="invalid_token""#,
                        ))
                        .finish();
                }
                let url = format!("{upstream}{}", req.uri());
                let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes())
                    .expect("a method");
                let mut request = forward.request(method, url).body(body.to_vec());
                for (name, value) in req.headers() {
                    if name.as_str() != "host" && name.as_str() != "content-length" {
                        request = request.header(name.as_str(), value.as_bytes());
                    }
                }
                let response = request.send().await.expect("the provider answers");
                let mut answer = HttpResponse::build(
                    actix_web::http::StatusCode::from_u16(response.status().as_u16())
                        .expect("a status"),
                );
                for (name, value) in response.headers() {
                    if !["content-length", "transfer-encoding", "connection"]
                        .contains(&name.as_str())
                    {
                        answer.append_header((name.as_str(), value.as_bytes()));
                    }
                }
                answer.body(response.bytes().await.expect("a body").to_vec())
            },
        ))
    })
    .workers(1)
    .listen(proxy_listener)
    .expect("the proxy listens")
    .run();
    tokio::spawn(server);

    spawn_client_on(client_listener, &proxy, &[]);
    FaultyProvider {
        apps: TestApps {
            provider: proxy,
            client,
            browser: Browser::new(),
            provider_handle,
        },
        failures,
    }
}
