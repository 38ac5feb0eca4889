//! Settings: the only place the provider reads its configuration.
//!
//! Every field names its environment key and default. Values come from the process
//! environment over the workspace-root `.env` (see [`shared::env`]); a bad value stops
//! start-up with one line naming the key and the value.

use std::net::SocketAddr;
use std::time::Duration;

use shared::Secret;
use shared::env::{EnvSource, SettingError, is_http_url};

/// The longest an authorization code may live: RFC 6749 §4.1.2 says "a maximum
/// authorization code lifetime of 10 minutes is RECOMMENDED"; the contract asks for 60 s.
pub const MAX_CODE_TTL_SECONDS: u64 = 60;

/// Everything the provider can be told from outside.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `PROVIDER_BIND` (`127.0.0.1:8080`): the address the provider listens on.
    pub bind: SocketAddr,
    /// `ISSUER` (`http://localhost:8080`): this server's identifier (RFC 8414 §2), the base of
    /// every URL in its metadata and the `iss` of each authorization response (RFC 9207).
    pub issuer: String,
    /// The confidential client: `CLIENT_ID` (`testclient`), `CLIENT_SECRET` (`testsecret`),
    /// `REDIRECT_URI` (`http://localhost:3000/callback`), `CLIENT_NAME` (`Demo Client App`).
    pub client_id: String,
    pub client_secret: Secret,
    pub redirect_uri: String,
    pub client_name: String,
    /// The public (browser) client: `PUBLIC_CLIENT_ID` (`spa-client`) and
    /// `PUBLIC_REDIRECT_URI` (`http://localhost:3000/spa/callback`).
    pub public_client_id: String,
    pub public_redirect_uri: String,
    /// The demo resource owner: `USER_ID` (`user1`), `OAUTH_USERNAME` (`demo`),
    /// `OAUTH_PASSWORD` (`demo`).
    pub user_id: String,
    pub username: String,
    pub password: Secret,
    /// `ACCESS_TOKEN_TTL` (3600 s): access-token lifetime.
    pub access_token_ttl: Duration,
    /// `REFRESH_TOKEN_TTL` (1209600 s = 14 days): refresh-token lifetime, renewed on rotation.
    pub refresh_token_ttl: Duration,
    /// `CODE_TTL` (60 s, at most 60): authorization-code lifetime.
    pub code_ttl: Duration,
    /// `RATE_LIMIT` (`on`): rate limits on `/login` and `/oauth/token`; `off` for benchmarks
    /// and test suites.
    pub rate_limit: bool,
    /// `RATE_LIMIT_LOGIN_PER_MINUTE` (10): login attempts per remote address per minute.
    pub login_per_minute: u32,
    /// `RATE_LIMIT_TOKEN_PER_SECOND` (50): token requests per client and address per second.
    pub token_per_second: u32,
    /// `ALLOW_BEARER_IN_QUERY` (`false`): accept `?access_token=` (RFC 6750 §2.3). Off: URLs
    /// end up in logs, browser history and `Referer` headers.
    pub allow_bearer_in_query: bool,
    /// `ALLOWED_ORIGINS` (`http://localhost:3000`): origins allowed to call the token,
    /// revocation and API endpoints from a browser (CORS), comma- or space-separated.
    pub allowed_origins: Vec<String>,
    /// `PURGE_INTERVAL` (10 s): how often expired codes, tokens and sessions are dropped.
    pub purge_interval: Duration,
    /// `WORKERS` (number of CPUs): actix-web worker threads.
    pub workers: usize,
    /// `WORKSHOP` (`off`): the workshop profile. `on` shortens the *defaults* of the
    /// lifetimes to seconds (access 30 s, refresh 180 s, code 30 s, purge every 2 s) so a
    /// room can watch tokens expire, refresh and die within an hour; explicit
    /// `ACCESS_TOKEN_TTL` / `REFRESH_TOKEN_TTL` / `CODE_TTL` / `PURGE_INTERVAL` still win.
    pub workshop: bool,
}

/// Default lifetimes in seconds: (access, refresh, code, purge interval).
fn default_lifetimes(workshop: bool) -> (u64, u64, u64, u64) {
    if workshop {
        (30, 180, 30, 2)
    } else {
        (3600, 14 * 24 * 3600, MAX_CODE_TTL_SECONDS, 10)
    }
}

impl Settings {
    /// Reads the settings from the process environment and `.env`.
    pub fn from_env() -> Result<Self, SettingError> {
        Self::from_source(&EnvSource::from_process()?)
    }

    /// Reads the settings from `env`; a missing key takes its default.
    pub fn from_source(env: &EnvSource) -> Result<Self, SettingError> {
        let seconds = |key: &str, default: u64| -> Result<Duration, SettingError> {
            let value: u64 = env.parse(key, default, "a whole number of seconds")?;
            if value == 0 {
                return Err(env.error(key, "a whole number of seconds, at least 1"));
            }
            Ok(Duration::from_secs(value))
        };
        let workshop = env.flag("WORKSHOP", false)?;
        let (access_default, refresh_default, code_default, purge_default) =
            default_lifetimes(workshop);
        let code_ttl = seconds("CODE_TTL", code_default)?;
        if code_ttl.as_secs() > MAX_CODE_TTL_SECONDS {
            return Err(env.error("CODE_TTL", "at most 60 seconds"));
        }
        let issuer = env.http_url("ISSUER", "http://localhost:8080")?;
        if issuer.contains('?') {
            return Err(env.error("ISSUER", "a URL without a query (RFC 8414 §2)"));
        }
        let allowed_origins = env
            .string("ALLOWED_ORIGINS", "http://localhost:3000")
            .split([',', ' '])
            .filter(|origin| !origin.is_empty())
            .map(|origin| origin.trim_end_matches('/').to_owned())
            .collect::<Vec<_>>();
        if allowed_origins.iter().any(|origin| !is_http_url(origin)) {
            return Err(env.error("ALLOWED_ORIGINS", "origins like http://localhost:3000"));
        }
        let default_workers = std::thread::available_parallelism().map_or(2, usize::from);
        let per_limit = |key: &str, default: u32| -> Result<u32, SettingError> {
            let value: u32 = env.parse(key, default, "a whole number, at least 1")?;
            if value == 0 {
                return Err(env.error(key, "a whole number, at least 1"));
            }
            Ok(value)
        };
        Ok(Self {
            bind: env.parse(
                "PROVIDER_BIND",
                SocketAddr::from(([127, 0, 0, 1], 8080)),
                "an address like 127.0.0.1:8080",
            )?,
            issuer: issuer.trim_end_matches('/').to_owned(),
            client_id: env.string("CLIENT_ID", "testclient"),
            client_secret: Secret::new(env.string("CLIENT_SECRET", "testsecret")),
            redirect_uri: env.http_url("REDIRECT_URI", "http://localhost:3000/callback")?,
            client_name: env.string("CLIENT_NAME", "Demo Client App"),
            public_client_id: env.string("PUBLIC_CLIENT_ID", "spa-client"),
            public_redirect_uri: env
                .http_url("PUBLIC_REDIRECT_URI", "http://localhost:3000/spa/callback")?,
            user_id: env.string("USER_ID", "user1"),
            username: env.string("OAUTH_USERNAME", "demo"),
            password: Secret::new(env.string("OAUTH_PASSWORD", "demo")),
            access_token_ttl: seconds("ACCESS_TOKEN_TTL", access_default)?,
            refresh_token_ttl: seconds("REFRESH_TOKEN_TTL", refresh_default)?,
            code_ttl,
            rate_limit: env.flag("RATE_LIMIT", true)?,
            login_per_minute: per_limit("RATE_LIMIT_LOGIN_PER_MINUTE", 10)?,
            token_per_second: per_limit("RATE_LIMIT_TOKEN_PER_SECOND", 50)?,
            allow_bearer_in_query: env.flag("ALLOW_BEARER_IN_QUERY", false)?,
            allowed_origins,
            purge_interval: seconds("PURGE_INTERVAL", purge_default)?,
            workers: env.parse("WORKERS", default_workers, "a number of worker threads")?,
            workshop,
        })
    }

    /// Whether the provider's own cookies may be `Secure` (only when served over https).
    pub fn is_https(&self) -> bool {
        self.issuer.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_settings_at_all_gives_the_contract_defaults() {
        let settings = Settings::from_source(&EnvSource::default()).expect("defaults are valid");
        assert_eq!(settings.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(settings.issuer, "http://localhost:8080");
        assert_eq!(settings.client_id, "testclient");
        assert_eq!(settings.redirect_uri, "http://localhost:3000/callback");
        assert_eq!(settings.access_token_ttl, Duration::from_secs(3600));
        assert_eq!(settings.code_ttl, Duration::from_secs(60));
        assert!(settings.rate_limit);
        assert!(!settings.allow_bearer_in_query);
        assert_eq!(settings.allowed_origins, vec!["http://localhost:3000"]);
    }

    #[test]
    fn the_workshop_profile_shortens_default_lifetimes_but_explicit_ones_win() {
        let env = EnvSource::from_pairs([("WORKSHOP", "on"), ("REFRESH_TOKEN_TTL", "90")]);
        let settings = Settings::from_source(&env).expect("valid");
        assert_eq!(settings.access_token_ttl, Duration::from_secs(30));
        assert_eq!(settings.refresh_token_ttl, Duration::from_secs(90));
        assert_eq!(settings.code_ttl, Duration::from_secs(30));
    }

    #[test]
    fn a_code_lifetime_over_sixty_seconds_is_refused_naming_the_key() {
        let env = EnvSource::from_pairs([("CODE_TTL", "600")]);
        let error = Settings::from_source(&env).expect_err("600 s is too long");
        assert_eq!(error.key, "CODE_TTL");
        assert_eq!(error.value, "600");
    }

    #[test]
    fn a_malformed_redirect_uri_is_refused_naming_the_key() {
        let env = EnvSource::from_pairs([("REDIRECT_URI", "localhost:3000/callback")]);
        let error = Settings::from_source(&env).expect_err("not an absolute URL");
        assert!(
            error
                .to_string()
                .starts_with("invalid setting REDIRECT_URI=")
        );
    }
}
