//! # Sample ID tokens for the interop cross-check (RFC 7515, RFC 7517, Core §3.1.3.6)
//!
//! Prints one JSON document on stdout: a fresh key for each algorithm the provider signs
//! with (RS256, ES256, EdDSA), the public JWK Set of those keys, and for each key an ID
//! token signed with [`sign_jws`] whose `at_hash` [`token_hash`] computed from a sample
//! access token. `interop/node/jws-cross-check.test.mjs` feeds it to panva's `jose`, which
//! must verify every signature, find every `kid` as the key's RFC 7638 thumbprint, and
//! compute the same `at_hash`.
//!
//! ```text
//! cargo run -q -p provider --example jws_samples
//! ```

use provider::openid::jws::{sign_jws, token_hash};
use provider::openid::keys::{Algorithm, Jwks, SigningKey};
use serde_json::{Map, Value, json};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let mut typ = Map::new();
    typ.insert("typ".into(), Value::from("JWT"));

    let mut jwks = Jwks::default();
    let mut samples = Vec::new();
    for alg in Algorithm::ALL {
        let key = SigningKey::generate(alg)?;
        jwks.keys.push(key.public_jwk());
        // Not a real token: a random-looking string of the shape ours have.
        let access_token = format!("sample-access-token-{}-{}", alg, key.kid());
        let claims = json!({
            "iss": "http://localhost:8080",
            "sub": "user1",
            "aud": "testclient",
            "azp": "testclient",
            "iat": now,
            "exp": now + 600,
            "auth_time": now,
            "nonce": "n-0S6_WzA2Mj",
            "at_hash": token_hash(alg, &access_token),
        });
        samples.push(json!({
            "alg": alg.as_str(),
            "kid": key.kid(),
            "access_token": access_token,
            "id_token": sign_jws(&key, typ.clone(), &claims)?,
        }));
    }
    println!("{}", json!({ "jwks": jwks, "samples": samples }));
    Ok(())
}
