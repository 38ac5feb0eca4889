//! The `authorization_code` grant: a code becomes tokens (RFC 6749 §4.1.3, RFC 7636 §4.6).
//!
//! The checks, in this order (issue "Hardening" item 5: the binding comes before replay
//! detection, so only the client a code was issued to can set off its revocation):
//!
//! 1. **known**: a code this server issued and still holds, else `invalid_grant`;
//! 2. **bound** to this client, its redirect URI and its PKCE challenge (§4.1.3: "ensure
//!    that the authorization code was issued to the authenticated confidential client",
//!    "ensure that the redirect_uri parameter is present if ... and ... identical";
//!    RFC 7636 §4.6), else `invalid_grant`, and nothing changes: a stranger holding a
//!    copy of the code can neither use it nor burn it;
//! 3. **unused** (§4.1.2: "If an authorization code is used more than once, the
//!    authorization server MUST deny the request and SHOULD revoke (when possible) all
//!    tokens previously issued based on that authorization code"): the grant is revoked;
//! 4. **unexpired** (§4.1.2: "a maximum authorization code lifetime of 10 minutes");
//! 5. **resource** one the user authorized (RFC 8707 §2.2), else `invalid_target`; absent,
//!    the provider's own API;
//! 6. the first pair is minted, with its ID token when the scope has `openid` (OpenID
//!    Connect Core §3.1.3.3: `nonce` as the request sent it, `auth_time` of the login), and
//!    committed with the code's use in one atomic step; a
//!    concurrent use that committed first makes this one a replay (step 3 again). The
//!    access token is for step 5's resource: opaque, or a JWT for the notes API.

use crate::domain::client::RegisteredClient;
use crate::domain::grant::AuthorizationCode;
use crate::domain::token::{FamilySalt, TokenHash};
use crate::error::TokenError;
use crate::oauth::consent::millis;
use crate::oauth::params::Params;
use crate::oauth::token::{Authentication, PairFor, TokenAnswer, mint_pair, requested_audience};
use crate::state::AppState;
use crate::store::{Commit, GrantStore};

/// Exchanges an authorization code for an access token and a refresh token.
pub async fn exchange_code(
    app: &AppState,
    client: &RegisteredClient,
    params: &Params,
) -> Result<TokenAnswer, TokenError> {
    let code = params
        .get("code")
        .ok_or_else(|| TokenError::invalid_request("code is required"))?;
    let code_verifier = params.get("code_verifier");
    let redirect_uri = params.get("redirect_uri");
    let now = app.clock.now_millis();
    let code_hash = TokenHash::of(code);

    // 1. Known.
    let Some(found) = app.store.find_code(&code_hash).await? else {
        return Err(TokenError::invalid_grant(
            "the authorization code is not valid",
        ));
    };
    let issued = &found.code;
    // 2. Bound to this client, redirect URI and PKCE challenge: checked before anything
    //    can change.
    check_binding(issued, client, redirect_uri, code_verifier)?;
    // 3. Unused.
    if found.used {
        return Err(replayed(app, issued, &code_hash).await?);
    }
    // 4. Unexpired.
    if now >= issued.expires_at {
        return Err(TokenError::invalid_grant(
            "the authorization code has expired",
        ));
    }
    // 5. Resource.
    let audience = requested_audience(app, params, issued.resources)?;
    // 6. Mint, then commit the code's use and the pair in one step.
    let salt = FamilySalt::random();
    let pair = mint_pair(
        app,
        PairFor {
            grant_id: &issued.grant_id,
            client_id: &issued.client_id,
            user_id: &issued.user_id,
            access_scopes: issued.scopes,
            refresh_scopes: issued.scopes,
            generation: 0,
            salt: &salt,
            // The grant's absolute lifetime starts now (RFC 9700 §4.14.2).
            grant_ends_at: now + millis(app.settings.grant_max_lifetime),
            audience,
            auth_time: issued.auth_time,
        },
        now,
    )?;
    let id_token = pair.id_token(
        app,
        Authentication {
            auth_time: issued.auth_time,
            nonce: issued.nonce.as_ref(),
            sid: issued.sid.as_deref(),
        },
    )?;
    match app
        .store
        .commit_code(&code_hash, issued, salt, pair.records())
        .await?
    {
        Commit::Committed => Ok(pair.answer(app, id_token)),
        Commit::Replayed => Err(replayed(app, issued, &code_hash).await?),
        Commit::Revoked => Err(TokenError::invalid_grant("the authorization was revoked")),
    }
}

/// Step 3's reaction: the code was used before, by its own client, so either that client
/// or an attacker holds a copy; every token it produced is revoked (§4.1.2).
async fn replayed(
    app: &AppState,
    issued: &AuthorizationCode,
    code_hash: &TokenHash,
) -> Result<TokenError, TokenError> {
    app.store.revoke_grant(&issued.grant_id).await?;
    tracing::warn!(client_id = %issued.client_id, code = %code_hash.fingerprint(), "authorization code replayed: its grant is revoked");
    Ok(TokenError::invalid_grant(
        "the authorization code was already used; every token it produced is now revoked",
    ))
}

/// The code is bound to its client, its redirect URI and its PKCE challenge; a mismatch of
/// any is `invalid_grant` (§4.1.3, RFC 7636 §4.6). Checked before anything changes.
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
