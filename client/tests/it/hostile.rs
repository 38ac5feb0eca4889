//! Hostile input at the client, and a provider that misbehaves.
//!
//! - Garbage at `/callback` (RFC 6749 §4.1.2): missing, doubled and enormous `code` and
//!   `state`; each is a 4xx page that says what failed, never a 500, and the genuine
//!   response still works afterwards when nothing was spent.
//! - A forged or tampered session cookie is a stranger, not a crash.
//! - Injection: what a request carries comes back escaped in HTML, never leaves this origin
//!   in a `Location`, and cannot forge a line in the log (the binary, its stdout read back).
//! - A token endpoint (RFC 6749 §5.1) that answers HTML, a 500, invalid JSON, JSON without
//!   `token_type`, or nothing at all: a page that says so, within `CLIENT_HTTP_TIMEOUT`.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;

use testkit::fault_injector::{Fault, Faults, spawn_behind_fault_injector_with};
use testkit::{
    Browser, Page, TestApps, query_param, spawn_provider_and_client, spawn_provider_on, with_param,
};

const XSS: &str = "\"><script>alert(1)</script>";

/// Asserts a refusal page: a 4xx (never a 5xx), HTML, with a way on.
fn assert_polite_refusal(page: &Page, what: &str) {
    assert!(
        page.status.is_client_error(),
        "{what}: {} instead of a 4xx page: {}",
        page.status,
        page.body
    );
    assert!(
        page.body.contains("href=\"/login\"") || page.body.contains("href=\"/\""),
        "{what}: the page links on: {}",
        page.body
    );
}

/// Asserts `html` carries no markup from `XSS` unescaped.
fn assert_escaped(html: &str, what: &str) {
    assert!(
        !html.contains("<script>alert(1)</script>") && !html.contains("\"><script"),
        "{what} reflects markup unescaped: {html}"
    );
}

// ---------------------------------------------------------------------------------------
// Garbage at /callback.

#[tokio::test]
async fn garbage_at_the_callback_is_a_4xx_page_and_the_genuine_response_still_works() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    let hops = apps.authorize(&browser, "/login", "approve").await;
    let callback = &hops.callback_url;
    let state = query_param(callback, "state").expect("a state");
    let code = query_param(callback, "code").expect("a code");
    let iss = query_param(callback, "iss").expect("an iss");
    let bare = apps.client_url("/callback");
    let encode = |value: &str| -> String {
        url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
    };

    // None of these may spend the pending login: each is refused before the exchange.
    let not_spending = [
        ("no parameters at all", bare.clone()),
        (
            "no state",
            format!("{bare}?code={code}&iss={}", encode(&iss)),
        ),
        (
            "a doubled state",
            format!("{callback}&state={}", encode(&state)),
        ),
        ("a doubled code", format!("{callback}&code=second-code")),
        (
            "an enormous state",
            with_param(callback, "state", &"s".repeat(6000)),
        ),
        (
            "a state of control characters and unicode",
            with_param(callback, "state", "\u{0}\u{1b}[31m\u{202e}état"),
        ),
        (
            "a query that is not a query",
            format!("{bare}?%%%&&==&code"),
        ),
    ];
    for (what, url) in &not_spending {
        let page = browser.get(url).await;
        assert_polite_refusal(&page, what);
    }
    // A URL of 100 KiB is refused by the HTTP layer, not answered with a 500.
    let huge = with_param(callback, "code", &"c".repeat(100 * 1024));
    let response = browser.http.get(&huge).send().await;
    if let Ok(response) = response {
        assert!(
            response.status().is_client_error(),
            "a 100 KiB URL: {}",
            response.status()
        );
    }

    let home = apps.finish(&browser, callback).await;
    home.assert_contains("Signed in");

    // With a login pending, an enormous code reaches the provider, which refuses it.
    let hops = apps.authorize(&browser, "/login", "approve").await;
    let forged = with_param(&hops.callback_url, "code", &"c".repeat(6000));
    let page = browser.get(&forged).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    page.assert_contains("invalid_grant");
    assert_polite_refusal(&page, "an enormous code");
    // And a response without any code or error.
    let hops = apps.authorize(&browser, "/login", "approve").await;
    let mut url = url::Url::parse(&hops.callback_url).expect("a URL");
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(key, _)| key != "code")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut().clear().extend_pairs(kept);
    let page = browser.get(url.as_str()).await;
    assert_polite_refusal(&page, "no code");
    page.assert_contains("code missing");

    // The user is still signed in from before.
    let home = apps.home(&browser).await;
    home.assert_contains("Signed in");
    for page in browser.seen() {
        assert!(
            !page.status.is_server_error(),
            "{} {}",
            page.status,
            page.url
        );
    }
}

// ---------------------------------------------------------------------------------------
// Forged session cookies.

#[tokio::test]
async fn a_forged_or_tampered_session_cookie_is_a_stranger_not_a_crash() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    let home = apps.log_in(&browser).await;
    let cookies = browser.cookies_for(&apps.client_url("/"));
    let real = cookies
        .split("; ")
        .find(|pair| pair.starts_with("client_session="))
        .expect("a client_session cookie")
        .trim_start_matches("client_session=")
        .to_owned();
    let mut tampered = real.clone().into_bytes();
    let middle = tampered.len() / 2;
    tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ASCII");
    let forgeries = [
        ("garbage", "garbage".to_owned()),
        ("a tampered copy of a real cookie", tampered),
        ("a huge value", "x".repeat(3000)),
        ("markup", XSS.replace(['"', ';', ' '], "")),
        ("empty", String::new()),
    ];
    let stranger = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a reqwest client");
    let csrf = home.hidden("csrf_token");
    for (what, value) in &forgeries {
        let page = stranger
            .get(apps.client_url("/"))
            .header("cookie", format!("client_session={value}"))
            .send()
            .await
            .expect("answers");
        assert_eq!(page.status(), StatusCode::OK, "{what}");
        let html = page.text().await.expect("a page");
        assert!(
            html.contains("Log in with the provider"),
            "{what}: signed out"
        );
        assert!(!html.contains("Signed in"), "{what}");
        // A state-changing form with the real CSRF token but a forged cookie changes nothing.
        let refresh = stranger
            .post(apps.client_url("/refresh"))
            .header("cookie", format!("client_session={value}"))
            .form(&[("csrf_token", csrf.as_str())])
            .send()
            .await
            .expect("answers");
        assert_eq!(refresh.status(), StatusCode::FORBIDDEN, "{what}");
    }
    // The real session is untouched.
    let home = apps.home(&browser).await;
    home.assert_contains("Signed in");
    home.assert_contains("active</th><td><code>true</code>");
}

// ---------------------------------------------------------------------------------------
// Injection: HTML and Location.

#[tokio::test]
async fn markup_in_a_callback_is_shown_escaped_on_every_error_page() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    let hops = apps.authorize(&browser, "/login", "approve").await;
    let with_xss = [
        ("iss", with_param(&hops.callback_url, "iss", XSS)),
        ("state", with_param(&hops.callback_url, "state", XSS)),
    ];
    for (field, url) in &with_xss {
        let page = browser.get(url).await;
        assert_polite_refusal(&page, field);
        assert_escaped(&page.body, field);
    }
    // An error response carrying markup in every field.
    let hops = apps.authorize(&browser, "/login", "deny").await;
    let url = with_param(&hops.callback_url, "error", XSS);
    let url = with_param(&url, "error_description", XSS);
    let url = with_param(&url, "error_uri", &format!("javascript:alert(1)//{XSS}"));
    let page = browser.get(&url).await;
    assert_polite_refusal(&page, "an error response");
    assert_escaped(&page.body, "the error page");
    assert!(
        page.body.contains("&lt;script&gt;"),
        "shown, escaped: {}",
        page.body
    );
    assert!(!page.body.contains("href=\"javascript:"), "{}", page.body);
    // A path with markup.
    let page = browser
        .get(&apps.client_url("/%22%3E%3Cscript%3Ealert(1)%3C/script%3E"))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert_escaped(&page.body, "the 404 page");
}

#[tokio::test]
async fn the_canonical_origin_redirect_never_leaves_the_redirect_uris_origin() {
    let apps = spawn_provider_and_client().await;
    let origin = apps.client.clone();
    let address = origin.trim_start_matches("http://").to_owned();
    for target in [
        "//evil.example/path",
        "/\\evil.example",
        "/%0d%0aSet-Cookie:%20injected=1",
        "/login?next=http://evil.example/",
        "/@evil.example",
    ] {
        let request =
            format!("GET {target} HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n");
        let address = address.clone();
        let answer = tokio::task::spawn_blocking(move || {
            use std::io::Write;
            let mut stream = std::net::TcpStream::connect(&address).expect("connects");
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .expect("a timeout");
            stream.write_all(request.as_bytes()).expect("sends");
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            answer
        })
        .await
        .expect("ran");
        let status_line = answer.lines().next().unwrap_or_default().to_owned();
        assert!(!status_line.contains(" 5"), "{target}: {status_line}");
        let location = answer.lines().find_map(|line| {
            line.to_ascii_lowercase()
                .starts_with("location:")
                .then(|| line["location:".len()..].trim().to_owned())
        });
        if let Some(location) = location {
            assert!(
                location.starts_with(&format!("{origin}/")),
                "{target}: redirected off the origin to {location}"
            );
            assert!(
                !location.contains(['\r', '\n', ' ']),
                "{target}: {location:?}"
            );
        }
        assert!(
            !answer.to_ascii_lowercase().contains("set-cookie: injected"),
            "{target}: a header was injected: {answer}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Injection: the log.

#[tokio::test]
async fn a_callback_cannot_forge_a_line_in_the_clients_log() {
    // The real provider in-process; the client as its binary, its output captured.
    let client_port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("bound").port()
    };
    let client = format!("http://127.0.0.1:{client_port}");
    let provider_listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let provider = format!("http://{}", provider_listener.local_addr().expect("bound"));
    let _provider = spawn_provider_on(provider_listener, &format!("{client}/callback"), &[]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_client"))
        // Only these settings: a `.env` in the checkout is not read.
        .env("DOTENV", "off")
        .env("CLIENT_BIND", format!("127.0.0.1:{client_port}"))
        .env("AUTH_SERVER", &provider)
        .env("REDIRECT_URI", format!("{client}/callback"))
        .env("RUST_LOG", "debug")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the client binary starts");
    let output = Arc::new(Mutex::new(String::new()));
    let mut readers = Vec::new();
    for stream in [
        Box::new(child.stdout.take().expect("stdout")) as Box<dyn Read + Send>,
        Box::new(child.stderr.take().expect("stderr")),
    ] {
        let output = Arc::clone(&output);
        readers.push(std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let mut output = output.lock().expect("not poisoned");
                output.push_str(&line);
                output.push('\n');
            }
        }));
    }
    let browser = Browser::new();
    let mut started = None;
    for _ in 0..300 {
        if let Ok(response) = browser.http.get(format!("{client}/login")).send().await {
            started = Some(response);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let started = started.expect("the client binary answers");
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let authorization_url = started
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .expect("a redirect to the provider")
        .to_owned();
    let state = query_param(&authorization_url, "state").expect("a state");

    let forged_line = "FORGED-LOG-LINE level=ERROR admin logged in";
    let mut callback = url::Url::parse(&format!("{client}/callback")).expect("a URL");
    callback
        .query_pairs_mut()
        .append_pair("state", &state)
        .append_pair("iss", &provider)
        .append_pair(
            "error",
            &format!("access_denied\n{forged_line}\r\n{forged_line}"),
        )
        .append_pair("error_description", &format!("x\n{forged_line}"));
    let page = browser.get(callback.as_str()).await;
    assert_polite_refusal(&page, "the error response");
    // A path with an encoded line break is logged as sent (still encoded).
    let page = browser
        .get(&format!("{client}/%0A{}", forged_line.replace(' ', "%20")))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);

    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let _ = child.wait();
    for reader in readers {
        let _ = reader.join();
    }
    let logs = output.lock().expect("not poisoned").clone();
    assert!(logs.contains("client listening on"), "{logs}");
    assert!(
        logs.contains("access_denied\\nFORGED-LOG-LINE"),
        "the refusal is logged, its line break escaped:\n{logs}"
    );
    for line in logs.lines() {
        assert!(
            !line.trim_start().starts_with("FORGED-LOG-LINE"),
            "a request wrote a line of its own into the log:\n{logs}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// A token endpoint that misbehaves.

/// The real provider behind a proxy that can misbehave on chosen paths
/// ([`testkit::fault_injector`]), and the client using the proxy as its provider with
/// `CLIENT_HTTP_TIMEOUT=1`.
async fn spawn_behind_misbehaving_proxy() -> (TestApps, Faults) {
    let faulty = spawn_behind_fault_injector_with(&[("CLIENT_HTTP_TIMEOUT", "1")]).await;
    (faulty.apps, faulty.faults)
}

#[tokio::test]
async fn a_token_endpoint_that_answers_garbage_or_nothing_gives_a_page_saying_so() {
    let (apps, faults) = spawn_behind_misbehaving_proxy().await;
    let browser = Browser::new();
    let mut outcomes = Vec::new();
    for fault in [
        Fault::Html,
        Fault::ServerError,
        Fault::InvalidJson,
        Fault::NoTokenType,
        Fault::Hang,
    ] {
        let hops = apps.authorize(&browser, "/login", "approve").await;
        *faults.lock().expect("not poisoned") = vec![("/oauth/token".to_owned(), fault)];
        let started = std::time::Instant::now();
        let page = browser.get(&hops.callback_url).await;
        let took = started.elapsed();
        faults.lock().expect("not poisoned").clear();
        assert!(
            matches!(page.status.as_u16(), 502..=504),
            "{fault:?}: {} instead of a gateway error page: {}",
            page.status,
            page.body
        );
        assert!(
            page.body.contains("href=\"/login\"") || page.body.contains("href=\"/\""),
            "{fault:?}: a way on: {}",
            page.body
        );
        assert!(!page.body.contains("Signed in"), "{fault:?}");
        let text = page.text();
        let title = text
            .split("<h1>")
            .nth(1)
            .and_then(|rest| rest.split("</h1>").next())
            .unwrap_or_default()
            .to_owned();
        outcomes.push(format!(
            "{fault:?} → {} \"{title}\" in {took:.1?}",
            page.status
        ));
        if fault == Fault::Hang {
            page.assert_contains("cannot be reached");
            page.assert_contains("time limit");
        } else {
            page.assert_contains("cannot use");
        }
    }
    println!("token endpoint faults: {outcomes:#?}");
    // The client is not stuck: with the provider behaving again, logging in works.
    let home = apps.log_in(&browser).await;
    home.assert_contains("Signed in");
}

#[tokio::test]
async fn an_api_that_hangs_gives_a_page_within_the_time_limit_and_the_session_survives() {
    let (apps, faults) = spawn_behind_misbehaving_proxy().await;
    let browser = Browser::new();
    apps.log_in(&browser).await;
    *faults.lock().expect("not poisoned") = vec![("/api/auth/me".to_owned(), Fault::Hang)];
    let page = browser.get(&apps.client_url("/")).await;
    assert!(
        matches!(page.status.as_u16(), 503 | 504),
        "{}: {}",
        page.status,
        page.body
    );
    page.assert_contains("time limit");
    faults.lock().expect("not poisoned").clear();
    let home = apps.home(&browser).await;
    home.assert_contains("Signed in");
}
