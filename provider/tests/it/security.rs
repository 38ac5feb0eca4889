//! RFC 9700 (OAuth 2.0 security best current practice) and RFC 6749 §10 around the
//! protocol: anti-framing headers on every page (§10.13), cookies named for the provider
//! and `HttpOnly; SameSite=Lax`, the session renewed at login, body limits, rate limits
//! (§10.10's brute force), logs that never hold a secret, and HTML that escapes what it
//! reflects.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use shared::token::TokenResponse;

use testkit::{
    AuthorizationRequest, CLIENT_ID, PASSWORD, REDIRECT_URI, TestProvider, USERNAME, VERIFIER,
    header_value, hidden_input, location, new_browser, query_param, spawn_provider,
    spawn_provider_with, token_pair,
};

const XSS: &str = "\"><script>alert(1)</script>";

/// Asserts the anti-framing headers of an HTML page.
fn assert_not_frameable(response: &reqwest::Response, what: &str) {
    assert!(
        header_value(response, "content-type").is_some_and(|t| t.starts_with("text/html")),
        "{what} is an HTML page"
    );
    assert_eq!(
        header_value(response, "x-frame-options").as_deref(),
        Some("DENY"),
        "{what}"
    );
    let csp = header_value(response, "content-security-policy").unwrap_or_default();
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
}

/// The `provider_session` Set-Cookie line of `response`, if any.
fn session_set_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|line| line.starts_with("provider_session="))
        .map(str::to_owned)
}

/// The `name=value` part of a Set-Cookie line.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap_or_default().to_owned()
}

/// Asserts that `html` does not carry `XSS` unescaped.
fn assert_escaped(html: &str, what: &str) {
    assert!(
        !html.contains("<script>alert(1)</script>") && !html.contains("\"><script"),
        "{what} reflects markup unescaped: {html}"
    );
}

/// A reqwest client that gives up after a few seconds, so a stalled worker fails the test.
fn impatient_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a reqwest client")
}

#[tokio::test]
async fn every_html_page_refuses_to_be_framed() {
    let provider = spawn_provider().await;
    let browser = new_browser();

    let login = provider
        .start_authorization(&browser, &AuthorizationRequest::default())
        .await;
    assert_not_frameable(&login, "the login page");
    let login_html = login.text().await.expect("a page");

    let wrong = provider
        .log_in(&browser, &login_html, USERNAME, "wrong-password")
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_not_frameable(&wrong, "the wrong-password page");
    let wrong_html = wrong.text().await.expect("a page");

    let logged_in = provider
        .log_in(&browser, &wrong_html, USERNAME, PASSWORD)
        .await;
    let consent = provider.follow(&browser, &logged_in).await;
    assert_eq!(consent.status(), StatusCode::OK);
    assert_not_frameable(&consent, "the consent page");

    let account = browser
        .get(provider.url("/account"))
        .send()
        .await
        .expect("answers");
    assert_not_frameable(&account, "the account page");

    let forged = browser
        .post(provider.url("/logout"))
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .expect("answers");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_not_frameable(&forged, "the CSRF refusal page");

    let stranger = new_browser();
    for (path, status, what) in [
        ("/account", StatusCode::OK, "the signed-out account page"),
        ("/login", StatusCode::OK, "the login form on its own"),
        (
            "/oauth/authorize?client_id=nobody",
            StatusCode::BAD_REQUEST,
            "the error page",
        ),
        ("/no-such-page", StatusCode::NOT_FOUND, "the 404 page"),
    ] {
        let response = stranger
            .get(provider.url(path))
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), status, "{what}");
        assert_not_frameable(&response, what);
    }
}

#[tokio::test]
async fn the_session_cookie_is_named_for_the_provider_httponly_and_samesite_lax() {
    let provider = spawn_provider().await;
    let response = provider
        .start_authorization(&new_browser(), &AuthorizationRequest::default())
        .await;
    let cookie = session_set_cookie(&response).expect("a provider_session cookie is set");
    let attributes: Vec<String> = cookie
        .split(';')
        .skip(1)
        .map(|part| part.trim().to_ascii_lowercase())
        .collect();
    assert!(attributes.iter().any(|a| a == "httponly"), "{cookie}");
    assert!(attributes.iter().any(|a| a == "samesite=lax"), "{cookie}");
    assert!(attributes.iter().any(|a| a == "path=/"), "{cookie}");
    let names: Vec<String> = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .map(|line| line.split('=').next().unwrap_or_default().to_owned())
        .collect();
    assert!(
        names.iter().all(|name| name.starts_with("provider_")),
        "every provider cookie is named for the provider: {names:?}"
    );
}

#[tokio::test]
async fn the_session_id_is_renewed_at_login_so_a_planted_one_is_worthless() {
    let provider = spawn_provider().await;
    let browser = new_browser();
    let login = provider
        .start_authorization(&browser, &AuthorizationRequest::default())
        .await;
    let before = cookie_pair(&session_set_cookie(&login).expect("a session cookie"));
    let login_html = login.text().await.expect("a page");
    let logged_in = provider
        .log_in(&browser, &login_html, USERNAME, PASSWORD)
        .await;
    assert_eq!(logged_in.status(), StatusCode::SEE_OTHER);
    let after = cookie_pair(&session_set_cookie(&logged_in).expect("a renewed session cookie"));
    assert_ne!(before, after, "the session id changes at login");

    // The cookie from before login (one an attacker could have planted) is not signed in.
    let planted = provider
        .api
        .get(provider.url("/account"))
        .header(COOKIE, &before)
        .send()
        .await
        .expect("answers");
    let html = planted.text().await.expect("a page");
    assert!(html.contains("name=\"password\""), "not signed in: {html}");
    let (_, html) = provider.page(&browser, "/account").await;
    assert!(
        html.contains("action=\"/logout\""),
        "the real browser is signed in"
    );
}

#[tokio::test]
async fn a_ten_megabyte_body_is_refused_with_413_at_once_and_the_provider_still_works() {
    let provider = spawn_provider().await;
    let client = impatient_client();
    let huge = vec![b'a'; 10 * 1024 * 1024];
    for (method, path, content_type) in [
        (
            reqwest::Method::POST,
            "/oauth/token",
            "application/x-www-form-urlencoded",
        ),
        (
            reqwest::Method::POST,
            "/login",
            "application/x-www-form-urlencoded",
        ),
        (
            reqwest::Method::POST,
            "/oauth/revoke",
            "application/x-www-form-urlencoded",
        ),
        (reqwest::Method::GET, "/public", "text/plain"),
    ] {
        let response = client
            .request(method.clone(), provider.url(path))
            .header(CONTENT_TYPE, content_type)
            .body(huge.clone())
            .send()
            .await
            .unwrap_or_else(|error| panic!("{method} {path} is answered, not stalled: {error}"));
        assert_eq!(
            response.status(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "{method} {path}"
        );
    }
    let tokens = provider.user_tokens().await;
    assert!(tokens.refresh_token.is_some(), "a normal flow still works");
}

/// POSTs a chunked body of `megabytes` MiB to `path` over a raw connection: no
/// Content-Length, so only reading tells the size. Returns the response's status line.
async fn post_chunked(provider: &TestProvider, path: &str, megabytes: usize) -> String {
    use std::io::{Read, Write};
    let address = provider.base.trim_start_matches("http://").to_owned();
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let stream = std::net::TcpStream::connect(&address).expect("connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("a read timeout");
        let mut writer = stream.try_clone().expect("a second handle");
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {address}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\n\
             Transfer-Encoding: chunked\r\n\r\n"
        );
        // The writer may be cut off when the provider refuses and closes: that is fine.
        let writing = std::thread::spawn(move || {
            let chunk = [
                format!("{:x}\r\n", 64 * 1024).into_bytes(),
                vec![b'a'; 64 * 1024],
                b"\r\n".to_vec(),
            ]
            .concat();
            let _ = writer.write_all(head.as_bytes());
            for _ in 0..megabytes * 16 {
                if writer.write_all(&chunk).is_err() {
                    return;
                }
            }
            let _ = writer.write_all(b"0\r\n\r\n");
        });
        let mut reader = stream;
        let mut response = Vec::new();
        let mut buffer = [0u8; 4096];
        while !response.windows(2).any(|pair| pair == b"\r\n") {
            match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => response.extend_from_slice(&buffer[..read]),
                Err(error) => panic!("{path} is answered, not stalled: {error}"),
            }
        }
        let _ = reader.shutdown(std::net::Shutdown::Both);
        let _ = writing.join();
        String::from_utf8_lossy(&response)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    })
    .await
    .expect("the raw request ran")
}

#[tokio::test]
async fn a_ten_megabyte_chunked_body_without_a_length_is_cut_off_with_413() {
    let provider = spawn_provider().await;
    for path in ["/oauth/token", "/login", "/oauth/revoke", "/account"] {
        let status_line = post_chunked(&provider, path, 10).await;
        assert!(status_line.contains(" 413 "), "{path}: {status_line}");
    }
    let tokens = provider.user_tokens().await;
    assert!(tokens.refresh_token.is_some(), "a normal flow still works");
}

#[tokio::test]
async fn a_body_just_over_64_kib_is_413_and_one_under_is_read() {
    let provider = spawn_provider().await;
    let client = impatient_client();
    let padding = "a".repeat(64 * 1024);
    let over = format!("grant_type=client_credentials&padding={padding}");
    let response = client
        .post(provider.url("/oauth/token"))
        .basic_auth(CLIENT_ID, Some(testkit::CLIENT_SECRET))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(over)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let under = format!(
        "grant_type=client_credentials&padding={}",
        "a".repeat(60 * 1024)
    );
    let response = client
        .post(provider.url("/oauth/token"))
        .basic_auth(CLIENT_ID, Some(testkit::CLIENT_SECRET))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(under)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
}

/// POSTs a wrong password to `/login` with the form's own CSRF token.
async fn wrong_login(provider: &TestProvider, browser: &reqwest::Client, html: &str) -> u16 {
    provider
        .log_in(browser, html, USERNAME, "wrong-password")
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_fourth_wrong_login_in_a_minute_from_one_address_is_429_with_retry_after() {
    let provider =
        spawn_provider_with(&[("RATE_LIMIT", "on"), ("RATE_LIMIT_LOGIN_PER_MINUTE", "3")]).await;
    let browser = new_browser();
    let (_, html) = provider.page(&browser, "/login").await;
    for attempt in 1..=3 {
        assert_eq!(
            wrong_login(&provider, &browser, &html).await,
            401,
            "attempt {attempt}"
        );
    }
    let fourth = provider
        .log_in(&browser, &html, USERNAME, "wrong-password")
        .await;
    assert_eq!(fourth.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after = header_value(&fourth, "retry-after").expect("a Retry-After header");
    assert!(
        retry_after.parse::<u64>().is_ok_and(|seconds| seconds >= 1),
        "{retry_after}"
    );
    let fifth = provider.log_in(&browser, &html, USERNAME, PASSWORD).await;
    assert_eq!(
        fifth.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
}

#[tokio::test]
async fn too_many_token_requests_are_429_with_retry_after_and_a_json_body() {
    let provider =
        spawn_provider_with(&[("RATE_LIMIT", "on"), ("RATE_LIMIT_TOKEN_PER_SECOND", "2")]).await;
    let mut limited = None;
    for _ in 0..30 {
        let response = provider
            .token_request(&[("grant_type", "client_credentials")])
            .await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(response);
            break;
        }
        assert_eq!(response.status(), StatusCode::OK);
    }
    let response = limited.expect("the limit is reached within 30 back-to-back requests");
    let retry_after = header_value(&response, "retry-after").expect("a Retry-After header");
    assert!(
        retry_after.parse::<u64>().is_ok_and(|seconds| seconds >= 1),
        "Retry-After tells the client to wait, not to retry at once: {retry_after}"
    );
    let body: serde_json::Value = response.json().await.expect("a JSON body");
    assert!(body["error"].is_string(), "{body}");
    assert!(body["error_description"].is_string(), "{body}");
}

#[tokio::test]
async fn with_rate_limits_off_fifty_requests_are_never_429() {
    let provider = spawn_provider_with(&[
        ("RATE_LIMIT", "off"),
        ("RATE_LIMIT_LOGIN_PER_MINUTE", "1"),
        ("RATE_LIMIT_TOKEN_PER_SECOND", "1"),
    ])
    .await;
    let browser = new_browser();
    let (_, html) = provider.page(&browser, "/login").await;
    for _ in 0..50 {
        assert_eq!(wrong_login(&provider, &browser, &html).await, 401);
        let token = provider
            .token_request(&[("grant_type", "client_credentials")])
            .await;
        assert_eq!(token.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn markup_in_any_reflected_value_is_escaped() {
    let provider = spawn_provider().await;
    let stranger = new_browser();
    let mut requests = Vec::new();
    for field in ["client_id", "redirect_uri"] {
        let mut request = AuthorizationRequest::default();
        match field {
            "client_id" => request.client_id = Some(XSS.into()),
            _ => request.redirect_uri = Some(XSS.into()),
        }
        requests.push((field, request));
    }
    for (field, request) in &requests {
        let response = provider.start_authorization(&stranger, request).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{field}");
        assert!(!response.headers().contains_key("location"), "{field}");
        assert_escaped(&response.text().await.expect("a page"), field);
    }
    for path in [
        format!("/oauth/authorize?request_id={}", urlencode(XSS)),
        format!("/{}", urlencode(XSS)),
        format!("/account?x={}", urlencode(XSS)),
    ] {
        let (_, html) = provider.page(&stranger, &path).await;
        assert_escaped(&html, &path);
    }

    // A state with markup: never shown raw on the login or consent page, echoed exactly.
    let browser = new_browser();
    let request = AuthorizationRequest {
        state: Some(XSS.into()),
        ..AuthorizationRequest::default()
    };
    let login = provider.start_authorization(&browser, &request).await;
    let login_html = login.text().await.expect("a page");
    assert_escaped(&login_html, "the login page");
    let wrong = provider.log_in(&browser, &login_html, XSS, "wrong").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let wrong_html = wrong.text().await.expect("a page");
    assert_escaped(&wrong_html, "the wrong-password page showing the username");
    assert!(
        wrong_html.contains("&lt;script&gt;"),
        "the username is shown, escaped"
    );
    let logged_in = provider
        .log_in(&browser, &wrong_html, USERNAME, PASSWORD)
        .await;
    let consent = provider.follow(&browser, &logged_in).await;
    let consent_html = consent.text().await.expect("a page");
    assert_escaped(&consent_html, "the consent page");
    let approved = provider.decide(&browser, &consent_html, "approve").await;
    assert_eq!(
        query_param(&location(&approved), "state").as_deref(),
        Some(XSS)
    );
}

fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[tokio::test]
async fn a_repeated_client_id_is_an_error_page_and_never_a_redirect() {
    let provider = spawn_provider().await;
    let request = AuthorizationRequest {
        extra: vec![("client_id".into(), XSS.into())],
        ..AuthorizationRequest::default()
    };
    let response = provider.start_authorization(&new_browser(), &request).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(!response.headers().contains_key("location"));
    assert_not_frameable(&response, "the error page");
    assert_escaped(&response.text().await.expect("a page"), "the error page");
}

// --- Logs: the real binary, a full flow, then a search of everything it printed. -------

const LOG_PASSWORD: &str = "s3cret-pass-xyz";
const LOG_WRONG_PASSWORD: &str = "wrong-pass-qqq-xyz";
const LOG_CLIENT_SECRET: &str = "client-secret-xyz";

/// The provider binary, running until dropped, its output going to two files.
struct RunningBinary {
    child: Child,
    dir: PathBuf,
    base: String,
}

impl RunningBinary {
    fn start() -> RunningBinary {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            listener.local_addr().expect("bound").port()
        };
        let dir = std::env::temp_dir().join(format!("provider-logs-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let stdout = std::fs::File::create(dir.join("stdout")).expect("a log file");
        let stderr = std::fs::File::create(dir.join("stderr")).expect("a log file");
        let base = format!("http://127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_provider"))
            .current_dir(&dir)
            // Only these settings: no `.env` (see shared::env::DOTENV).
            .env("DOTENV", "off")
            .env("PROVIDER_BIND", format!("127.0.0.1:{port}"))
            .env("ISSUER", &base)
            .env("RUST_LOG", "debug")
            .env("RATE_LIMIT", "off")
            .env("WORKERS", "2")
            .env("OAUTH_PASSWORD", LOG_PASSWORD)
            .env("CLIENT_SECRET", LOG_CLIENT_SECRET)
            .stdin(Stdio::null())
            .stdout(Stdio::from(stdout))
            .stderr(Stdio::from(stderr))
            .spawn()
            .expect("the provider binary starts");
        RunningBinary { child, dir, base }
    }

    /// Waits until the provider answers (or fails, with its output, if it exited).
    async fn wait_until_ready(&mut self, client: &reqwest::Client) {
        for _ in 0..300 {
            if let Some(status) = self.child.try_wait().expect("the child can be polled") {
                panic!("the provider exited with {status}: {}", self.output());
            }
            if client
                .get(format!("{}/public", self.base))
                .send()
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the provider never answered: {}", self.output());
    }

    fn output(&self) -> String {
        let read = |name: &str| std::fs::read_to_string(self.dir.join(name)).unwrap_or_default();
        format!("{}\n{}", read("stdout"), read("stderr"))
    }

    /// Stops the provider as an operator would (SIGTERM: it flushes its log and exits) and
    /// returns everything it printed. A SIGKILL could cut the log's last few milliseconds,
    /// which the log writes out in batches.
    fn stop(mut self) -> String {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        self.output()
    }
}

impl Drop for RunningBinary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn the_logs_of_a_full_flow_hold_fingerprints_but_never_a_secret() {
    let mut provider = RunningBinary::start();
    let api = impatient_client();
    provider.wait_until_ready(&api).await;
    let base = provider.base.clone();
    let url = |path: &str| format!("{base}{path}");
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a reqwest client");

    // Front channel: authorize, a wrong password, the right one, consent.
    let login = browser
        .get(url(&format!(
            "/oauth/authorize?{}",
            AuthorizationRequest::default().query()
        )))
        .send()
        .await
        .expect("answers");
    let login_html = login.text().await.expect("a page");
    let login_form = |html: &str, password: &str| {
        vec![
            ("username".to_owned(), USERNAME.to_owned()),
            ("password".to_owned(), password.to_owned()),
            (
                "csrf_token".to_owned(),
                hidden_input(html, "csrf_token").expect("csrf"),
            ),
            (
                "request_id".to_owned(),
                hidden_input(html, "request_id").expect("request"),
            ),
        ]
    };
    let wrong = browser
        .post(url("/login"))
        .form(&login_form(&login_html, LOG_WRONG_PASSWORD))
        .send()
        .await
        .expect("answers");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let wrong_html = wrong.text().await.expect("a page");
    let logged_in = browser
        .post(url("/login"))
        .form(&login_form(&wrong_html, LOG_PASSWORD))
        .send()
        .await
        .expect("answers");
    assert_eq!(logged_in.status(), StatusCode::SEE_OTHER);
    let consent_html = browser
        .get(url(&location(&logged_in)))
        .send()
        .await
        .expect("answers")
        .text()
        .await
        .expect("a page");
    let approved = browser
        .post(url("/oauth/authorize"))
        .form(&[
            (
                "csrf_token",
                hidden_input(&consent_html, "csrf_token").expect("csrf"),
            ),
            (
                "request_id",
                hidden_input(&consent_html, "request_id").expect("request"),
            ),
            ("decision", "approve".to_owned()),
        ])
        .send()
        .await
        .expect("answers");
    let code = query_param(&location(&approved), "code").expect("a code");

    // Back channel: token, refresh, API calls, introspection, revocation, client_credentials.
    let token_call = |form: Vec<(&'static str, String)>| {
        api.post(url("/oauth/token"))
            .basic_auth(CLIENT_ID, Some(LOG_CLIENT_SECRET))
            .form(&form)
            .send()
    };
    let first: TokenResponse = token_call(vec![
        ("grant_type", "authorization_code".into()),
        ("code", code.clone()),
        ("redirect_uri", REDIRECT_URI.into()),
        ("code_verifier", VERIFIER.into()),
    ])
    .await
    .expect("answers")
    .json()
    .await
    .expect("tokens");
    let (access1, refresh1) = token_pair(&first);
    let second: TokenResponse = token_call(vec![
        ("grant_type", "refresh_token".into()),
        ("refresh_token", refresh1.clone()),
    ])
    .await
    .expect("answers")
    .json()
    .await
    .expect("tokens");
    let (access2, refresh2) = token_pair(&second);
    let me = api
        .get(url("/api/auth/me"))
        .bearer_auth(&access2)
        .send()
        .await
        .expect("answers");
    assert_eq!(me.status(), StatusCode::OK);
    let in_query = api
        .get(url(&format!("/protected?access_token={access2}")))
        .send()
        .await
        .expect("answers");
    assert_eq!(in_query.status(), StatusCode::UNAUTHORIZED);
    let introspected = api
        .post(url("/oauth/introspect"))
        .basic_auth(CLIENT_ID, Some(LOG_CLIENT_SECRET))
        .form(&[("token", access2.as_str())])
        .send()
        .await
        .expect("answers");
    assert_eq!(introspected.status(), StatusCode::OK);
    let revoked = api
        .post(url("/oauth/revoke"))
        .form(&[
            ("token", refresh2.as_str()),
            ("client_id", CLIENT_ID),
            ("client_secret", LOG_CLIENT_SECRET),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(revoked.status(), StatusCode::OK);
    let reuse = token_call(vec![
        ("grant_type", "refresh_token".into()),
        ("refresh_token", refresh1.clone()),
    ])
    .await
    .expect("answers");
    assert_eq!(reuse.status(), StatusCode::BAD_REQUEST);
    let machine: TokenResponse = token_call(vec![("grant_type", "client_credentials".into())])
        .await
        .expect("answers")
        .json()
        .await
        .expect("a token");
    let machine_token = machine.access_token.expose().to_owned();
    let resource = api
        .get(url("/resource"))
        .bearer_auth(&machine_token)
        .send()
        .await
        .expect("answers");
    assert_eq!(resource.status(), StatusCode::OK);

    let logs = provider.stop();
    assert!(logs.contains("provider listening on"), "{logs}");
    let basic = STANDARD.encode(format!("{CLIENT_ID}:{LOG_CLIENT_SECRET}"));
    let csrf = hidden_input(&consent_html, "csrf_token").expect("csrf");
    for (what, secret) in [
        ("the first access token", access1.as_str()),
        ("the first refresh token", refresh1.as_str()),
        ("the rotated access token", access2.as_str()),
        ("the rotated refresh token", refresh2.as_str()),
        ("the client_credentials token", machine_token.as_str()),
        ("the authorization code", code.as_str()),
        ("the code verifier", VERIFIER),
        ("the client secret", LOG_CLIENT_SECRET),
        ("the Basic credentials", basic.as_str()),
        ("the password", LOG_PASSWORD),
        ("the wrong password", LOG_WRONG_PASSWORD),
        ("the CSRF token", csrf.as_str()),
    ] {
        assert!(!logs.contains(secret), "the logs contain {what}");
    }
    for (what, token) in [
        ("the first access token", &access1),
        ("the first refresh token", &refresh1),
        ("the rotated access token", &access2),
        ("the rotated refresh token", &refresh2),
        ("the client_credentials token", &machine_token),
    ] {
        let fingerprint = shared::fingerprint(token);
        assert!(
            logs.contains(&fingerprint),
            "the logs name {what} by its fingerprint {fingerprint}"
        );
    }
}
