//! Hostile and malformed input, by property: generated authorization requests (RFC 6749
//! §4.1.1, §4.1.2.1, RFC 7636 §4.3) and token requests (§3.2, §4.1.3, §4.4, §5.2, §6) sent
//! over HTTP to a running provider, checked against a small model of the rules.
//!
//! Properties: never a 5xx (a panic would be one); never a redirect except to the client's
//! registered redirect URI; every error is an RFC error code the request deserves; a
//! success only for a request that breaks no rule. Plus the request parser (RFC 6749 §3.1)
//! on arbitrary bytes, and a table of malformed HTTP the other modules do not send.
//!
//! Case counts are modest so the suite runs in seconds; raise them with `PROPTEST_CASES`.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use provider::oauth::params::Params;
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;

use testkit::{
    CHALLENGE, CLIENT_ID, CLIENT_SECRET, PUBLIC_CLIENT_ID, PUBLIC_REDIRECT_URI, REDIRECT_URI,
    TestProvider, VERIFIER, query_param, spawn_provider,
};

/// The error codes of RFC 6749 §4.1.2.1 (authorization endpoint).
const AUTHORIZE_ERRORS: [&str; 7] = [
    "invalid_request",
    "unauthorized_client",
    "access_denied",
    "unsupported_response_type",
    "invalid_scope",
    "server_error",
    "temporarily_unavailable",
];

/// The error codes of RFC 6749 §5.2 (token endpoint).
const TOKEN_ERRORS: [&str; 6] = [
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
];

/// `cases` property cases (or `PROPTEST_CASES`), no failure files written into the tree.
fn runner(cases: u32) -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(cases);
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

/// A runtime for the provider, and the provider on it: property closures are synchronous,
/// so each case blocks on its requests.
fn provider_on_runtime() -> (tokio::runtime::Runtime, TestProvider) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let provider = runtime.block_on(spawn_provider());
    (runtime, provider)
}

/// Unicode, control characters, markup, and the odd huge value.
fn garbage() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[ -~]{0,40}",
        3 => any::<String>(),
        1 => "\\PC{200,400}",
        1 => "[a-zA-Z0-9]{1000,2000}",
        1 => Just("\"><script>alert(1)</script>".to_owned()),
        1 => Just("a\r\nLocation: http://evil.example/\r\n".to_owned()),
    ]
}

// ---------------------------------------------------------------------------------------
// The parameter parser (RFC 6749 §3.1) on arbitrary input.

#[test]
fn the_parameter_parser_takes_any_bytes_and_reads_first_values_and_repeats_like_the_rfc() {
    let strategy = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        proptest::collection::vec(
            (
                prop::sample::select(vec!["a", "b", "client_id", "state", "", "a b", "é"]),
                prop_oneof![Just(String::new()), garbage()]
            ),
            0..8
        )
        .prop_map(|pairs| {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            for (name, value) in &pairs {
                query.append_pair(name, value);
            }
            query.finish().into_bytes()
        }),
    ];
    runner(256)
        .run(&strategy, |bytes| {
            let params = Params::parse(&bytes);
            // The model: empty values are omitted; the first value counts; two or more
            // non-empty values make a repeat.
            let mut first: HashMap<String, String> = HashMap::new();
            let mut count: HashMap<String, usize> = HashMap::new();
            for (name, value) in url::form_urlencoded::parse(&bytes) {
                if value.is_empty() {
                    continue;
                }
                *count.entry(name.to_string()).or_default() += 1;
                first
                    .entry(name.into_owned())
                    .or_insert_with(|| value.into_owned());
            }
            for (name, value) in &first {
                prop_assert_eq!(params.get(name), Some(value.as_str()));
                prop_assert_eq!(params.is_repeated(name), count[name] > 1);
            }
            prop_assert_eq!(
                params.any_repeated().is_some(),
                count.values().any(|n| *n > 1)
            );
            prop_assert_eq!(params.get("never-sent-name"), None);
            Ok(())
        })
        .expect("the parser holds its properties");
}

// ---------------------------------------------------------------------------------------
// The authorization endpoint.

/// What the rules say an authorization request deserves.
#[derive(Debug)]
enum AuthorizeVerdict {
    /// The client or its redirect URI cannot be verified: an error page, no redirect.
    Page,
    /// Verified client: a redirect to `redirect_uri` with one of these errors.
    Redirect {
        redirect_uri: &'static str,
        errors: Vec<&'static str>,
        state: Option<String>,
    },
    /// Nothing wrong: the login page.
    Valid,
}

/// The model of the authorization endpoint's rules (RFC 6749 §4.1.1 and
/// §4.1.2.1, as `provider/src/oauth/authorize.rs` orders them), on the pairs as sent.
fn authorize_verdict(pairs: &[(String, String)]) -> AuthorizeVerdict {
    let mut first: HashMap<&str, &str> = HashMap::new();
    let mut count: HashMap<&str, usize> = HashMap::new();
    for (name, value) in pairs.iter().filter(|(_, value)| !value.is_empty()) {
        *count.entry(name).or_default() += 1;
        first.entry(name).or_insert(value);
    }
    let repeated = |name: &str| count.get(name).is_some_and(|n| *n > 1);
    if repeated("client_id") || repeated("redirect_uri") {
        return AuthorizeVerdict::Page;
    }
    let registered = match first.get("client_id") {
        Some(&CLIENT_ID) => REDIRECT_URI,
        Some(&PUBLIC_CLIENT_ID) => PUBLIC_REDIRECT_URI,
        _ => return AuthorizeVerdict::Page,
    };
    if first
        .get("redirect_uri")
        .is_some_and(|uri| *uri != registered)
    {
        return AuthorizeVerdict::Page;
    }
    // A `state` the provider echoes: printable ASCII (RFC 6749 Appendix A.5), at most 512
    // characters (a pending request must not hold a megabyte of it).
    let printable =
        |value: &str| value.len() <= 512 && value.bytes().all(|byte| (0x20..=0x7e).contains(&byte));
    let mut errors = Vec::new();
    if count.values().any(|n| *n > 1) {
        errors.push("invalid_request");
    }
    if first.get("state").is_some_and(|state| !printable(state)) {
        errors.push("invalid_request");
    }
    match first.get("response_type") {
        Some(&"code") => {}
        None => errors.push("invalid_request"),
        Some(_) => errors.push("unsupported_response_type"),
    }
    let known = ["profile:read", "teams:read", "teams:write"];
    // Unknown names, or present but only spaces (the contract: `invalid_scope`).
    if first.get("scope").is_some_and(|scope| {
        let mut names = scope.split(' ').filter(|s| !s.is_empty()).peekable();
        (!scope.is_empty() && names.peek().is_none()) || names.any(|s| !known.contains(&s))
    }) {
        errors.push("invalid_scope");
    }
    let challenge_ok = first.get("code_challenge").is_some_and(|challenge| {
        challenge.len() == 43
            && challenge
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    if !challenge_ok || first.get("code_challenge_method") != Some(&"S256") {
        errors.push("invalid_request");
    }
    if errors.is_empty() {
        AuthorizeVerdict::Valid
    } else {
        AuthorizeVerdict::Redirect {
            redirect_uri: registered,
            errors,
            state: first
                .get("state")
                .filter(|state| printable(state))
                .map(|state| (*state).to_owned()),
        }
    }
}

/// What to do with one parameter of a valid request.
#[derive(Debug, Clone)]
enum Mutation {
    Keep,
    Drop,
    Replace(String),
}

/// Near misses for each parameter, the kind of value a confused or hostile client sends.
fn near_misses(name: &str) -> Vec<String> {
    let list: &[&str] = match name {
        "client_id" => &[PUBLIC_CLIENT_ID, "TESTCLIENT", "testclient ", "nobody"],
        "redirect_uri" => &[
            PUBLIC_REDIRECT_URI,
            REDIRECT_URI,
            "http://localhost:3000/callback/",
            "http://localhost:3000/callback?x=1",
            "http://evil.example/callback",
            "//evil.example",
            "javascript:alert(1)",
        ],
        "response_type" => &["token", "code token", "CODE", "code "],
        "scope" => &[
            "profile:read",
            "teams:write",
            "profile:read  teams:read",
            " ",
            "admin",
            "Profile:Read",
        ],
        "state" => &["a b c", "line\nbreak", "ünïcode", "<b>"],
        "code_challenge" => &[
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM=",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM",
        ],
        "code_challenge_method" => &["plain", "s256", "S512"],
        _ => &[],
    };
    list.iter().map(|value| (*value).to_owned()).collect()
}

fn mutation(name: &'static str) -> impl Strategy<Value = Mutation> {
    prop_oneof![
        10 => Just(Mutation::Keep),
        1 => Just(Mutation::Drop),
        2 => prop::sample::select(near_misses(name)).prop_map(Mutation::Replace),
        1 => garbage().prop_map(Mutation::Replace),
    ]
}

/// An authorization request: a valid one for either client, mutated, with repeats and
/// unknown parameters added.
fn authorization_request() -> impl Strategy<Value = Vec<(String, String)>> {
    let names = [
        "client_id",
        "redirect_uri",
        "response_type",
        "scope",
        "state",
        "code_challenge",
        "code_challenge_method",
    ];
    (
        any::<bool>(),
        names.map(mutation),
        proptest::collection::vec((0..names.len(), garbage()), 0..2),
        proptest::collection::vec(
            (
                prop_oneof![
                    Just("request_id".to_owned()),
                    "[a-z_]{1,12}",
                    any::<String>()
                ],
                garbage(),
            ),
            0..3,
        ),
    )
        .prop_map(move |(public, mutations, repeats, extras)| {
            let (client_id, redirect_uri) = if public {
                (PUBLIC_CLIENT_ID, PUBLIC_REDIRECT_URI)
            } else {
                (CLIENT_ID, REDIRECT_URI)
            };
            let valid = [
                client_id,
                redirect_uri,
                "code",
                "profile:read teams:read",
                "xyz-state",
                CHALLENGE,
                "S256",
            ];
            let mut pairs = Vec::new();
            for ((name, value), mutation) in names.iter().zip(valid).zip(mutations) {
                match mutation {
                    Mutation::Keep => pairs.push(((*name).to_owned(), value.to_owned())),
                    Mutation::Drop => {}
                    Mutation::Replace(other) => pairs.push(((*name).to_owned(), other)),
                }
            }
            for (index, value) in repeats {
                pairs.push((names[index].to_owned(), value));
            }
            pairs.extend(extras);
            pairs
        })
}

#[test]
fn any_authorization_request_gets_the_login_page_only_if_valid_and_redirects_only_to_the_registered_uri()
 {
    let (runtime, provider) = provider_on_runtime();
    let seen = std::cell::RefCell::new(HashMap::<&str, usize>::new());
    runner(256)
        .run(&authorization_request(), |pairs| {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            for (name, value) in &pairs {
                query.append_pair(name, value);
            }
            let url = provider.url(&format!("/oauth/authorize?{}", query.finish()));
            let (status, location, body) = runtime.block_on(async {
                let response = provider.api.get(&url).send().await.expect("answers");
                let status = response.status();
                let location = response
                    .headers()
                    .get("location")
                    .map(|value| value.to_str().expect("an ASCII Location").to_owned());
                (status, location, response.text().await.unwrap_or_default())
            });
            prop_assert!(!status.is_server_error(), "{status} for {pairs:?}");
            if matches!(status.as_u16(), 414 | 431) {
                // A request line too long for the server is refused before any rule runs.
                prop_assert!(
                    url.len() > 8 * 1024,
                    "{status} for a {}-byte URL",
                    url.len()
                );
                *seen.borrow_mut().entry("too long").or_default() += 1;
                return Ok(());
            }
            match authorize_verdict(&pairs) {
                AuthorizeVerdict::Page => {
                    *seen.borrow_mut().entry("error page").or_default() += 1;
                    prop_assert_eq!(status, StatusCode::BAD_REQUEST, "{:?}", pairs);
                    prop_assert!(location.is_none(), "never a redirect: {:?}", location);
                }
                AuthorizeVerdict::Redirect {
                    redirect_uri,
                    errors,
                    state,
                } => {
                    *seen.borrow_mut().entry("error redirect").or_default() += 1;
                    prop_assert_eq!(status, StatusCode::SEE_OTHER, "{:?}: {}", pairs, body);
                    let location = location.expect("a Location");
                    let (base, _) = location.split_once('?').expect("a query");
                    prop_assert_eq!(base, redirect_uri, "only to the registered URI");
                    let error = query_param(&location, "error").expect("an error");
                    prop_assert!(AUTHORIZE_ERRORS.contains(&error.as_str()));
                    prop_assert!(
                        errors.contains(&error.as_str()),
                        "{error} is not among {errors:?} for {pairs:?}"
                    );
                    prop_assert!(query_param(&location, "error_description").is_some());
                    prop_assert_eq!(query_param(&location, "state"), state);
                    prop_assert_eq!(query_param(&location, "iss"), Some(provider.issuer.clone()));
                    prop_assert_eq!(query_param(&location, "code"), None);
                }
                AuthorizeVerdict::Valid => {
                    *seen.borrow_mut().entry("login page").or_default() += 1;
                    prop_assert_eq!(status, StatusCode::OK, "{:?}: {:?}", pairs, location);
                    prop_assert!(body.contains("name=\"password\""), "the login page");
                }
            }
            Ok(())
        })
        .expect("the authorization endpoint holds its properties");
    let seen = seen.into_inner();
    println!("authorization requests by verdict: {seen:?}");
    for verdict in ["error page", "error redirect", "login page"] {
        assert!(
            seen.get(verdict).is_some_and(|n| *n > 0),
            "{verdict} was exercised: {seen:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// The token endpoint.

/// How the request authenticates the client (RFC 6749 §2.3.1).
#[derive(Debug, Clone)]
enum ClientAuth {
    Basic,
    BasicWrongSecret,
    BasicUnknownClient,
    BasicGarbage(String),
    Post,
    PostWrongSecret,
    Both,
    Nothing,
}

/// The grant part of the request.
#[derive(Debug, Clone)]
enum Grant {
    /// A fresh code from a real flow, with each binding kept, dropped or wrong.
    AuthorizationCode {
        code: Mutation,
        redirect_uri: Mutation,
        verifier: Mutation,
    },
    /// A fresh refresh token (or not), with a scope.
    RefreshToken {
        token: Mutation,
        scope: ScopeAsk,
    },
    ClientCredentials {
        scope: ScopeAsk,
    },
    UnknownGrantType(String),
    NoGrantType,
}

#[derive(Debug, Clone, Copy)]
enum ScopeAsk {
    None,
    Narrower,
    TeamsWrite,
    Unknown,
}

impl ScopeAsk {
    fn value(self) -> Option<&'static str> {
        match self {
            ScopeAsk::None => None,
            ScopeAsk::Narrower => Some("profile:read"),
            ScopeAsk::TeamsWrite => Some("teams:write"),
            ScopeAsk::Unknown => Some("profile:read admin"),
        }
    }
}

#[derive(Debug, Clone)]
struct TokenCase {
    auth: ClientAuth,
    grant: Grant,
    content_type: Option<&'static str>,
    /// Send one of the request's own parameters a second time.
    repeat: bool,
    extras: Vec<(String, String)>,
}

fn token_case() -> impl Strategy<Value = TokenCase> {
    let keep_mostly = || {
        prop_oneof![
            6 => Just(Mutation::Keep),
            1 => Just(Mutation::Drop),
            1 => garbage().prop_filter("non-empty", |g| !g.is_empty()).prop_map(Mutation::Replace),
        ]
    };
    let scope = prop_oneof![
        Just(ScopeAsk::None),
        Just(ScopeAsk::Narrower),
        Just(ScopeAsk::TeamsWrite),
        Just(ScopeAsk::Unknown),
    ];
    let grant = prop_oneof![
        3 => (keep_mostly(), keep_mostly(), keep_mostly()).prop_map(|(code, redirect_uri, verifier)| {
            Grant::AuthorizationCode { code, redirect_uri, verifier }
        }),
        2 => (keep_mostly(), scope.clone()).prop_map(|(token, scope)| Grant::RefreshToken { token, scope }),
        2 => scope.prop_map(|scope| Grant::ClientCredentials { scope }),
        1 => garbage()
            .prop_filter("not a grant type", |g| {
                !g.is_empty()
                    && !["authorization_code", "refresh_token", "client_credentials"].contains(&g.as_str())
            })
            .prop_map(Grant::UnknownGrantType),
        1 => Just(Grant::NoGrantType),
    ];
    let auth = prop_oneof![
        8 => Just(ClientAuth::Basic),
        3 => Just(ClientAuth::Post),
        1 => Just(ClientAuth::BasicWrongSecret),
        1 => Just(ClientAuth::BasicUnknownClient),
        1 => "[ -~]{0,60}".prop_map(ClientAuth::BasicGarbage),
        1 => Just(ClientAuth::PostWrongSecret),
        1 => Just(ClientAuth::Both),
        1 => Just(ClientAuth::Nothing),
    ];
    let content_type = prop_oneof![
        10 => Just(Some("application/x-www-form-urlencoded")),
        1 => Just(Some("application/x-www-form-urlencoded; charset=UTF-8")),
        1 => Just(Some("application/json")),
        1 => Just(Some("multipart/form-data; boundary=x")),
        1 => Just(Some("text/plain")),
        1 => Just(None),
    ];
    let extra_value = prop_oneof![
        8 => garbage(),
        1 => (66_000usize..70_000).prop_map(|n| "a".repeat(n)),
    ];
    (
        auth,
        grant,
        content_type,
        prop::bool::weighted(0.1),
        proptest::collection::vec(("x_[a-z]{1,8}", extra_value), 0..3),
    )
        .prop_map(|(auth, grant, content_type, repeat, extras)| TokenCase {
            auth,
            grant,
            content_type,
            repeat,
            extras,
        })
}

/// The error codes a token request deserves (empty: it must succeed).
fn token_errors(case: &TokenCase) -> Vec<&'static str> {
    let mut errors = Vec::new();
    if !case
        .content_type
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"))
    {
        errors.push("invalid_request");
    }
    let mut extra_names = HashMap::<&str, usize>::new();
    for (name, value) in &case.extras {
        if !value.is_empty() {
            *extra_names.entry(name).or_default() += 1;
        }
    }
    if case.repeat || extra_names.values().any(|n| *n > 1) {
        errors.push("invalid_request");
    }
    match case.auth {
        ClientAuth::Basic | ClientAuth::Post => {}
        ClientAuth::Both => errors.push("invalid_request"),
        _ => errors.push("invalid_client"),
    }
    let missing_or_wrong = |mutation: &Mutation, missing: &'static str| match mutation {
        Mutation::Keep => None,
        Mutation::Drop => Some(missing),
        Mutation::Replace(_) => Some("invalid_grant"),
    };
    match &case.grant {
        Grant::AuthorizationCode {
            code,
            redirect_uri,
            verifier,
        } => {
            errors.extend(missing_or_wrong(code, "invalid_request"));
            errors.extend(missing_or_wrong(redirect_uri, "invalid_grant"));
            errors.extend(missing_or_wrong(verifier, "invalid_grant"));
        }
        Grant::RefreshToken { token, scope } => {
            errors.extend(missing_or_wrong(token, "invalid_request"));
            if matches!(scope, ScopeAsk::TeamsWrite | ScopeAsk::Unknown) {
                errors.push("invalid_scope");
            }
        }
        Grant::ClientCredentials { scope } => {
            if matches!(scope, ScopeAsk::Unknown) {
                errors.push("invalid_scope");
            }
        }
        Grant::UnknownGrantType(_) => errors.push("unsupported_grant_type"),
        Grant::NoGrantType => errors.push("invalid_request"),
    }
    errors
}

/// Adds `name` to `form` as `mutation` says: the valid value, nothing, or another value.
fn apply(form: &mut Vec<(String, String)>, name: &str, valid: &str, mutation: &Mutation) {
    match mutation {
        Mutation::Keep => form.push((name.to_owned(), valid.to_owned())),
        Mutation::Drop => {}
        Mutation::Replace(other) => form.push((name.to_owned(), other.clone())),
    }
}

/// The form of `case`, with a fresh code or refresh token where its grant needs one.
async fn token_form(provider: &TestProvider, case: &TokenCase) -> Vec<(String, String)> {
    let mut form: Vec<(String, String)> = Vec::new();
    let pair = |name: &str, value: &str| (name.to_owned(), value.to_owned());
    match &case.grant {
        Grant::AuthorizationCode {
            code,
            redirect_uri,
            verifier,
        } => {
            let fresh = provider.authorization_code().await;
            form.push(pair("grant_type", "authorization_code"));
            apply(&mut form, "code", &fresh, code);
            apply(&mut form, "redirect_uri", REDIRECT_URI, redirect_uri);
            apply(&mut form, "code_verifier", VERIFIER, verifier);
        }
        Grant::RefreshToken { token, scope } => {
            let tokens = provider.user_tokens().await;
            let refresh = tokens.refresh_token.expect("a refresh token");
            form.push(pair("grant_type", "refresh_token"));
            apply(&mut form, "refresh_token", refresh.expose(), token);
            if let Some(scope) = scope.value() {
                form.push(pair("scope", scope));
            }
        }
        Grant::ClientCredentials { scope } => {
            form.push(pair("grant_type", "client_credentials"));
            if let Some(scope) = scope.value() {
                form.push(pair("scope", scope));
            }
        }
        Grant::UnknownGrantType(grant_type) => form.push(pair("grant_type", grant_type)),
        Grant::NoGrantType => {}
    }
    match case.auth {
        ClientAuth::Post | ClientAuth::Both => {
            form.push(pair("client_id", CLIENT_ID));
            form.push(pair("client_secret", CLIENT_SECRET));
        }
        ClientAuth::PostWrongSecret => {
            form.push(pair("client_id", CLIENT_ID));
            form.push(pair("client_secret", "not-the-secret"));
        }
        _ => {}
    }
    if case.repeat {
        // A second, different value of a parameter the request already carries.
        let name = form
            .first()
            .map(|(name, _)| name.clone())
            .unwrap_or_else(|| "grant_type".to_owned());
        if form.is_empty() {
            form.push(pair(&name, "a-first-value"));
        }
        form.push(pair(&name, "a-second-value"));
    }
    form.extend(case.extras.iter().cloned());
    form
}

#[test]
fn any_token_request_succeeds_only_if_valid_and_otherwise_gets_an_rfc_error_code() {
    let (runtime, provider) = provider_on_runtime();
    let seen = std::cell::RefCell::new(HashMap::<String, usize>::new());
    runner(128)
        .run(&token_case(), |case| {
            let expected = token_errors(&case);
            let (status, body, www_authenticate, body_len) = runtime.block_on(async {
                let form = token_form(&provider, &case).await;
                let mut encoded = url::form_urlencoded::Serializer::new(String::new());
                for (name, value) in &form {
                    encoded.append_pair(name, value);
                }
                let encoded = encoded.finish();
                let body_len = encoded.len();
                let mut request = provider
                    .api
                    .post(provider.url("/oauth/token"))
                    .body(encoded);
                if let Some(content_type) = case.content_type {
                    request = request.header(CONTENT_TYPE, content_type);
                }
                request = match &case.auth {
                    ClientAuth::Basic | ClientAuth::Both => {
                        request.basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
                    }
                    ClientAuth::BasicWrongSecret => request.basic_auth(CLIENT_ID, Some("wrong")),
                    ClientAuth::BasicUnknownClient => request.basic_auth("nobody", Some("x")),
                    ClientAuth::BasicGarbage(garbage) => {
                        request.header("authorization", format!("Basic {garbage}"))
                    }
                    _ => request,
                };
                let response = request.send().await.expect("answers");
                let status = response.status();
                let www_authenticate = response.headers().contains_key("www-authenticate");
                let body: serde_json::Value = response.json().await.unwrap_or_default();
                (status, body, www_authenticate, body_len)
            });
            prop_assert!(!status.is_server_error(), "{status} for {case:?}");
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                prop_assert!(body_len > 64 * 1024, "413 for a {body_len}-byte body");
                *seen.borrow_mut().entry("413".into()).or_default() += 1;
                return Ok(());
            }
            prop_assert!(
                body_len <= 64 * 1024,
                "a {body_len}-byte body was read: {status}"
            );
            if expected.is_empty() {
                prop_assert_eq!(status, StatusCode::OK, "{:?}: {}", case, body);
                prop_assert_eq!(&body["token_type"], "Bearer");
                prop_assert!(body["access_token"].is_string());
                *seen.borrow_mut().entry("200".into()).or_default() += 1;
                return Ok(());
            }
            let error = body["error"].as_str().unwrap_or_default().to_owned();
            prop_assert!(
                TOKEN_ERRORS.contains(&error.as_str()),
                "an RFC 6749 §5.2 code, not {error:?} ({status})"
            );
            prop_assert!(
                expected.contains(&error.as_str()),
                "{error} is not among {expected:?} for {case:?}"
            );
            prop_assert!(body["error_description"].is_string());
            if error == "invalid_client" {
                prop_assert_eq!(status, StatusCode::UNAUTHORIZED);
                prop_assert!(www_authenticate, "401 names its scheme");
            } else {
                prop_assert_eq!(status, StatusCode::BAD_REQUEST);
            }
            *seen.borrow_mut().entry(error).or_default() += 1;
            Ok(())
        })
        .expect("the token endpoint holds its properties");
    let seen = seen.into_inner();
    println!("token requests by outcome: {seen:?}");
    assert!(
        seen.contains_key("200"),
        "valid requests were generated: {seen:?}"
    );
    assert!(seen.len() >= 5, "many outcomes were exercised: {seen:?}");
}

// ---------------------------------------------------------------------------------------
// Malformed HTTP the other modules do not send.

/// Sends raw bytes and returns the status code of the answer (0 if the connection closed
/// without one).
async fn raw_status(provider: &TestProvider, request: Vec<u8>) -> u16 {
    let address = provider.base.trim_start_matches("http://").to_owned();
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(&address).expect("connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("a timeout");
        let _ = stream.write_all(&request);
        let mut answer = Vec::new();
        let mut buffer = [0u8; 4096];
        while !answer.windows(2).any(|pair| pair == b"\r\n") {
            match stream.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => answer.extend_from_slice(&buffer[..read]),
                Err(error) => panic!("answered, not stalled: {error}"),
            }
        }
        String::from_utf8_lossy(&answer)
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0)
    })
    .await
    .expect("the raw request ran")
}

#[tokio::test]
async fn malformed_http_is_refused_with_a_4xx_and_the_provider_keeps_serving() {
    let provider = spawn_provider().await;
    let host = provider.base.trim_start_matches("http://").to_owned();
    let get = |target: &str, headers: &str| {
        format!("GET {target} HTTP/1.1\r\nHost: {host}\r\n{headers}Connection: close\r\n\r\n")
            .into_bytes()
    };
    let token_post = |headers: &str, body: &[u8]| {
        let mut request = format!(
            "POST /oauth/token HTTP/1.1\r\nHost: {host}\r\n{headers}\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        request
    };
    let form = "Content-Type: application/x-www-form-urlencoded\r\n";
    let basic = format!(
        "Authorization: Basic {}\r\n",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{CLIENT_ID}:{CLIENT_SECRET}")
        )
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "invalid percent-encoding and UTF-8 in the query",
            get(
                "/oauth/authorize?client_id=%FF%FE&redirect_uri=%C0%AF&state=%00%01",
                "",
            ),
        ),
        (
            "a NUL byte in client_id",
            get(
                "/oauth/authorize?client_id=testclient%00&response_type=code",
                "",
            ),
        ),
        (
            "a 30 KiB query",
            get(
                &format!("/oauth/authorize?state={}", "a".repeat(30 * 1024)),
                "",
            ),
        ),
        (
            "a bearer token of 20 KiB",
            get(
                "/protected",
                &format!("Authorization: Bearer {}\r\n", "a".repeat(20 * 1024)),
            ),
        ),
        (
            "Bearer with nothing after it",
            get("/api/auth/me", "Authorization: Bearer \r\n"),
        ),
        ("Bearer with non-ASCII bytes", {
            let mut request = format!("GET /api/auth/me HTTP/1.1\r\nHost: {host}\r\n").into_bytes();
            request
                .extend_from_slice(b"Authorization: Bearer \xff\xfe\r\nConnection: close\r\n\r\n");
            request
        }),
        (
            "two Authorization headers",
            get(
                "/protected",
                "Authorization: Bearer a\r\nAuthorization: Bearer b\r\n",
            ),
        ),
        (
            "Basic credentials that are not base64",
            token_post(
                &format!("{form}Authorization: Basic %%%\r\n"),
                b"grant_type=client_credentials",
            ),
        ),
        (
            "Basic credentials without a colon",
            token_post(
                &format!(
                    "{form}Authorization: Basic {}\r\n",
                    base64::Engine::encode(
                        &base64::engine::general_purpose::STANDARD,
                        "testclient"
                    )
                ),
                b"grant_type=client_credentials",
            ),
        ),
        (
            "a form body that is not UTF-8",
            token_post(&format!("{form}{basic}"), b"grant_type=\xff\xfe&scope=%FF"),
        ),
        (
            "a form body of only separators",
            token_post(&format!("{form}{basic}"), b"&&&===&=&"),
        ),
        (
            "a JSON body labelled as a form",
            token_post(
                &format!("{form}{basic}"),
                br#"{"grant_type":"client_credentials"}"#,
            ),
        ),
    ];
    for (what, request) in cases {
        let status = raw_status(&provider, request).await;
        assert!(
            (400..500).contains(&status),
            "{what}: answered {status}, not a 4xx"
        );
    }
    let tokens = provider.user_tokens().await;
    assert!(
        provider.is_active(tokens.access_token.expose()).await,
        "the provider still works after all of that"
    );
}

// ---------------------------------------------------------------------------------------
// The log: what a request carries cannot forge a line.

#[tokio::test]
async fn nothing_a_request_carries_can_forge_a_line_in_the_providers_log() {
    let mut binary = crate::shutdown::Provider::start();
    let base = format!("http://{}", binary.address);
    let forged = "FORGED-LOG-LINE level=ERROR admin logged in";
    let broken = format!("x\n{forged}\r\n{forged}");
    let encoded: String = url::form_urlencoded::byte_serialize(broken.as_bytes()).collect();
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a reqwest client");
    let answered = |response: reqwest::Response| {
        assert!(
            !response.status().is_server_error(),
            "{}",
            response.status()
        );
    };
    for path in [
        format!("/{encoded}"),
        format!("/oauth/authorize?client_id={encoded}&state={encoded}"),
        format!(
            "/oauth/authorize?client_id={CLIENT_ID}&redirect_uri={}&response_type={encoded}&state={encoded}",
            url::form_urlencoded::byte_serialize(REDIRECT_URI.as_bytes()).collect::<String>()
        ),
        format!("/account?grant_id={encoded}"),
    ] {
        answered(
            http.get(format!("{base}{path}"))
                .send()
                .await
                .expect("answers"),
        );
    }
    let login_page = http
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("answers")
        .text()
        .await
        .expect("a page");
    let csrf = testkit::hidden_input(&login_page, "csrf_token").unwrap_or_default();
    answered(
        http.post(format!("{base}/login"))
            .form(&[
                ("username", broken.as_str()),
                ("password", broken.as_str()),
                ("csrf_token", csrf.as_str()),
                ("request_id", broken.as_str()),
            ])
            .send()
            .await
            .expect("answers"),
    );
    for path in ["/oauth/token", "/oauth/revoke", "/oauth/introspect"] {
        answered(
            http.post(format!("{base}{path}"))
                .basic_auth(&encoded, Some(&encoded))
                .form(&[("grant_type", broken.as_str()), ("token", broken.as_str())])
                .send()
                .await
                .expect("answers"),
        );
        answered(
            http.post(format!("{base}{path}"))
                .form(&[
                    ("client_id", CLIENT_ID),
                    ("client_secret", CLIENT_SECRET),
                    ("grant_type", broken.as_str()),
                    ("scope", broken.as_str()),
                    ("token", broken.as_str()),
                ])
                .send()
                .await
                .expect("answers"),
        );
    }
    answered(
        http.get(format!("{base}/api/auth/me"))
            .header("authorization", format!("Bearer {encoded}"))
            .send()
            .await
            .expect("answers"),
    );
    binary.signal("TERM");
    binary.wait_for_exit();
    // The reader threads may still be draining the pipes.
    std::thread::sleep(Duration::from_millis(200));
    let lines = binary.printed();
    assert!(
        lines.iter().any(|line| line.contains("%0AFORGED-LOG-LINE")),
        "the hostile path was logged, as sent (percent-encoded): {lines:#?}"
    );
    for line in &lines {
        assert!(
            !line.trim_start().starts_with("FORGED-LOG-LINE"),
            "a request wrote a line of its own into the log: {lines:#?}"
        );
    }
}
