//! Validating a JWT access token (RFC 9068 §4), the way a resource server that did not
//! issue it must: from the token itself and the issuer's published keys, nothing else.
//!
//! The checks run in this order, each a named step; the first that fails refuses the token
//! ([`Step`] says which, for the log; the caller hears only `invalid_token`):
//!
//! 1. [`Step::Parse`]: a compact JWS, three base64url parts (RFC 7515 §7.1).
//! 2. [`Step::Type`]: "Resource servers MUST verify that the `typ` header value is
//!    `at+jwt` or `application/at+jwt`" — so an ID token, signed by the same keys, is refused.
//! 3. [`Step::Algorithm`]: "The resource server MUST check the `alg` … and reject … if
//!    the algorithm … is not supported": our allow-list [`Alg`] (RS256, ES256, EdDSA);
//!    never `none`, never `HS*`.
//! 4. [`Step::Key`]: the header's `kid` found in the issuer's JWK Set (from its metadata's
//!    `jwks_uri`). A `jwk`, `jku`, `x5u` or `x5c` in the header is never used (RFC 8725 §3.10).
//! 5. [`Step::Signature`]: "validate the signature … using the keys published by the issuer".
//! 6. [`Step::Claims`]: the claims RFC 9068 §2.2 makes REQUIRED are all there.
//! 7. [`Step::Issuer`]: "The issuer identifier … MUST exactly match the value of the `iss` claim".
//! 8. [`Step::Audience`]: "MUST validate that the `aud` claim contains a resource indicator
//!    value corresponding to an identifier the resource server expects for itself" (`API_URL`).
//! 9. [`Step::Lifetime`]: "MUST verify that the `exp` time … has not passed", and `nbf`, if
//!    present, has come; both with [`CLOCK_SKEW_SECONDS`] of leeway.
//!
//! The scope the route needs (§4: "If … the authorization … does not include the scope …
//! respond with … 403 `insufficient_scope`") is checked after, in [`crate::bearer`].
//! A token that passed every step is remembered by [`crate::verified_tokens`], which runs
//! step 9 again on each later request and skips the rest (the signature above all).

use serde::Deserialize;
use shared::jose::{Alg, CompactJws, verify_signature};

use crate::authorization_server::{AuthorizationServer, Unavailable};
use crate::bearer::Caller;

/// How far the API's clock may differ from the issuer's (RFC 7519 §4.1.4: "some small
/// leeway, usually no more than a few minutes").
pub const CLOCK_SKEW_SECONDS: u64 = 30;

/// The step that refused a token. Logged, never sent: telling a caller which check failed
/// helps an attacker more than a developer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Parse,
    Type,
    Algorithm,
    Key,
    Signature,
    Claims,
    Issuer,
    Audience,
    Lifetime,
}

/// Why a token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// The token failed a step: 401 `invalid_token`.
    At(Step),
    /// The issuer could not be asked: 503.
    Unavailable(Unavailable),
}

impl From<Unavailable> for Refused {
    fn from(error: Unavailable) -> Self {
        Refused::Unavailable(error)
    }
}

/// `aud`: one string or an array of them (RFC 7519 §4.1.3).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    /// Exact string comparison, as for every identifier here.
    pub fn contains(&self, resource: &str) -> bool {
        match self {
            Audience::One(one) => one == resource,
            Audience::Many(many) => many.iter().any(|one| one == resource),
        }
    }
}

/// The claims of an RFC 9068 access token (§2.2); all REQUIRED but `scope` and `nbf`.
#[derive(Debug, Clone, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub exp: u64,
    pub aud: Audience,
    pub sub: String,
    pub client_id: String,
    pub iat: u64,
    pub jti: String,
    #[serde(default)]
    pub nbf: Option<u64>,
    /// Space-separated scopes (RFC 9068 §2.2.3, RFC 8693 §4.2).
    #[serde(default)]
    pub scope: Option<String>,
}

/// A token that passed every step: who it speaks for, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub caller: Caller,
    /// Its `exp` claim (seconds since the epoch).
    pub exp: u64,
}

/// Runs steps 1–9 on `token`, for the resource `audience`, at `now` (seconds since the epoch).
pub async fn validate(
    token: &str,
    issuer: &AuthorizationServer,
    audience: &str,
    now: u64,
) -> Result<Caller, Refused> {
    verify(token, issuer, audience, now)
        .await
        .map(|verified| verified.caller)
}

/// [`validate`], also giving the token's `exp` (for [`crate::verified_tokens`]).
pub async fn verify(
    token: &str,
    issuer: &AuthorizationServer,
    audience: &str,
    now: u64,
) -> Result<Verified, Refused> {
    let refuse = |step| move |_| Refused::At(step);
    // 1. Parse.
    let jws = CompactJws::parse(token).map_err(refuse(Step::Parse))?;
    // 2. Type: `at+jwt`, so no other JWT of the same issuer passes for an access token.
    let typ = jws.header.typ.as_deref().unwrap_or_default();
    if !(typ.eq_ignore_ascii_case("at+jwt") || typ.eq_ignore_ascii_case("application/at+jwt")) {
        return Err(Refused::At(Step::Type));
    }
    // 3. Algorithm: on the allow-list, whatever the header's `jwk`/`jku` say.
    let alg = Alg::from_name(&jws.header.alg).ok_or(Refused::At(Step::Algorithm))?;
    // 4. Key: by `kid`, from the issuer's own JWK Set only.
    let kid = jws.header.kid.as_deref().ok_or(Refused::At(Step::Key))?;
    let key = issuer
        .signing_key(kid)
        .await?
        .ok_or(Refused::At(Step::Key))?;
    // 5. Signature.
    verify_signature(alg, &key, jws.signing_input.as_bytes(), &jws.signature)
        .map_err(refuse(Step::Signature))?;
    // 6. Claims: only now is the payload worth reading.
    let claims: AccessTokenClaims = jws.claims().map_err(refuse(Step::Claims))?;
    // 7. Issuer: the one whose metadata gave us the keys.
    if claims.iss != issuer.metadata().await?.issuer {
        return Err(Refused::At(Step::Issuer));
    }
    // 8. Audience: this API, by its resource identifier.
    if !claims.aud.contains(audience) {
        return Err(Refused::At(Step::Audience));
    }
    // 9. Lifetime.
    if !within_lifetime(claims.exp, claims.nbf, now) {
        return Err(Refused::At(Step::Lifetime));
    }
    Ok(Verified {
        caller: Caller {
            sub: claims.sub,
            client_id: Some(claims.client_id),
            scopes: split_scopes(claims.scope.as_deref()),
        },
        exp: claims.exp,
    })
}

/// Step 9: `exp` has not passed and `nbf`, if any, has come, at `now`, each with
/// [`CLOCK_SKEW_SECONDS`] of leeway.
pub fn within_lifetime(exp: u64, nbf: Option<u64>, now: u64) -> bool {
    let expired = exp.saturating_add(CLOCK_SKEW_SECONDS) <= now;
    let not_yet = nbf.is_some_and(|nbf| nbf > now.saturating_add(CLOCK_SKEW_SECONDS));
    !(expired || not_yet)
}

/// The space-delimited scope list (RFC 6749 §3.3).
pub fn split_scopes(scope: Option<&str>) -> Vec<String> {
    scope
        .unwrap_or_default()
        .split(' ')
        .filter(|one| !one.is_empty())
        .map(str::to_owned)
        .collect()
}
