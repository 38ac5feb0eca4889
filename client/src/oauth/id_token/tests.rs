//! Unit tests of the ID token checks (`super`): one token per spoiled claim, signed with a
//! key generated here, each refused at the check that names it.

use super::*;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair};
use serde_json::json;

const ISSUER: &str = "https://op.example";
const CLIENT: &str = "oauth-flow-client";
const NONCE: &str = "n-0S6_WzA2Mj";
const ACCESS: &str = "an-access-token";
const NOW: u64 = 1_800_000_000;

fn b64(bytes: &[u8]) -> String {
    jose::base64url_encode(bytes)
}

/// A test provider's ES256 key and the JWKS publishing it under `kid` "k1".
struct TestKey {
    pair: EcdsaKeyPair,
    jwks: Jwks,
}

fn es256_key() -> TestKey {
    let rng = SystemRandom::new();
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("a key");
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
        .expect("a key");
    let public = pair.public_key().as_ref();
    let jwks: Jwks = serde_json::from_value(json!({"keys": [{
        "kty": "EC", "crv": "P-256", "kid": "k1", "use": "sig", "alg": "ES256",
        "x": b64(&public[1..33]), "y": b64(&public[33..65]),
    }]}))
    .expect("a JWKS");
    TestKey { pair, jwks }
}

fn at_hash(token: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    b64(&digest.as_ref()[..16])
}

fn good_claims() -> Value {
    json!({
        "iss": ISSUER, "sub": "user-42", "aud": CLIENT, "azp": CLIENT,
        "exp": NOW + 300, "iat": NOW - 5, "nonce": NONCE, "at_hash": at_hash(ACCESS),
        "name": "Demo"
    })
}

fn sign(key: &TestKey, header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let signature = key
        .pair
        .sign(&SystemRandom::new(), input.as_bytes())
        .expect("signed");
    format!("{input}.{}", b64(signature.as_ref()))
}

fn expected() -> Expected<'static> {
    Expected {
        issuer: ISSUER,
        client_id: CLIENT,
        nonce: NONCE,
        access_token: Some(ACCESS),
        now: NOW,
        first: None,
    }
}

fn es256_header() -> Value {
    json!({"alg": "ES256", "kid": "k1", "typ": "JWT"})
}

/// The check that refused `claims` (signed properly), and its detail.
fn refusal_of(claims: Value) -> (IdTokenCheck, String) {
    let key = es256_key();
    let token = sign(&key, &es256_header(), &claims);
    let validation = validate(&token, &key.jwks, &expected());
    let refused = validation.refused().expect("refused").clone();
    assert!(
        validation.identity.is_none(),
        "no identity from a refused token"
    );
    (refused.check, refused.detail)
}

#[test]
fn a_good_es256_id_token_passes_every_check_and_names_iss_and_sub() {
    let key = es256_key();
    let token = sign(&key, &es256_header(), &good_claims());
    let validation = validate(&token, &key.jwks, &expected());
    assert_eq!(validation.refused(), None, "{:?}", validation.checks);
    assert_eq!(
        validation.checks.len(),
        12,
        "every check ran and was recorded"
    );
    assert_eq!(
        validation.identity,
        Some(Identity {
            issuer: ISSUER.into(),
            subject: "user-42".into()
        })
    );
}

#[test]
fn a_good_eddsa_id_token_passes_with_its_sha512_at_hash() {
    let rng = SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).expect("a key");
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("a key");
    let jwks: Jwks = serde_json::from_value(json!({"keys": [{
        "kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": b64(pair.public_key().as_ref()),
    }]}))
    .expect("a JWKS");
    let digest = ring::digest::digest(&ring::digest::SHA512, ACCESS.as_bytes());
    let mut claims = good_claims();
    claims["at_hash"] = json!(b64(&digest.as_ref()[..32]));
    let header = json!({"alg": "EdDSA", "kid": "ed"});
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let token = format!("{input}.{}", b64(pair.sign(input.as_bytes()).as_ref()));
    let validation = validate(&token, &jwks, &expected());
    assert_eq!(validation.refused(), None, "{:?}", validation.checks);
}

#[test]
fn an_id_token_issued_to_another_client_is_refused_at_aud() {
    let mut claims = good_claims();
    claims["aud"] = json!("another-client");
    claims["azp"] = json!("another-client");
    let (check, detail) = refusal_of(claims);
    assert_eq!(check, IdTokenCheck::Audience);
    assert!(detail.contains("another client"), "{detail}");
}

#[test]
fn several_audiences_without_azp_are_refused_at_azp() {
    let mut claims = good_claims();
    claims["aud"] = json!([CLIENT, "other"]);
    claims.as_object_mut().expect("object").remove("azp");
    assert_eq!(refusal_of(claims).0, IdTokenCheck::AuthorizedParty);
}

#[test]
fn a_nonce_from_another_login_is_refused_and_a_missing_one_too() {
    let mut claims = good_claims();
    claims["nonce"] = json!("another-login");
    assert_eq!(refusal_of(claims.clone()).0, IdTokenCheck::Nonce);
    claims.as_object_mut().expect("object").remove("nonce");
    assert_eq!(refusal_of(claims).0, IdTokenCheck::Nonce);
}

#[test]
fn an_expired_id_token_is_refused_at_exp() {
    let mut claims = good_claims();
    claims["exp"] = json!(NOW - CLOCK_SKEW_SECONDS - 1);
    let (check, detail) = refusal_of(claims);
    assert_eq!(check, IdTokenCheck::Expiry);
    assert!(detail.contains("expired"), "{detail}");
}

#[test]
fn an_id_token_issued_in_the_future_is_refused_at_iat() {
    let mut claims = good_claims();
    claims["iat"] = json!(NOW + 3600);
    assert_eq!(refusal_of(claims).0, IdTokenCheck::IssuedAt);
}

#[test]
fn another_issuer_is_refused_at_iss() {
    let mut claims = good_claims();
    claims["iss"] = json!("https://evil.example");
    assert_eq!(refusal_of(claims).0, IdTokenCheck::Issuer);
}

#[test]
fn an_id_token_without_sub_is_refused_at_sub() {
    let mut claims = good_claims();
    claims.as_object_mut().expect("object").remove("sub");
    assert_eq!(refusal_of(claims).0, IdTokenCheck::Subject);
}

#[test]
fn an_at_hash_of_another_access_token_is_refused() {
    let mut claims = good_claims();
    claims["at_hash"] = json!(at_hash("another-access-token"));
    assert_eq!(refusal_of(claims).0, IdTokenCheck::AtHash);
}

#[test]
fn alg_none_is_refused_before_any_key_is_looked_at() {
    let key = es256_key();
    let header = json!({"alg": "none", "kid": "k1"});
    let token = format!(
        "{}.{}.",
        b64(header.to_string().as_bytes()),
        b64(good_claims().to_string().as_bytes())
    );
    let validation = validate(&token, &key.jwks, &expected());
    let refused = validation.refused().expect("refused");
    assert_eq!(refused.check, IdTokenCheck::Algorithm);
    assert!(refused.detail.contains("unsigned"), "{}", refused.detail);
}

#[test]
fn an_hmac_keyed_with_the_public_key_is_refused_at_alg() {
    let key = es256_key();
    // The classic confusion attack: HS256 with the published key's bytes as the secret.
    let secret = serde_json::to_vec(&json!({"x": key.jwks.keys[0].x, "y": key.jwks.keys[0].y}))
        .expect("json");
    let header = json!({"alg": "HS256", "kid": "k1"});
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(good_claims().to_string().as_bytes())
    );
    let mac = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &secret),
        input.as_bytes(),
    );
    let token = format!("{input}.{}", b64(mac.as_ref()));
    let validation = validate(&token, &key.jwks, &expected());
    let refused = validation.refused().expect("refused");
    assert_eq!(refused.check, IdTokenCheck::Algorithm);
    assert!(refused.detail.contains("HMAC"), "{}", refused.detail);
}

#[test]
fn an_unknown_kid_is_refused_and_asks_for_fresh_keys() {
    let key = es256_key();
    let header = json!({"alg": "ES256", "kid": "rotated-in"});
    let token = sign(&key, &header, &good_claims());
    let validation = validate(&token, &key.jwks, &expected());
    assert_eq!(
        validation.refused().expect("refused").check,
        IdTokenCheck::Key
    );
    assert!(validation.wants_fresh_keys());
}

#[test]
fn a_token_signed_by_another_key_or_altered_is_refused_at_the_signature() {
    let key = es256_key();
    let other = es256_key();
    let token = sign(&other, &es256_header(), &good_claims());
    let validation = validate(&token, &key.jwks, &expected());
    assert_eq!(
        validation.refused().expect("refused").check,
        IdTokenCheck::Signature
    );

    let token = sign(&key, &es256_header(), &good_claims());
    let (header, rest) = token.split_once('.').expect("parts");
    let (_, signature) = rest.split_once('.').expect("parts");
    let mut claims = good_claims();
    claims["sub"] = json!("admin");
    let altered = format!(
        "{header}.{}.{signature}",
        b64(claims.to_string().as_bytes())
    );
    let validation = validate(&altered, &key.jwks, &expected());
    assert_eq!(
        validation.refused().expect("refused").check,
        IdTokenCheck::Signature
    );
    assert!(validation.identity.is_none());
}

#[test]
fn garbage_is_refused_at_the_shape_check_without_a_panic() {
    let key = es256_key();
    for token in ["", "a.b", "a.b.c.d", "!!.??.__", "e30.e30"] {
        let validation = validate(token, &key.jwks, &expected());
        assert_eq!(
            validation.refused().expect("refused").check,
            IdTokenCheck::Shape,
            "{token}"
        );
    }
}

#[test]
fn a_good_rs256_id_token_passes_the_algorithm_discovery_requires() {
    // A test-only RSA key (ring verifies and signs RS256 but cannot generate RSA keys).
    let pem = include_str!("../testdata/rs256-test-key.pem");
    let der: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(der)
        .expect("PEM body");
    let pair = ring::signature::RsaKeyPair::from_pkcs8(&der).expect("a PKCS#8 RSA key");
    let public = ring::signature::RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
    let jwks: Jwks = serde_json::from_value(json!({"keys": [{
        "kty": "RSA", "kid": "rsa-1", "use": "sig", "alg": "RS256",
        "n": b64(&public.n),
        "e": b64(&public.e),
    }]}))
    .expect("a JWKS");
    let header = json!({"alg": "RS256", "kid": "rsa-1"});
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(good_claims().to_string().as_bytes())
    );
    let mut signature = vec![0; pair.public().modulus_len()];
    pair.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        input.as_bytes(),
        &mut signature,
    )
    .expect("signed");
    let token = format!("{input}.{}", b64(&signature));
    let validation = validate(&token, &jwks, &expected());
    assert_eq!(validation.refused(), None, "{:?}", validation.checks);

    // The same key's bytes as an HS256 secret: refused at alg, never tried as an HMAC.
    let header = json!({"alg": "HS256", "kid": "rsa-1"});
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(good_claims().to_string().as_bytes())
    );
    let secret = &public.n;
    let mac = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret),
        input.as_bytes(),
    );
    let token = format!("{input}.{}", b64(mac.as_ref()));
    let validation = validate(&token, &jwks, &expected());
    assert_eq!(
        validation.refused().expect("refused").check,
        IdTokenCheck::Algorithm
    );
}

/// A refreshed ID token (Core §12.2) checked against the login's claims `first`: the check
/// that refused it, if one did.
fn refreshed(first: &Value, claims: &Value) -> Option<IdTokenCheck> {
    let key = es256_key();
    let token = sign(&key, &es256_header(), claims);
    let expected = Expected {
        first: Some(first),
        ..expected()
    };
    validate(&token, &key.jwks, &expected)
        .refused()
        .map(|refused| refused.check)
}

#[test]
fn a_refreshed_id_token_must_continue_the_logins_sub_and_auth_time() {
    let mut first = good_claims();
    first["auth_time"] = json!(NOW - 600);
    let mut same = first.clone();
    same["iat"] = json!(NOW);
    assert_eq!(refreshed(&first, &same), None, "same iss, sub, auth_time");

    let mut other_user = same.clone();
    other_user["sub"] = json!("user-43");
    assert_eq!(
        refreshed(&first, &other_user),
        Some(IdTokenCheck::SameLogin)
    );

    let mut signed_in_again = same.clone();
    signed_in_again["auth_time"] = json!(NOW);
    assert_eq!(
        refreshed(&first, &signed_in_again),
        Some(IdTokenCheck::SameLogin)
    );
}

#[test]
fn a_refreshed_id_token_may_leave_out_the_nonce_but_not_carry_another() {
    let first = good_claims();
    let mut without = first.clone();
    without.as_object_mut().expect("object").remove("nonce");
    assert_eq!(refreshed(&first, &without), None);

    let mut another = first.clone();
    another["nonce"] = json!("another-login");
    assert_eq!(refreshed(&first, &another), Some(IdTokenCheck::Nonce));
}
