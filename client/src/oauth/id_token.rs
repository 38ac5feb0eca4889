//! OpenID Connect: the ID token, checked before it is believed (OpenID Connect Core 1.0
//! §3.1.3.7, ID Token Validation; §3.1.3.8 for `at_hash`).
//!
//! An ID token is a JWS (RFC 7515) in compact form: `header.claims.signature`, each part
//! base64url. It says who signed in (`iss` + `sub`) to whom (`aud`), when, and in answer to
//! which login (`nonce`). It is only worth reading once every check below has passed, in
//! this order: until the signature is verified, every claim could have been written by
//! anyone, so the claims are checked after it.
//!
//! 1. [`check_shape`]: three base64url parts, a JSON header and JSON claims (RFC 7515 §7.1).
//! 2. [`check_algorithm`]: the header's `alg` is one this client allows: RS256, ES256 or
//!    EdDSA. Never `none` (an unsigned token), never an HMAC (`HS256`: whoever knows the
//!    "secret", here the provider's *public* key, could sign) (Core §3.1.3.7 step 7).
//! 3. [`check_key`]: the JWKS from discovery has a key with the header's `kid`, of the type
//!    the algorithm needs, for signing (`use: sig`), and if it names an `alg`, this one.
//!    An unknown `kid` is the one failure worth a second look: keys rotate, so the caller
//!    fetches the JWKS once more ([`Validation::wants_fresh_keys`]) and tries again.
//! 4. [`check_signature`]: the signature verifies with that key (Core §3.1.3.7 step 6).
//! 5. [`check_issuer`]: `iss` is exactly the issuer from discovery (step 2).
//! 6. [`check_subject`]: there is a `sub`, the user's identifier at that issuer (Core §2).
//! 7. [`check_audience`]: `aud` contains this client's `client_id` (step 3).
//! 8. [`check_authorized_party`]: `azp`, if present, is this client; with several
//!    audiences it must be present (steps 4–5).
//! 9. [`check_expiry`]: now is before `exp` (step 9).
//! 10. [`check_issued_at`]: `iat` is not in the future, beyond a small clock skew (step 10).
//! 11. [`check_nonce`]: `nonce` is the one this browser's login sent, compared in constant
//!     time (step 11): a token replayed from another login carries another nonce.
//! 12. [`check_at_hash`]: if present, `at_hash` is the left half of the access token's hash
//!     (§3.1.3.8, §3.2.2.9): the token response's ID token and access token belong together.
//!
//! Each check is recorded with its result (a [`CheckResult`]), so the flow inspector can
//! show all of them, not just the first that failed. Signature verification is `ring`'s
//! (already in the tree for TLS): public-key operations only.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{self, UnparsedPublicKey};
use serde::Deserialize;
use serde_json::Value;
use subtle::ConstantTimeEq;

/// Clock skew tolerated between the provider and this client, for `exp` and `iat`.
pub const CLOCK_SKEW_SECONDS: u64 = 60;

/// The algorithms this client accepts, as `id_token_signing_alg_values_supported` names
/// them. Discovery requires providers to offer RS256.
pub const ALLOWED_ALGORITHMS: [&str; 3] = ["RS256", "ES256", "EdDSA"];

/// A JSON Web Key Set (RFC 7517 §5), as served at the discovered `jwks_uri`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// One public key (RFC 7517 §4; RFC 7518 §6 for the members of each key type). Members
/// this client does not use are ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct Jwk {
    pub kty: String,
    pub kid: Option<String>,
    #[serde(rename = "use")]
    pub use_: Option<String>,
    pub alg: Option<String>,
    /// RSA modulus and exponent (base64url, big-endian).
    pub n: Option<String>,
    pub e: Option<String>,
    /// EC / OKP curve and coordinates.
    pub crv: Option<String>,
    pub x: Option<String>,
    pub y: Option<String>,
}

/// What the ID token must match: everything the client knows before it arrives.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The issuer from discovery.
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The `nonce` this browser's login sent, kept server-side with its `state`.
    pub nonce: &'a str,
    /// The access token of the same token response, for `at_hash`.
    pub access_token: Option<&'a str>,
    /// Unix seconds.
    pub now: u64,
}

impl Expected<'_> {
    /// Now, in Unix seconds.
    pub fn now_unix() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs())
    }
}

/// The checks of the module's list, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdTokenCheck {
    Shape,
    Algorithm,
    Key,
    Signature,
    Issuer,
    Subject,
    Audience,
    AuthorizedParty,
    Expiry,
    IssuedAt,
    Nonce,
    AtHash,
}

impl IdTokenCheck {
    /// The check's name, as pages show it.
    pub fn name(self) -> &'static str {
        match self {
            IdTokenCheck::Shape => "shape",
            IdTokenCheck::Algorithm => "alg",
            IdTokenCheck::Key => "kid",
            IdTokenCheck::Signature => "signature",
            IdTokenCheck::Issuer => "iss",
            IdTokenCheck::Subject => "sub",
            IdTokenCheck::Audience => "aud",
            IdTokenCheck::AuthorizedParty => "azp",
            IdTokenCheck::Expiry => "exp",
            IdTokenCheck::IssuedAt => "iat",
            IdTokenCheck::Nonce => "nonce",
            IdTokenCheck::AtHash => "at_hash",
        }
    }

    /// The function in this file that makes the check, for the inspector.
    pub fn function(self) -> &'static str {
        match self {
            IdTokenCheck::Shape => "client/src/oauth/id_token.rs check_shape",
            IdTokenCheck::Algorithm => "client/src/oauth/id_token.rs check_algorithm",
            IdTokenCheck::Key => "client/src/oauth/id_token.rs check_key",
            IdTokenCheck::Signature => "client/src/oauth/id_token.rs check_signature",
            IdTokenCheck::Issuer => "client/src/oauth/id_token.rs check_issuer",
            IdTokenCheck::Subject => "client/src/oauth/id_token.rs check_subject",
            IdTokenCheck::Audience => "client/src/oauth/id_token.rs check_audience",
            IdTokenCheck::AuthorizedParty => "client/src/oauth/id_token.rs check_authorized_party",
            IdTokenCheck::Expiry => "client/src/oauth/id_token.rs check_expiry",
            IdTokenCheck::IssuedAt => "client/src/oauth/id_token.rs check_issued_at",
            IdTokenCheck::Nonce => "client/src/oauth/id_token.rs check_nonce",
            IdTokenCheck::AtHash => "client/src/oauth/id_token.rs check_at_hash",
        }
    }

    /// The spec's words for the check.
    pub fn spec(self) -> &'static str {
        match self {
            IdTokenCheck::Shape => {
                "RFC 7515 §7.1: BASE64URL(header).BASE64URL(payload).BASE64URL(signature)"
            }
            IdTokenCheck::Algorithm => {
                "Core §3.1.3.7 step 7: the alg value SHOULD be the default of RS256 or the algorithm sent by the Client"
            }
            IdTokenCheck::Key => {
                "RFC 7515 §4.1.4: the kid Header Parameter is a hint indicating which key was used"
            }
            IdTokenCheck::Signature => {
                "Core §3.1.3.7 step 6: the Client MUST validate the signature of the ID Token"
            }
            IdTokenCheck::Issuer => {
                "Core §3.1.3.7 step 2: the Issuer Identifier MUST exactly match the value of the iss Claim"
            }
            IdTokenCheck::Subject => {
                "Core §2: sub REQUIRED. Subject Identifier. A locally unique and never reassigned identifier within the Issuer for the End-User"
            }
            IdTokenCheck::Audience => {
                "Core §3.1.3.7 step 3: the aud Claim MUST contain its client_id value"
            }
            IdTokenCheck::AuthorizedParty => {
                "Core §3.1.3.7 steps 4-5: if an azp Claim is present, the Client SHOULD verify that its client_id is the Claim Value"
            }
            IdTokenCheck::Expiry => {
                "Core §3.1.3.7 step 9: the current time MUST be before the time represented by the exp Claim"
            }
            IdTokenCheck::IssuedAt => {
                "Core §3.1.3.7 step 10: the iat Claim can be used to reject tokens that were issued too far away from the current time"
            }
            IdTokenCheck::Nonce => {
                "Core §3.1.3.7 step 11: the value of the nonce Claim MUST be checked to verify that it is the same value as the one that was sent"
            }
            IdTokenCheck::AtHash => {
                "Core §3.1.3.8: if the ID Token contains at_hash, the Client MAY use it to validate the Access Token (§3.2.2.9)"
            }
        }
    }
}

/// One check and its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub check: IdTokenCheck,
    pub passed: bool,
    /// What was compared, in one sentence (never a secret: the nonce is shown fingerprinted).
    pub detail: String,
}

/// Who signed in, from a validated ID token: `iss` + `sub` together (Core §2: `sub` is
/// unique only within its issuer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
}

/// The outcome of validating one ID token: the decoded parts (for the inspector), every
/// check that ran with its result, and the identity if all passed.
#[derive(Debug, Clone)]
pub struct Validation {
    /// The decoded JOSE header, if the token had one.
    pub header: Option<Value>,
    /// The decoded claims, if the token had them (shown, not believed, when a check failed).
    pub claims: Option<Value>,
    pub checks: Vec<CheckResult>,
    pub identity: Option<Identity>,
}

impl Validation {
    /// The check that refused the token, if one did.
    pub fn refused(&self) -> Option<&CheckResult> {
        self.checks.iter().find(|result| !result.passed)
    }

    /// An unknown `kid`: the provider may have rotated its keys since the JWKS was fetched.
    /// The caller fetches it once more and validates again; a second miss is final.
    pub fn wants_fresh_keys(&self) -> bool {
        self.refused().is_some_and(|result| {
            result.check == IdTokenCheck::Key && result.detail.starts_with(UNKNOWN_KID)
        })
    }
}

const UNKNOWN_KID: &str = "no key in the JWKS has kid";

/// A check's verdict before it is recorded: `Ok(detail)` or `Err(detail)`.
type Verdict = Result<String, String>;

/// A check of the claims (checks 5–12): the claims, what they must match, the `alg`.
type ClaimCheck = fn(&Value, &Expected<'_>, &str) -> Verdict;

/// Validates `id_token` against `jwks` and `expected`: the module's list, in order,
/// stopping at the first failure (later checks would read claims no one vouched for).
pub fn validate(id_token: &str, jwks: &Jwks, expected: &Expected<'_>) -> Validation {
    let mut validation = Validation {
        header: None,
        claims: None,
        checks: Vec::new(),
        identity: None,
    };
    let record = |check: IdTokenCheck, verdict: Verdict, checks: &mut Vec<CheckResult>| {
        let passed = verdict.is_ok();
        checks.push(CheckResult {
            check,
            passed,
            detail: verdict.unwrap_or_else(|refusal| refusal),
        });
        passed
    };

    // 1. Shape.
    let parts = match check_shape(id_token) {
        Ok(parts) => parts,
        Err(detail) => {
            record(IdTokenCheck::Shape, Err(detail), &mut validation.checks);
            return validation;
        }
    };
    validation.header = Some(parts.header.clone());
    validation.claims = Some(parts.claims.clone());
    record(
        IdTokenCheck::Shape,
        Ok("three base64url parts: a JSON header, JSON claims and a signature".into()),
        &mut validation.checks,
    );
    let alg = parts
        .header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or("");

    // 2.–4. Algorithm, key, signature.
    if !record(
        IdTokenCheck::Algorithm,
        check_algorithm(alg),
        &mut validation.checks,
    ) {
        return validation;
    }
    let kid = parts.header.get("kid").and_then(Value::as_str);
    let key = match check_key(jwks, kid, alg) {
        Ok(key) => {
            record(
                IdTokenCheck::Key,
                Ok(format!(
                    "the JWKS has kid {:?}, a {} key for {alg}",
                    kid.unwrap_or(""),
                    key.kty
                )),
                &mut validation.checks,
            );
            key
        }
        Err(detail) => {
            record(IdTokenCheck::Key, Err(detail), &mut validation.checks);
            return validation;
        }
    };
    let signed = check_signature(key, alg, parts.signing_input, &parts.signature);
    if !record(IdTokenCheck::Signature, signed, &mut validation.checks) {
        return validation;
    }

    // 5.–12. The claims, now that the provider vouches for them.
    let claims = &parts.claims;
    let checks: [(IdTokenCheck, ClaimCheck); 8] = [
        (IdTokenCheck::Issuer, check_issuer),
        (IdTokenCheck::Subject, check_subject),
        (IdTokenCheck::Audience, check_audience),
        (IdTokenCheck::AuthorizedParty, check_authorized_party),
        (IdTokenCheck::Expiry, check_expiry),
        (IdTokenCheck::IssuedAt, check_issued_at),
        (IdTokenCheck::Nonce, check_nonce),
        (IdTokenCheck::AtHash, check_at_hash),
    ];
    for (check, run) in checks {
        if !record(check, run(claims, expected, alg), &mut validation.checks) {
            return validation;
        }
    }
    let subject = string_claim(claims, "sub").unwrap_or_default();
    validation.identity = Some(Identity {
        issuer: expected.issuer.to_owned(),
        subject: subject.to_owned(),
    });
    validation
}

/// The decoded parts of a compact JWS.
struct Parts<'a> {
    header: Value,
    claims: Value,
    /// `header.claims` as sent: what the signature covers (RFC 7515 §5.2).
    signing_input: &'a str,
    signature: Vec<u8>,
}

/// 1. Three base64url parts; the first two JSON objects.
fn check_shape(token: &str) -> Result<Parts<'_>, String> {
    let mut pieces = token.split('.');
    let (Some(header), Some(claims), Some(signature), None) =
        (pieces.next(), pieces.next(), pieces.next(), pieces.next())
    else {
        return Err("not three dot-separated parts (a JWS in compact form)".into());
    };
    let json = |part: &str, what: &str| -> Result<Value, String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| format!("the {what} is not base64url"))?;
        let value: Value =
            serde_json::from_slice(&bytes).map_err(|_| format!("the {what} is not JSON"))?;
        if value.is_object() {
            Ok(value)
        } else {
            Err(format!("the {what} is not a JSON object"))
        }
    };
    let header_value = json(header, "header")?;
    let claims_value = json(claims, "claims")?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| "the signature is not base64url".to_owned())?;
    Ok(Parts {
        header: header_value,
        claims: claims_value,
        signing_input: &token[..header.len() + 1 + claims.len()],
        signature,
    })
}

/// 2. The algorithm allow-list.
fn check_algorithm(alg: &str) -> Verdict {
    if ALLOWED_ALGORITHMS.contains(&alg) {
        return Ok(format!("{alg} is on the allow-list {ALLOWED_ALGORITHMS:?}"));
    }
    Err(match alg {
        "none" => "alg none: an unsigned token, which anyone can write".into(),
        alg if alg.starts_with("HS") => format!(
            "alg {alg} is an HMAC: its key would be the provider's public key, which anyone can read, so anyone could sign"
        ),
        alg => format!("alg {alg:?} is not on the allow-list {ALLOWED_ALGORITHMS:?}"),
    })
}

/// 3. The key named by `kid`, of the type `alg` needs.
fn check_key<'k>(jwks: &'k Jwks, kid: Option<&str>, alg: &str) -> Result<&'k Jwk, String> {
    let candidates: Vec<&Jwk> = match kid {
        Some(kid) => jwks
            .keys
            .iter()
            .filter(|key| key.kid.as_deref() == Some(kid))
            .collect(),
        // No kid: allowed only when the set leaves no choice (Core §10.1).
        None if jwks.keys.len() == 1 => jwks.keys.iter().collect(),
        None => return Err("the header has no kid, and the JWKS has more than one key".into()),
    };
    let Some(key) = candidates.first().copied() else {
        return Err(format!("{UNKNOWN_KID} {:?}", kid.unwrap_or("")));
    };
    if key.use_.as_deref().is_some_and(|use_| use_ != "sig") {
        return Err(format!(
            "the key's use is {:?}, not sig",
            key.use_.as_deref().unwrap_or("")
        ));
    }
    if let Some(key_alg) = key.alg.as_deref()
        && key_alg != alg
    {
        return Err(format!("the key is for {key_alg}, the token says {alg}"));
    }
    let fits = match alg {
        "RS256" => key.kty == "RSA",
        "ES256" => key.kty == "EC" && key.crv.as_deref() == Some("P-256"),
        "EdDSA" => key.kty == "OKP" && key.crv.as_deref() == Some("Ed25519"),
        _ => false,
    };
    if !fits {
        return Err(format!("a {} key cannot verify {alg}", key.kty));
    }
    Ok(key)
}

/// 4. The signature over `header.claims`, with `ring`.
fn check_signature(key: &Jwk, alg: &str, signing_input: &str, signature: &[u8]) -> Verdict {
    let member = |value: &Option<String>, name: &str| -> Result<Vec<u8>, String> {
        value
            .as_deref()
            .and_then(|value| URL_SAFE_NO_PAD.decode(value).ok())
            .ok_or_else(|| format!("the key's {name} is missing or not base64url"))
    };
    let message = signing_input.as_bytes();
    let verified = match alg {
        "RS256" => {
            let n = member(&key.n, "n")?;
            let e = member(&key.e, "e")?;
            signature::RsaPublicKeyComponents { n: &n, e: &e }.verify(
                &signature::RSA_PKCS1_2048_8192_SHA256,
                message,
                signature,
            )
        }
        "ES256" => {
            // An uncompressed point: 0x04 || x || y (SEC 1 §2.3.3); JWS ES256 signatures are
            // r || s, 64 bytes (RFC 7518 §3.4), ring's "FIXED" form.
            let mut point = vec![0x04];
            point.extend(member(&key.x, "x")?);
            point.extend(member(&key.y, "y")?);
            UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                .verify(message, signature)
        }
        "EdDSA" => UnparsedPublicKey::new(&signature::ED25519, member(&key.x, "x")?)
            .verify(message, signature),
        _ => return Err(format!("no verifier for {alg}")),
    };
    verified
        .map(|()| format!("{alg} signature verified with kid {:?}", key.kid.as_deref().unwrap_or("")))
        .map_err(|_| format!("the {alg} signature does not verify with this key: the token was altered or signed by someone else"))
}

fn string_claim<'v>(claims: &'v Value, name: &str) -> Option<&'v str> {
    claims.get(name).and_then(Value::as_str)
}

fn number_claim(claims: &Value, name: &str) -> Option<u64> {
    claims.get(name).and_then(Value::as_u64)
}

/// 5. `iss` is exactly the discovered issuer.
fn check_issuer(claims: &Value, expected: &Expected<'_>, _alg: &str) -> Verdict {
    match string_claim(claims, "iss") {
        Some(iss) if iss == expected.issuer => Ok(format!("iss is {iss:?}, the discovered issuer")),
        Some(iss) => Err(format!(
            "iss is {iss:?}, the discovered issuer is {:?}",
            expected.issuer
        )),
        None => Err("there is no iss".into()),
    }
}

/// 6. A `sub`: who signed in, at that issuer.
fn check_subject(claims: &Value, _expected: &Expected<'_>, _alg: &str) -> Verdict {
    match string_claim(claims, "sub") {
        Some(sub) if !sub.is_empty() => Ok(format!("sub is {sub:?}")),
        _ => Err("there is no sub: no one to sign in".into()),
    }
}

/// The `aud` claim as a list (a string or an array of strings, Core §2).
fn audiences(claims: &Value) -> Vec<&str> {
    match claims.get("aud") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// 7. `aud` contains this client.
fn check_audience(claims: &Value, expected: &Expected<'_>, _alg: &str) -> Verdict {
    let audiences = audiences(claims);
    if audiences.contains(&expected.client_id) {
        Ok(format!(
            "aud {audiences:?} contains this client, {:?}",
            expected.client_id
        ))
    } else {
        Err(format!(
            "aud {audiences:?} does not contain this client, {:?}: the token was issued to another client",
            expected.client_id
        ))
    }
}

/// 8. `azp` names this client when present; several audiences need it.
fn check_authorized_party(claims: &Value, expected: &Expected<'_>, _alg: &str) -> Verdict {
    match string_claim(claims, "azp") {
        Some(azp) if azp == expected.client_id => Ok(format!("azp is this client, {azp:?}")),
        Some(azp) => Err(format!("azp is {azp:?}, not this client")),
        None if audiences(claims).len() > 1 => {
            Err("several audiences and no azp: which client was it issued to?".into())
        }
        None => Ok("no azp, and this client is the only audience".into()),
    }
}

/// 9. Not expired.
fn check_expiry(claims: &Value, expected: &Expected<'_>, _alg: &str) -> Verdict {
    match number_claim(claims, "exp") {
        Some(exp) if expected.now < exp.saturating_add(CLOCK_SKEW_SECONDS) => Ok(format!(
            "exp {exp} is after now ({}), within {CLOCK_SKEW_SECONDS} s of skew",
            expected.now
        )),
        Some(exp) => Err(format!(
            "the token expired: exp {exp}, now {}",
            expected.now
        )),
        None => Err("there is no exp".into()),
    }
}

/// 10. Not issued in the future.
fn check_issued_at(claims: &Value, expected: &Expected<'_>, _alg: &str) -> Verdict {
    match number_claim(claims, "iat") {
        Some(iat) if iat <= expected.now.saturating_add(CLOCK_SKEW_SECONDS) => Ok(format!(
            "iat {iat} is not after now ({}), within {CLOCK_SKEW_SECONDS} s of skew",
            expected.now
        )),
        Some(iat) => Err(format!(
            "iat {iat} is in the future (now {}): the clocks disagree or the token is forged",
            expected.now
        )),
        None => Err("there is no iat".into()),
    }
}

/// 11. The nonce this login sent, in constant time.
fn check_nonce(claims: &Value, expected: &Expected<'_>, _alg: &str) -> Verdict {
    let sent = shared::fingerprint(expected.nonce);
    match string_claim(claims, "nonce") {
        Some(nonce) if bool::from(nonce.as_bytes().ct_eq(expected.nonce.as_bytes())) => {
            Ok(format!("nonce matches the one this login sent ({sent})"))
        }
        Some(nonce) => Err(format!(
            "nonce {} is not the one this login sent ({sent}): a token from another login",
            shared::fingerprint(nonce)
        )),
        None => Err(format!(
            "there is no nonce, and this login sent one ({sent})"
        )),
    }
}

/// Check 12: `at_hash`, when present, is base64url of the left half of the access token's
/// hash, with the hash of the signing algorithm (SHA-256 for RS256 and ES256; SHA-512 for
/// EdDSA with Ed25519, per the OpenID errata).
fn check_at_hash(claims: &Value, expected: &Expected<'_>, alg: &str) -> Verdict {
    let Some(at_hash) = string_claim(claims, "at_hash") else {
        return Ok("no at_hash (optional in the code flow, §3.1.3.8)".into());
    };
    let Some(access_token) = expected.access_token else {
        return Err("at_hash is present but there is no access token to compare".into());
    };
    let digest = match alg {
        "EdDSA" => ring::digest::digest(&ring::digest::SHA512, access_token.as_bytes()),
        _ => ring::digest::digest(&ring::digest::SHA256, access_token.as_bytes()),
    };
    let bytes = digest.as_ref();
    let computed = URL_SAFE_NO_PAD.encode(&bytes[..bytes.len() / 2]);
    if bool::from(computed.as_bytes().ct_eq(at_hash.as_bytes())) {
        Ok("at_hash matches the access token of the same response".into())
    } else {
        Err("at_hash does not match the access token: they were not issued together".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair};
    use serde_json::json;

    const ISSUER: &str = "https://op.example";
    const CLIENT: &str = "oauth-flow-client";
    const NONCE: &str = "n-0S6_WzA2Mj";
    const ACCESS: &str = "an-access-token";
    const NOW: u64 = 1_800_000_000;

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
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
        let pem = include_str!("testdata/rs256-test-key.pem");
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
}
