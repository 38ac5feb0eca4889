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
    /// The provider session the user logged in with: the ID token's `sid` (Front-Channel
    /// Logout 1.0 §3), at this exchange and at every refresh. `None` for a session an older
    /// release made.
    pub sid: Option<String>,
    /// The `redirect_uri` exactly as the authorization request sent it (`None` if it was
    /// omitted): §4.1.3 requires the token request to repeat it identically.
    pub redirect_uri: Option<String>,
    pub scopes: ScopeSet,
    /// The resources the user authorized (RFC 8707 §2.1): each token request of the grant
    /// asks for one of them.
    pub resources: Resources,
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
    /// The one resource server the token is valid at (RFC 8707; refresh tokens: the
    /// provider, which is where they are used).
    pub audience: Audience,
    pub issued_at: u64,
    pub expires_at: u64,
}

impl TokenRecord {
    pub fn is_expired(&self, now: u64) -> bool {
        now >= self.expires_at
    }
}

/// A resource server this provider issues access tokens for (RFC 8707 §2: "the resource
/// indicator ... the target service or resource to which access is being requested").
/// Two are registered: the provider's own API (its resource identifier is the issuer) and
/// the notes API (`API_URL`). A token is for exactly one of them, and valid only there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    /// The provider's own API (`/api/...`, UserInfo, `/protected`): opaque tokens, checked
    /// in the store.
    Provider,
    /// The notes API at `API_URL`: JWT access tokens (RFC 9068) unless
    /// `API_ACCESS_TOKEN_FORMAT=opaque`.
    Api,
}

impl Audience {
    /// The name the store keeps: symbolic, so moving `API_URL` does not orphan records.
    pub fn stored_name(self) -> &'static str {
        match self {
            Audience::Provider => "provider",
            Audience::Api => "api",
        }
    }

    /// Reads [`Audience::stored_name`] back.
    pub fn from_stored_name(name: &str) -> Option<Audience> {
        [Audience::Provider, Audience::Api]
            .into_iter()
            .find(|audience| audience.stored_name() == name)
    }

    /// One bit per audience in a [`Resources`] set.
    const fn bit(self) -> u8 {
        match self {
            Audience::Provider => 1,
            Audience::Api => 2,
        }
    }
}

/// The resources one authorization covers (RFC 8707 §2.1: "the authorization request may
/// include one or more resource parameters"); every token request of the grant picks one
/// of them (§2.2). A request without `resource` covers the provider's own API only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Resources(u8);

impl Resources {
    /// What a request without `resource` gets: the provider's own API, as before resource
    /// indicators existed.
    pub const DEFAULT: Resources = Resources(Audience::Provider.bit());

    /// The empty set, to build one with [`Resources::with`].
    pub const NONE: Resources = Resources(0);

    pub fn with(self, audience: Audience) -> Resources {
        Resources(self.0 | audience.bit())
    }

    pub fn contains(self, audience: Audience) -> bool {
        self.0 & audience.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Audience> {
        [Audience::Provider, Audience::Api]
            .into_iter()
            .filter(move |audience| self.contains(*audience))
    }

    /// The audience of a token request that sent no `resource`: the provider's own API if
    /// the grant covers it, else the grant's only resource.
    pub fn default_audience(self) -> Audience {
        if self.contains(Audience::Provider) {
            Audience::Provider
        } else {
            self.iter().next().unwrap_or(Audience::Provider)
        }
    }

    /// The stored form: the audiences' names, space-separated.
    pub fn to_stored(self) -> String {
        self.iter()
            .map(Audience::stored_name)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Reads [`Resources::to_stored`] back; `None` for an unknown name or an empty set.
    pub fn from_stored(stored: &str) -> Option<Resources> {
        let resources = stored
            .split(' ')
            .filter(|name| !name.is_empty())
            .try_fold(Resources::NONE, |set, name| {
                Audience::from_stored_name(name).map(|audience| set.with(audience))
            })?;
        (!resources.is_empty()).then_some(resources)
    }
}

/// Why a `resource` was refused: RFC 8707 §2's `invalid_target`, "The requested resource
/// is invalid, missing, unknown, or malformed". The messages name no part of the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// §2: "The value of the resource parameter MUST be an absolute URI ... and MUST NOT
    /// include a fragment component."
    #[error("resource must be an absolute URI without a fragment (RFC 8707 section 2)")]
    Malformed,
    /// Well formed, but not a resource server this provider issues tokens for.
    #[error("resource names no resource server this provider issues tokens for")]
    Unknown,
}

/// The registered resource servers and their identifiers (RFC 8707 §2): the issuer for the
/// provider's own API, `API_URL` for the notes API.
#[derive(Debug, Clone, Copy)]
pub struct ResourceServers<'a> {
    pub issuer: &'a str,
    pub api_url: &'a str,
}

impl<'a> ResourceServers<'a> {
    /// The audience a `resource` value names. Compared as a string, exactly: the
    /// identifier is what the token's `aud` will carry and the API will compare (RFC 9068
    /// §4), so a second spelling would mint a token its resource refuses.
    pub fn audience_of(&self, resource: &str) -> Result<Audience, TargetError> {
        let parsed = url::Url::parse(resource).map_err(|_| TargetError::Malformed)?;
        if parsed.fragment().is_some() {
            return Err(TargetError::Malformed);
        }
        if resource == self.issuer {
            Ok(Audience::Provider)
        } else if resource == self.api_url {
            Ok(Audience::Api)
        } else {
            Err(TargetError::Unknown)
        }
    }

    /// The resource identifier of `audience`: a token's `aud`, an introspection's `aud`.
    pub fn identifier(&self, audience: Audience) -> &'a str {
        match audience {
            Audience::Provider => self.issuer,
            Audience::Api => self.api_url,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resource_is_an_absolute_uri_without_fragment_naming_a_registered_server() {
        let servers = ResourceServers {
            issuer: "http://localhost:8080",
            api_url: "http://localhost:8082",
        };
        assert_eq!(
            servers.audience_of("http://localhost:8082"),
            Ok(Audience::Api)
        );
        assert_eq!(
            servers.audience_of("http://localhost:8080"),
            Ok(Audience::Provider)
        );
        for malformed in ["notes", "/notes", "http://localhost:8082#x"] {
            assert_eq!(
                servers.audience_of(malformed),
                Err(TargetError::Malformed),
                "{malformed}"
            );
        }
        assert_eq!(
            servers.audience_of("https://evil.example"),
            Err(TargetError::Unknown)
        );
    }

    #[test]
    fn resources_round_trip_through_their_stored_form() {
        let both = Resources::NONE.with(Audience::Api).with(Audience::Provider);
        assert_eq!(both.to_stored(), "provider api");
        assert_eq!(Resources::from_stored("provider api"), Some(both));
        assert_eq!(Resources::from_stored(""), None);
        assert_eq!(Resources::from_stored("elsewhere"), None);
    }

    #[test]
    fn without_a_resource_a_token_is_for_the_provider_or_the_grants_only_resource() {
        assert_eq!(Resources::DEFAULT.default_audience(), Audience::Provider);
        let api_only = Resources::NONE.with(Audience::Api);
        assert_eq!(api_only.default_audience(), Audience::Api);
    }
}
