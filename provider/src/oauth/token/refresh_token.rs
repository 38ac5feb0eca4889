//! The `refresh_token` grant: a refresh token becomes a new token pair (RFC 6749 §6).
//!
//! Refresh tokens rotate: each use returns a new one and retires the old (RFC 9700
//! §4.14.2: "the authorization server issues a new refresh token with every access token
//! refresh response. The previous refresh token is invalidated"). A retired token
//! presented again means two parties hold it, and the server cannot tell which is the
//! legitimate one, so the whole grant is revoked.
//!
//! A refresh token names its grant and its *generation* (`<grant>.<generation>.<mac>`,
//! see [`RefreshTokenKey`](crate::domain::token::RefreshTokenKey)); the grant keeps only its current generation and a salt. So a
//! token retired a thousand rotations ago is recognised as exactly that, while the grant's
//! record stays the same size however often it rotates.
//!
//! The checks, in this order:
//!
//! 1. **genuine**: it parses, its grant is live, and its MAC is right for that grant's salt
//!    (constant-time compare), else `invalid_grant`. A forged or guessed token stops here
//!    and never touches the grant;
//! 2. **bound** to this client (§6: "validate the refresh token ... was issued to the
//!    authenticated client"), else `invalid_grant`, and nothing changes: only the client
//!    a grant belongs to can set off its revocation (issue "Hardening" item 5);
//! 3. **current**: an older generation is a retired token in use, so the grant is revoked;
//! 4. **unexpired**;
//! 5. **scope** no wider than the grant's (§6: "MUST NOT include any scope not originally
//!    granted"), else `invalid_scope`; the new refresh token keeps the original scope;
//! 6. **resource** one the grant covers (RFC 8707 §2.2: each refresh may ask for another of
//!    them), else `invalid_target`; absent, the provider's own API;
//! 7. the new pair is minted, with a new ID token when the scope has `openid` (OpenID
//!    Connect Core §12.2: same `sub` and `auth_time`, no `nonce`), and committed by compare-and-set on the generation: of any
//!    number of concurrent rotations exactly one wins, and the others are replays (step 3).
//!
//! The access token issued with the old refresh token is revoked by the rotation that
//! supersedes it: the client has just received its replacement, a leaked copy of the old
//! one stops working at once, and a grant holds one pair, never a growing list.

use crate::domain::client::RegisteredClient;
use crate::domain::token::{FamilyToken, TokenHash};
use crate::error::TokenError;
use crate::oauth::consent::millis;
use crate::oauth::params::Params;
use crate::oauth::token::{
    Authentication, PairFor, TokenAnswer, mint_pair, requested_audience, requested_scope,
};
use crate::state::AppState;
use crate::store::{Commit, Family, GrantStore, StoreError};

/// Rotates a refresh token into a new access token and refresh token.
pub async fn refresh(
    app: &AppState,
    client: &RegisteredClient,
    params: &Params,
) -> Result<TokenAnswer, TokenError> {
    let presented = params
        .get("refresh_token")
        .ok_or_else(|| TokenError::invalid_request("refresh_token is required"))?;
    let now = app.clock.now_millis();

    // 1. Genuine.
    let Some((token, family)) = recognise(app, presented).await? else {
        return Err(TokenError::invalid_grant("the refresh token is not valid"));
    };
    // 2. Bound to this client.
    if *family.client_id != *client.id {
        return Err(TokenError::invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    // 3. Current.
    if token.generation < family.generation {
        return Err(reused(app, &family, presented).await?);
    }
    if token.generation > family.generation {
        // Genuine, but never handed out: a rotation that lost its race minted it.
        return Err(TokenError::invalid_grant("the refresh token is not valid"));
    }
    // 4. Unexpired, and the grant not past its absolute lifetime: rotation renews the
    //    refresh token, never the grant (RFC 9700 §4.14.2).
    if now >= family.refresh_expires_at {
        return Err(TokenError::invalid_grant("the refresh token has expired"));
    }
    let grant_ends_at = family.created_at + millis(app.settings.grant_max_lifetime);
    if now >= grant_ends_at {
        return Err(TokenError::invalid_grant(
            "this grant reached its maximum lifetime (GRANT_MAX_LIFETIME): the user must sign in again",
        ));
    }
    // 5. Scope.
    let access_scopes = requested_scope(params, family.scopes)?;
    // 6. Resource.
    let audience = requested_audience(app, params, family.resources)?;
    // 7. Mint, then compare-and-set on the generation.
    let pair = mint_pair(
        app,
        PairFor {
            grant_id: &family.grant_id,
            client_id: &family.client_id,
            user_id: &family.user_id,
            access_scopes,
            refresh_scopes: family.scopes,
            generation: family.generation + 1,
            salt: &family.salt,
            grant_ends_at,
            audience,
            auth_time: family.auth_time,
        },
        now,
    )?;
    let id_token = pair.id_token(
        app,
        Authentication {
            auth_time: family.auth_time,
            nonce: None,
            sid: family.sid.as_deref(),
        },
    )?;
    match app
        .store
        .commit_rotation(&family, family.generation, pair.records())
        .await?
    {
        Commit::Committed => Ok(pair.answer(app, id_token)),
        Commit::Replayed => Err(reused(app, &family, presented).await?),
        Commit::Revoked => Err(TokenError::invalid_grant("the refresh token is not valid")),
    }
}

/// Step 1, shared with revocation (RFC 7009): the grant a presented refresh token
/// genuinely belongs to, whatever its generation, or `None` for anything this provider
/// did not mint for a live grant. Changes nothing.
pub async fn recognise(
    app: &AppState,
    presented: &str,
) -> Result<Option<(FamilyToken, Family)>, StoreError> {
    let Some(token) = FamilyToken::parse(presented) else {
        return Ok(None);
    };
    let Some(family) = app.store.find_family(&token.grant_id).await? else {
        return Ok(None);
    };
    let genuine = app.refresh_key.verify(&token, &family.salt);
    Ok(genuine.then_some((token, family)))
}

/// Step 3's reaction: a retired refresh token of this client's grant was used, so the
/// whole grant is revoked (RFC 9700 §4.14.2).
async fn reused(
    app: &AppState,
    family: &Family,
    presented: &str,
) -> Result<TokenError, TokenError> {
    app.store.revoke_grant(&family.grant_id).await?;
    tracing::warn!(client_id = %family.client_id, refresh_token = %TokenHash::of(presented).fingerprint(), "retired refresh token reused: its grant is revoked");
    Ok(TokenError::invalid_grant(
        "the refresh token was already used; the whole grant is now revoked",
    ))
}
