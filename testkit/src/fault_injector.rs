//! A provider that fails on purpose. RFC 6750 §3.1 lets a resource server answer
//! `401 invalid_token` at any time (the token expired, was revoked, the server restarted);
//! a client must then refresh and retry once, or end the session. A real provider only does
//! that by accident, so the test puts a small proxy in front of it that forwards everything
//! and, when asked, answers the next call to one path with that 401 itself.

use std::sync::{Arc, Mutex};

use crate::apps::{TestApps, free_listener, spawn_client_on, spawn_provider_on};
use crate::user_agent::Browser;

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

    let failures: Arc<Mutex<Vec<String>>> = Arc::default();
    let forward = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a reqwest client");
    let forwarding = web::Data::new((upstream, forward, Arc::clone(&failures)));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(forwarding.clone())
            .default_service(web::to(
                |req: HttpRequest, body: web::Bytes, proxy: web::Data<ProxyState>| async move {
                    let (upstream, forward, failures) = proxy.get_ref();
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
