//! The `authorization_code` grant: a code becomes tokens (RFC 6749 §4.1.3, RFC 7636 §4.6).
//!
//! The code must be unused, unexpired, issued to this client, for this redirect URI, and
//! the `code_verifier` must hash to the challenge of the authorization request. A code
//! used a second time revokes every token it produced (§4.1.2: "If an authorization code
//! is used more than once, the authorization server MUST deny the request and SHOULD
//! revoke (when possible) all tokens previously issued based on that authorization code"),
//! but only when the code's own client presents it: the binding is checked first.

use shared::ErrorCode;
use shared::token::TokenResponse;

use crate::domain::client::RegisteredClient;
use crate::domain::grant::AuthorizationCode;
use crate::domain::now_millis;
use crate::domain::token::TokenHash;
use crate::error::TokenError;
use crate::oauth::consent::millis;
use crate::oauth::params::Params;
use crate::oauth::token::mint_pair;
use crate::state::AppState;
use crate::store::{GrantStore, RedeemError};

/// Exchanges an authorization code for an access token and a refresh token.
pub async fn exchange_code(
    state: &AppState,
    client: &RegisteredClient,
    params: &Params,
) -> Result<TokenResponse, TokenError> {
    let code = params
        .get("code")
        .ok_or_else(|| TokenError::invalid_request("code is required"))?;
    let code_verifier = params.get("code_verifier");
    let redirect_uri = params.get("redirect_uri");
    let now = now_millis();
    let code_hash = TokenHash::of(code);
    // The pair is minted for the code as the store redeems it, and joins the grant in the
    // same atomic step.
    let mut minted = None;
    let redeemed = state
        .store
        .redeem_code(
            &code_hash,
            now,
            |issued| check_binding(issued, client, redirect_uri, code_verifier),
            |code| {
                let pair = mint_pair(
                    state,
                    &code.grant_id,
                    &code.client_id,
                    &code.user_id,
                    code.scopes,
                    code.scopes,
                    now,
                    // The grant's absolute lifetime starts now (RFC 9700 §4.14.2).
                    now + millis(state.settings.grant_max_lifetime),
                );
                let records = pair.records();
                minted = Some(pair);
                records
            },
        )
        .await?;
    match redeemed {
        Ok(_) => {}
        Err(RedeemError::Replayed(grant_id)) => {
            state.store.revoke_grant(&grant_id).await?;
            tracing::warn!(client_id = %client.id, code = %code_hash.fingerprint(), "authorization code replayed: its grant is revoked");
            return Err(TokenError::invalid_grant(
                "the authorization code was already used; every token it produced is now revoked",
            ));
        }
        Err(RedeemError::Unknown) => {
            return Err(TokenError::invalid_grant(
                "the authorization code is not valid",
            ));
        }
        Err(RedeemError::Expired) => {
            return Err(TokenError::invalid_grant(
                "the authorization code has expired",
            ));
        }
        Err(RedeemError::Revoked) => {
            return Err(TokenError::invalid_grant("the authorization was revoked"));
        }
        Err(RedeemError::Rejected(error)) => return Err(error),
    }
    // A store that redeems a code calls `new_tokens` for it; without a pair nothing was issued.
    let pair = minted.ok_or_else(|| {
        TokenError::new(
            ErrorCode::ServerError,
            "the store redeemed the code without issuing its tokens",
        )
    })?;
    Ok(pair.response(state))
}

/// The code is bound to its client, its redirect URI and its PKCE challenge; a mismatch of
/// any is `invalid_grant` (§4.1.3, RFC 7636 §4.6). Checked before the code is marked used
/// and before replay detection: a used code presented by anyone else (a public client
/// needs no secret) is a plain `invalid_grant` that changes nothing (§10.4).
fn check_binding(
    issued: &AuthorizationCode,
    client: &RegisteredClient,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
) -> Result<(), TokenError> {
    if *issued.client_id != *client.id {
        return Err(TokenError::invalid_grant(
            "the authorization code was issued to another client",
        ));
    }
    if issued.redirect_uri.as_deref() != redirect_uri {
        return Err(TokenError::invalid_grant(
            "redirect_uri must be identical to the one in the authorization request",
        ));
    }
    let verifier = code_verifier.ok_or_else(|| {
        TokenError::invalid_grant(
            "code_verifier is required: this code was issued with a PKCE challenge",
        )
    })?;
    if !issued.code_challenge.is_satisfied_by(verifier) {
        return Err(TokenError::invalid_grant(
            "the code_verifier does not match the code_challenge",
        ));
    }
    Ok(())
}
