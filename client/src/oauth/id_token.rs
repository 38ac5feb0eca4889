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
//! 13. [`check_same_login`], only for an ID token that came with a refresh (§12.2): it
//!     continues the login's: the same `iss` and `sub`, the same `auth_time` when present
//!     (the user did not sign in again). Its `nonce`, if any, is the login's (check 11).
//!
//! Each check is recorded with its result (a [`CheckResult`]), so the flow inspector can
//! show all of them, not just the first that failed. Parsing, the JWK Set and signature
//! verification are `shared::jose`'s (ring, public-key operations only), the same code
//! that checks the API's JWT access tokens.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use shared::jose::{self, Alg, CompactJws, JoseError, Jwk, JwkSet};
use subtle::ConstantTimeEq;

/// Clock skew tolerated between the provider and this client, for `exp` and `iat`.
pub const CLOCK_SKEW_SECONDS: u64 = 60;

/// The algorithms this client accepts, as `id_token_signing_alg_values_supported` names
/// them: [`Alg::ALL`], the allow-list of `shared::jose` (RS256, which Discovery requires
/// providers to offer, ES256 and EdDSA).
pub fn allowed_algorithms() -> [&'static str; 3] {
    Alg::ALL.map(Alg::as_str)
}

/// The JWK Set (RFC 7517 §5) served at the discovered `jwks_uri`: `shared::jose`'s, the same
/// type the API uses for JWT access tokens.
pub type Jwks = JwkSet;

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
    /// For an ID token from a refresh (Core §12.2): the claims of the login's ID token, which
    /// it must continue (check 13). `None` at the login itself.
    pub first: Option<&'a Value>,
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
    SameLogin,
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
            IdTokenCheck::SameLogin => "same login",
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
            IdTokenCheck::SameLogin => "client/src/oauth/id_token.rs check_same_login",
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
            IdTokenCheck::SameLogin => {
                "Core §12.2: its iss Claim Value MUST be the same as in the ID Token issued when the original authentication occurred; its sub Claim Value MUST be the same; if the ID Token contains an auth_time Claim, its value MUST represent the time of the original authentication"
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

    // 2.–4. Algorithm, key, signature.
    let alg = match check_algorithm(&parts.jws.header.alg) {
        Ok(alg) => {
            record(
                IdTokenCheck::Algorithm,
                Ok(format!(
                    "{} is on the allow-list {:?}",
                    alg.as_str(),
                    allowed_algorithms()
                )),
                &mut validation.checks,
            );
            alg
        }
        Err(detail) => {
            record(IdTokenCheck::Algorithm, Err(detail), &mut validation.checks);
            return validation;
        }
    };
    let kid = parts.jws.header.kid.as_deref();
    let key = match check_key(jwks, kid, alg) {
        Ok(key) => {
            record(
                IdTokenCheck::Key,
                Ok(format!(
                    "the JWKS has kid {:?}, a {} key for {}",
                    kid.unwrap_or(""),
                    key.kty,
                    alg.as_str()
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
    let signed = check_signature(key, alg, &parts.jws);
    if !record(IdTokenCheck::Signature, signed, &mut validation.checks) {
        return validation;
    }

    // 5.–12. The claims, now that the provider vouches for them.
    let claims = &parts.claims;
    let checks: [(IdTokenCheck, ClaimCheck); 9] = [
        (IdTokenCheck::Issuer, check_issuer),
        (IdTokenCheck::Subject, check_subject),
        (IdTokenCheck::Audience, check_audience),
        (IdTokenCheck::AuthorizedParty, check_authorized_party),
        (IdTokenCheck::Expiry, check_expiry),
        (IdTokenCheck::IssuedAt, check_issued_at),
        (IdTokenCheck::Nonce, check_nonce),
        (IdTokenCheck::AtHash, check_at_hash),
        (IdTokenCheck::SameLogin, check_same_login),
    ];
    for (check, run) in checks {
        // Check 13 is about a refresh: at the login there is nothing earlier to continue.
        if check == IdTokenCheck::SameLogin && expected.first.is_none() {
            continue;
        }
        if !record(
            check,
            run(claims, expected, alg.as_str()),
            &mut validation.checks,
        ) {
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

/// The decoded parts of a compact JWS, for the checks and the inspector.
struct Parts {
    jws: CompactJws,
    /// The header as JSON, for the inspector.
    header: Value,
    claims: Value,
}

/// 1. Three base64url parts; a JSON header and JSON claims ([`CompactJws::parse`]).
fn check_shape(token: &str) -> Result<Parts, String> {
    let jws = CompactJws::parse(token).map_err(|error| match error {
        JoseError::UnknownCriticalHeader => {
            "the header names a critical extension (crit) this client does not understand (RFC 7515 §4.1.11)".to_owned()
        }
        _ => "not a compact JWS: three dot-separated base64url parts, a JSON header with alg (RFC 7515 §7.1)".to_owned(),
    })?;
    let claims: Value = jws
        .claims()
        .map_err(|_| "the claims are not JSON".to_owned())?;
    if !claims.is_object() {
        return Err("the claims are not a JSON object".into());
    }
    let header = serde_json::to_value(&jws.header).unwrap_or(Value::Null);
    Ok(Parts {
        jws,
        header,
        claims,
    })
}

/// 2. The algorithm allow-list, [`Alg`]: `none` and HMAC cannot even be named.
fn check_algorithm(alg: &str) -> Result<Alg, String> {
    if let Some(allowed) = Alg::from_name(alg) {
        return Ok(allowed);
    }
    let allow_list = allowed_algorithms();
    Err(match alg {
        "none" => "alg none: an unsigned token, which anyone can write".into(),
        alg if alg.starts_with("HS") => format!(
            "alg {alg} is an HMAC: its key would be the provider's public key, which anyone can read, so anyone could sign"
        ),
        alg => format!("alg {alg:?} is not on the allow-list {allow_list:?}"),
    })
}

/// 3. The key named by `kid`, of the type `alg` needs.
fn check_key<'k>(jwks: &'k Jwks, kid: Option<&str>, alg: Alg) -> Result<&'k Jwk, String> {
    let key = match kid {
        Some(kid) => match jwks.find(kid) {
            Some(key) => key,
            None if jwks.keys.iter().any(|key| key.kid.as_deref() == Some(kid)) => {
                return Err(format!(
                    "the key with kid {kid:?} is not for signing (use is not sig)"
                ));
            }
            None => return Err(format!("{UNKNOWN_KID} {kid:?}")),
        },
        // No kid: allowed only when the set leaves no choice (Core §10.1).
        None if jwks.keys.len() == 1 => &jwks.keys[0],
        None => return Err("the header has no kid, and the JWKS has more than one key".into()),
    };
    if let Some(key_alg) = key.alg.as_deref()
        && key_alg != alg.as_str()
    {
        return Err(format!(
            "the key is for {key_alg}, the token says {}",
            alg.as_str()
        ));
    }
    if !alg.fits(key) {
        return Err(format!("a {} key cannot verify {}", key.kty, alg.as_str()));
    }
    Ok(key)
}

/// 4. The signature over `header.claims`, with `shared::jose` (ring).
fn check_signature(key: &Jwk, alg: Alg, jws: &CompactJws) -> Verdict {
    let alg_name = alg.as_str();
    jose::verify_signature(alg, key, jws.signing_input.as_bytes(), &jws.signature)
        .map(|()| format!("{alg_name} signature verified with kid {:?}", key.kid.as_deref().unwrap_or("")))
        .map_err(|error| match error {
            JoseError::BadSignature => format!("the {alg_name} signature does not verify with this key: the token was altered or signed by someone else"),
            other => format!("the key cannot verify {alg_name}: {other}"),
        })
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

/// Check 11: the nonce this login sent, in constant time. A refreshed ID token (§12.2) need not
/// carry one; if it does, it is the login's.
fn check_nonce(claims: &Value, expected: &Expected<'_>, _alg: &str) -> Verdict {
    let sent = shared::fingerprint(expected.nonce);
    if expected.first.is_some() && string_claim(claims, "nonce").is_none() {
        return Ok("no nonce, as a refreshed ID token may have (Core §12.2): there was no new login to bind it to".into());
    }
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
    let computed = jose::base64url_encode(&bytes[..bytes.len() / 2]);
    if bool::from(computed.as_bytes().ct_eq(at_hash.as_bytes())) {
        Ok("at_hash matches the access token of the same response".into())
    } else {
        Err("at_hash does not match the access token: they were not issued together".into())
    }
}

/// Check 13: a refreshed ID token (Core §12.2) continues the login's: the same `iss` and `sub`,
/// and the same `auth_time` when it has one (a new `auth_time` would mean the user signed in
/// again, which a refresh never asks them to do).
fn check_same_login(claims: &Value, expected: &Expected<'_>, _alg: &str) -> Verdict {
    let Some(first) = expected.first else {
        return Ok("the login's own ID token: nothing earlier to continue".into());
    };
    for name in ["iss", "sub"] {
        let (now, then) = (string_claim(claims, name), string_claim(first, name));
        if now != then {
            return Err(format!(
                "{name} is {:?}, the login's ID token said {:?}: a refresh cannot change who signed in",
                now.unwrap_or(""),
                then.unwrap_or("")
            ));
        }
    }
    match (
        number_claim(claims, "auth_time"),
        number_claim(first, "auth_time"),
    ) {
        (Some(now), Some(then)) if now != then => Err(format!(
            "auth_time is {now}, the login's was {then}: a refresh is not a new sign-in"
        )),
        _ => Ok(format!(
            "iss, sub{} are the login's",
            if claims.get("auth_time").is_some() {
                " and auth_time"
            } else {
                ""
            }
        )),
    }
}

#[cfg(test)]
mod tests;
