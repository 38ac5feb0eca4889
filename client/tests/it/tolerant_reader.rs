//! A tolerant reader: a provider whose API answers differ from ours (a team role this app
//! does not know, fields it has never heard of, an entry it cannot read, no teams API at all)
//! still gives the signed-in page with what could be read, and the page says what could not.
//!
//! The real provider signs the user in; a small proxy in front of it (the client's
//! `AUTH_SERVER` and the provider's `ISSUER`) answers chosen API paths with canned answers.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;

use reqwest::StatusCode;

use testkit::{Browser, TestApps, spawn_client_on, spawn_provider_on};

/// Path → (status, JSON body) the proxy answers itself; every other path is forwarded.
type Canned = Arc<HashMap<&'static str, (u16, &'static str)>>;

/// Provider, a proxy that answers `canned` paths itself, and the client using the proxy.
async fn spawn_foreign_api(canned: &[(&'static str, u16, &'static str)]) -> TestApps {
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
    let canned: Canned = Arc::new(
        canned
            .iter()
            .map(|(path, status, body)| (*path, (*status, *body)))
            .collect(),
    );
    let forward = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a reqwest client");
    type Proxy = (String, reqwest::Client, Canned);
    let proxy_data = web::Data::new((upstream, forward, canned));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(proxy_data.clone())
            .default_service(web::to(
                |req: HttpRequest, body: web::Bytes, proxy: web::Data<Proxy>| async move {
                    let (upstream, forward, canned) = proxy.get_ref();
                    if let Some((status, answer)) = canned.get(req.path()) {
                        return HttpResponse::build(
                            actix_web::http::StatusCode::from_u16(*status).expect("a status"),
                        )
                        .content_type("application/json")
                        .body(*answer);
                    }
                    let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes())
                        .expect("a method");
                    let mut request = forward
                        .request(method, format!("{upstream}{}", req.uri()))
                        .body(body.to_vec());
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
    TestApps {
        provider: proxy,
        client,
        browser: Browser::new(),
        provider_handle,
    }
}

#[tokio::test]
async fn an_unknown_team_role_extra_fields_and_an_unreadable_entry_still_give_the_signed_in_page() {
    let apps = spawn_foreign_api(&[
        (
            "/api/auth/me",
            200,
            r#"{"id":"u-7","username":"ada","email":"ada@example.test","display_name":"Ada L.","locale":"en","picture":{"url":"x"}}"#,
        ),
        (
            "/api/user/teams",
            200,
            r#"[{"id":"t-own","name":"Analytical Engines","role":"owner","created_at":"1843-01-01","tags":["x"]},
                {"id":"t-broken","role":"admin"}]"#,
        ),
        (
            "/api/user/teams/t-own/members",
            200,
            r#"[{"username":"ada","role":"owner","since":1843},{"username":"charles","role":"admin"},{"role":"member"}]"#,
        ),
    ])
    .await;
    let browser = Browser::new();

    let home = apps.log_in(&browser).await;

    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    home.assert_contains("Signed in");
    // The profile, its unknown fields ignored.
    home.assert_contains("Ada L.");
    home.assert_contains("ada@example.test");
    // The team whose role this app does not know: shown, and said to be unknown.
    home.assert_contains("Analytical Engines");
    home.assert_contains("owner (a role this app does not know)");
    home.assert_contains("charles");
    // What could not be read is named, the rest is kept.
    home.assert_contains("One team in the provider's answer could not be read");
    home.assert_contains("missing field `name`");
    home.assert_contains("One member in the provider's answer could not be read");
}

#[tokio::test]
async fn a_provider_without_a_teams_api_still_gives_the_profile_and_says_the_teams_are_missing() {
    let apps = spawn_foreign_api(&[(
        "/api/user/teams",
        404,
        r#"{"error":"not_found","error_description":"no such endpoint"}"#,
    )])
    .await;
    let browser = Browser::new();

    let home = apps.log_in(&browser).await;

    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    home.assert_contains("Signed in");
    home.assert_contains("demo");
    home.assert_contains("The provider answered 404");
}

#[tokio::test]
async fn a_profile_answer_that_is_not_the_documented_json_is_named_and_the_teams_still_shown() {
    let apps = spawn_foreign_api(&[("/api/auth/me", 200, r#"{"sub":"u-7","name":"Ada"}"#)]).await;
    let browser = Browser::new();

    let home = apps.log_in(&browser).await;

    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    home.assert_contains("The provider's answer could not be read");
    home.assert_contains("missing field `id`");
    home.assert_contains("Your teams");
}
