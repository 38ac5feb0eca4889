//! RFC 6749 §2.3.1: "the authorization server MUST protect any endpoint utilizing [client
//! passwords] against brute force attacks". One limiter is part of client authentication, so
//! every endpoint that checks a secret (token, revocation, introspection) has it; it counts
//! the client id as authentication decodes it, so no spelling of an id gets a fresh bucket,
//! and failed authentications are counted per address.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::{Response, StatusCode};

use testkit::{CLIENT_ID, CLIENT_SECRET, TestProvider, header_value, spawn_provider_with};

/// A provider whose address may fail client authentication three times a minute.
async fn provider_allowing_three_failures() -> TestProvider {
    spawn_provider_with(&[
        ("RATE_LIMIT", "on"),
        ("RATE_LIMIT_CLIENT_AUTH_FAILURES_PER_MINUTE", "3"),
    ])
    .await
}

/// A provider that allows one request per client and address per second, failures aside.
async fn provider_allowing_one_request_per_client() -> TestProvider {
    spawn_provider_with(&[
        ("RATE_LIMIT", "on"),
        ("RATE_LIMIT_TOKEN_PER_SECOND", "1"),
        ("RATE_LIMIT_CLIENT_AUTH_FAILURES_PER_MINUTE", "1000"),
    ])
    .await
}

/// POSTs `form` to `path` with `Authorization: <scheme> base64(<user>:<secret>)` as given.
async fn post_with_basic(
    provider: &TestProvider,
    path: &str,
    scheme: &str,
    user: &str,
    secret: &str,
    form: &[(&str, &str)],
) -> Response {
    let credentials = STANDARD.encode(format!("{user}:{secret}"));
    provider
        .api
        .post(provider.url(path))
        .header("authorization", format!("{scheme} {credentials}"))
        .form(form)
        .send()
        .await
        .expect("the provider answers")
}

/// The form each endpoint needs besides the client's credentials.
fn form_for(path: &str) -> &'static [(&'static str, &'static str)] {
    match path {
        "/oauth/token" => &[("grant_type", "client_credentials")],
        _ => &[("token", "not-a-token")],
    }
}

/// Guesses wrong secrets at `path` until one is refused with 429; then the right secret is
/// refused too, with `Retry-After` and the JSON error body.
async fn assert_guessing_is_stopped_at(path: &str) {
    let provider = provider_allowing_three_failures().await;
    let form = form_for(path);
    let mut unauthorized = 0;
    for guess in 0..20 {
        let response = post_with_basic(
            &provider,
            path,
            "Basic",
            CLIENT_ID,
            &format!("guess-{guess}"),
            form,
        )
        .await;
        match response.status() {
            StatusCode::UNAUTHORIZED => unauthorized += 1,
            StatusCode::TOO_MANY_REQUESTS => break,
            other => panic!("a wrong secret at {path} answered {other}"),
        }
    }
    assert!(
        unauthorized <= 4,
        "{path}: {unauthorized} wrong secrets were checked; the budget is 3 (and the one that trips it)"
    );
    let right = post_with_basic(&provider, path, "Basic", CLIENT_ID, CLIENT_SECRET, form).await;
    assert_eq!(
        right.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "{path}: while the address is locked out, not even the right secret is checked (or the answer would tell a guesser it was right)"
    );
    let retry_after = header_value(&right, "retry-after").expect("a Retry-After header");
    assert!(
        retry_after.parse::<u64>().is_ok_and(|seconds| seconds >= 1),
        "{retry_after}"
    );
    let body: serde_json::Value = right.json().await.expect("a JSON body");
    assert_eq!(body["error"], "rate_limited", "{body}");
    assert!(body["error_description"].is_string(), "{body}");
}

#[tokio::test]
async fn guessing_client_secrets_at_the_token_endpoint_is_stopped_with_429() {
    assert_guessing_is_stopped_at("/oauth/token").await;
}

#[tokio::test]
async fn guessing_client_secrets_at_the_revocation_endpoint_is_stopped_with_429() {
    assert_guessing_is_stopped_at("/oauth/revoke").await;
}

#[tokio::test]
async fn guessing_client_secrets_at_the_introspection_endpoint_is_stopped_with_429() {
    assert_guessing_is_stopped_at("/oauth/introspect").await;
}

#[tokio::test]
async fn guesses_spread_over_spellings_of_the_client_id_share_the_addresss_failure_budget() {
    let provider = provider_allowing_three_failures().await;
    let spellings = [
        ("Basic", "%74estclient"),
        ("basic", CLIENT_ID),
        ("BASIC", "%74%65stclient"),
        ("Basic", "test%63lient"),
        ("basic", "%74estclient"),
    ];
    let mut statuses = Vec::new();
    for (scheme, user) in spellings {
        let response = post_with_basic(
            &provider,
            "/oauth/token",
            scheme,
            user,
            "a-guess",
            form_for("/oauth/token"),
        )
        .await;
        statuses.push(response.status().as_u16());
    }
    let post = provider
        .api
        .post(provider.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ])
        .send()
        .await
        .expect("the provider answers");
    statuses.push(post.status().as_u16());
    assert_eq!(
        statuses,
        [401, 401, 401, 401, 429, 429],
        "three failures and the one that trips the budget, whatever the spelling; then 429"
    );
}

/// The answer to an equivalent spelling sent right after the plain one used up
/// `testclient`'s one request this second: counted in the same bucket, so 429.
fn assert_shares_the_plain_bucket(then: &Response) {
    assert_eq!(
        then.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "an equivalent spelling of testclient found a bucket of its own"
    );
    assert!(header_value(then, "retry-after").is_some());
}

#[tokio::test]
async fn a_percent_encoded_client_id_shares_the_clients_bucket() {
    let provider = provider_allowing_one_request_per_client().await;
    let form = form_for("/oauth/token");
    let plain = post_with_basic(
        &provider,
        "/oauth/token",
        "Basic",
        CLIENT_ID,
        CLIENT_SECRET,
        form,
    )
    .await;
    assert_eq!(plain.status(), StatusCode::OK);
    let encoded = post_with_basic(
        &provider,
        "/oauth/token",
        "Basic",
        "%74estclient",
        CLIENT_SECRET,
        form,
    )
    .await;
    assert_shares_the_plain_bucket(&encoded);
}

#[tokio::test]
async fn a_lowercase_basic_scheme_shares_the_clients_bucket() {
    let provider = provider_allowing_one_request_per_client().await;
    let form = form_for("/oauth/token");
    let plain = post_with_basic(
        &provider,
        "/oauth/token",
        "Basic",
        CLIENT_ID,
        CLIENT_SECRET,
        form,
    )
    .await;
    assert_eq!(plain.status(), StatusCode::OK);
    let lowercase = post_with_basic(
        &provider,
        "/oauth/token",
        "basic",
        CLIENT_ID,
        CLIENT_SECRET,
        form,
    )
    .await;
    assert_shares_the_plain_bucket(&lowercase);
}

#[tokio::test]
async fn client_secret_post_shares_the_clients_bucket_with_client_secret_basic() {
    let provider = provider_allowing_one_request_per_client().await;
    let form = form_for("/oauth/token");
    let plain = post_with_basic(
        &provider,
        "/oauth/token",
        "Basic",
        CLIENT_ID,
        CLIENT_SECRET,
        form,
    )
    .await;
    assert_eq!(plain.status(), StatusCode::OK);
    let post = provider
        .api
        .post(provider.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ])
        .send()
        .await
        .expect("the provider answers");
    assert_shares_the_plain_bucket(&post);
}

#[tokio::test]
async fn revocation_and_introspection_count_in_the_clients_bucket_too() {
    for path in ["/oauth/revoke", "/oauth/introspect"] {
        let provider = provider_allowing_one_request_per_client().await;
        let form = form_for(path);
        let first = post_with_basic(&provider, path, "Basic", CLIENT_ID, CLIENT_SECRET, form).await;
        assert_eq!(first.status(), StatusCode::OK, "{path}");
        let second = post_with_basic(
            &provider,
            path,
            "basic",
            "%74estclient",
            CLIENT_SECRET,
            form,
        )
        .await;
        assert_shares_the_plain_bucket(&second);
    }
}
