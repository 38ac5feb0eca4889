//! RFC 6749 §5.2: "Values for the \"error_description\" parameter MUST NOT include
//! characters outside the set %x20-21 / %x23-5B / %x5D-7E", and a description never echoes
//! request input. This walks every error path it can reach, each fed input full of
//! characters outside that set, and checks every description it gets back.

use reqwest::{Response, StatusCode};

use testkit::{
    AuthorizationRequest, CLIENT_ID, CLIENT_SECRET, PUBLIC_CLIENT_ID, TestProvider, location,
    new_browser, query_param, spawn_provider,
};

/// Input a description must neither echo nor let through: `"`, `\`, `§`, non-ASCII.
const HOSTILE: &str = "zq\"\\§é<b>";

fn assert_allowed(description: &str, path: &str) {
    assert!(
        description
            .chars()
            .all(|c| matches!(c, '\x20'..='\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')),
        "{path}: a character outside RFC 6749 section 5.2's set in {description:?}"
    );
    assert!(
        !description.contains("zq"),
        "{path}: the description echoes request input: {description:?}"
    );
}

/// Checks the JSON body's `error_description` and, if any, the challenge's.
async fn check_json(response: Response, path: &str) -> StatusCode {
    let status = response.status();
    assert!(
        status.is_client_error(),
        "{path}: expected an error, got {status}"
    );
    if let Some(challenge) = response
        .headers()
        .get("www-authenticate")
        .and_then(|value| value.to_str().ok())
        && let Some((_, rest)) = challenge.split_once("error_description=\"")
    {
        let description = rest.split('"').next().unwrap_or_default();
        assert_allowed(description, path);
    }
    let body: serde_json::Value = response.json().await.expect("a JSON error");
    let description = body["error_description"]
        .as_str()
        .unwrap_or_else(|| panic!("{path}: no error_description in {body}"));
    assert_allowed(description, path);
    status
}

async fn post(
    provider: &TestProvider,
    path: &str,
    basic: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> Response {
    let mut request = provider.api.post(provider.url(path)).form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    request.send().await.expect("the provider answers")
}

#[tokio::test]
async fn every_error_description_stays_within_rfc_6749_section_5_2_and_echoes_no_input() {
    let provider = spawn_provider().await;
    let client = Some((CLIENT_ID, CLIENT_SECRET));
    let repeated_name = format!("{HOSTILE}=1&{HOSTILE}=2&grant_type=client_credentials");

    // The token endpoint (§5.2), the revocation endpoint (RFC 7009 §2.2.1) and the
    // introspection endpoint (RFC 7662 §2.3) share the form rules and client authentication.
    for path in ["/oauth/token", "/oauth/revoke", "/oauth/introspect"] {
        let not_a_form = provider
            .api
            .post(provider.url(path))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .json(&serde_json::json!({ "token": HOSTILE }))
            .send()
            .await
            .expect("the provider answers");
        check_json(not_a_form, path).await;
        let repeated = provider
            .api
            .post(provider.url(path))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(repeated_name.clone())
            .send()
            .await
            .expect("the provider answers");
        check_json(repeated, path).await;
        for basic in [
            Some((CLIENT_ID, HOSTILE)),
            Some((HOSTILE, HOSTILE)),
            Some((PUBLIC_CLIENT_ID, HOSTILE)),
        ] {
            check_json(
                post(&provider, path, basic, &[("token", HOSTILE)]).await,
                path,
            )
            .await;
        }
        let malformed = provider
            .api
            .post(provider.url(path))
            .header("authorization", format!("Basic {HOSTILE}"))
            .form(&[("token", "x")])
            .send()
            .await
            .expect("the provider answers");
        check_json(malformed, path).await;
        let other_scheme = provider
            .api
            .post(provider.url(path))
            .header("authorization", "Digest zq")
            .form(&[("token", "x")])
            .send()
            .await
            .expect("the provider answers");
        check_json(other_scheme, path).await;
        check_json(
            post(&provider, path, None, &[("token", HOSTILE)]).await,
            path,
        )
        .await;
    }
    check_json(
        post(&provider, "/oauth/revoke", client, &[]).await,
        "revoke",
    )
    .await;
    check_json(
        post(&provider, "/oauth/introspect", client, &[]).await,
        "introspect",
    )
    .await;
    check_json(
        post(
            &provider,
            "/oauth/introspect",
            None,
            &[("client_id", PUBLIC_CLIENT_ID), ("token", HOSTILE)],
        )
        .await,
        "introspect as a public client",
    )
    .await;

    // Each grant's own errors.
    let forms: [&[(&str, &str)]; 10] = [
        &[],
        &[("grant_type", HOSTILE)],
        &[("grant_type", "authorization_code")],
        &[("grant_type", "authorization_code"), ("code", HOSTILE)],
        &[("grant_type", "refresh_token")],
        &[("grant_type", "refresh_token"), ("refresh_token", HOSTILE)],
        &[("grant_type", "client_credentials"), ("scope", HOSTILE)],
        &[("grant_type", "client_credentials"), ("scope", " ")],
        &[("grant_type", "client_credentials"), ("client_id", HOSTILE)],
        &[("grant_type", "password"), ("username", HOSTILE)],
    ];
    for form in forms {
        check_json(
            post(&provider, "/oauth/token", client, form).await,
            "/oauth/token",
        )
        .await;
    }
    let public = provider
        .api
        .post(provider.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", PUBLIC_CLIENT_ID),
        ])
        .send()
        .await
        .expect("the provider answers");
    check_json(public, "client_credentials as a public client").await;
    let code = provider.authorization_code().await;
    for form in [
        vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
        ],
        vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", testkit::REDIRECT_URI),
            ("code_verifier", HOSTILE),
        ],
    ] {
        check_json(post(&provider, "/oauth/token", client, &form).await, "code").await;
    }
    let tokens = provider.user_tokens().await;
    let refresh = tokens.refresh_token.as_ref().expect("a refresh token");
    check_json(
        post(
            &provider,
            "/oauth/token",
            client,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.expose()),
                ("scope", "teams:write"),
            ],
        )
        .await,
        "refresh widening",
    )
    .await;

    // The authorization endpoint's errors go back to the client in the redirect.
    let hostile_requests = [
        AuthorizationRequest {
            scope: Some(HOSTILE.into()),
            ..AuthorizationRequest::default()
        },
        AuthorizationRequest {
            scope: Some(" ".into()),
            ..AuthorizationRequest::default()
        },
        AuthorizationRequest {
            response_type: Some(HOSTILE.into()),
            ..AuthorizationRequest::default()
        },
        AuthorizationRequest {
            response_type: Some("token".into()),
            ..AuthorizationRequest::default()
        },
        AuthorizationRequest {
            response_type: None,
            ..AuthorizationRequest::default()
        },
        AuthorizationRequest {
            code_challenge: None,
            ..AuthorizationRequest::default()
        },
        AuthorizationRequest {
            code_challenge_method: Some(HOSTILE.into()),
            ..AuthorizationRequest::default()
        },
        AuthorizationRequest {
            code_challenge: Some(HOSTILE.into()),
            ..AuthorizationRequest::default()
        },
        AuthorizationRequest {
            extra: vec![(HOSTILE.into(), "1".into()), (HOSTILE.into(), "2".into())],
            ..AuthorizationRequest::default()
        },
    ];
    for request in &hostile_requests {
        let response = provider.start_authorization(&new_browser(), request).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{request:?}");
        let description =
            query_param(&location(&response), "error_description").expect("a description");
        assert_allowed(&description, "/oauth/authorize");
    }

    // The resource server: RFC 6750 §3 challenges and the API's JSON errors.
    for token in [HOSTILE, "not-a-token"] {
        let response = provider
            .api
            .get(provider.url("/api/auth/me"))
            .header("authorization", format!("Bearer {}", urlencode(token)))
            .send()
            .await
            .expect("the provider answers");
        check_json(response, "/api/auth/me").await;
    }
    let missing = provider
        .api
        .get(provider.url("/api/auth/me"))
        .send()
        .await
        .expect("the provider answers");
    check_json(missing, "/api/auth/me without a token").await;
    let narrow = provider.user_tokens_with_scope("profile:read").await;
    let insufficient = provider
        .get_with_token("/api/user/teams", narrow.access_token.expose())
        .await;
    check_json(insufficient, "insufficient_scope").await;
    let writer = provider
        .user_tokens_with_scope("profile:read teams:read teams:write")
        .await;
    let bad_body = provider
        .api
        .post(provider.url("/api/user/teams/1/members"))
        .bearer_auth(writer.access_token.expose())
        .header("content-type", "application/json")
        .body(format!("{{\"username\": \"{HOSTILE}\"}}"))
        .send()
        .await
        .expect("the provider answers");
    check_json(bad_body, "teams API").await;
}

fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
