//! # Sample JWT access tokens for the interop check (RFC 9068 §2)
//!
//! Prints one JSON document on stdout: a fresh key for each algorithm the provider signs
//! with (RS256, ES256, EdDSA), the public JWK Set of those keys, and for each key an access
//! token for the notes API signed by [`sign_access_token`], the function the token endpoint
//! uses. `interop/node/jwt-access-token.test.mjs` (oauth4webapi's `validateJwtAccessToken`)
//! and `interop/python/test_rfc9068.py` (joserfc) must accept every one of them as an RFC
//! 9068 access token for `http://localhost:8082` from `http://localhost:8080`.
//!
//! ```text
//! cargo run -q -p provider --example access_token_samples
//! ```

use provider::domain::scope::ScopeSet;
use provider::oauth::token::jwt_access_token::{AccessTokenFor, sign_access_token};
use provider::openid::keys::{Algorithm, Jwks, SigningKey};
use serde_json::json;

const ISSUER: &str = "http://localhost:8080";
const AUDIENCE: &str = "http://localhost:8082";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let mut jwks = Jwks::default();
    let mut samples = Vec::new();
    for alg in Algorithm::ALL {
        let key = SigningKey::generate(alg)?;
        jwks.keys.push(key.public_jwk());
        let token = AccessTokenFor {
            issuer: ISSUER,
            audience: AUDIENCE,
            subject: "user1",
            client_id: "testclient",
            scopes: ScopeSet::parse("notes:read notes:write")?,
            auth_time: Some(now),
            issued_at: now,
            expires_at: now + 300,
        };
        samples.push(json!({
            "alg": alg.as_str(),
            "kid": key.kid(),
            "access_token": sign_access_token(&key, &token)?,
        }));
    }
    println!(
        "{}",
        json!({ "issuer": ISSUER, "audience": AUDIENCE, "jwks": jwks, "samples": samples })
    );
    Ok(())
}
