//! RFC 8414: authorization server metadata.

use testkit::spawn_provider;

#[tokio::test]
async fn metadata_names_every_endpoint_under_the_issuer_and_what_is_supported() {
    let provider = spawn_provider().await;
    let response = provider
        .api
        .get(provider.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    let metadata: serde_json::Value = response.json().await.expect("JSON");
    let issuer = &provider.issuer;
    assert_eq!(metadata["issuer"], issuer.as_str());
    assert_eq!(
        metadata["authorization_endpoint"],
        format!("{issuer}/oauth/authorize")
    );
    assert_eq!(metadata["token_endpoint"], format!("{issuer}/oauth/token"));
    assert_eq!(
        metadata["revocation_endpoint"],
        format!("{issuer}/oauth/revoke")
    );
    assert_eq!(
        metadata["introspection_endpoint"],
        format!("{issuer}/oauth/introspect")
    );
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        metadata["response_types_supported"],
        serde_json::json!(["code"])
    );
    assert_eq!(
        metadata["authorization_response_iss_parameter_supported"],
        true
    );
    for scope in ["profile:read", "teams:read", "teams:write"] {
        assert!(
            metadata["scopes_supported"]
                .as_array()
                .expect("array")
                .iter()
                .any(|s| s == scope)
        );
    }
    for grant in ["authorization_code", "refresh_token", "client_credentials"] {
        assert!(
            metadata["grant_types_supported"]
                .as_array()
                .expect("array")
                .iter()
                .any(|g| g == grant)
        );
    }
    for method in ["client_secret_basic", "client_secret_post", "none"] {
        let methods = metadata["token_endpoint_auth_methods_supported"]
            .as_array()
            .expect("array");
        assert!(methods.iter().any(|m| m == method), "{method}");
    }
}

#[tokio::test]
async fn the_metadata_urls_are_the_ones_that_answer() {
    let provider = spawn_provider().await;
    let metadata: shared::metadata::AuthorizationServerMetadata = provider
        .api
        .get(provider.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("the shared DTO reads it");
    let token = provider
        .api
        .post(&metadata.token_endpoint)
        .basic_auth(testkit::CLIENT_ID, Some(testkit::CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("answers");
    assert_eq!(token.status(), 200);
}
