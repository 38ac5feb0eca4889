//! Authorization server metadata, GET `/.well-known/oauth-authorization-server` (RFC 8414).
//!
//! Everything a client needs to find the endpoints and know what is supported, so the
//! client app can be pointed at another provider by changing its settings only. The same
//! document answers OpenID Connect Discovery 1.0 (see [`super::discovery`]).

use actix_web::{HttpResponse, web};
use shared::metadata::AuthorizationServerMetadata;
use shared::scope::Scope;

use crate::openid::keyset::KeyRing;
use crate::state::AppState;

use super::discovery::{CLAIMS_SUPPORTED, JWKS_PATH};
use crate::api::userinfo::USERINFO_PATH;
use crate::openid::end_session::END_SESSION_PATH;

/// GET `/.well-known/oauth-authorization-server`.
pub async fn metadata(app: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(describe(&app.settings.issuer, &app.keys.key_ring()))
}

/// This server's metadata, every URL built from the issuer; the ID token algorithms are
/// those of the published `keys`.
pub fn describe(issuer: &str, keys: &KeyRing) -> AuthorizationServerMetadata {
    let strings = |values: &[&str]| {
        values
            .iter()
            .map(|value| (*value).to_owned())
            .collect::<Vec<_>>()
    };
    let client_auth = strings(&["client_secret_basic", "client_secret_post"]);
    AuthorizationServerMetadata {
        issuer: issuer.to_owned(),
        authorization_endpoint: format!("{issuer}/oauth/authorize"),
        token_endpoint: format!("{issuer}/oauth/token"),
        jwks_uri: Some(format!("{issuer}{JWKS_PATH}")),
        userinfo_endpoint: Some(format!("{issuer}{USERINFO_PATH}")),
        end_session_endpoint: Some(format!("{issuer}{END_SESSION_PATH}")),
        revocation_endpoint: Some(format!("{issuer}/oauth/revoke")),
        introspection_endpoint: Some(format!("{issuer}/oauth/introspect")),
        scopes_supported: Scope::ALL
            .iter()
            .map(|scope| scope.as_str().to_owned())
            .collect(),
        response_types_supported: strings(&["code"]),
        grant_types_supported: strings(&[
            "authorization_code",
            "refresh_token",
            "client_credentials",
        ]),
        code_challenge_methods_supported: strings(&["S256"]),
        token_endpoint_auth_methods_supported: strings(&[
            "client_secret_basic",
            "client_secret_post",
            "none",
        ]),
        revocation_endpoint_auth_methods_supported: strings(&[
            "client_secret_basic",
            "client_secret_post",
            "none",
        ]),
        introspection_endpoint_auth_methods_supported: client_auth,
        authorization_response_iss_parameter_supported: true,
        // Core §8: one `sub` per user, whichever client asks.
        subject_types_supported: strings(&["public"]),
        id_token_signing_alg_values_supported: id_token_algorithms(keys),
        claims_supported: strings(CLAIMS_SUPPORTED),
        service_documentation: None,
    }
}

/// The algorithms of the published keys, each once, in the JWKS's order (RS256 first): a
/// client may register any of them as its `id_token_signed_response_alg`.
fn id_token_algorithms(keys: &KeyRing) -> Vec<String> {
    let mut algorithms: Vec<String> = Vec::new();
    for jwk in keys.jwks().keys {
        if !algorithms.contains(&jwk.alg) {
            algorithms.push(jwk.alg);
        }
    }
    algorithms
}
