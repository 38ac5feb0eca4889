//! The token endpoint, POST `/oauth/token` (RFC 6749 §3.2).
//!
//! Parse the form, authenticate the client ([`client_auth`]), then hand the request to its
//! grant: [`authorization_code`] (§4.1.3), [`refresh_token`] (§6) or
//! [`client_credentials`] (§4.4). Every answer carries `Cache-Control: no-store`. A grant
//! whose scope has `openid` also gets an `id_token` (OpenID Connect Core §3.1.3.3, §12.2):
//! see [`IssuedPair::id_token`].
//!
//! Each access token is for one resource server (RFC 8707 §2.2: "a token request per
//! resource"), the one the request's `resource` names ([`requested_audience`]): the
//! provider's own API gets an opaque token, the notes API at `API_URL` a JWT
//! ([`jwt_access_token`], RFC 9068) unless `API_ACCESS_TOKEN_FORMAT=opaque`.

pub mod authorization_code;
pub mod client_auth;
pub mod client_credentials;
pub mod jwt_access_token;
pub mod refresh_token;

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use shared::TokenErrorCode;
use shared::scope::Scope;
use shared::token::{BEARER, TokenResponse};

use crate::config::AccessTokenFormat;
use crate::domain::client::{GrantType, RegisteredClient};
use crate::domain::grant::{
    Audience, ClientId, GrantId, Resources, TokenKind, TokenRecord, UserId,
};
use crate::domain::scope::ScopeSet;
use crate::domain::token::{FamilySalt, TokenHash, mint};
use crate::error::{TokenError, no_store};
use crate::oauth::consent::millis;
use crate::oauth::params::Params;
use crate::oauth::token::jwt_access_token::{AccessTokenFor, sign_access_token};
use crate::openid::id_token::{IdTokenFor, Nonce, sign_id_token};
use crate::openid::jws::JwsError;
use crate::openid::keys::Algorithm;
use crate::openid::signing::ACCESS_TOKEN_ALG;
use crate::state::AppState;

/// POST `/oauth/token`.
pub async fn token(
    req: HttpRequest,
    body: web::Bytes,
    app: web::Data<AppState>,
) -> Result<HttpResponse, TokenError> {
    let (params, client) = authenticated_form(&req, &body, &app)?;
    let grant_type = params
        .get("grant_type")
        .ok_or_else(|| TokenError::invalid_request("grant_type is required"))?;
    let grant_type = GrantType::parse(grant_type).ok_or_else(|| {
        TokenError::new(
            TokenErrorCode::UnsupportedGrantType,
            "grant_type must be authorization_code, refresh_token or client_credentials",
        )
    })?;
    if !client.may_use(grant_type) {
        return Err(TokenError::new(
            TokenErrorCode::UnauthorizedClient,
            format!("this client may not use the {} grant", grant_type.as_str()),
        ));
    }
    if params.is_repeated(RESOURCE) {
        return Err(TokenError::new(
            TokenErrorCode::InvalidTarget,
            "send one resource per token request (RFC 8707 section 2.2)",
        ));
    }
    let response: TokenAnswer = match grant_type {
        GrantType::AuthorizationCode => {
            authorization_code::exchange_code(&app, &client, &params).await?
        }
        GrantType::RefreshToken => refresh_token::refresh(&app, &client, &params).await?,
        GrantType::ClientCredentials => {
            client_credentials::issue_client_token(&app, &client, &params)
                .await?
                .into()
        }
    };
    let mut http = HttpResponse::Ok().json(response);
    no_store(&mut http);
    Ok(http)
}

/// A back-channel request (token, revocation, introspection) in its first two steps: read
/// the form ([`parse_form`]), then authenticate the client ([`client_auth::authenticate`],
/// §2.3). Returns the parameters and the client.
pub fn authenticated_form(
    req: &HttpRequest,
    body: &[u8],
    app: &AppState,
) -> Result<(Params, Arc<RegisteredClient>), TokenError> {
    let params = parse_form(req, body)?;
    let client = client_auth::authenticate(req, &params, app)?;
    Ok((params, client))
}

/// The `token` parameter of a revocation (RFC 7009 §2.1) or introspection (RFC 7662 §2.1)
/// request: REQUIRED.
pub fn token_parameter(params: &Params) -> Result<&str, TokenError> {
    params
        .get("token")
        .ok_or_else(|| TokenError::invalid_request("token is required"))
}

/// The form of a token, revocation or introspection request: `application/x-www-form-urlencoded`
/// only (§3.2), with no parameter repeated (§3.1). Any other body is `invalid_request`.
pub fn parse_form(req: &HttpRequest, body: &[u8]) -> Result<Params, TokenError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(TokenError::invalid_request(
            "the body must be application/x-www-form-urlencoded (RFC 6749 section 3.2)",
        ));
    }
    let params = Params::parse(body);
    // RFC 8707 §2 lets `resource` repeat; the token endpoint answers that itself.
    if let Some(name) = params.repeated_other_than(&[RESOURCE]) {
        return Err(TokenError::invalid_request(Params::repeated_description(
            name,
        )));
    }
    Ok(params)
}

/// The token response (RFC 6749 §5.1), plus the ID token of an `openid` grant (OpenID
/// Connect Core §3.1.3.3: "id_token: ID Token value associated with the authenticated
/// session").
#[derive(Serialize)]
pub struct TokenAnswer {
    #[serde(flatten)]
    pub oauth: TokenResponse,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

/// A plain OAuth answer: no ID token.
impl From<TokenResponse> for TokenAnswer {
    fn from(oauth: TokenResponse) -> Self {
        TokenAnswer {
            oauth,
            id_token: None,
        }
    }
}

/// What an ID token says about the login behind a grant (OpenID Connect Core §2).
#[derive(Debug, Clone, Copy)]
pub struct Authentication<'a> {
    /// When the user logged in, in seconds since the epoch.
    pub auth_time: u64,
    /// The authentication request's `nonce`: at the code exchange only (Core §12.2: a
    /// refreshed ID token has none).
    pub nonce: Option<&'a Nonce>,
    /// The provider session of the login (`sid`), the same at every refresh.
    pub sid: Option<&'a str>,
}

/// One issued token: the value the client receives, the hash the store keys it by, and
/// what the store keeps about it. The value leaves in the response and is kept nowhere.
pub struct IssuedToken {
    pub value: shared::Secret,
    pub hash: TokenHash,
    pub record: TokenRecord,
}

/// The token pair an authorization produces: an access token and its refresh token.
pub struct IssuedPair {
    pub access: IssuedToken,
    pub refresh: IssuedToken,
}

/// Who a new pair is for, and which refresh generation it carries.
pub struct PairFor<'a> {
    pub grant_id: &'a GrantId,
    pub client_id: &'a ClientId,
    pub user_id: &'a UserId,
    pub access_scopes: ScopeSet,
    /// The grant's scopes: a refresh token keeps them all (RFC 6749 §6).
    pub refresh_scopes: ScopeSet,
    /// The refresh family's generation this pair starts (0 for the code's pair).
    pub generation: u64,
    pub salt: &'a FamilySalt,
    /// When the grant ends, however often it rotates (`GRANT_MAX_LIFETIME`, RFC 9700
    /// §4.14.2): neither token of the pair outlives it.
    pub grant_ends_at: u64,
    /// The resource server the access token is for (RFC 8707 §2.2).
    pub audience: Audience,
    /// When the user logged in (seconds): a JWT access token's `auth_time`.
    pub auth_time: u64,
}

/// Who one access token is for, whatever its format.
pub struct AccessFor<'a> {
    pub grant_id: Option<&'a GrantId>,
    pub client_id: &'a ClientId,
    /// `None` when a client acts for itself (`client_credentials`).
    pub user_id: Option<&'a UserId>,
    pub scopes: ScopeSet,
    pub audience: Audience,
    pub auth_time: Option<u64>,
    /// The latest it may expire (the grant's end); `u64::MAX` for none.
    pub ends_at: u64,
}

/// Mints an access token for `access.audience`: opaque (256 random bits) for the
/// provider's own API, or for the notes API when `API_ACCESS_TOKEN_FORMAT=opaque`; an RFC
/// 9068 JWT for the notes API otherwise. Either way the store keeps its hash and record,
/// so introspection and revocation treat both alike. A token for the notes API lives
/// `API_ACCESS_TOKEN_TTL` (see [`jwt_access_token`] for why it is short).
pub fn mint_access(
    app: &AppState,
    access: AccessFor<'_>,
    now: u64,
) -> Result<IssuedToken, TokenError> {
    let ttl = match access.audience {
        Audience::Provider => app.settings.access_token_ttl,
        Audience::Api => app.settings.api_access_token_ttl,
    };
    let record = TokenRecord {
        kind: TokenKind::Access,
        grant_id: access.grant_id.cloned(),
        client_id: access.client_id.clone(),
        user_id: access.user_id.cloned(),
        scopes: access.scopes,
        audience: access.audience,
        issued_at: now,
        expires_at: (now + millis(ttl)).min(access.ends_at),
    };
    if access.audience == Audience::Provider
        || app.settings.api_access_token_format == AccessTokenFormat::Opaque
    {
        let minted = mint();
        return Ok(IssuedToken {
            value: minted.value,
            hash: minted.hash,
            record,
        });
    }
    let claims = AccessTokenFor {
        issuer: &app.settings.issuer,
        audience: app.settings.resource_servers().identifier(access.audience),
        subject: access.user_id.map_or(&**access.client_id, |user| &**user),
        client_id: access.client_id,
        scopes: access.scopes,
        auth_time: access.auth_time,
        issued_at: record.issued_at / 1000,
        expires_at: record.expires_at / 1000,
    };
    let jwt = app
        .keys
        .signing_key(ACCESS_TOKEN_ALG)
        .map_err(JwsError::from)
        .and_then(|key| sign_access_token(&key, &claims))
        .map_err(|error| {
            tracing::error!(error = %error, "signing an access token failed");
            TokenError::new(
                TokenErrorCode::TemporarilyUnavailable,
                "the access token could not be signed; try again shortly",
            )
        })?;
    Ok(IssuedToken {
        hash: TokenHash::of(&jwt),
        value: shared::Secret::new(jwt),
        record,
    })
}

/// Mints an access token for the pair's audience ([`mint_access`]) and the refresh token
/// of generation `generation` of the grant (see
/// [`RefreshTokenKey`](crate::domain::token::RefreshTokenKey)). The refresh token is used
/// at this provider's token endpoint only, so its audience is the provider.
pub fn mint_pair(app: &AppState, pair: PairFor<'_>, now: u64) -> Result<IssuedPair, TokenError> {
    let access = mint_access(
        app,
        AccessFor {
            grant_id: Some(pair.grant_id),
            client_id: pair.client_id,
            user_id: Some(pair.user_id),
            scopes: pair.access_scopes,
            audience: pair.audience,
            auth_time: Some(pair.auth_time),
            ends_at: pair.grant_ends_at,
        },
        now,
    )?;
    let refresh = app
        .refresh_key
        .mint(pair.grant_id, pair.generation, pair.salt);
    Ok(IssuedPair {
        access,
        refresh: IssuedToken {
            value: refresh.value,
            hash: refresh.hash,
            record: TokenRecord {
                kind: TokenKind::Refresh,
                grant_id: Some(pair.grant_id.clone()),
                client_id: pair.client_id.clone(),
                user_id: Some(pair.user_id.clone()),
                scopes: pair.refresh_scopes,
                audience: Audience::Provider,
                issued_at: now,
                expires_at: (now + millis(app.settings.refresh_token_ttl)).min(pair.grant_ends_at),
            },
        },
    })
}

impl IssuedPair {
    /// The records to store, by hash.
    pub fn records(&self) -> Vec<(TokenHash, TokenRecord)> {
        vec![
            (self.access.hash, self.access.record.clone()),
            (self.refresh.hash, self.refresh.record.clone()),
        ]
    }

    /// The ID token to send with this pair, when its access token's scope has `openid`
    /// (Core §3.1.3.3, §12.2): signed with the current key of the algorithm the client
    /// registered, for the pair's user and client,
    /// living as long as the access token, with `at_hash` of it (Core §3.1.3.6). Signed
    /// before the pair is committed, so a signing failure changes nothing.
    pub fn id_token(
        &self,
        app: &AppState,
        login: Authentication<'_>,
    ) -> Result<Option<String>, TokenError> {
        let access = &self.access.record;
        let Some(subject) = access.user_id.as_deref() else {
            return Ok(None);
        };
        if !access.scopes.contains(Scope::OpenId) {
            return Ok(None);
        }
        let claims = IdTokenFor {
            issuer: &app.settings.issuer,
            subject,
            client_id: &access.client_id,
            auth_time: login.auth_time,
            nonce: login.nonce,
            sid: login.sid,
            access_token: self.access.value.expose(),
            issued_at: access.issued_at / 1000,
            expires_at: access.expires_at / 1000,
        };
        // The algorithm the client registered (Dynamic Client Registration 1.0 §2:
        // `id_token_signed_response_alg`, RS256 when it registered none).
        let alg = app
            .clients
            .find(&access.client_id)
            .map_or(Algorithm::RS256, |client| {
                client.id_token_signed_response_alg
            });
        app.keys
            .signing_key(alg)
            .map_err(JwsError::from)
            .and_then(|key| sign_id_token(&key, &claims))
            .map(Some)
            .map_err(|error| {
                tracing::error!(error = %error, "signing an ID token failed");
                TokenError::new(
                    TokenErrorCode::TemporarilyUnavailable,
                    "the ID token could not be signed; try again shortly",
                )
            })
    }

    /// The §5.1 response with the pair's `id_token`, if it has one.
    pub fn answer(self, app: &AppState, id_token: Option<String>) -> TokenAnswer {
        TokenAnswer {
            oauth: self.response(app),
            id_token,
        }
    }

    /// The §5.1 response.
    pub fn response(self, _app: &AppState) -> TokenResponse {
        let IssuedPair { access, refresh } = self;
        tracing::info!(
            client_id = %access.record.client_id,
            access_token = %access.hash.fingerprint(),
            refresh_token = %refresh.hash.fingerprint(),
            scope = %access.record.scopes.to_wire(),
            "tokens issued"
        );
        TokenResponse {
            access_token: access.value,
            token_type: BEARER.into(),
            // The access token's own lifetime: shorter than the setting when the grant ends first.
            expires_in: access
                .record
                .expires_at
                .saturating_sub(access.record.issued_at)
                / 1000,
            refresh_token: Some(refresh.value),
            scope: access.record.scopes.to_wire(),
        }
    }
}

/// The requested `scope` of a token request, checked against what may be had: absent means
/// all of `ceiling`; blank (`scope=" "`) or anything outside it is `invalid_scope` (§3.3,
/// §6). The same parser as the authorization endpoint's, [`ScopeSet::parse_requested`].
pub fn requested_scope(params: &Params, ceiling: ScopeSet) -> Result<ScopeSet, TokenError> {
    let Some(requested) = ScopeSet::parse_requested(params.get("scope"))
        .map_err(|error| TokenError::new(TokenErrorCode::InvalidScope, error.to_string()))?
    else {
        return Ok(ceiling);
    };
    if !requested.is_subset_of(ceiling) {
        return Err(TokenError::new(
            TokenErrorCode::InvalidScope,
            "the requested scope exceeds what was granted",
        ));
    }
    Ok(requested)
}

/// RFC 8707's parameter.
pub const RESOURCE: &str = "resource";

/// The resource a token request asks for, checked against the resources its grant covers
/// (RFC 8707 §2.2: "the requested resource must be one ... the authorization grant was
/// issued for"). Absent: the provider's own API if the grant covers it, else the grant's
/// only resource. Malformed, unknown or not covered: `invalid_target`.
pub fn requested_audience(
    app: &AppState,
    params: &Params,
    covered: Resources,
) -> Result<Audience, TokenError> {
    let Some(resource) = params.get(RESOURCE) else {
        return Ok(covered.default_audience());
    };
    let audience = app
        .settings
        .resource_servers()
        .audience_of(resource)
        .map_err(|error| TokenError::new(TokenErrorCode::InvalidTarget, error.to_string()))?;
    if !covered.contains(audience) {
        return Err(TokenError::new(
            TokenErrorCode::InvalidTarget,
            "the resource is not one this authorization was granted for",
        ));
    }
    Ok(audience)
}
