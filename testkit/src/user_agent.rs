//! The user agent of RFC 6749 §1.2: the browser that carries the front channel. In a test it
//! is an HTTP client that keeps cookies (the provider's login session, the client's session)
//! and never follows a redirect by itself, so each hop of the flow can be asserted:
//!
//! ```text
//! client /login ─303→ provider /oauth/authorize ─200 login page─ POST /login ─303→
//! consent page ─ POST /oauth/authorize (approve|deny) ─303→ client /callback?code&state&iss
//! ```
//!
//! [`new_browser`] is the bare reqwest client (for provider tests that read each
//! `Response`); [`Browser`] also keeps every [`Page`] it got, so a test can search all of
//! them for a secret that must never reach the browser. [`login_form`] and [`consent_form`]
//! fill the provider's two forms as a person would, hidden CSRF fields included.

use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{HeaderMap, LOCATION};

use crate::html::{decode_entities, hidden_input};

/// A fresh browser: its own cookie jar, no redirect following.
pub fn new_browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(crate::POOL_IDLE_TIMEOUT)
        .build()
        .expect("a reqwest client")
}

/// The provider's login form, filled in: `username`, `password`, and the hidden fields of
/// `page_html` (`csrf_token`, `request_id`) that are there.
pub fn login_form(page_html: &str, username: &str, password: &str) -> Vec<(String, String)> {
    let mut form = vec![
        ("username".to_owned(), username.to_owned()),
        ("password".to_owned(), password.to_owned()),
    ];
    for name in ["csrf_token", "request_id"] {
        if let Some(value) = hidden_input(page_html, name) {
            form.push((name.to_owned(), value));
        }
    }
    form
}

/// The provider's consent form, decided: its hidden fields and `decision` (`approve` or
/// `deny`).
pub fn consent_form(page_html: &str, decision: &str) -> Vec<(String, String)> {
    let hidden = |name: &str| hidden_input(page_html, name).unwrap_or_default();
    vec![
        ("csrf_token".to_owned(), hidden("csrf_token")),
        ("request_id".to_owned(), hidden("request_id")),
        ("decision".to_owned(), decision.to_owned()),
    ]
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
        crate::urls::absolute(&self.url, &self.location())
    }

    /// The value of the hidden input `name`; panics, showing the page, when there is none.
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
            .pool_idle_timeout(crate::POOL_IDLE_TIMEOUT)
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

    /// POSTs `form`, form-urlencoded.
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

    /// POSTs a form built by [`login_form`] or [`consent_form`].
    pub async fn post_filled(&self, url: &str, form: &[(String, String)]) -> Page {
        let pairs: Vec<(&str, &str)> = form
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        self.post(url, &pairs).await
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
