//! Exercise 3: turn PKCE enforcement off (make `code_challenge` optional in
//! `provider/src/oauth/authorize.rs` and skip the verifier check when the code has no
//! challenge), see what now gets through, then put it back and watch `cargo test -p
//! provider pkce` go green again. This check passes while PKCE is OFF: it shows that a
//! stolen code is then all an attacker needs.
#![cfg(feature = "ex03")]

use testkit::{AuthorizationRequest, REDIRECT_URI, location, new_browser, spawn_provider};

#[tokio::test]
async fn ex03_without_pkce_a_stolen_code_alone_buys_tokens() {
    let provider = spawn_provider().await;
    let request = AuthorizationRequest {
        code_challenge: None,
        code_challenge_method: None,
        ..AuthorizationRequest::default()
    };
    let browser = new_browser();
    let first = provider.start_authorization(&browser, &request).await;
    if first.status() != 200 {
        panic!(
            "a request without code_challenge should now reach the login page, but the provider \
             answered {} ({}). Hint: in provider/src/oauth/authorize.rs, let the PKCE check \
             accept a missing code_challenge (and, in the token endpoint, skip the verifier \
             when the code has no challenge)",
            first.status(),
            if first.status().is_redirection() {
                format!("a redirect to {}", location(&first))
            } else {
                "an error page".to_owned()
            }
        );
    }
    let redirect = provider.authorize_in(&browser, &request).await;
    let code = redirect
        .param("code")
        .expect("with PKCE off, a request without code_challenge should get a code");
    let stolen = provider
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
        ])
        .await;
    assert_eq!(
        stolen.status(),
        200,
        "with PKCE off, the code alone (no code_verifier) is exchanged: this is the attack PKCE stops"
    );
}
