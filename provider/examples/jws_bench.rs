//! # How fast each ID token algorithm signs and verifies (RFC 7518 §3, RFC 8037)
//!
//! Prints one table: for RS256 (2048-bit), ES256 and EdDSA (Ed25519), the time to make a
//! key, and how many typical ID tokens (Core §2 claims, compact JWS) one core signs and
//! verifies per second with `ring`, through the provider's own [`sign_jws`] and [`verify`].
//! It measures, it asserts nothing: run it in release, on a quiet machine:
//!
//! ```text
//! cargo run --release -p provider --example jws_bench
//! ```
//!
//! Each figure is the best of three one-second runs (the least disturbed by other work).

use std::time::{Duration, Instant};

use provider::openid::jws::{sign_jws, verify};
use provider::openid::keys::{Algorithm, Jwks, SigningKey};
use serde_json::{Map, Value, json};

/// Operations per second of `op`, best of three runs of about a second each.
fn per_second(mut op: impl FnMut()) -> f64 {
    (0..3)
        .map(|_| {
            let start = Instant::now();
            let mut done = 0u64;
            while start.elapsed() < Duration::from_secs(1) {
                for _ in 0..16 {
                    op();
                }
                done += 16;
            }
            done as f64 / start.elapsed().as_secs_f64()
        })
        .fold(0.0, f64::max)
}

fn main() {
    // An ID token as the provider will issue it at the code exchange (Core §3.1.3.6).
    let claims = json!({
        "iss": "http://localhost:8080",
        "sub": "user1",
        "aud": "testclient",
        "azp": "testclient",
        "exp": 1_800_000_000u64,
        "iat": 1_799_999_400u64,
        "auth_time": 1_799_999_300u64,
        "nonce": "n-0S6_WzA2Mj-3b8d0f1e",
        "at_hash": "77QmUPtjPfzWtF2AnpK9RQ",
        "sid": "08a5019c-17e1-4977-8f42-65a12843ea02",
    });
    let mut typ = Map::new();
    typ.insert("typ".into(), Value::from("JWT"));

    println!("| alg | key generation | sign/s | verify/s | ID token bytes |");
    println!("|---|---:|---:|---:|---:|");
    for alg in Algorithm::ALL {
        let started = Instant::now();
        let key = SigningKey::generate(alg).expect("a key");
        let generated_in = started.elapsed();
        let jwks = Jwks {
            keys: vec![key.public_jwk()],
        };
        let token = sign_jws(&key, typ.clone(), &claims).expect("a JWS");
        let signs = per_second(|| {
            std::hint::black_box(sign_jws(&key, typ.clone(), &claims).expect("a JWS"));
        });
        let verifies = per_second(|| {
            std::hint::black_box(verify(&token, &jwks, &[alg]).expect("verifies"));
        });
        println!(
            "| {alg} | {:.1} ms | {signs:.0} | {verifies:.0} | {} |",
            generated_in.as_secs_f64() * 1000.0,
            token.len()
        );
    }
}
