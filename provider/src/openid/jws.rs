//! # Compact JWS: signing ID tokens, checking them, and the token hashes (RFC 7515, Core §3.1.3.6)
//!
//! An ID token is a JWT (RFC 7519) in the JWS Compact Serialization (RFC 7515 §7.1):
//!
//! ```text
//! BASE64URL(header) "." BASE64URL(claims) "." BASE64URL(signature over the first two parts)
//! ```
//!
//! - [`sign_jws`] writes one: the header carries `alg` and `kid` (so the verifier can pick the
//!   key from our JWKS, Core §10.1) plus whatever the caller adds, such as `typ`.
//! - [`verify`] checks one against a JWK Set, as an ordered list of named steps. The provider
//!   needs it for `id_token_hint` (Core §3.1.2.1, RP-Initiated Logout §2), the tests for
//!   everything.
//! - [`token_hash`] computes `at_hash` and `c_hash` (Core §3.1.3.6, §3.3.2.11).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{self, UnparsedPublicKey};
use serde_json::{Map, Value};

use super::keys::{Algorithm, Jwks, KeyError, PublicJwk, SigningKey};

/// Why a JWS could not be written or was refused. Each variant is one step of [`verify`].
#[derive(Debug, thiserror::Error)]
pub enum JwsError {
    #[error("the header may not set {0}: the signing key decides it")]
    ReservedHeader(&'static str),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("not a compact JWS: expected three base64url parts separated by dots")]
    Malformed,
    #[error("the JWS header is not a JSON object")]
    BadHeader,
    #[error("alg {0:?} is not accepted here")]
    AlgorithmNotAllowed(String),
    #[error("the JWS header has no kid")]
    NoKid,
    #[error("no published key has kid {0:?}")]
    UnknownKid(String),
    #[error("key {kid} is for {key_alg}, the JWS says {jws_alg}")]
    AlgorithmMismatch {
        kid: String,
        key_alg: String,
        jws_alg: String,
    },
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the JWS payload is not a JSON object")]
    BadClaims,
}

/// Signs `claims` with `key` and returns the compact JWS.
///
/// The header is `{"alg": key.alg, "kid": key.kid}` plus `header_extra` (e.g.
/// `{"typ": "JWT"}`). `header_extra` may not set `alg` or `kid`: those belong to the key,
/// and a header that named another would be a token no verifier can check.
pub fn sign_jws(
    key: &SigningKey,
    header_extra: Map<String, Value>,
    claims: &Value,
) -> Result<String, JwsError> {
    let mut header = Map::new();
    header.insert("alg".into(), key.alg().as_str().into());
    header.insert("kid".into(), key.kid().into());
    for (name, value) in header_extra {
        match name.as_str() {
            "alg" => return Err(JwsError::ReservedHeader("alg")),
            "kid" => return Err(JwsError::ReservedHeader("kid")),
            _ => header.insert(name, value),
        };
    }
    // RFC 7515 §5.1 steps 1–6: the signing input is the ASCII of the two encoded parts.
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(Value::Object(header).to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = key.sign(signing_input.as_bytes())?;
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}

/// A JWS whose signature checked out: its header and claims, not yet judged (`iss`, `aud`,
/// `exp`... are the caller's steps, Core §3.1.3.7 6–13).
#[derive(Clone, Debug, PartialEq)]
pub struct Verified {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
}

/// Checks a compact JWS against a JWK Set, each step named after what it refuses
/// (RFC 7515 §5.2, RFC 8725 §3.1–3.2 for the algorithm steps):
///
/// 1. **three parts**: `header.payload.signature`, each base64url (RFC 7515 §5.2 steps 1–2).
/// 2. **header is JSON**: a JSON object (§5.2 steps 3–4).
/// 3. **alg allowed**: the header's `alg` is one of `allowed`. `none` and `HS256` never are:
///    [`Algorithm`] cannot name them (RFC 8725 §3.1, §3.2).
/// 4. **kid present** and **kid published**: the verifier picks the key by `kid` (Core §10.1).
/// 5. **key fits alg**: the published key is for the same algorithm, so an RSA key can never
///    be used as if it were something else.
/// 6. **signature**: verified with `ring` (§5.2 step 8).
/// 7. **claims are JSON**: the payload is a JSON object (RFC 7519 §7.2 step 10).
pub fn verify(jws: &str, jwks: &Jwks, allowed: &[Algorithm]) -> Result<Verified, JwsError> {
    // 1. three parts
    let mut parts = jws.split('.');
    let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwsError::Malformed);
    };
    let decode = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| JwsError::Malformed)
    };
    let (header_bytes, claims_bytes, signature) = (
        decode(header_b64)?,
        decode(claims_b64)?,
        decode(signature_b64)?,
    );

    // 2. header is JSON
    let Ok(Value::Object(header)) = serde_json::from_slice(&header_bytes) else {
        return Err(JwsError::BadHeader);
    };

    // 3. alg allowed
    let alg_name = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let alg = Algorithm::from_name(alg_name)
        .filter(|alg| allowed.contains(alg))
        .ok_or_else(|| JwsError::AlgorithmNotAllowed(alg_name.into()))?;

    // 4. kid present, kid published
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or(JwsError::NoKid)?;
    let jwk = jwks
        .find(kid)
        .ok_or_else(|| JwsError::UnknownKid(kid.into()))?;

    // 5. key fits alg
    if jwk.alg != alg.as_str() {
        return Err(JwsError::AlgorithmMismatch {
            kid: kid.into(),
            key_alg: jwk.alg.clone(),
            jws_alg: alg.as_str().into(),
        });
    }

    // 6. signature
    let signing_input = &jws[..header_b64.len() + 1 + claims_b64.len()];
    verify_signature(alg, jwk, signing_input.as_bytes(), &signature)
        .ok_or(JwsError::BadSignature)?;

    // 7. claims are JSON
    let Ok(Value::Object(claims)) = serde_json::from_slice(&claims_bytes) else {
        return Err(JwsError::BadClaims);
    };
    Ok(Verified { header, claims })
}

/// `Some(())` when `signature` is `jwk`'s over `message`; `None` for any failure, including
/// a JWK whose members do not decode (nothing to tell an attacker apart from "no").
fn verify_signature(
    alg: Algorithm,
    jwk: &PublicJwk,
    message: &[u8],
    signature: &[u8],
) -> Option<()> {
    let member = |value: &Option<String>| URL_SAFE_NO_PAD.decode(value.as_deref()?).ok();
    match alg {
        Algorithm::RS256 => signature::RsaPublicKeyComponents {
            n: member(&jwk.n)?,
            e: member(&jwk.e)?,
        }
        .verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, signature)
        .ok(),
        Algorithm::ES256 => {
            // Back to the uncompressed SEC1 point ring reads: 0x04 || X || Y.
            let mut point = vec![0x04];
            point.extend(member(&jwk.x)?);
            point.extend(member(&jwk.y)?);
            UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                .verify(message, signature)
                .ok()
        }
        Algorithm::EdDSA => UnparsedPublicKey::new(&signature::ED25519, member(&jwk.x)?)
            .verify(message, signature)
            .ok(),
    }
}

/// `at_hash` (of an access token) or `c_hash` (of a code), Core §3.1.3.6 and §3.3.2.11:
/// "the base64url encoding of the left-most half of the hash of the octets of the ASCII
/// representation of the `access_token` value, where the hash algorithm used is the hash
/// algorithm used in the `alg` Header Parameter of the ID Token's JOSE Header."
///
/// SHA-256 for RS256 and ES256 (16 bytes kept, 22 characters). For EdDSA with Ed25519 the
/// hash is SHA-512 (Core 1.0 errata set 2, as oidc-provider and openid-client compute it),
/// so 32 bytes are kept.
pub fn token_hash(alg: Algorithm, token: &str) -> String {
    let digest = match alg {
        Algorithm::RS256 | Algorithm::ES256 => {
            ring::digest::digest(&ring::digest::SHA256, token.as_bytes())
        }
        Algorithm::EdDSA => ring::digest::digest(&ring::digest::SHA512, token.as_bytes()),
    };
    let bytes = digest.as_ref();
    URL_SAFE_NO_PAD.encode(&bytes[..bytes.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys() -> Vec<SigningKey> {
        vec![
            crate::openid::keys::tests::rsa_key(),
            SigningKey::generate(Algorithm::ES256).unwrap(),
            SigningKey::generate(Algorithm::EdDSA).unwrap(),
        ]
    }

    fn jwks_of(keys: &[SigningKey]) -> Jwks {
        Jwks {
            keys: keys.iter().map(SigningKey::public_jwk).collect(),
        }
    }

    fn typ_jwt() -> Map<String, Value> {
        let mut extra = Map::new();
        extra.insert("typ".into(), "JWT".into());
        extra
    }

    #[test]
    fn the_core_appendix_a3_access_token_has_the_core_appendix_a3_at_hash() {
        // OpenID Connect Core 1.0 Appendix A.3: an RS256 ID token whose at_hash is
        // 77QmUPtjPfzWtF2AnpK9RQ for this access token.
        assert_eq!(
            token_hash(
                Algorithm::RS256,
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }

    #[test]
    fn token_hashes_keep_the_left_half_of_the_algorithms_hash() {
        assert_eq!(token_hash(Algorithm::ES256, "code").len(), 22);
        assert_eq!(token_hash(Algorithm::EdDSA, "code").len(), 43);
        assert_ne!(
            token_hash(Algorithm::RS256, "code"),
            token_hash(Algorithm::RS256, "codf")
        );
    }

    #[test]
    fn a_signed_jws_verifies_with_its_header_and_claims_for_every_algorithm() {
        let keys = keys();
        let jwks = jwks_of(&keys);
        let claims = json!({"iss": "http://localhost:8080", "sub": "user1", "nonce": "n-0S6"});
        for key in &keys {
            let jws = sign_jws(key, typ_jwt(), &claims).unwrap();
            let verified = verify(&jws, &jwks, &Algorithm::ALL).unwrap();
            assert_eq!(verified.header["alg"], key.alg().as_str());
            assert_eq!(verified.header["kid"], key.kid());
            assert_eq!(verified.header["typ"], "JWT");
            assert_eq!(Value::Object(verified.claims), claims);
        }
    }

    #[test]
    fn the_header_extra_cannot_set_alg_or_kid() {
        let key = SigningKey::generate(Algorithm::ES256).unwrap();
        for name in ["alg", "kid"] {
            let mut extra = Map::new();
            extra.insert(name.into(), "none".into());
            assert!(matches!(
                sign_jws(&key, extra, &json!({})),
                Err(JwsError::ReservedHeader(_))
            ));
        }
    }

    /// Replaces the header of `jws` and keeps its payload and signature.
    fn with_header(jws: &str, header: Value) -> String {
        let rest = jws.split_once('.').unwrap().1;
        format!("{}.{rest}", URL_SAFE_NO_PAD.encode(header.to_string()))
    }

    #[test]
    fn a_tampered_payload_fails_the_signature_step() {
        let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
        let jwks = jwks_of(std::slice::from_ref(&key));
        let jws = sign_jws(&key, Map::new(), &json!({"sub": "user1"})).unwrap();
        let parts: Vec<&str> = jws.split('.').collect();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(json!({"sub": "admin"}).to_string()),
            parts[2]
        );
        assert!(matches!(
            verify(&forged, &jwks, &Algorithm::ALL),
            Err(JwsError::BadSignature)
        ));
    }

    #[test]
    fn alg_none_and_hs256_keyed_with_the_public_key_are_refused_before_any_key_is_used() {
        let key = crate::openid::keys::tests::rsa_key();
        let jwks = jwks_of(std::slice::from_ref(&key));
        let claims = URL_SAFE_NO_PAD.encode(json!({"sub": "admin"}).to_string());
        // alg: none, empty signature (RFC 7519 §6.1, refused per RFC 8725 §3.1).
        let header = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "kid": key.kid()}).to_string());
        assert!(matches!(
            verify(&format!("{header}.{claims}."), &jwks, &Algorithm::ALL),
            Err(JwsError::AlgorithmNotAllowed(alg)) if alg == "none"
        ));
        // HS256 "signed" with the public modulus as the HMAC secret (RFC 8725 §2.1).
        let header = URL_SAFE_NO_PAD.encode(json!({"alg": "HS256", "kid": key.kid()}).to_string());
        let secret = key.public_jwk().n.unwrap();
        let mac = ring::hmac::sign(
            &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes()),
            format!("{header}.{claims}").as_bytes(),
        );
        let forged = format!("{header}.{claims}.{}", URL_SAFE_NO_PAD.encode(mac));
        assert!(matches!(
            verify(&forged, &jwks, &Algorithm::ALL),
            Err(JwsError::AlgorithmNotAllowed(alg)) if alg == "HS256"
        ));
    }

    #[test]
    fn an_algorithm_outside_the_callers_allow_list_is_refused() {
        let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
        let jwks = jwks_of(std::slice::from_ref(&key));
        let jws = sign_jws(&key, Map::new(), &json!({})).unwrap();
        assert!(matches!(
            verify(&jws, &jwks, &[Algorithm::RS256, Algorithm::ES256]),
            Err(JwsError::AlgorithmNotAllowed(_))
        ));
    }

    #[test]
    fn a_kid_the_jwks_does_not_have_is_refused_by_name() {
        let signer = SigningKey::generate(Algorithm::ES256).unwrap();
        let published = SigningKey::generate(Algorithm::ES256).unwrap();
        let jwks = jwks_of(&[published]);
        let jws = sign_jws(&signer, Map::new(), &json!({})).unwrap();
        assert!(matches!(
            verify(&jws, &jwks, &Algorithm::ALL),
            Err(JwsError::UnknownKid(kid)) if kid == signer.kid()
        ));
        let no_kid = with_header(&jws, json!({"alg": "ES256"}));
        assert!(matches!(
            verify(&no_kid, &jwks, &Algorithm::ALL),
            Err(JwsError::NoKid)
        ));
    }

    #[test]
    fn a_header_naming_another_alg_than_its_keys_is_refused() {
        let key = SigningKey::generate(Algorithm::ES256).unwrap();
        let jwks = jwks_of(std::slice::from_ref(&key));
        let jws = sign_jws(&key, Map::new(), &json!({})).unwrap();
        let lying = with_header(&jws, json!({"alg": "EdDSA", "kid": key.kid()}));
        assert!(matches!(
            verify(&lying, &jwks, &Algorithm::ALL),
            Err(JwsError::AlgorithmMismatch { .. })
        ));
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        let jwks = Jwks::default();
        for garbage in ["", "a", "a.b", "a.b.c.d", "!!.??.**", "e30.e30.e30"] {
            assert!(
                verify(garbage, &jwks, &Algorithm::ALL).is_err(),
                "{garbage}"
            );
        }
    }
}
