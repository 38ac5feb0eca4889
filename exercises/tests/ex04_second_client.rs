//! Exercise 4: register a second confidential client: id `partner-app`, secret
//! `partner-secret`, redirect URI `http://localhost:4000/callback`, name "Partner App".
#![cfg(feature = "ex04")]

use testkit::{AuthorizationRequest, CHALLENGE, REDIRECT_URI, VERIFIER, spawn_provider};

#[tokio::test]
async fn ex04_the_partner_app_completes_the_flow_and_cannot_use_the_other_clients_codes() {
    let provider = spawn_provider().await;
    let request = AuthorizationRequest {
        client_id: Some("partner-app".into()),
        redirect_uri: Some("http://localhost:4000/callback".into()),
        code_challenge: Some(CHALLENGE.into()),
        ..AuthorizationRequest::default()
    };
    let browser = testkit::new_browser();
    let first = provider.start_authorization(&browser, &request).await;
    if first.status() != 200 {
        let status = first.status();
        let page = first.text().await.unwrap_or_default();
        panic!(
            "partner-app's authorization request should reach the login page, but the provider \
             answered {status}{}. Hint: register the client where testclient is registered \
             (provider/src/state.rs), with its secret, its redirect URI and its name",
            if page.contains("not registered") {
                ": it does not know partner-app yet"
            } else {
                ""
            }
        );
    }
    let consent = provider.reach_consent(&browser, &request).await;
    assert!(
        consent.contains("Partner App"),
        "the consent page names the partner app"
    );
    let code = provider
        .authorize(&request)
        .await
        .param("code")
        .expect("a code for partner-app");
    let exchanged = provider
        .api
        .post(provider.url("/oauth/token"))
        .basic_auth("partner-app", Some("partner-secret"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "http://localhost:4000/callback"),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(
        exchanged.status(),
        200,
        "partner-app exchanges its own code (hint: its secret is partner-secret, checked like testclient's)"
    );
    let testclient_code = provider.authorization_code().await;
    let crossed = provider
        .api
        .post(provider.url("/oauth/token"))
        .basic_auth("partner-app", Some("partner-secret"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", testclient_code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(
        crossed.status(),
        400,
        "a code issued to testclient is invalid_grant for partner-app"
    );
}
