//! The `client_credentials` grant: a confidential client gets a token for itself
//! (RFC 6749 §4.4). No user, no refresh token (§4.4.3: "A refresh token SHOULD NOT be
//! included").
//!
//! `resource` (RFC 8707 §2.2) may name either registered resource server: with no user
//! there is no earlier authorization to stay within. Absent, the token is for the
//! provider's own API.

use shared::token::{BEARER, TokenResponse};

use crate::domain::client::RegisteredClient;
use crate::domain::grant::{Audience, Resources};
use crate::domain::scope::ScopeSet;
use crate::error::TokenError;
use crate::oauth::params::Params;
use crate::oauth::token::{AccessFor, mint_access, requested_audience, requested_scope};
use crate::state::AppState;
use crate::store::GrantStore;

/// Issues an access token to the authenticated client itself.
pub async fn issue_client_token(
    app: &AppState,
    client: &RegisteredClient,
    params: &Params,
) -> Result<TokenResponse, TokenError> {
    let scopes = match params.get("scope") {
        None => ScopeSet::DEFAULT,
        Some(_) => requested_scope(params, client.allowed_scopes)?,
    };
    let every_resource = Resources::DEFAULT.with(Audience::Api);
    let audience = requested_audience(app, params, every_resource)?;
    let now = app.clock.now_millis();
    let client_id = client.id.clone().into();
    let issued = mint_access(
        app,
        AccessFor {
            grant_id: None,
            client_id: &client_id,
            user_id: None,
            scopes,
            audience,
            auth_time: None,
            ends_at: u64::MAX,
        },
        now,
    )?;
    tracing::info!(client_id = %client.id, access_token = %issued.hash.fingerprint(), scope = %scopes.to_wire(), "client token issued");
    let expires_in = issued.record.expires_at.saturating_sub(now) / 1000;
    app.store
        .save_standalone_token(issued.hash, issued.record)
        .await?;
    Ok(TokenResponse {
        access_token: issued.value,
        token_type: BEARER.into(),
        expires_in,
        refresh_token: None,
        scope: scopes.to_wire(),
    })
}
