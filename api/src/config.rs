//! Settings: the only place the API reads its configuration.
//!
//! Every field names its environment key and default. Values come from the process
//! environment over the workspace-root `.env` (see [`shared::env`]), the same file the
//! provider and the client read; a bad value stops start-up with one line naming the key.

use std::net::SocketAddr;
use std::time::Duration;

use shared::Secret;
use shared::env::{EnvSource, SettingError};
use shared::limits::ConnectionLimits;

/// Everything the API can be told from outside.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `API_BIND` (`127.0.0.1:8082`): the address the API listens on.
    pub bind: SocketAddr,
    /// `API_URL` (`http://localhost:8082`): the API's resource identifier (RFC 8707 §2,
    /// RFC 9728 §2 `resource`) and public origin. A JWT access token is accepted only when
    /// its `aud` contains exactly this string.
    pub api_url: String,
    /// `AUTH_SERVER` (`http://localhost:8080`): the authorization server's issuer identifier.
    /// The API reads its RFC 8414 metadata at `/.well-known/oauth-authorization-server` (RFC
    /// 8414 §3.1), or if that is 404 at `<AUTH_SERVER>/.well-known/openid-configuration`
    /// (OpenID Connect Discovery 1.0 §4), and names it in `authorization_servers` (RFC 9728).
    pub auth_server: String,
    /// `API_CLIENT_ID` and `API_CLIENT_SECRET` (default: `CLIENT_ID` and `CLIENT_SECRET`, so
    /// `testclient` / `testsecret`): the API's own credentials at the introspection endpoint
    /// (RFC 7662 §2.1 asks the caller to authenticate). They follow the confidential client's
    /// keys unless set, so the default works with the provider's registered client.
    pub client_id: String,
    pub client_secret: Secret,
    /// `NOTES_PER_USER` (100): the most notes one user (one `sub`) may keep.
    pub notes_per_user: usize,
    /// `NOTES_TOTAL` (10000): the most notes the API keeps over all users, in memory.
    pub notes_total: usize,
    /// `JWKS_REFRESH_FLOOR` (10 s): the least time between two fetches of the provider's
    /// metadata or JWK Set. A token with an unknown `kid` triggers at most one refetch, and
    /// only once this much time has passed since the last, so a flood of made-up `kid`s
    /// cannot turn the API into a load generator against the provider.
    pub jwks_refresh_floor: Duration,
    /// `INTROSPECTION_CACHE_TTL` (30 s, 0 = off): how long the answer of an introspection
    /// (RFC 7662) is reused for the same opaque token; never past the token's `exp`. The
    /// price: a token revoked at the provider still works here for up to this long.
    pub introspection_cache_ttl: Duration,
    /// `JWT_CACHE_ENTRIES` (10000, 0 = off): how many verified JWT access tokens the API
    /// remembers (by SHA-256, each until its `exp`), so a token sent again skips the signature
    /// check; `exp` is still checked per request, and a key dropped from the JWK Set still
    /// refuses its tokens ([`crate::verified_tokens`]).
    pub jwt_cache_entries: usize,
    /// `REQUEST_BODY_TIMEOUT` and `MAX_CONNECTIONS`, read as by the other binaries
    /// ([`shared::limits`]).
    pub limits: ConnectionLimits,
}

impl Settings {
    /// The process environment over `.env`.
    pub fn from_env() -> Result<Self, SettingError> {
        Self::from_source(&EnvSource::from_process()?)
    }

    /// Exactly these settings (tests pass a map).
    pub fn from_source(env: &EnvSource) -> Result<Self, SettingError> {
        let bind = env.parse(
            "API_BIND",
            SocketAddr::from(([127, 0, 0, 1], 8082)),
            "an address and port such as 127.0.0.1:8082",
        )?;
        let api_url = origin_like(env, "API_URL", "http://localhost:8082")?;
        let auth_server = origin_like(env, "AUTH_SERVER", "http://localhost:8080")?;
        let client_id = env.string("API_CLIENT_ID", &env.string("CLIENT_ID", "testclient"));
        let client_secret = Secret::new(env.string(
            "API_CLIENT_SECRET",
            &env.string("CLIENT_SECRET", "testsecret"),
        ));
        let notes_per_user = at_least_one(env, "NOTES_PER_USER", 100)?;
        let notes_total = at_least_one(env, "NOTES_TOTAL", 10_000)?;
        let floor: u64 = env.parse(
            "JWKS_REFRESH_FLOOR",
            10,
            "a whole number of seconds such as 10",
        )?;
        let cache: u64 = env.parse(
            "INTROSPECTION_CACHE_TTL",
            30,
            "a whole number of seconds such as 30 (0 turns the cache off)",
        )?;
        let jwt_cache_entries = env.parse(
            "JWT_CACHE_ENTRIES",
            10_000,
            "a whole number of tokens such as 10000 (0 turns the cache off)",
        )?;
        Ok(Self {
            bind,
            api_url,
            auth_server,
            client_id,
            client_secret,
            notes_per_user,
            notes_total,
            jwks_refresh_floor: Duration::from_secs(floor),
            introspection_cache_ttl: Duration::from_secs(cache),
            jwt_cache_entries,
            limits: ConnectionLimits::from_source(env)?,
        })
    }

    /// Where the RFC 9728 document is: `<API_URL>/.well-known/oauth-protected-resource`.
    pub fn resource_metadata_url(&self) -> String {
        format!("{}/.well-known/oauth-protected-resource", self.api_url)
    }
}

/// An `http(s)://host[:port]` URL with no query and no trailing slash: identifiers are
/// compared as strings (RFC 8414 §3.3, RFC 9068 §4), so one spelling only.
fn origin_like(env: &EnvSource, key: &str, default: &str) -> Result<String, SettingError> {
    let value = env.http_url(key, default)?;
    if value.contains('?') || value.ends_with('/') {
        return Err(env.error(
            key,
            &format!("a URL without query or trailing slash, such as {default}"),
        ));
    }
    Ok(value)
}

fn at_least_one(env: &EnvSource, key: &str, default: usize) -> Result<usize, SettingError> {
    let expected = format!("a whole number, at least 1, such as {default}");
    match env.parse(key, default, &expected)? {
        0 => Err(env.error(key, &expected)),
        value => Ok(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_settings_at_all_give_the_documented_defaults() {
        let settings = Settings::from_source(&EnvSource::default()).expect("defaults are valid");
        assert_eq!(settings.bind.to_string(), "127.0.0.1:8082");
        assert_eq!(settings.api_url, "http://localhost:8082");
        assert_eq!(settings.auth_server, "http://localhost:8080");
        assert_eq!(settings.client_id, "testclient");
        assert_eq!(settings.client_secret.expose(), "testsecret");
        assert_eq!(settings.jwt_cache_entries, 10_000);
    }

    #[test]
    fn the_introspection_credentials_follow_the_confidential_client_unless_set() {
        let env = EnvSource::from_pairs([("CLIENT_ID", "app"), ("CLIENT_SECRET", "s")]);
        let settings = Settings::from_source(&env).expect("valid");
        assert_eq!(settings.client_id, "app");
        let env = EnvSource::from_pairs([("CLIENT_ID", "app"), ("API_CLIENT_ID", "notes-api")]);
        assert_eq!(
            Settings::from_source(&env).expect("valid").client_id,
            "notes-api"
        );
    }

    #[test]
    fn a_bad_value_names_its_key() {
        for (key, value) in [
            ("API_URL", "localhost:8082"),
            ("API_URL", "http://localhost:8082/"),
            ("AUTH_SERVER", "ftp://x"),
            ("API_BIND", "8082"),
            ("NOTES_PER_USER", "0"),
            ("JWKS_REFRESH_FLOOR", "soon"),
            ("JWT_CACHE_ENTRIES", "-1"),
        ] {
            let error = Settings::from_source(&EnvSource::from_pairs([(key, value)]))
                .expect_err("a bad value stops start-up");
            assert!(error.to_string().contains(key), "{error}");
        }
    }
}
