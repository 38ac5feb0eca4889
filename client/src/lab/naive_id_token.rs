//! A DELIBERATELY NAIVE ID token check: what a relying party does when it "decodes the JWT"
//! instead of validating it (OpenID Connect Core 1.0 §3.1.3.7). WRONG ON PURPOSE: never copy
//! it. The real check is `client/src/oauth/id_token.rs` (`validate`), its steps numbered.
//!
//! It exists only so the lab's ID token cards can show each attack succeeding somewhere. No
//! route serves it: a card calls [`naive_validate_id_token`] in-process with the token it
//! forged, and nothing is kept afterwards. Its mistakes, each one seen in the wild:
//!
//! - it lets the token's header choose the algorithm: `none` is taken as "no signature
//!   needed", `HS256` as "an HMAC keyed with the key I have", which is the provider's
//!   *public* key (RFC 8725 §2.1, §3.1: a verifier must fix the algorithms it accepts);
//! - a `kid` it cannot find in the JWK Set makes it decode the claims without verifying
//!   them, "so a key rotation does not lock users out" (RFC 7515 §4.1.4: a `kid` is a hint
//!   to *find* the key, not a licence to skip it);
//! - it never checks `aud` (Core §3.1.3.7 step 3), `exp` (step 9) or `nonce` (step 11).

use ring::hmac;
use serde_json::Value;
use shared::jose::{Alg, CompactJws, JwkSet, verify_signature};

use crate::lab::forge::public_key_bytes;

/// NAIVE: the claims of `token` if its header's algorithm says they are fine, verified (if
/// at all) with a key of `jwks`. Never checks `aud`, `exp` or `nonce`.
pub fn naive_validate_id_token(token: &str, jwks: &JwkSet) -> Result<Value, String> {
    let jws = CompactJws::parse(token).map_err(|error| error.to_string())?;
    let claims: Value = jws.claims().map_err(|error| error.to_string())?;
    let kid = jws.header.kid.as_deref().unwrap_or_default();
    let key = jwks.find(kid).or_else(|| jwks.keys.first());
    match jws.header.alg.as_str() {
        // Mistake: "none" means the token says it needs no signature, and that is believed.
        "none" => Ok(claims),
        // Mistake: HS256 is computed with whatever key was found: a public one.
        "HS256" => {
            let key = key.ok_or("no key to compute the HMAC with")?;
            let secret = hmac::Key::new(hmac::HMAC_SHA256, &public_key_bytes(key));
            hmac::verify(&secret, jws.signing_input.as_bytes(), &jws.signature)
                .map_err(|_| "the HMAC does not match".to_owned())?;
            Ok(claims)
        }
        name => {
            let alg = Alg::from_name(name).ok_or(format!("unknown alg {name}"))?;
            // Mistake: no key with this kid, so decode without verifying.
            let Some(key) = jwks.find(kid) else {
                return Ok(claims);
            };
            verify_signature(alg, key, jws.signing_input.as_bytes(), &jws.signature)
                .map_err(|error| error.to_string())?;
            // Mistake: aud, exp and nonce are never looked at.
            Ok(claims)
        }
    }
}
