//! `/spa`: the page whose script is a public client (RFC 6749 §2.1, RFC 7636, the OAuth 2.0
//! for Browser-Based Apps draft). The script itself runs only in a real browser
//! (`e2e/tests/browser_spa.rs`); here: the page is served with the discovered endpoints and
//! the public client in its configuration, its Content-Security-Policy lets it reach the
//! provider and nothing else, the script is served as JavaScript and reads only what the
//! page gives it, and the configuration works with the real provider from this origin.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, ORIGIN};
use sha2::{Digest, Sha256};

use testkit::{
    Browser, PASSWORD, Page, TestApps, USERNAME, query_param, spawn_client_on,
    spawn_provider_and_client,
};

/// The value of `data-<name>` on the page, entities decoded.
fn data_attribute(page: &Page, name: &str) -> String {
    let text = page.text();
    let needle = format!("data-{name}=\"");
    let start = text
        .find(&needle)
        .unwrap_or_else(|| panic!("no data-{name} on {}:\n{}", page.url, page.body))
        + needle.len();
    let end = text[start..].find('"').expect("a closing quote") + start;
    text[start..end].to_owned()
}

/// The directives of a Content-Security-Policy header, as `(name, sources)`.
fn csp_directives(page: &Page) -> Vec<(String, Vec<String>)> {
    let policy = page
        .headers
        .get(CONTENT_SECURITY_POLICY)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_else(|| panic!("{} has no Content-Security-Policy", page.url));
    policy
        .split(';')
        .filter_map(|directive| {
            let mut words = directive.split_whitespace().map(str::to_owned);
            let name = words.next()?;
            Some((name, words.collect()))
        })
        .collect()
}

fn directive(page: &Page, name: &str) -> Option<Vec<String>> {
    csp_directives(page)
        .into_iter()
        .find(|(directive, _)| directive == name)
        .map(|(_, sources)| sources)
}

#[tokio::test]
async fn the_spa_page_hands_its_script_the_discovered_endpoints_and_the_public_client() {
    let apps = spawn_provider_and_client().await;
    let page = apps.browser.get(&apps.client_url("/spa")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.headers[CONTENT_TYPE]
            .to_str()
            .expect("ascii")
            .starts_with("text/html"),
    );
    let expected = [
        ("client-id", "spa-client".to_owned()),
        ("redirect-uri", apps.client_url("/spa/callback")),
        ("issuer", apps.provider.clone()),
        ("iss-required", "true".to_owned()),
        (
            "authorization-endpoint",
            apps.provider_url("/oauth/authorize"),
        ),
        ("token-endpoint", apps.provider_url("/oauth/token")),
        ("revocation-endpoint", apps.provider_url("/oauth/revoke")),
        ("profile-endpoint", apps.provider_url("/api/auth/me")),
        ("scope", "profile:read teams:read".to_owned()),
    ];
    for (name, value) in expected {
        assert_eq!(data_attribute(&page, name), value, "data-{name}");
    }
    page.assert_contains("<script src=\"/static/spa.js\"");
    assert!(
        !page.body.contains("testsecret"),
        "the confidential client's secret is not on the page"
    );
    // The learner's one screen: both ways compared, and why the server-side one is kept.
    page.assert_contains("Two kinds of client, side by side");
    page.assert_contains("backend for frontend");
    page.assert_contains("What is lost on reload");
}

#[tokio::test]
async fn the_spa_pages_policy_allows_scripts_from_this_origin_and_connections_to_the_provider_only()
{
    let apps = spawn_provider_and_client().await;
    let page = apps.browser.get(&apps.client_url("/spa")).await;
    assert_eq!(
        directive(&page, "connect-src"),
        Some(vec![apps.provider.clone()]),
        "fetch may reach the provider, and nothing else (not even this app)"
    );
    assert_eq!(
        directive(&page, "default-src"),
        Some(vec!["'self'".to_owned()])
    );
    assert_eq!(
        directive(&page, "script-src"),
        None,
        "scripts fall back to default-src 'self': same-origin files, no inline script"
    );
    assert_eq!(
        directive(&page, "frame-ancestors"),
        Some(vec!["'none'".to_owned()])
    );
    assert_eq!(
        directive(&page, "require-trusted-types-for"),
        Some(vec!["'script'".to_owned()])
    );
    assert!(!page.body.contains("unsafe-inline") && !page.body.contains("<script>"));

    // Every other page keeps the strict policy: no connections to the provider.
    for path in ["/", "/flow"] {
        let other = apps.browser.get(&apps.client_url(path)).await;
        assert_eq!(directive(&other, "connect-src"), None, "{path}");
        assert_eq!(
            directive(&other, "default-src"),
            Some(vec!["'self'".to_owned()]),
            "{path}"
        );
        // Forms post here, and may lead on to the provider: the logout form's answer
        // redirects to its end_session_endpoint, and a browser applies form-action to that
        // redirect too (without the provider's origin, Chrome stays on the page).
        assert_eq!(
            directive(&other, "form-action"),
            Some(vec!["'self'".to_owned(), apps.provider.clone()]),
            "{path}"
        );
    }
}

#[tokio::test]
async fn spa_js_is_served_as_javascript_and_reads_only_settings_the_page_provides() {
    let apps = spawn_provider_and_client().await;
    let page = apps.browser.get(&apps.client_url("/spa")).await;
    let script = apps.browser.get(&apps.client_url("/static/spa.js")).await;
    assert_eq!(script.status, StatusCode::OK);
    assert_eq!(
        script.headers[CONTENT_TYPE],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(script.headers["x-content-type-options"], "nosniff");
    // Each `config.someName` the script reads is a `data-some-name` the page writes.
    let mut read = Vec::new();
    for (index, _) in script.body.match_indices("config.") {
        let name: String = script.body[index + "config.".len()..]
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        let kebab: String = name
            .chars()
            .flat_map(|c| {
                if c.is_ascii_uppercase() {
                    vec!['-', c.to_ascii_lowercase()]
                } else {
                    vec![c]
                }
            })
            .collect();
        data_attribute(&page, &kebab);
        read.push(kebab);
    }
    for needed in [
        "authorization-endpoint",
        "token-endpoint",
        "client-id",
        "redirect-uri",
    ] {
        assert!(
            read.iter().any(|name| name == needed),
            "spa.js reads {needed}"
        );
    }
    // No provider URL is written into the script itself.
    for url_part in ["http://", "https://", "/oauth/", "/api/"] {
        assert!(!script.body.contains(url_part), "{url_part} in spa.js");
    }
}

#[tokio::test]
async fn the_public_redirect_uri_serves_the_same_page_whatever_its_query() {
    let apps = spawn_provider_and_client().await;
    let spa = apps.browser.get(&apps.client_url("/spa")).await;
    for query in [
        "?code=code-ZZ9xq&state=xyz",
        "?error=access_denied&state=xyz",
        "",
    ] {
        let callback = apps
            .browser
            .get(&apps.client_url(&format!("/spa/callback{query}")))
            .await;
        assert_eq!(
            callback.status,
            StatusCode::OK,
            "{query}: {}",
            callback.body
        );
        assert_eq!(
            data_attribute(&callback, "token-endpoint"),
            data_attribute(&spa, "token-endpoint")
        );
        assert_eq!(
            callback.headers[CONTENT_SECURITY_POLICY],
            spa.headers[CONTENT_SECURITY_POLICY]
        );
        assert!(
            !callback.body.contains("ZZ9xq"),
            "the code is not echoed by the server"
        );
    }
}

#[tokio::test]
async fn another_public_redirect_uri_is_served_at_its_own_path() {
    let provider = spawn_provider_and_client().await.provider;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let client = format!("http://{}", listener.local_addr().expect("bound"));
    let redirect = format!("{client}/browser/return");
    spawn_client_on(listener, &provider, &[("PUBLIC_REDIRECT_URI", &redirect)]);
    let browser = Browser::new();
    let page = browser.get(&format!("{client}/browser/return")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(data_attribute(&page, "redirect-uri"), redirect);
    let old = browser.get(&format!("{client}/spa/callback")).await;
    assert_eq!(old.status, StatusCode::NOT_FOUND);
}

/// The provider's login and consent for an authorization URL; answers the redirect back.
async fn approve(apps: &TestApps, browser: &Browser, authorization_url: &str) -> String {
    let login = browser.get(authorization_url).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    let logged_in = browser
        .post(
            &apps.provider_url("/login"),
            &[
                ("username", USERNAME),
                ("password", PASSWORD),
                ("csrf_token", &login.hidden("csrf_token")),
                ("request_id", &login.hidden("request_id")),
            ],
        )
        .await;
    let consent = browser
        .get(&logged_in.redirect_target(StatusCode::SEE_OTHER))
        .await;
    consent.assert_contains("Browser app (public client)");
    let decided = browser
        .post(
            &apps.provider_url("/oauth/authorize"),
            &[
                ("csrf_token", &consent.hidden("csrf_token")),
                ("request_id", &consent.hidden("request_id")),
                ("decision", "approve"),
            ],
        )
        .await;
    decided.redirect_target(StatusCode::SEE_OTHER)
}

#[tokio::test]
async fn the_pages_configuration_is_a_public_client_the_provider_accepts_from_this_origin() {
    // What spa.js does, done here with the page's own settings: if this works, only the
    // JavaScript is left for the browser test to prove.
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    let page = browser.get(&apps.client_url("/spa")).await;
    let setting = |name: &str| data_attribute(&page, name);
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let mut authorization = url::Url::parse(&setting("authorization-endpoint")).expect("a URL");
    authorization
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &setting("client-id"))
        .append_pair("redirect_uri", &setting("redirect-uri"))
        .append_pair("scope", &setting("scope"))
        .append_pair("state", "s-1")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let back = approve(&apps, &browser, authorization.as_str()).await;
    assert!(
        back.starts_with(&format!("{}?", setting("redirect-uri"))),
        "{back}"
    );
    assert_eq!(
        query_param(&back, "iss").as_deref(),
        Some(setting("issuer").as_str())
    );
    let callback_page = browser.get(&back).await;
    assert_eq!(callback_page.status, StatusCode::OK);

    let code = query_param(&back, "code").expect("a code");
    let exchange = reqwest::Client::new()
        .post(setting("token-endpoint"))
        .header(ORIGIN, &apps.client)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", setting("redirect-uri").as_str()),
            ("client_id", setting("client-id").as_str()),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .expect("the provider answers");
    assert_eq!(exchange.status(), StatusCode::OK);
    assert_eq!(
        exchange.headers()["access-control-allow-origin"],
        apps.client.as_str(),
        "the browser may read the token response on this origin"
    );
    let tokens: serde_json::Value = exchange.json().await.expect("JSON");
    let access = tokens["access_token"].as_str().expect("an access token");
    let me = reqwest::Client::new()
        .get(setting("profile-endpoint"))
        .header(ORIGIN, &apps.client)
        .bearer_auth(access)
        .send()
        .await
        .expect("the provider answers");
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(
        me.headers()["access-control-allow-origin"],
        apps.client.as_str()
    );
}

#[tokio::test]
async fn the_home_page_offers_both_ways_and_the_inspector_says_the_spa_flow_is_not_recorded() {
    let apps = spawn_provider_and_client().await;
    let home = apps.browser.get(&apps.client_url("/")).await;
    home.assert_contains("href=\"/login\"");
    home.assert_contains("href=\"/spa\"");
    home.assert_contains("Two ways to log in");
    let flow = apps.browser.get(&apps.client_url("/flow")).await;
    flow.assert_contains("is not recorded here");
    flow.assert_contains("href=\"/spa\"");
}

#[tokio::test]
async fn the_spa_page_says_so_when_the_provider_cannot_be_reached() {
    let apps = spawn_provider_and_client().await;
    apps.provider_handle.stop(false).await;
    let page = apps.browser.get(&apps.client_url("/spa")).await;
    assert_eq!(
        page.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        page.body
    );
    page.assert_contains("cannot be reached");
}
