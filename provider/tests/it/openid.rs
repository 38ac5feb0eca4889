//! OpenID Connect: discovery (Discovery 1.0 §3, §4), the JWK Set (Core §10.1, RFC 7517).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use provider::openid::keys::{Algorithm, SigningKey};
use serde_json::Value;
use testkit::{TestProvider, spawn_provider, spawn_provider_with};

async fn get_json(provider: &TestProvider, path: &str) -> Value {
    let response = provider
        .api
        .get(provider.url(path))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.expect("JSON")
}

#[tokio::test]
async fn discovery_names_the_jwks_uri_and_rs256_and_the_rfc8414_document_says_the_same() {
    let provider = spawn_provider().await;
    let discovery = get_json(&provider, "/.well-known/openid-configuration").await;
    let issuer = &provider.issuer;
    assert_eq!(discovery["issuer"], issuer.as_str());
    assert_eq!(
        discovery["jwks_uri"],
        format!("{issuer}/.well-known/jwks.json")
    );
    assert_eq!(
        discovery["authorization_endpoint"],
        format!("{issuer}/oauth/authorize")
    );
    assert_eq!(
        discovery["response_types_supported"],
        serde_json::json!(["code"])
    );
    assert_eq!(
        discovery["subject_types_supported"],
        serde_json::json!(["public"])
    );
    assert_eq!(
        discovery["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    let algorithms = discovery["id_token_signing_alg_values_supported"]
        .as_array()
        .expect("an array");
    assert!(
        algorithms.iter().any(|alg| alg == "RS256"),
        "{algorithms:?}"
    );
    let claims = discovery["claims_supported"].as_array().expect("an array");
    for claim in ["sub", "iss", "auth_time", "nonce", "email"] {
        assert!(claims.iter().any(|c| c == claim), "{claim}");
    }

    let rfc8414 = get_json(&provider, "/.well-known/oauth-authorization-server").await;
    assert_eq!(rfc8414, discovery);
}

#[tokio::test]
async fn the_jwks_publishes_public_rs256_signing_keys_and_no_private_member() {
    let provider = spawn_provider().await;
    let response = provider
        .api
        .get(provider.url("/.well-known/jwks.json"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/jwk-set+json"
    );
    let jwks: Value = response.json().await.expect("JSON");
    let keys = jwks["keys"].as_array().expect("keys");
    assert!(!keys.is_empty());
    for key in keys {
        assert_eq!(key["use"], "sig");
        assert!(key["kid"].as_str().is_some_and(|kid| !kid.is_empty()));
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(key.get(private).is_none(), "{private} published: {key}");
        }
    }
    assert!(
        keys.iter()
            .any(|key| key["alg"] == "RS256" && key["kty"] == "RSA"),
        "{keys:?}"
    );
}

#[tokio::test]
async fn a_signing_key_file_is_the_one_key_published() {
    let key = SigningKey::generate(Algorithm::ES256).expect("a key");
    let der = URL_SAFE_NO_PAD
        .decode(key.to_stored().pkcs8)
        .expect("base64url");
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        STANDARD.encode(der)
    );
    let path = std::env::temp_dir().join(format!("signing-key-{}.pem", key.kid()));
    std::fs::write(&path, pem).expect("a temporary file");
    let provider =
        spawn_provider_with(&[("SIGNING_KEY_FILE", path.to_str().expect("UTF-8"))]).await;
    let _ = std::fs::remove_file(&path);

    let jwks = get_json(&provider, "/.well-known/jwks.json").await;
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|jwk| jwk["kid"].as_str())
        .collect();
    assert_eq!(kids, vec![key.kid()]);
    let discovery = get_json(&provider, "/.well-known/openid-configuration").await;
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        serde_json::json!(["ES256"])
    );
}
