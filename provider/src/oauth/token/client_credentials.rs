//! The `client_credentials` grant: a confidential client gets a token for itself
//! (RFC 6749 §4.4). No user, no refresh token (§4.4.3: "A refresh token SHOULD NOT be
//! included").

use shared::token::{BEARER, TokenResponse};

use crate::domain::client::RegisteredClient;
use crate::domain::grant::{TokenKind, TokenRecord};
use crate::domain::scope::ScopeSet;
use crate::domain::token::mint;
use crate::error::TokenError;
use crate::oauth::consent::millis;
use crate::oauth::params::Params;
use crate::oauth::token::requested_scope;
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
    let now = app.clock.now_millis();
    let minted = mint();
    let record = TokenRecord {
        kind: TokenKind::Access,
        grant_id: None,
        client_id: client.id.clone().into(),
        user_id: None,
        scopes,
        issued_at: now,
        expires_at: now + millis(app.settings.access_token_ttl),
    };
    tracing::info!(client_id = %client.id, access_token = %minted.hash.fingerprint(), scope = %scopes.to_wire(), "client token issued");
    app.store.save_standalone_token(minted.hash, record).await?;
    Ok(TokenResponse {
        access_token: minted.value,
        token_type: BEARER.into(),
        expires_in: app.settings.access_token_ttl.as_secs(),
        refresh_token: None,
        scope: scopes.to_wire(),
    })
}
