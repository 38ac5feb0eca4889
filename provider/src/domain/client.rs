//! Registered clients (RFC 6749 §2): who may ask, where codes may be sent, how a client
//! proves who it is at the token endpoint.

use std::collections::HashMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::scope::ScopeSet;
use crate::openid::keys::Algorithm;

/// How a client authenticates at the token endpoint (RFC 6749 §2.1, §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// Can keep a secret (a server-side app): `client_secret_basic` or `client_secret_post`.
    Confidential,
    /// Cannot (code in a browser): `token_endpoint_auth_method` `none`, PKCE required.
    Public,
}

/// A grant type a client is allowed to use (RFC 6749 §4, §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

impl GrantType {
    pub fn parse(value: &str) -> Option<GrantType> {
        match value {
            "authorization_code" => Some(GrantType::AuthorizationCode),
            "refresh_token" => Some(GrantType::RefreshToken),
            "client_credentials" => Some(GrantType::ClientCredentials),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
        }
    }
}

/// A client registered with this provider.
#[derive(Debug)]
pub struct RegisteredClient {
    pub id: Arc<str>,
    /// Shown on the consent page and `/account`.
    pub name: String,
    pub kind: ClientKind,
    /// SHA-256 of the secret, for confidential clients. Comparing digests keeps the
    /// comparison constant-time whatever the presented secret's length.
    secret_digest: Option<[u8; 32]>,
    redirect_uris: Vec<String>,
    /// Where the browser may be sent back after logout (RP-Initiated Logout 1.0 §2:
    /// `post_logout_redirect_uris`); empty: nowhere, the provider's own page is shown.
    post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    pub allowed_scopes: ScopeSet,
    /// The algorithm its ID tokens are signed with: OpenID Connect Dynamic Client
    /// Registration 1.0 §2 `id_token_signed_response_alg`, "The default, if omitted, is
    /// RS256". A Relying Party may refuse any other (Core §3.1.3.7 step 7).
    pub id_token_signed_response_alg: Algorithm,
}

/// A redirect URI that exactly matched a registered one. Only [`RegisteredClient::verify_redirect_uri`]
/// makes one, so an error redirect can never be built for an unverified URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRedirectUri(String);

impl VerifiedRedirectUri {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl RegisteredClient {
    pub fn confidential(id: &str, name: &str, secret: &str, redirect_uri: &str) -> Self {
        Self {
            id: id.into(),
            name: name.to_owned(),
            kind: ClientKind::Confidential,
            secret_digest: Some(Sha256::digest(secret.as_bytes()).into()),
            redirect_uris: vec![redirect_uri.to_owned()],
            post_logout_redirect_uris: Vec::new(),
            grant_types: vec![
                GrantType::AuthorizationCode,
                GrantType::RefreshToken,
                GrantType::ClientCredentials,
            ],
            allowed_scopes: ScopeSet::ALL,
            id_token_signed_response_alg: Algorithm::RS256,
        }
    }

    pub fn public(id: &str, name: &str, redirect_uri: &str) -> Self {
        Self {
            id: id.into(),
            name: name.to_owned(),
            kind: ClientKind::Public,
            secret_digest: None,
            redirect_uris: vec![redirect_uri.to_owned()],
            post_logout_redirect_uris: Vec::new(),
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            allowed_scopes: ScopeSet::ALL,
            id_token_signed_response_alg: Algorithm::RS256,
        }
    }

    /// RFC 6749 §3.1.2.3 and RFC 9700 §4.1.3: the redirect URI must equal a registered one
    /// character for character (no prefix, no pattern: those are how open redirectors happen).
    /// When omitted, the single registered URI is used.
    pub fn verify_redirect_uri(&self, requested: Option<&str>) -> Option<VerifiedRedirectUri> {
        match requested {
            Some(uri) => self
                .redirect_uris
                .iter()
                .find(|registered| registered.as_str() == uri)
                .map(|registered| VerifiedRedirectUri(registered.clone())),
            None if self.redirect_uris.len() == 1 => {
                Some(VerifiedRedirectUri(self.redirect_uris[0].clone()))
            }
            None => None,
        }
    }

    /// The client with these post-logout redirect URIs registered.
    pub fn with_post_logout_redirect_uris(mut self, uris: &[String]) -> Self {
        self.post_logout_redirect_uris = uris.to_vec();
        self
    }

    /// The client with `alg` registered as its `id_token_signed_response_alg`.
    pub fn with_id_token_signed_response_alg(mut self, alg: Algorithm) -> Self {
        self.id_token_signed_response_alg = alg;
        self
    }

    /// RP-Initiated Logout 1.0 §3: the OP "MUST NOT perform post-logout redirection if the
    /// `post_logout_redirect_uri` value supplied does not exactly match one of the
    /// previously registered `post_logout_redirect_uris` values": string equality, as for
    /// redirect URIs.
    pub fn has_post_logout_redirect_uri(&self, requested: &str) -> bool {
        self.post_logout_redirect_uris
            .iter()
            .any(|registered| registered == requested)
    }

    /// Whether `presented` is this client's secret, compared in constant time.
    pub fn secret_matches(&self, presented: &str) -> bool {
        let Some(expected) = &self.secret_digest else {
            return false;
        };
        let presented: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        expected.ct_eq(&presented).into()
    }

    pub fn may_use(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }
}

/// The clients this provider knows, by id.
#[derive(Debug, Default)]
pub struct ClientRegistry {
    clients: HashMap<String, Arc<RegisteredClient>>,
}

impl ClientRegistry {
    pub fn new(clients: impl IntoIterator<Item = RegisteredClient>) -> Self {
        Self {
            clients: clients
                .into_iter()
                .map(|client| (client.id.to_string(), Arc::new(client)))
                .collect(),
        }
    }

    pub fn find(&self, client_id: &str) -> Option<&Arc<RegisteredClient>> {
        self.clients.get(client_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> RegisteredClient {
        RegisteredClient::confidential(
            "testclient",
            "Demo",
            "testsecret",
            "http://localhost:3000/callback",
        )
    }

    #[test]
    fn only_an_exact_string_match_of_the_redirect_uri_is_accepted() {
        let client = demo();
        assert!(
            client
                .verify_redirect_uri(Some("http://localhost:3000/callback"))
                .is_some()
        );
        for near_miss in [
            "http://localhost:3000/callback/",
            "http://localhost:3000/callback?x=1",
            "http://localhost:3000/callback/../evil",
            "http://LOCALHOST:3000/callback",
            "http://localhost:3000/callbackx",
            "https://localhost:3000/callback",
            "http://localhost:3000/Callback",
        ] {
            assert!(
                client.verify_redirect_uri(Some(near_miss)).is_none(),
                "{near_miss}"
            );
        }
    }

    #[test]
    fn an_omitted_redirect_uri_means_the_single_registered_one() {
        let verified = demo()
            .verify_redirect_uri(None)
            .expect("one URI is registered");
        assert_eq!(verified.as_str(), "http://localhost:3000/callback");
    }

    #[test]
    fn secrets_are_checked_and_public_clients_have_none() {
        assert!(demo().secret_matches("testsecret"));
        assert!(!demo().secret_matches("testsecreT"));
        assert!(!demo().secret_matches(""));
        let spa =
            RegisteredClient::public("spa-client", "SPA", "http://localhost:3000/spa/callback");
        assert!(!spa.secret_matches(""));
        assert!(!spa.may_use(GrantType::ClientCredentials));
    }

    #[test]
    fn a_client_that_registered_no_id_token_alg_gets_rs256() {
        assert_eq!(demo().id_token_signed_response_alg, Algorithm::RS256);
        let es256 = demo().with_id_token_signed_response_alg(Algorithm::ES256);
        assert_eq!(es256.id_token_signed_response_alg, Algorithm::ES256);
    }
}
