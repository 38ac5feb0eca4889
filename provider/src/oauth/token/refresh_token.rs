//! The `refresh_token` grant: a refresh token becomes a new token pair (RFC 6749 §6).
//!
//! Refresh tokens rotate: each use returns a new one and retires the old (RFC 9700
//! §4.14.2). A retired token presented again means two parties hold it, so the whole grant
//! is revoked, if it comes from the token's own client (the binding is checked first, so
//! another client cannot end someone else's grant, §10.4). The scope may be narrowed, never widened (§6: "MUST NOT include any scope
//! not originally granted"); the new refresh token keeps the original scope.

use shared::token::TokenResponse;

use crate::domain::client::RegisteredClient;
use crate::domain::now_millis;
use crate::domain::token::TokenHash;
use crate::error::TokenError;
use crate::oauth::consent::millis;
use crate::oauth::params::Params;
use crate::oauth::token::{IssuedPair, mint_pair, requested_scope};
use crate::state::AppState;
use crate::store::{GrantStore, RotateError};

/// Rotates a refresh token into a new access token and refresh token.
pub async fn refresh(
    state: &AppState,
    client: &RegisteredClient,
    params: &Params,
) -> Result<TokenResponse, TokenError> {
    let presented = params
        .get("refresh_token")
        .ok_or_else(|| TokenError::invalid_request("refresh_token is required"))?;
    let hash = TokenHash::of(presented);
    let now = now_millis();
    let mut issued: Option<IssuedPair> = None;
    let rotated = state
        .store
        .rotate_refresh(
            &hash,
            now,
            |old| {
                if *old.client_id != *client.id {
                    return Err(TokenError::invalid_grant(
                        "the refresh token was issued to another client",
                    ));
                }
                if old.grant_ends_at.is_some_and(|end| now >= end) {
                    return Err(TokenError::invalid_grant(
                        "this grant reached its maximum lifetime (GRANT_MAX_LIFETIME): the user must sign in again",
                    ));
                }
                requested_scope(params, old.scopes).map(|_| ())
            },
            |old| {
                let access_scopes = requested_scope(params, old.scopes).unwrap_or(old.scopes);
                let (Some(grant_id), Some(user_id)) = (&old.grant_id, &old.user_id) else {
                    return Vec::new();
                };
                let pair = mint_pair(
                    state,
                    grant_id,
                    &old.client_id,
                    user_id,
                    access_scopes,
                    old.scopes,
                    now,
                    // Rotation renews the refresh token, never the grant. (A record from before
                    // grants had an end gets a whole lifetime from now.)
                    old.grant_ends_at
                        .unwrap_or(now + millis(state.settings.grant_max_lifetime)),
                );
                let records = pair.records();
                issued = Some(pair);
                records
            },
        )
        .await?;
    match rotated {
        Ok(_) => issued
            .map(|pair| pair.response(state))
            .ok_or_else(|| TokenError::invalid_grant("the refresh token is not valid")),
        Err(RotateError::Reused) => {
            tracing::warn!(client_id = %client.id, refresh_token = %hash.fingerprint(), "retired refresh token reused: its grant is revoked");
            Err(TokenError::invalid_grant(
                "the refresh token was already used; the whole grant is now revoked",
            ))
        }
        Err(RotateError::Unknown) => {
            Err(TokenError::invalid_grant("the refresh token is not valid"))
        }
        Err(RotateError::Expired) => {
            Err(TokenError::invalid_grant("the refresh token has expired"))
        }
        Err(RotateError::Rejected(error)) => Err(error),
    }
}
