//! Exercise 5: remember consent. When the signed-in user already has a live grant for this
//! client covering every requested scope, skip the consent page and redirect with a code
//! straight away (RFC 6749 §4.1.1 leaves this to the server). A wider request must still ask.
#![cfg(feature = "ex05")]

use testkit::{AuthorizationRequest, location, new_browser, query_param, spawn_provider};

#[tokio::test]
async fn ex05_a_second_request_within_a_live_grant_skips_consent_and_a_wider_one_asks() {
    let provider = spawn_provider().await;
    let browser = new_browser();
    let first = provider
        .authorize_in(&browser, &AuthorizationRequest::default())
        .await;
    let code = first.param("code").expect("a code");
    assert_eq!(
        provider.exchange_code(&code).await.status(),
        200,
        "the first grant is live"
    );
    let again = provider
        .start_authorization(&browser, &AuthorizationRequest::default())
        .await;
    assert_eq!(
        again.status(),
        303,
        "the same request again should redirect with a code, without a consent page (200 is the \
         consent page shown again). Hint: in provider/src/oauth/authorize.rs, once the request is \
         valid and the user is signed in, look for a live grant of this user to this client whose \
         scopes cover the request, and if there is one issue the code as the consent step does"
    );
    let redirect = location(&again);
    assert!(
        query_param(&redirect, "code").is_some(),
        "with a code: {redirect}"
    );
    let wider = AuthorizationRequest {
        scope: Some("profile:read teams:read teams:write".into()),
        ..AuthorizationRequest::default()
    };
    let asked = provider.start_authorization(&browser, &wider).await;
    assert_eq!(
        asked.status(),
        200,
        "a wider request still shows the consent page"
    );
}
