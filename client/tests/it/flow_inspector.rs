//! `/flow`: every wire step of the last flow, explained, with secrets masked.

use testkit::{Browser, code_after, query_param, spawn_provider_and_client};

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
    flow.assert_contains("client/src/oauth.rs");
    flow.assert_contains("<code>exchange_code</code>");
    flow.assert_contains("rfc7636#section-4.5");
    flow.assert_contains("curl -i");
    flow.assert_contains("-u 'testclient:[10 characters, hidden]'");
    flow.assert_contains(&access);
    flow.assert_contains("cache-control: no-store");
}

#[test]
fn every_file_and_function_the_inspector_names_exists_on_both_sides() {
    use client::flow::{Step, provider_code};

    let steps = [
        Step::discovery("x"),
        Step::authorization_request(false),
        Step::at_provider(),
        Step::authorization_response(Vec::new()),
        Step::token_request(),
        Step::refresh("x"),
        Step::revocation("x", "y"),
        Step::introspection(),
        Step::api_call("x", "me", provider_code::ME),
        Step::api_call("x", "teams", provider_code::LIST_TEAMS),
        Step::api_call("x", "members", provider_code::LIST_MEMBERS),
        Step::api_call("x", "add_member", provider_code::ADD_MEMBER),
        Step::api_call("x", "remove_member", provider_code::REMOVE_MEMBER),
    ];
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
