//! A provider that fails on purpose. RFC 6750 §3.1 lets a resource server answer
//! `401 invalid_token` at any time (the token expired, was revoked, the server restarted);
//! a client must then refresh and retry once, or end the session. A token endpoint behind a
//! misconfigured proxy may answer an HTML page, a 500, broken JSON, a response without
//! `token_type` (RFC 6749 §5.1 makes it REQUIRED), or nothing at all; the client must say so
//! on a page, never panic or hang. A real provider only does these by accident, so the test
//! puts a small proxy in front of it that forwards everything, except what it is told to
//! break.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

use crate::apps::{TestApps, free_listener, spawn_client_on, spawn_provider_on};
use crate::user_agent::Browser;

/// What the fault injector does to calls to one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `401` with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3.1).
    InvalidToken,
    /// An HTML page with 200, as a misconfigured proxy or login wall answers.
    Html,
    /// 500 with a plain-text body.
    ServerError,
    /// 200 `application/json` that is not JSON.
    InvalidJson,
    /// The real answer, with `token_type` taken out.
    NoTokenType,
    /// No answer at all for a minute.
    Hang,
}

/// Path → fault, for every call to that path until the list changes.
pub type Faults = Arc<Mutex<Vec<(String, Fault)>>>;

/// A provider behind a fault injector: a small proxy the client and the browser use as
/// the provider (its `ISSUER` is the proxy's URL).
pub struct FaultyProvider {
    pub apps: TestApps,
    /// The faults that apply to every call of their path.
    pub faults: Faults,
    /// Paths whose next call (once each) gets [`Fault::InvalidToken`].
    once: Arc<Mutex<Vec<String>>>,
}

impl FaultyProvider {
    /// The next call to `path` (e.g. `/api/auth/me`) gets a 401, whatever its token.
    pub fn fail_next(&self, path: &str) {
        self.once
            .lock()
            .expect("not poisoned")
            .push(path.to_owned());
    }
}

/// Provider, proxy and client; the client's `AUTH_SERVER` is the proxy.
pub async fn spawn_behind_fault_injector() -> FaultyProvider {
    spawn_behind_fault_injector_with(&[]).await
}

/// The same, with extra settings for the client (such as `CLIENT_HTTP_TIMEOUT`).
pub async fn spawn_behind_fault_injector_with(client_pairs: &[(&str, &str)]) -> FaultyProvider {
    let provider_listener = free_listener();
    let proxy_listener = free_listener();
    let client_listener = free_listener();
    let upstream = format!("http://{}", provider_listener.local_addr().expect("bound"));
    let proxy = format!("http://{}", proxy_listener.local_addr().expect("bound"));
    let client = format!("http://{}", client_listener.local_addr().expect("bound"));
    let provider_handle = spawn_provider_on(
        provider_listener,
        &format!("{client}/callback"),
        &[("ISSUER", proxy.as_str())],
    );

    let injector = Injector {
        upstream,
        forward: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(crate::POOL_IDLE_TIMEOUT)
            .build()
            .expect("a reqwest client"),
        faults: Faults::default(),
        once: Arc::default(),
    };
    let (faults, once) = (Arc::clone(&injector.faults), Arc::clone(&injector.once));
    let injector = web::Data::new(injector);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(injector.clone())
            .default_service(web::to(answer))
    })
    .workers(1)
    .listen(proxy_listener)
    .expect("the proxy listens")
    .run();
    tokio::spawn(server);

    spawn_client_on(client_listener, &proxy, client_pairs);
    FaultyProvider {
        apps: TestApps {
            provider: proxy,
            client,
            browser: Browser::new(),
            provider_handle,
        },
        faults,
        once,
    }
}

/// The proxy's upstream (the real provider), its HTTP client, and what to break.
struct Injector {
    upstream: String,
    forward: reqwest::Client,
    faults: Faults,
    once: Arc<Mutex<Vec<String>>>,
}

impl Injector {
    /// The fault for this call of `path`: a one-time 401 first (used up), then a lasting one.
    fn fault_for(&self, path: &str) -> Option<Fault> {
        let mut once = self.once.lock().expect("not poisoned");
        if let Some(index) = once.iter().position(|failing| failing == path) {
            once.remove(index);
            return Some(Fault::InvalidToken);
        }
        self.faults
            .lock()
            .expect("not poisoned")
            .iter()
            .find(|(failing, _)| failing == path)
            .map(|(_, fault)| *fault)
    }
}

/// One call through the proxy: the fault, or the provider's answer (perhaps altered).
async fn answer(req: HttpRequest, body: web::Bytes, injector: web::Data<Injector>) -> HttpResponse {
    let fault = injector.fault_for(req.path());
    match fault {
        Some(Fault::InvalidToken) => {
            return HttpResponse::Unauthorized()
                .insert_header((
                    "WWW-Authenticate",
                    r#"Bearer realm="provider", error="invalid_token""#,
                ))
                .finish();
        }
        Some(Fault::Html) => {
            return HttpResponse::Ok()
                .content_type("text/html")
                .body("<html><body><h1>Please sign in to the proxy</h1></body></html>");
        }
        Some(Fault::ServerError) => {
            return HttpResponse::InternalServerError()
                .content_type("text/plain")
                .body("upstream exploded");
        }
        Some(Fault::InvalidJson) => {
            return HttpResponse::Ok()
                .content_type("application/json")
                .body("{\"access_token\": \"abc\", oops");
        }
        Some(Fault::Hang) => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            return HttpResponse::GatewayTimeout().finish();
        }
        Some(Fault::NoTokenType) | None => {}
    }
    let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes()).expect("a method");
    let mut request = injector
        .forward
        .request(method, format!("{}{}", injector.upstream, req.uri()))
        .body(body.to_vec());
    for (name, value) in req.headers() {
        if name.as_str() != "host" && name.as_str() != "content-length" {
            request = request.header(name.as_str(), value.as_bytes());
        }
    }
    let response = request.send().await.expect("the provider answers");
    let mut answer = HttpResponse::build(
        actix_web::http::StatusCode::from_u16(response.status().as_u16()).expect("a status"),
    );
    for (name, value) in response.headers() {
        if !["content-length", "transfer-encoding", "connection"].contains(&name.as_str()) {
            answer.append_header((name.as_str(), value.as_bytes()));
        }
    }
    let mut body = response.bytes().await.expect("a body").to_vec();
    if fault == Some(Fault::NoTokenType)
        && let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(&body)
    {
        if let Some(object) = json.as_object_mut() {
            object.remove("token_type");
        }
        body = serde_json::to_vec(&json).expect("JSON");
    }
    answer.body(body)
}
