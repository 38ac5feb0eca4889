//! `/flow`: every wire step of the last flow, explained, with secrets masked.

use testkit::{Browser, code_after, query_param, spawn_provider_and_client, with_param};

#[tokio::test]
async fn the_inspector_shows_every_step_with_rfc_links_code_references_and_masked_secrets() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();

    let empty = browser.get(&apps.client_url("/flow")).await;
    empty.assert_contains("No flow yet");

    let hops = apps.authorize(&browser, "/login", "approve").await;
    let challenge = query_param(&hops.authorization_url, "code_challenge").expect("a challenge");
    let code = query_param(&hops.callback_url, "code").expect("a code");
    let home = apps.finish(&browser, &hops.callback_url).await;
    let access = code_after(&home.body, "Access token fingerprint").expect("shown");
    let flow = browser.get(&apps.client_url("/flow")).await;

    for step in [
        "Discovery: the provider's endpoints, from RFC 8414 metadata",
        "(A) Authorization request",
        "(B) At the provider",
        "(C) Authorization response",
        "(D) Token request",
        "API call: your profile",
        "API call: your teams",
        "Introspection",
    ] {
        flow.assert_contains(step);
    }
    // The PKCE challenge, and how it was derived.
    flow.assert_contains(&challenge);
    flow.assert_contains("SHA-256 → base64url");
    // The Basic header, masked and explained; no secret anywhere.
    flow.assert_contains("Basic ");
    flow.assert_contains("testclient:[10 characters, hidden]");
    assert!(!flow.body.contains("testsecret"));
    assert!(!flow.body.contains(&code), "the code is masked");
    flow.assert_contains(&format!("{}…", &code[..4]));
    // Both sides' files and functions, RFC links, curl, fingerprints.
    flow.assert_contains("provider/src/oauth/token/authorization_code.rs");
    flow.assert_contains("client/src/oauth/code_exchange.rs");
    flow.assert_contains("<code>exchange_code</code>");
    flow.assert_contains("rfc7636#section-4.5");
    flow.assert_contains("curl -i");
    flow.assert_contains("-u 'testclient:[10 characters, hidden]'");
    flow.assert_contains(&access);
    flow.assert_contains("cache-control: no-store");
}

#[test]
fn every_file_and_function_the_inspector_names_exists_on_both_sides() {
    use client::flow::Step;
    use client::provider_api::Resource;

    let mut steps = vec![
        Step::discovery("x"),
        Step::authorization_request(false),
        Step::at_provider(),
        Step::authorization_response(Vec::new()),
        Step::token_request(),
        Step::refresh("x"),
        Step::revocation("x", "y"),
        Step::introspection(),
    ];
    steps.extend(Resource::ALL.map(Step::api_call));
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the client sits in the workspace");
    for step in &steps {
        for code in step.client_code.iter().chain(&step.provider_code) {
            let source = std::fs::read_to_string(workspace.join(code.file))
                .unwrap_or_else(|_| panic!("{} exists ({})", code.file, step.title));
            assert!(
                source.contains(&format!("fn {}(", code.function))
                    || source.contains(&format!("fn {}<", code.function)),
                "{} defines {} ({})",
                code.file,
                code.function,
                step.title
            );
        }
    }
}

/// Where each of `needles` first appears in `body`, failing with the page if one is missing.
fn positions(body: &str, needles: &[&str]) -> Vec<usize> {
    needles
        .iter()
        .map(|needle| {
            body.find(needle)
                .unwrap_or_else(|| panic!("{needle:?} is shown: {body}"))
        })
        .collect()
}

#[tokio::test]
async fn the_inspector_lists_the_callbacks_checks_numbered_in_the_order_they_ran() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    apps.log_in(&browser).await;
    let flow = browser.get(&apps.client_url("/flow")).await;
    let checks = positions(
        &flow.text(),
        &[
            "1. state: matches the one kept for this browser",
            "2. age: the login started less than 10 minutes ago",
            "3. iss = http://127.0.0.1:",
            "4. error: none",
            "5. code: present",
            "(D) Token request",
        ],
    );
    assert!(
        checks.windows(2).all(|pair| pair[0] < pair[1]),
        "the checks appear in the order they ran: {checks:?}"
    );
}

#[tokio::test]
async fn a_mixed_up_response_shows_the_checks_that_passed_then_the_issuer_refused_and_no_token_request()
 {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    let hops = apps.authorize(&browser, "/login", "approve").await;
    let mixed_up = with_param(&hops.callback_url, "iss", "https://evil.example");
    browser.get(&mixed_up).await;
    let flow = browser.get(&apps.client_url("/flow")).await;
    let checks = positions(
        &flow.text(),
        &[
            "1. state: matches",
            "2. age:",
            "3. iss = https://evil.example, expected http://127.0.0.1:",
        ],
    );
    assert!(
        checks.windows(2).all(|pair| pair[0] < pair[1]),
        "{checks:?}"
    );
    assert!(
        !flow.body.contains("4. error"),
        "no check after the refusal ran"
    );
    assert!(
        !flow.body.contains("(D) Token request"),
        "the code was never sent: {}",
        flow.body
    );
}
