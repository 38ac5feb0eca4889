//! OpenID Provider discovery: GET `/.well-known/openid-configuration` (OpenID Connect
//! Discovery 1.0 §4) and the JWK Set at `jwks_uri` (Discovery §3, Core §10.1, RFC 7517 §5).
//!
//! A Relying Party reads the configuration once to find the endpoints, then fetches the JWK
//! Set to check ID token signatures: the header's `kid` picks the key (Core §10.1), and on
//! a `kid` it has not seen it fetches the set again (§10.1.1), which is why a new key is
//! published before it signs (see [`crate::openid::keyset`]).

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::state::AppState;

use super::metadata::describe;

/// Where the JWK Set is served; `jwks_uri` is the issuer plus this.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

/// The claims an ID token or UserInfo answer of this provider can carry (Core §2, §5.1),
/// listed as `claims_supported` (Discovery 1.0 §3).
pub const CLAIMS_SUPPORTED: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "sid",
    "nonce",
    "azp",
    "at_hash",
    "name",
    "preferred_username",
    "email",
    "email_verified",
];

/// GET `/.well-known/openid-configuration`: the same document as RFC 8414's (RFC 8414 §1
/// made them compatible), so both name the same endpoints.
pub async fn openid_configuration(app: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(describe(&app.settings.issuer, &app.keys.key_ring()))
}

/// GET `jwks_uri`: the public keys only (`kty`, `kid`, `use: sig`, `alg` and the key's
/// public members), never a private one: [`crate::openid::keys::PublicJwk`] has no field for
/// it. Cacheable for a short while: a verifier that meets an unknown `kid` fetches again.
pub async fn jwks(app: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .content_type("application/jwk-set+json")
        .json(app.keys.jwks())
}
