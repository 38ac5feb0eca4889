//! A DELIBERATELY NAIVE JWT access token check: what a resource server does when it
//! "verifies the JWT" with a general-purpose library and its defaults, and skips RFC 9068 §4.
//! WRONG ON PURPOSE: never copy it. The real check is `api/src/access_token.rs`
//! (`validate`), nine steps in order.
//!
//! It exists only so the lab's access token cards can show each attack succeeding somewhere.
//! No route serves it: a card calls [`naive_validate_access_token`] in-process with the token
//! it forged, and nothing is kept afterwards. Its mistakes, each one seen in the wild:
//!
//! - it lets the header choose the algorithm: `none` passes, `HS256` is keyed with the
//!   issuer's *public* key (RFC 8725 §2.1; §4 step 3 of RFC 9068 asks for an allow-list);
//! - it takes the key from the token itself when the header carries one (`jwk`), so anyone
//!   can sign with a key of their own (RFC 8725 §3.10; a `jku` URL is the same mistake, one
//!   fetch away);
//! - it never checks `typ` (so an ID token passes for an access token), `aud` (so a token
//!   for another API works here), `iss` or `exp`.

use ring::hmac;
use serde_json::Value;
use shared::jose::{Alg, CompactJws, Jwk, JwkSet, verify_signature};

use crate::lab::forge::public_key_bytes;

/// NAIVE: the claims of `token` if its signature verifies with the key it names, the key in
/// its own header, or the issuer's `jwks`, by the algorithm its header names. Never checks
/// `typ`, `aud`, `iss` or `exp`.
pub fn naive_validate_access_token(token: &str, jwks: &JwkSet) -> Result<Value, String> {
    let jws = CompactJws::parse(token).map_err(|error| error.to_string())?;
    let claims: Value = jws.claims().map_err(|error| error.to_string())?;
    // Mistake: a key the token brings along is as good as the issuer's.
    let embedded: Option<Jwk> = jws
        .header
        .jwk
        .clone()
        .and_then(|jwk| serde_json::from_value(jwk).ok());
    let kid = jws.header.kid.as_deref().unwrap_or_default();
    let key = embedded
        .as_ref()
        .or_else(|| jwks.find(kid))
        .or_else(|| jwks.keys.first())
        .ok_or("no key to verify with")?;
    match jws.header.alg.as_str() {
        // Mistake: the token says it needs no signature, and that is believed.
        "none" => Ok(claims),
        // Mistake: HS256 keyed with the public key everyone can read.
        "HS256" => {
            let secret = hmac::Key::new(hmac::HMAC_SHA256, &public_key_bytes(key));
            hmac::verify(&secret, jws.signing_input.as_bytes(), &jws.signature)
                .map_err(|_| "the HMAC does not match".to_owned())?;
            Ok(claims)
        }
        name => {
            let alg = Alg::from_name(name).ok_or(format!("unknown alg {name}"))?;
            verify_signature(alg, key, jws.signing_input.as_bytes(), &jws.signature)
                .map_err(|error| error.to_string())?;
            // Mistake: typ, iss, aud and exp are never looked at.
            Ok(claims)
        }
    }
}
