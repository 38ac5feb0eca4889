//! Grants, authorization codes and token records: what the store keeps.
//!
//! A *grant* is one authorization: a resource owner approved some scopes for one client
//! (or, for `client_credentials`, a client acting for itself). It is the root of a token
//! family: its code, the access and refresh tokens made from that code, and every pair
//! made from those by rotation. Revoking the grant kills the whole family (RFC 6749 §10.5,
//! RFC 9700 §4.14.2).

use super::pkce::CodeChallenge;
use super::scope::ScopeSet;
use crate::openid::id_token::Nonce;

pub use super::ids::{ClientId, GrantId, UserId};

/// An authorization code as the store keeps it (RFC 6749 §4.1.2): short-lived, single-use,
/// bound to the client, the redirect URI and the PKCE challenge of its request.
#[derive(Debug, Clone)]
pub struct AuthorizationCode {
    pub grant_id: GrantId,
    pub client_id: ClientId,
    pub user_id: UserId,
    /// OpenID Connect: the request's `nonce`, for the ID token (Core §3.1.2.1).
    pub nonce: Option<Nonce>,
    /// When the user logged in at the provider, in seconds since the epoch: the ID token's
    /// `auth_time` (Core §2), at this exchange and at every refresh of the grant.
    pub auth_time: u64,
    /// The `redirect_uri` exactly as the authorization request sent it (`None` if it was
    /// omitted): §4.1.3 requires the token request to repeat it identically.
    pub redirect_uri: Option<String>,
    pub scopes: ScopeSet,
    pub code_challenge: CodeChallenge,
    pub expires_at: u64,
}

/// Access or refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    /// The RFC 7009 `token_type_hint` name.
    pub fn hint(self) -> &'static str {
        match self {
            TokenKind::Access => "access_token",
            TokenKind::Refresh => "refresh_token",
        }
    }
}

/// One issued token, keyed in the store by its hash.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub kind: TokenKind,
    /// The family it belongs to; `None` for `client_credentials` access tokens, which
    /// stand alone.
    pub grant_id: Option<GrantId>,
    pub client_id: ClientId,
    /// The resource owner; `None` when a client acts for itself (`client_credentials`).
    pub user_id: Option<UserId>,
    pub scopes: ScopeSet,
    pub issued_at: u64,
    pub expires_at: u64,
}

impl TokenRecord {
    pub fn is_expired(&self, now: u64) -> bool {
        now >= self.expires_at
    }
}
