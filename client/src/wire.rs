//! The wire: every call the client makes to the provider goes through [`Recorder`].
//!
//! Back-channel calls (RFC 6749 §4.1.3 token request, §6 refresh, RFC 7009 revocation,
//! RFC 7662 introspection, RFC 6750 resource requests) are sent by one reqwest client that
//! never follows redirects (the `oauth2` crate's SSRF warning: a redirect would send the
//! code, the verifier or the client secret wherever the provider points) and gives up after
//! `CLIENT_HTTP_TIMEOUT`. The recorder keeps a copy of each request and response so the
//! flow inspector can show it; [`Masker`] turns that copy into text with every secret
//! masked before it is kept anywhere.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use oauth2::{AsyncHttpClient, HttpRequest, HttpResponse};

/// Parameter names whose values are secrets, in form bodies, queries and JSON.
const SECRET_PARAMS: [&str; 7] = [
    "code",
    "code_verifier",
    "client_secret",
    "access_token",
    "refresh_token",
    "token",
    "id_token",
];

/// Response headers worth showing a learner; the rest is noise.
const SHOWN_RESPONSE_HEADERS: [&str; 7] = [
    "content-type",
    "cache-control",
    "pragma",
    "www-authenticate",
    "retry-after",
    "location",
    "content-length",
];

/// How long an unused connection stays in the pool. Servers close idle connections after
/// their keep-alive time: 5 s for actix-web (the provider, the API) and for Node (an
/// oidc-provider). A request sent on a connection at the very moment its server closes it
/// is lost mid-flight, and a token request must not be sent twice (the code is single-use,
/// RFC 6749 §4.1.2), so the client drops a connection before any of them would.
pub const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(4);

/// Builds the one outbound HTTP client: no redirects, a time limit on every call, no cookies.
pub fn http_client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        // The oauth2 crate's security warning: following redirects opens SSRF.
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .user_agent(concat!("oauth-flow-rs-client/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Why a call never got an HTTP response.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("cannot connect to {url}")]
    Connect {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("no answer from {url} within the time limit")]
    Timeout { url: String },
    #[error("the call to {url} failed")]
    Other {
        url: String,
        #[source]
        source: reqwest::Error,
    },
}

impl WireError {
    /// The URL that could not be reached.
    pub fn url(&self) -> &str {
        match self {
            WireError::Connect { url, .. }
            | WireError::Timeout { url }
            | WireError::Other { url, .. } => url,
        }
    }
}

/// One request and its outcome, unmasked. Lives only until it is masked into a
/// [`WireRecord`]; it has no `Debug` so it cannot end up in a log line.
pub struct RawExchange {
    pub method: String,
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Vec<u8>,
    pub response: Result<RawResponse, String>,
}

/// The response half of a [`RawExchange`].
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    /// A response header, by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Sends requests and remembers them. Implements the `oauth2` crate's
/// [`AsyncHttpClient`], so the crate's own token, refresh and introspection requests are
/// recorded exactly as they went out.
pub struct Recorder<'a> {
    http: &'a reqwest::Client,
    calls: Mutex<Vec<RawExchange>>,
}

impl<'a> Recorder<'a> {
    pub fn new(http: &'a reqwest::Client) -> Self {
        Self {
            http,
            calls: Mutex::new(Vec::new()),
        }
    }

    /// Sends one request, records it, and answers the response.
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse, WireError> {
        let method = request.method().to_string();
        let url = request.uri().to_string();
        let request_headers = header_pairs(request.headers());
        let request_body = request.body().clone();
        let result = self.execute(request, &url).await;
        let response = match &result {
            Ok(response) => Ok(RawResponse {
                status: response.status().as_u16(),
                headers: header_pairs(response.headers()),
                body: response.body().clone(),
            }),
            Err(error) => Err(error.to_string()),
        };
        self.calls
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(RawExchange {
                method,
                url,
                request_headers,
                request_body,
                response,
            });
        result
    }

    async fn execute(&self, request: HttpRequest, url: &str) -> Result<HttpResponse, WireError> {
        let classify = |source: reqwest::Error| {
            let url = url.to_owned();
            if source.is_timeout() {
                WireError::Timeout { url }
            } else if source.is_connect() {
                WireError::Connect { url, source }
            } else {
                WireError::Other { url, source }
            }
        };
        let request = reqwest::Request::try_from(request).map_err(classify)?;
        let response = self.http.execute(request).await.map_err(classify)?;
        let mut builder = oauth2::http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            builder = builder.header(name, value);
        }
        let body = response.bytes().await.map_err(classify)?;
        // Invariant: the status and every header come from a response reqwest parsed, so
        // they are valid for `http::Response` too; building cannot fail.
        Ok(builder
            .body(body.to_vec())
            .expect("invariant: status and headers were copied from a valid response"))
    }

    /// Every exchange recorded so far, oldest first; the recorder is empty afterwards.
    pub fn take(&self) -> Vec<RawExchange> {
        std::mem::take(&mut *self.calls.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Ends the recording: every exchange so far, with the masker that knows the secrets
    /// they carry, as one [`Recorded`] value the caller can hand on.
    pub fn finish(&self, masker: Masker) -> Recorded {
        Recorded {
            exchanges: self.take(),
            masker,
        }
    }

    /// The last exchange's response, if it got one.
    pub fn last_status(&self) -> Option<(u16, Option<String>)> {
        let calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        let response = calls.last()?.response.as_ref().ok()?;
        Some((
            response.status,
            response.header("retry-after").map(str::to_owned),
        ))
    }
}

impl<'c> AsyncHttpClient<'c> for Recorder<'_> {
    type Error = WireError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, WireError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}

fn header_pairs(headers: &oauth2::http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// A finished back-channel call as data: the requests and responses it made, unmasked, and
/// the [`Masker`] that knows the secrets they carry. The protocol code returns it; the
/// flow inspector masks it ([`Recorded::masked`]) before keeping anything. No `Debug`, like
/// [`RawExchange`]: it cannot end up in a log line.
pub struct Recorded {
    pub exchanges: Vec<RawExchange>,
    pub masker: Masker,
}

impl Recorded {
    /// Every exchange, masked: the only form in which traffic is kept or shown.
    pub fn masked(&self) -> Vec<WireRecord> {
        self.exchanges
            .iter()
            .map(|exchange| self.masker.record(exchange))
            .collect()
    }
}

/// A request and its response as text, every secret masked: what the flow inspector keeps.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WireRecord {
    pub method: String,
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    pub request_body: String,
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    pub response_body: String,
    /// Why there is no response (connection refused, time limit), if there is none.
    pub failure: Option<String>,
    /// The same request as a `curl` command line, secrets masked.
    pub curl: String,
}

/// Masks secrets in recorded traffic: by parameter and header name first, then every
/// known secret string wherever it still appears. Codes, verifiers and tokens show their
/// first four characters and `…` ([`shared::mask`]); the client secret, which lives for
/// years, shows only its length ([`shared::hide`]), wherever it appears.
#[derive(Default)]
pub struct Masker {
    secrets: Vec<String>,
    hidden: Vec<String>,
}

impl Masker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a secret to mask wherever it appears (also in its form-encoded spelling).
    pub fn secret(mut self, secret: &str) -> Self {
        if secret.len() >= 4 {
            self.secrets.push(secret.to_owned());
            let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
            if encoded != secret {
                self.secrets.push(encoded);
            }
        }
        self
    }

    /// Adds a long-lived secret (the client secret) to hide whole wherever it appears.
    pub fn hidden(mut self, secret: &str) -> Self {
        if !secret.is_empty() {
            let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
            if encoded != secret {
                self.hidden.push(encoded);
            }
            self.hidden.push(secret.to_owned());
        }
        self
    }

    /// Masks free text: every known secret replaced by its masked form.
    pub fn text(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for secret in &self.hidden {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), &shared::hide(secret));
            }
        }
        for secret in &self.secrets {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), &shared::mask(secret));
            }
        }
        text
    }

    /// Masks a URL's secret query parameters.
    pub fn url(&self, url: &str) -> String {
        match url.split_once('?') {
            Some((base, query)) => self.text(&format!("{base}?{}", self.form(query))),
            None => self.text(url),
        }
    }

    /// Masks a form-encoded body (or query), shown decoded for reading.
    pub fn form(&self, body: &str) -> String {
        self.text(
            &self
                .form_pairs(body)
                .iter()
                .map(|(key, value)| format!("{key}={value}"))
                .collect::<Vec<_>>()
                .join("&"),
        )
    }

    /// A form body's (or query's) parameters, decoded, secret values masked.
    pub fn form_pairs(&self, body: &str) -> Vec<(String, String)> {
        url::form_urlencoded::parse(body.as_bytes())
            .map(|(key, value)| {
                let value = if key == "client_secret" {
                    shared::hide(&value)
                } else if SECRET_PARAMS.contains(&key.as_ref()) {
                    shared::mask(&value)
                } else {
                    self.text(&value)
                };
                (key.into_owned(), value)
            })
            .collect()
    }

    /// Masks a header value: credentials in `Authorization` are masked by scheme, and a
    /// Basic credential is explained (`base64(client_id:client_secret)`, RFC 6749 §2.3.1).
    pub fn header(&self, name: &str, value: &str) -> String {
        if !name.eq_ignore_ascii_case("authorization") {
            return self.text(value);
        }
        match value.split_once(' ') {
            Some((scheme, credentials)) if scheme.eq_ignore_ascii_case("basic") => {
                let decoded = STANDARD
                    .decode(credentials.trim())
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .and_then(|pair| {
                        pair.split_once(':')
                            .map(|(id, secret)| format!("{id}:{}", shared::hide(secret)))
                    })
                    .unwrap_or_else(|| "…".to_owned());
                // The base64 carries the secret: hidden whole too.
                format!(
                    "Basic {} (base64 of \"{decoded}\")",
                    shared::hide(credentials.trim())
                )
            }
            Some((scheme, credentials)) => format!("{scheme} {}", shared::mask(credentials.trim())),
            None => shared::mask(value),
        }
    }

    /// Masks a JSON body by field name (and known secrets), pretty-printed; other bodies as
    /// masked text.
    pub fn body(&self, body: &[u8], content_type: Option<&str>) -> String {
        let text = String::from_utf8_lossy(body);
        if content_type.is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded")) {
            return self.form(&text);
        }
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(mut json) => {
                mask_json(&mut json);
                let pretty = serde_json::to_string_pretty(&json).unwrap_or_default();
                self.text(&pretty)
            }
            // Unlabelled but shaped like a form: masked as one, to be safe.
            Err(_) if text.contains('=') && !text.chars().any(char::is_whitespace) => {
                self.form(&text)
            }
            Err(_) => self.text(&text),
        }
    }

    /// Masks one recorded exchange into a [`WireRecord`].
    pub fn record(&self, raw: &RawExchange) -> WireRecord {
        let request_content_type = raw
            .request_headers
            .iter()
            .find(|(name, _)| name == "content-type")
            .map(|(_, value)| value.as_str());
        let request_headers: Vec<(String, String)> = raw
            .request_headers
            .iter()
            .map(|(name, value)| (name.clone(), self.header(name, value)))
            .collect();
        let request_body = self.body(&raw.request_body, request_content_type);
        let url = self.url(&raw.url);
        let curl = curl_command(&raw.method, &url, &request_headers, &request_body);
        let (status, response_headers, response_body, failure) = match &raw.response {
            Ok(response) => (
                Some(response.status),
                response
                    .headers
                    .iter()
                    .filter(|(name, _)| SHOWN_RESPONSE_HEADERS.contains(&name.as_str()))
                    .map(|(name, value)| (name.clone(), self.header(name, value)))
                    .collect(),
                self.body(&response.body, response.header("content-type")),
                None,
            ),
            Err(failure) => (None, Vec::new(), String::new(), Some(self.text(failure))),
        };
        WireRecord {
            method: raw.method.clone(),
            url,
            request_headers,
            request_body,
            status,
            response_headers,
            response_body,
            failure,
            curl,
        }
    }
}

fn mask_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match value {
                    serde_json::Value::String(secret) if key == "client_secret" => {
                        *secret = shared::hide(secret);
                    }
                    serde_json::Value::String(secret) if SECRET_PARAMS.contains(&key.as_str()) => {
                        *secret = shared::mask(secret);
                    }
                    other => mask_json(other),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(mask_json),
        _ => {}
    }
}

/// `curl` for a (masked) request: the Basic header as `-u id:secret…`, other headers as
/// `-H`, the body as `--data`. Runnable once the masked values are filled back in.
fn curl_command(method: &str, url: &str, headers: &[(String, String)], body: &str) -> String {
    let quote = |text: &str| format!("'{}'", text.replace('\'', r"'\''"));
    let mut parts = vec!["curl -i".to_owned()];
    if method != "GET" {
        parts.push(format!("-X {method}"));
    }
    parts.push(quote(url));
    for (name, value) in headers {
        if name == "content-length" || name == "user-agent" {
            continue;
        }
        if let Some(pair) = value
            .strip_prefix("Basic ")
            .and_then(|rest| rest.split_once("(base64 of \""))
            .and_then(|(_, pair)| pair.strip_suffix("\")"))
        {
            parts.push(format!("-u {}", quote(pair)));
        } else {
            parts.push(format!("-H {}", quote(&format!("{name}: {value}"))));
        }
    }
    if !body.is_empty() {
        parts.push(format!("--data {}", quote(body)));
    }
    parts.join(" \\\n  ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server whose keep-alive ends exactly when a second request arrives on a
    /// connection: it answers the first request of each connection and closes the
    /// connection on the second without a word. Answers how many connections it accepted.
    async fn server_that_closes_idle_connections()
    -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let accepted = std::sync::Arc::new(AtomicUsize::new(0));
        let counter = std::sync::Arc::clone(&accepted);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buffer = [0u8; 4096];
                    if socket.read(&mut buffer).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let answer = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                    let _ = socket.write_all(answer.as_bytes()).await;
                    // The next request on this connection meets the keep-alive's end.
                    let _ = socket.read(&mut buffer).await;
                });
            }
        });
        (format!("http://{address}/"), accepted)
    }

    #[tokio::test]
    async fn a_connection_idle_longer_than_the_pool_allows_is_not_reused_so_no_request_is_lost() {
        let (url, accepted) = server_that_closes_idle_connections().await;
        let http = http_client(Duration::from_secs(5)).unwrap();
        let first = http
            .get(&url)
            .send()
            .await
            .expect("the first request is answered");
        assert_eq!(first.text().await.unwrap(), "ok");
        tokio::time::sleep(POOL_IDLE_TIMEOUT + Duration::from_millis(500)).await;
        let second = http.get(&url).send().await;
        assert!(
            second.is_ok(),
            "a request after {POOL_IDLE_TIMEOUT:?} idle went out on a new connection, not on \
             the one the server was closing: {second:?}"
        );
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[test]
    fn a_basic_header_is_masked_and_explained() {
        let header = format!("Basic {}", STANDARD.encode("testclient:testsecret"));
        let masked = Masker::new().header("Authorization", &header);
        assert!(
            masked.contains("testclient:[10 characters, hidden]"),
            "the client secret is hidden whole: {masked}"
        );
        assert!(!masked.contains("test…"), "{masked}");
        assert!(!masked.contains("testsecret"));
        assert!(!masked.contains(&STANDARD.encode("testclient:testsecret")));
    }

    #[test]
    fn secret_form_parameters_and_json_fields_are_masked_by_name() {
        let masker = Masker::new();
        let form =
            masker.form("grant_type=authorization_code&code=abcdefgh&code_verifier=vvvvvvvvvv");
        assert_eq!(
            form,
            "grant_type=authorization_code&code=abcd…&code_verifier=vvvv…"
        );
        let json = masker.body(
            br#"{"access_token":"AAAAAAAAAAAA","refresh_token":"RRRRRRRRRR","expires_in":3600}"#,
            Some("application/json"),
        );
        assert!(json.contains("AAAA…") && !json.contains("AAAAAAAAAAAA"));
        assert!(json.contains("RRRR…") && !json.contains("RRRRRRRRRR"));
    }

    #[test]
    fn known_secrets_are_masked_anywhere_and_curl_uses_the_masked_values() {
        let masker = Masker::new().secret("topsecretvalue");
        assert_eq!(masker.text("x topsecretvalue y"), "x tops… y");
        let header = format!("Basic {}", STANDARD.encode("id:topsecretvalue"));
        let headers = vec![(
            "authorization".to_owned(),
            masker.header("authorization", &header),
        )];
        let curl = curl_command("POST", "http://p/oauth/token", &headers, "a=b");
        assert!(curl.contains("-u 'id:[14 characters, hidden]'"), "{curl}");
        assert!(!curl.contains("topsecretvalue"));
    }

    #[test]
    fn the_client_secret_is_hidden_whole_in_text_forms_and_json() {
        let masker = Masker::new().hidden("testsecret");
        assert_eq!(
            masker.text("secret testsecret here"),
            "secret [10 characters, hidden] here"
        );
        let form = masker.form("client_id=c&client_secret=othersecret");
        assert_eq!(form, "client_id=c&client_secret=[11 characters, hidden]");
        let json = masker.body(br#"{"client_secret":"abcdefgh"}"#, Some("application/json"));
        assert!(
            json.contains("[8 characters, hidden]") && !json.contains("abcd"),
            "{json}"
        );
    }
}
