//! The lab's user agents: browsers played by this server, and the requests they send.
//!
//! An [`Agent`] is a reqwest client with a cookie jar that follows no redirect by itself:
//! it walks the authorization code flow hop by hop as a browser would (RFC 6749 §4.1.1 to
//! §4.1.2: the authorization endpoint, the provider's login and consent forms, the redirect
//! back), so the lab can stop wherever an attacker would and take the code. Its cookies
//! (the provider's session, the client's session) stay in its jar and are never shown.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use oauth2::http::{Method, Request, header};
use oauth2::{CsrfToken, HttpRequest, HttpResponse, PkceCodeChallenge, PkceCodeVerifier};

use crate::lab::transcript::Transcript;
use crate::lab::{LabError, page_text};

/// A browser played by the lab.
pub struct Agent {
    pub name: &'static str,
    pub http: reqwest::Client,
}

impl Agent {
    pub fn new(name: &'static str, timeout: Duration) -> reqwest::Result<Self> {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            // Like the test browser: every hop is taken (and recorded) by hand.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .pool_idle_timeout(crate::wire::POOL_IDLE_TIMEOUT)
            .user_agent(concat!("oauth-flow-rs-lab/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { name, http })
    }
}

/// An authorization request the lab builds itself (as the client would): what to send,
/// and the PKCE verifier and `state` to keep.
pub struct LabAuthorization {
    pub url: String,
    pub verifier: PkceCodeVerifier,
    pub state: String,
}

/// Builds an authorization request for the client `client_id` at `endpoint`, with a fresh
/// PKCE S256 pair and `state` (RFC 6749 §4.1.1, RFC 7636 §4.3).
pub fn authorization_request(
    endpoint: &str,
    client_id: &str,
    redirect_uri: &str,
    scope: &str,
) -> Result<LabAuthorization, LabError> {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let state = CsrfToken::new_random().secret().to_owned();
    let mut url = url::Url::parse(endpoint).map_err(|_| {
        LabError::new(format!(
            "the authorization endpoint {endpoint} is not a URL"
        ))
    })?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", scope)
        .append_pair("state", &state)
        .append_pair("code_challenge", challenge.as_str())
        .append_pair("code_challenge_method", "S256");
    Ok(LabAuthorization {
        url: url.to_string(),
        verifier,
        state,
    })
}

impl LabAuthorization {
    /// The same request without `code_challenge`: what a client that skips PKCE sends.
    pub fn url_without_pkce(&self) -> String {
        match url::Url::parse(&self.url) {
            Ok(mut url) => {
                let kept: Vec<(String, String)> = url
                    .query_pairs()
                    .filter(|(key, _)| !key.starts_with("code_challenge"))
                    .map(|(key, value)| (key.into_owned(), value.into_owned()))
                    .collect();
                url.query_pairs_mut().clear().extend_pairs(kept);
                url.to_string()
            }
            Err(_) => self.url.clone(),
        }
    }
}

/// `GET url`, optionally with `Authorization: Bearer`.
pub fn get(url: &str, bearer: Option<&str>) -> Result<HttpRequest, LabError> {
    let mut builder = Request::builder().method(Method::GET).uri(url);
    if let Some(token) = bearer {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    builder
        .body(Vec::new())
        .map_err(|_| LabError::new(format!("{url} is not a usable URL")))
}

/// `POST url` with a form body (`application/x-www-form-urlencoded`), optionally with HTTP
/// Basic client authentication (RFC 6749 §2.3.1: each part form-urlencoded, then base64).
pub fn post_form(
    url: &str,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> Result<HttpRequest, LabError> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    post(url, "application/x-www-form-urlencoded", body, basic)
}

/// `POST url` with any body and content type (the gallery sends a wrong one on purpose).
pub fn post(
    url: &str,
    content_type: &str,
    body: String,
    basic: Option<(&str, &str)>,
) -> Result<HttpRequest, LabError> {
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri(url)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::ACCEPT, "application/json");
    if let Some((id, secret)) = basic {
        builder = builder.header(header::AUTHORIZATION, basic_credentials(id, secret));
    }
    builder
        .body(body.into_bytes())
        .map_err(|_| LabError::new(format!("{url} is not a usable URL")))
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1).
pub fn basic_credentials(id: &str, secret: &str) -> String {
    let encode =
        |value: &str| url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", encode(id), encode(secret)))
    )
}

/// One query parameter of a URL, decoded.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url).ok().and_then(|url| {
        url.query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    })
}

/// `url` with query parameter `name` set to `value` (replacing any).
pub fn with_param(url: &str, name: &str, value: &str) -> Result<String, LabError> {
    let mut parsed =
        url::Url::parse(url).map_err(|_| LabError::new(format!("{url} is not a URL")))?;
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(key, _)| key != name)
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    parsed
        .query_pairs_mut()
        .clear()
        .extend_pairs(pairs)
        .append_pair(name, value);
    Ok(parsed.to_string())
}

/// A redirect's `Location`, resolved against the URL that answered it.
pub fn location(base: &str, response: &HttpResponse) -> Option<String> {
    let value = response.headers().get(header::LOCATION)?.to_str().ok()?;
    url::Url::parse(base)
        .and_then(|base| base.join(value))
        .ok()
        .map(|url| url.to_string())
}

/// The provider's decision at the consent page.
#[derive(Debug, Clone, Copy)]
pub enum Decision {
    Approve,
    Deny,
}

impl Decision {
    fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Deny => "deny",
        }
    }
}

impl Agent {
    /// Walks the provider's side of the flow like a browser: opens `authorization_url`, logs
    /// in (if the provider has no session for this agent yet) as `username`, then approves or
    /// denies at the consent page, and answers the provider's redirect back to the client
    /// (`redirect_uri?code&state&iss`, or `?error=...`), without opening it.
    pub async fn authorize(
        &self,
        transcript: &mut Transcript,
        authorization_url: &str,
        (username, password): (&str, &str),
        decision: Decision,
    ) -> Result<String, LabError> {
        let mut url = authorization_url.to_owned();
        let mut page = transcript.send(&self.http, get(&url, None)?).await?;
        if page.status().is_redirection() {
            return location(&url, &page)
                .ok_or_else(|| LabError::new("the provider redirected without a Location header"));
        }
        let mut body = String::from_utf8_lossy(page.body()).into_owned();
        if body.contains("name=\"password\"") {
            let login_url = form_action(&url, &body, "password")?;
            let csrf = hidden_input(&body, "csrf_token").unwrap_or_default();
            let request_id = hidden_input(&body, "request_id").unwrap_or_default();
            let logged_in = transcript
                .send(
                    &self.http,
                    post_form(
                        &login_url,
                        &[
                            ("username", username),
                            ("password", password),
                            ("csrf_token", &csrf),
                            ("request_id", &request_id),
                        ],
                        None,
                    )?,
                )
                .await?;
            url = location(&login_url, &logged_in).ok_or_else(|| {
                LabError::new(format!(
                    "the provider refused the lab's login as {username} (HTTP {}): {}. The lab logs in with the provider's default demo account.",
                    logged_in.status().as_u16(),
                    page_text(&String::from_utf8_lossy(logged_in.body()))
                ))
            })?;
            page = transcript.send(&self.http, get(&url, None)?).await?;
            body = String::from_utf8_lossy(page.body()).into_owned();
        }
        if !body.contains("name=\"decision\"") {
            return Err(LabError::new(format!(
                "the provider did not show its consent page (HTTP {}): {}",
                page.status().as_u16(),
                page_text(&body)
            )));
        }
        let consent_url = form_action(&url, &body, "decision")?;
        let csrf = hidden_input(&body, "csrf_token").unwrap_or_default();
        let request_id = hidden_input(&body, "request_id").unwrap_or_default();
        let decided = transcript
            .send(
                &self.http,
                post_form(
                    &consent_url,
                    &[
                        ("csrf_token", &csrf),
                        ("request_id", &request_id),
                        ("decision", decision.as_str()),
                    ],
                    None,
                )?,
            )
            .await?;
        location(&consent_url, &decided).ok_or_else(|| {
            LabError::new(format!(
                "the provider did not redirect after the consent (HTTP {})",
                decided.status().as_u16()
            ))
        })
    }
}

/// The absolute `action` of the first `<form>` that contains an input or button named
/// `field`.
fn form_action(page_url: &str, html: &str, field: &str) -> Result<String, LabError> {
    let needle = format!("name=\"{field}\"");
    let field_at = html
        .find(&needle)
        .ok_or_else(|| LabError::new(format!("no {field} field on the provider's page")))?;
    let form_at = html[..field_at]
        .rfind("<form")
        .ok_or_else(|| LabError::new("no form on the provider's page"))?;
    let tag_end = html[form_at..]
        .find('>')
        .map_or(html.len(), |end| form_at + end);
    let tag = &html[form_at..tag_end];
    let action = tag
        .find("action=\"")
        .map(|start| {
            let rest = &tag[start + "action=\"".len()..];
            rest[..rest.find('"').unwrap_or(rest.len())].replace("&#x2F;", "/")
        })
        .unwrap_or_default();
    url::Url::parse(page_url)
        .and_then(|base| base.join(&action))
        .map(|url| url.to_string())
        .map_err(|_| LabError::new(format!("the form's action {action:?} is not a URL")))
}

/// The `value` of the first `<input>` named `name`, whatever the attribute order.
fn hidden_input(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\"");
    let mut rest = html;
    while let Some(start) = rest.find("<input") {
        let tag_end = rest[start..].find('>')? + start;
        let tag = &rest[start..tag_end];
        if tag.contains(&needle) {
            let value_start = tag.find("value=\"")? + "value=\"".len();
            let value_end = tag[value_start..].find('"')? + value_start;
            return Some(
                tag[value_start..value_end]
                    .replace("&#x2F;", "/")
                    .replace("&amp;", "&"),
            );
        }
        rest = &rest[tag_end..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_of_the_providers_pages_are_read_like_a_browser_would() {
        let html = r#"<form method="post" action="/login"><input type="hidden" name="csrf_token" value="a&#x2F;b"><input name="password" type="password"></form>"#;
        assert_eq!(
            form_action("http://p:1/oauth/authorize?x=1", html, "password").ok(),
            Some("http://p:1/login".to_owned())
        );
        assert_eq!(hidden_input(html, "csrf_token").as_deref(), Some("a/b"));
        assert_eq!(hidden_input(html, "request_id"), None);
    }

    #[test]
    fn a_basic_header_encodes_each_part_first() {
        assert_eq!(
            basic_credentials("a b", "c:d"),
            format!("Basic {}", STANDARD.encode("a+b:c%3Ad"))
        );
    }
}
