//! The pending authorization request (RFC 6749 §4.1.1 to §4.1.2): what the session keeps
//! between the request and the user's decision is checked again when it is read back. A
//! damaged one is an error page, never a default grant.
//!
//! The session store is out of a test's reach through HTTP, so these tests mount the real
//! handlers and the real session middleware in a small app beside one route that plants a
//! damaged request in the session, as a stale or tampered session store would hold it.

use actix_session::{Session, SessionMiddleware};
use actix_web::cookie::Key;
use actix_web::{App, HttpResponse, HttpServer, web};
use provider::config::Settings;
use provider::oauth::{authorize::authorize, consent::decide};
use provider::state::AppState;
use provider::store::Store;
use provider::web::login::submit_login;
use provider::web::session::{PENDING, ProviderSession};
use provider::web::session_store::MemorySessionStore;
use serde_json::json;
use shared::env::EnvSource;

use reqwest::StatusCode;

use testkit::{CHALLENGE, CLIENT_ID, PASSWORD, REDIRECT_URI, USERNAME, new_browser};

/// The request id the damaged request is planted under.
const PLANTED: &str = "planted";

/// A pending request as the session keeps it, valid but for `field`, which is `value`.
fn stored_pending(field: &str, value: serde_json::Value) -> serde_json::Value {
    let mut pending = json!({
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scopes": "profile:read teams:read",
        "state": "state-123",
        "code_challenge": CHALLENGE,
        "created_at": provider::domain::Clock::System.now_millis(),
    });
    pending[field] = value;
    pending
}

/// Plants a pending request damaged in `?field=` (a JSON `?value=`), logs the demo user in when `?log_in=yes`, and
/// answers with the session's CSRF token.
async fn plant(
    query: web::Query<std::collections::HashMap<String, String>>,
    raw: Session,
    session: ProviderSession,
    app: web::Data<AppState>,
) -> actix_web::Result<HttpResponse> {
    if query.get("log_in").is_some() {
        session.log_in(&app.user.id, app.clock.now_millis())?;
    }
    let field = query.get("field").cloned().unwrap_or_default();
    let value: serde_json::Value =
        serde_json::from_str(query.get("value").map_or("null", String::as_str))?;
    raw.insert(PENDING, json!({ PLANTED: stored_pending(&field, value) }))?;
    Ok(HttpResponse::Ok().body(session.csrf_token()?))
}

/// The authorization endpoint, the login form and the consent decision, over a real
/// session, with [`plant`] beside them, on a free port. Returns its base URL.
async fn spawn_handlers() -> String {
    let settings = Settings::from_source(&EnvSource::from_pairs([(
        "ISSUER",
        "http://127.0.0.1:8080",
    )]))
    .expect("test settings are valid");
    let store = Store::connect(&settings)
        .await
        .expect("the memory store opens");
    let app = web::Data::new(
        AppState::new(
            settings,
            std::sync::Arc::new(store),
            provider::domain::Clock::System,
        )
        .expect("the signing keys are made"),
    );
    let sessions = MemorySessionStore::default();
    let key = Key::generate();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port on loopback");
    let base = format!("http://{}", listener.local_addr().expect("bound"));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(app.clone())
            .wrap(
                SessionMiddleware::builder(sessions.clone(), key.clone())
                    .cookie_secure(false)
                    .build(),
            )
            .route("/plant", web::get().to(plant))
            .route("/login", web::post().to(submit_login))
            .route("/oauth/authorize", web::get().to(authorize))
            .route("/oauth/authorize", web::post().to(decide))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .expect("the test server listens")
    .run();
    tokio::spawn(server);
    base
}

/// Plants a request damaged in `field` (a JSON `value`) in a fresh browser's session;
/// returns the browser and its CSRF token.
async fn browser_with_damaged_request(
    base: &str,
    field: &str,
    value: &str,
    log_in: bool,
) -> (reqwest::Client, String) {
    let browser = new_browser();
    let mut query = vec![("field", field), ("value", value)];
    if log_in {
        query.push(("log_in", "yes"));
    }
    let planted = browser
        .get(format!("{base}/plant"))
        .query(&query)
        .send()
        .await
        .expect("the test server answers");
    assert_eq!(planted.status(), StatusCode::OK);
    let csrf_token = planted.text().await.expect("the CSRF token");
    (browser, csrf_token)
}

/// What is wrong with each planted request, as `(field, JSON value)`.
const DAMAGES: [(&str, &str); 5] = [
    ("scopes", "\"admin:everything\""),
    ("scopes", "\"\""),
    ("code_challenge", "\"too-short\""),
    ("state", "\"line\\nbreak\""),
    ("client_id", "\"\""),
];

#[tokio::test]
async fn a_damaged_pending_request_is_an_error_page_never_the_default_scope_nor_a_code() {
    let base = spawn_handlers().await;
    for (field, value) in DAMAGES {
        let (browser, csrf_token) = browser_with_damaged_request(&base, field, value, true).await;

        // Resuming the request shows an error page, not a consent page for a default.
        let resumed = browser
            .get(format!("{base}/oauth/authorize?request_id={PLANTED}"))
            .send()
            .await
            .expect("the provider answers");
        assert_eq!(resumed.status(), StatusCode::BAD_REQUEST, "{field}={value}");
        let page = resumed.text().await.expect("a page");
        assert!(
            page.contains("This sign-in request cannot be read"),
            "{field}={value}: {page}"
        );
        assert!(!page.contains("profile:read"), "{field}={value}");

        // Approving it anyway issues no code and redirects nowhere.
        let approved = browser
            .post(format!("{base}/oauth/authorize"))
            .form(&[
                ("csrf_token", csrf_token.as_str()),
                ("request_id", PLANTED),
                ("decision", "approve"),
            ])
            .send()
            .await
            .expect("the provider answers");
        assert_eq!(
            approved.status(),
            StatusCode::BAD_REQUEST,
            "{field}={value}"
        );
        assert!(
            approved.headers().get("location").is_none(),
            "{field}={value}"
        );
    }
}

#[tokio::test]
async fn logging_in_to_continue_a_damaged_pending_request_shows_the_error_page() {
    let base = spawn_handlers().await;
    let (browser, csrf_token) =
        browser_with_damaged_request(&base, "scopes", "\"admin:everything\"", false).await;
    let login = browser
        .post(format!("{base}/login"))
        .form(&[
            ("username", USERNAME),
            ("password", PASSWORD),
            ("csrf_token", csrf_token.as_str()),
            ("request_id", PLANTED),
        ])
        .send()
        .await
        .expect("the provider answers");
    assert_eq!(login.status(), StatusCode::BAD_REQUEST);
    let page = login.text().await.expect("a page");
    assert!(
        page.contains("This sign-in request cannot be read"),
        "{page}"
    );
}
