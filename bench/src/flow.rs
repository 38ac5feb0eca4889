//! The complete authorization-code flow as a person's browser drives it, in Rust: reqwest
//! with a cookie jar and redirects off, filling the provider's HTML forms.
//!
//! authorize (login page) → login → consent (approve) → redirect with the code → token
//! (PKCE S256) → one API call → refresh, optionally with `openid` (an ID token at the
//! exchange and the refresh) or an RFC 8707 `resource`. Every step checks what the contract promises, so a
//! benchmark never counts a broken flow as a fast one.

use std::sync::Arc;

use anyhow::{Context, anyhow, bail, ensure};
use reqwest::cookie::Jar;
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};
use testkit::demo::{CLIENT_ID, CLIENT_SECRET, PASSWORD, USERNAME};
use testkit::html::first_post_form;
use testkit::pkce::fresh_request;
use url::Url;

/// The redirect URI registered for the benchmark: nothing listens there, and nothing needs
/// to, because the driver reads the code from the redirect's `Location` instead of following it.
pub const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";
const SCOPE: &str = "profile:read teams:read";

/// The tokens a flow ends with (after its refresh).
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    /// The ID token (OpenID Connect Core 1.0 §3.1.3.3), when the scope had `openid`.
    pub id_token: Option<String>,
}

/// What a flow asks for: its scope, and optionally an RFC 8707 `resource` sent on the
/// authorization request and on every token request.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    pub scope: &'a str,
    pub resource: Option<&'a str>,
}

impl Ask<'_> {
    /// The flow the benchmark has always timed: the provider's own API scopes.
    pub const PLAIN: Ask<'static> = Ask {
        scope: SCOPE,
        resource: None,
    };
    /// The same with `openid` (OpenID Connect Core 1.0 §3.1.2.1): an ID token is signed at
    /// the code exchange and again at every refresh (§12.2).
    pub const OPENID: Ask<'static> = Ask {
        scope: OPENID_SCOPE,
        resource: None,
    };

    fn wants_id_token(&self) -> bool {
        self.scope.split(' ').any(|scope| scope == "openid")
    }
}

const OPENID_SCOPE: &str = "openid profile:read teams:read";

/// An authorization code just received, and the PKCE verifier that redeems it.
#[derive(Debug, Clone)]
pub struct Code {
    pub code: String,
    pub verifier: String,
}

/// An HTTP client like a browser's: its own cookie jar, no automatic redirects. Plain HTTP
/// on loopback, so no root certificates are loaded: every flow makes a new one, and the
/// driver's own work should stay small beside the server's.
pub fn browser_like_client() -> anyhow::Result<Client> {
    Client::builder()
        .tls_built_in_root_certs(false)
        .cookie_provider(Arc::new(Jar::default()))
        .redirect(Policy::none())
        .build()
        .context("building an HTTP client")
}

/// A client for back-channel and API calls: keep-alive, no cookies, no redirects.
pub fn api_client() -> anyhow::Result<Client> {
    Client::builder()
        .tls_built_in_root_certs(false)
        .redirect(Policy::none())
        .build()
        .context("building an HTTP client")
}

/// One complete flow for a new person (a fresh cookie jar): authorize → login → consent →
/// token → `GET /api/auth/me` → refresh. Returns the refreshed tokens.
pub async fn complete_flow(base: &str) -> anyhow::Result<Tokens> {
    complete_flow_asking(base, Ask::PLAIN).await
}

/// [`complete_flow`] asking for `ask` (the API call stays `GET /api/auth/me`, so two flows
/// that differ only by `openid` make the same requests).
pub async fn complete_flow_asking(base: &str, ask: Ask<'_>) -> anyhow::Result<Tokens> {
    let code = authorization_code(base, ask).await?;
    // (D)–(E) The token request (back channel), one API call, one refresh.
    let api = api_client()?;
    let tokens = exchange_code(&api, base, &code, ask).await?;
    let me = api
        .get(format!("{base}/api/auth/me"))
        .bearer_auth(&tokens.access_token)
        .send()
        .await?;
    ensure!(
        me.status() == StatusCode::OK,
        "GET /api/auth/me answered {}",
        me.status()
    );
    refresh_asking(&api, base, &tokens.refresh_token, ask).await
}

/// The front-channel half of a flow for a new person: authorize → login → consent → the
/// redirect with the code (checked: it goes to [`REDIRECT_URI`] with our `state`).
pub async fn authorization_code(base: &str, ask: Ask<'_>) -> anyhow::Result<Code> {
    let browser = browser_like_client()?;
    // A fresh code_verifier and state for every flow (RFC 7636 §4.1, RFC 6749 §10.12).
    let request = fresh_request(base, CLIENT_ID, REDIRECT_URI, ask.scope);
    let (verifier, state) = (request.code_verifier, request.state);
    let mut authorize = Url::parse(&request.url)?;
    if let Some(resource) = ask.resource {
        authorize
            .query_pairs_mut()
            .append_pair("resource", resource);
    }
    if ask.wants_id_token() {
        // Core §3.1.2.1: a nonce binds the ID token to this request.
        authorize
            .query_pairs_mut()
            .append_pair("nonce", &testkit::pkce::random_token());
    }

    // (A) The authorization request: no provider session yet, so the login page.
    let login_page = browser.get(authorize.as_str()).send().await?;
    let login_page = expect_page(login_page, "the login page").await?;
    let form = first_post_form(&login_page).context("the login page has no POST form")?;
    let mut fields = form.hidden;
    fields.push(("username".into(), USERNAME.into()));
    fields.push(("password".into(), PASSWORD.into()));
    let action = resolve(&authorize, form.action.as_deref())?;
    let response = browser.post(action.clone()).form(&fields).send().await?;

    // After login the provider continues the pending authorization: the consent page,
    // possibly behind redirects on the provider itself.
    let consent_page = follow_to_page(&browser, response, &action).await?;
    let form = first_post_form(&consent_page).context("the consent page has no POST form")?;
    let mut fields = form.hidden;
    fields.push(("decision".into(), "approve".into()));
    let action = resolve(&action, form.action.as_deref())?;
    let response = browser.post(action).form(&fields).send().await?;

    // (C) The authorization response: a redirect to the client with code, state and iss.
    let location = location(&response).context("approving consent did not redirect")?;
    ensure!(
        location.as_str().starts_with(REDIRECT_URI),
        "approval redirected to {location}, not the redirect URI"
    );
    let query = |name: &str| {
        location
            .query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    ensure!(
        query("state").as_deref() == Some(state.as_str()),
        "state not echoed"
    );
    let code = query("code").ok_or_else(|| anyhow!("no code in {location}"))?;
    Ok(Code { code, verifier })
}

/// `POST /oauth/token` with `grant_type=authorization_code` and the PKCE verifier (RFC 6749
/// §4.1.3, RFC 7636 §4.5); with `openid` in the scope the answer must carry an ID token.
pub async fn exchange_code(
    api: &Client,
    base: &str,
    code: &Code,
    ask: Ask<'_>,
) -> anyhow::Result<Tokens> {
    let form = vec![
        ("grant_type", "authorization_code"),
        ("code", code.code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", code.verifier.as_str()),
    ];
    token_request_asking(api, base, form, ask).await
}

/// The floor of a flow: the same HTTP exchanges as [`complete_flow`] (a new browser-like
/// client making four requests on its connection, then a back-channel client making three
/// on another), sent to the hello-world reference, so no OAuth work at all. What this costs
/// the reference's CPU is what connections, parsing and scheduling cost before any of the
/// provider's own work.
pub async fn reference_pattern(base: &str) -> anyhow::Result<()> {
    let browser = browser_like_client()?;
    for _ in 0..4 {
        let response = browser.get(base).send().await?;
        expect_page(response, "the reference").await?;
    }
    let api = api_client()?;
    for _ in 0..3 {
        let response = api.get(base).send().await?;
        expect_page(response, "the reference").await?;
    }
    Ok(())
}

/// `POST /oauth/token` with `grant_type=refresh_token` (RFC 6749 §6).
pub async fn refresh(api: &Client, base: &str, refresh_token: &str) -> anyhow::Result<Tokens> {
    refresh_asking(api, base, refresh_token, Ask::PLAIN).await
}

/// [`refresh`] for a grant made with `ask`: with `openid` the answer must carry a new ID
/// token (OpenID Connect Core 1.0 §12.2).
pub async fn refresh_asking(
    api: &Client,
    base: &str,
    refresh_token: &str,
    ask: Ask<'_>,
) -> anyhow::Result<Tokens> {
    let form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    token_request_asking(api, base, form, ask).await
}

/// A token request for a grant made with `ask`: its `resource` goes along, and the answer
/// must carry an ID token exactly when `openid` was asked for (a benchmark must not count
/// an answer without the ID token it asked for as a fast one).
async fn token_request_asking(
    api: &Client,
    base: &str,
    mut form: Vec<(&str, &str)>,
    ask: Ask<'_>,
) -> anyhow::Result<Tokens> {
    form.extend(ask.resource.map(|resource| ("resource", resource)));
    let tokens = token_request(api, base, &form).await?;
    ensure!(
        tokens.id_token.is_some() == ask.wants_id_token(),
        "scope {:?}: the token response {} an id_token",
        ask.scope,
        if tokens.id_token.is_some() {
            "has"
        } else {
            "lacks"
        }
    );
    Ok(tokens)
}

/// A token request with `client_secret_basic`; both tokens must be in the answer.
async fn token_request(api: &Client, base: &str, form: &[(&str, &str)]) -> anyhow::Result<Tokens> {
    let response = api
        .post(format!("{base}/oauth/token"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(form)
        .send()
        .await?;
    let status = response.status();
    let body: serde_json::Value = response.json().await.context("a token response is JSON")?;
    ensure!(
        status == StatusCode::OK,
        "token request answered {status}: {body}"
    );
    let field = |name: &str| {
        body.get(name)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("the token response has no {name}: {body}"))
    };
    Ok(Tokens {
        access_token: field("access_token")?,
        refresh_token: field("refresh_token")?,
        id_token: field("id_token").ok(),
    })
}

/// Follows redirects that stay on the provider until a 200 page, and returns its HTML.
async fn follow_to_page(
    browser: &Client,
    mut response: Response,
    from: &Url,
) -> anyhow::Result<String> {
    let mut current = from.clone();
    for _ in 0..5 {
        if response.status().is_redirection() {
            let next = location(&response).context("a redirect without Location")?;
            let next = current.join(next.as_str())?;
            ensure!(
                next.origin() == from.origin(),
                "the login redirected off the provider, to {next}"
            );
            response = browser.get(next.clone()).send().await?;
            current = next;
            continue;
        }
        return expect_page(response, "the consent page").await;
    }
    bail!("more than 5 redirects after login")
}

async fn expect_page(response: Response, what: &str) -> anyhow::Result<String> {
    let status = response.status();
    let body = response.text().await?;
    ensure!(status == StatusCode::OK, "{what} answered {status}: {body}");
    Ok(body)
}

fn location(response: &Response) -> Option<Url> {
    let value = response
        .headers()
        .get(reqwest::header::LOCATION)?
        .to_str()
        .ok()?;
    response.url().join(value).ok()
}

fn resolve(page: &Url, action: Option<&str>) -> anyhow::Result<Url> {
    match action {
        Some(action) if !action.is_empty() => Ok(page.join(action)?),
        _ => Ok(page.clone()),
    }
}
