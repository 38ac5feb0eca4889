//! Settings: the only place the provider reads its configuration.
//!
//! Every field names its environment key and default. Values come from the process
//! environment over the workspace-root `.env` (see [`shared::env`]); a bad value stops
//! start-up with one line naming the key and the value.

use std::net::SocketAddr;
use std::time::Duration;

use shared::Secret;
use shared::env::{EnvSource, SettingError, is_http_url};
use shared::limits::ConnectionLimits;

use crate::domain::grant::ResourceServers;
use crate::openid::keys::{Algorithm, SigningKey};

/// The longest an authorization code may live: RFC 6749 §4.1.2 says "a maximum
/// authorization code lifetime of 10 minutes is RECOMMENDED"; this provider allows
/// at most 60 s (README, "Settings": `CODE_TTL`), since a code is redeemed within seconds.
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
    /// `CLIENT_ID_TOKEN_SIGNED_RESPONSE_ALG` (`ES256`): the algorithm the confidential
    /// client registered for its ID tokens (OpenID Connect Dynamic Client Registration 1.0
    /// §2 `id_token_signed_response_alg`), `RS256` or `ES256`. ES256 signs in about a
    /// twentieth of RS256's CPU; RS256 is the registration default, which the public
    /// client keeps, so both are in use (see docs/performance.md, "OpenID Connect").
    pub client_id_token_signed_response_alg: Algorithm,
    /// The public (browser) client: `PUBLIC_CLIENT_ID` (`spa-client`) and
    /// `PUBLIC_REDIRECT_URI` (default: `REDIRECT_URI`'s origin + `/spa/callback`, so
    /// `http://localhost:3000/spa/callback`; the client derives it the same way).
    pub public_client_id: String,
    pub public_redirect_uri: String,
    /// `POST_LOGOUT_REDIRECT_URI` (default: `REDIRECT_URI`'s origin + `/logged-out`, then
    /// the origin + `/`, so `http://localhost:3000/logged-out http://localhost:3000/`): where
    /// the confidential client may send the browser back after logout (OpenID Connect
    /// RP-Initiated Logout 1.0 §2, §3), comma- or space-separated, each matched exactly.
    /// The client sends the first one, whose `/logged-out` checks the returned `state`; the
    /// origin's `/` is registered too, as the plain "back to the app" address. Following
    /// REDIRECT_URI keeps logout working when the client moves to another port.
    pub post_logout_redirect_uris: Vec<String>,
    /// The demo resource owner: `USER_ID` (`user1`), `OAUTH_USERNAME` (`demo`),
    /// `OAUTH_PASSWORD` (`demo`).
    pub user_id: String,
    pub username: String,
    pub password: Secret,
    /// `ACCESS_TOKEN_TTL` (3600 s): access-token lifetime.
    pub access_token_ttl: Duration,
    /// `REFRESH_TOKEN_TTL` (1209600 s = 14 days): refresh-token lifetime, renewed on rotation.
    pub refresh_token_ttl: Duration,
    /// `GRANT_MAX_LIFETIME` (2592000 s = 30 days): the absolute lifetime of a grant from the
    /// code exchange. Rotation renews the refresh token, never this: after it a refresh is
    /// `invalid_grant` and the user signs in again (RFC 9700 §4.14.2). Thirty days is twice
    /// the refresh token's 14, so someone who uses the app weekly signs in about monthly,
    /// and a stolen refresh token that keeps rotating dies within a month.
    pub grant_max_lifetime: Duration,
    /// `CODE_TTL` (60 s, at most 60): authorization-code lifetime.
    pub code_ttl: Duration,
    /// `RATE_LIMIT` (`on`): rate limits on `/login` and client authentication; `off` for benchmarks
    /// and test suites.
    pub rate_limit: bool,
    /// `RATE_LIMIT_LOGIN_PER_MINUTE` (10): login attempts per remote address per minute.
    pub login_per_minute: u32,
    /// `RATE_LIMIT_TOKEN_PER_SECOND` (50): requests per client and address per second at
    /// every endpoint that authenticates a client (token, revocation, introspection).
    pub token_per_second: u32,
    /// `RATE_LIMIT_AUTHORIZE_PER_MINUTE` (60): `GET /oauth/authorize` requests per remote
    /// address per minute (each valid one keeps a pending request for ten minutes).
    pub authorize_per_minute: u32,
    /// `RATE_LIMIT_CLIENT_AUTH_FAILURES_PER_MINUTE` (10): failed client authentications per
    /// remote address per minute, at those same endpoints; over it the address waits, even
    /// with the right secret (RFC 6749 §2.3.1: protect client passwords against brute force).
    pub client_auth_failures_per_minute: u32,
    /// `ALLOW_BEARER_IN_QUERY` (`false`): accept `?access_token=` (RFC 6750 §2.3). Off: URLs
    /// end up in logs, browser history and `Referer` headers.
    pub allow_bearer_in_query: bool,
    /// `ALLOWED_ORIGINS` (default: `PUBLIC_REDIRECT_URI`'s origin, so `http://localhost:3000`):
    /// origins allowed to call the token, revocation and API endpoints from a browser (CORS),
    /// comma- or space-separated. Following the public client's origin keeps `/spa` working
    /// when the client moves to another port.
    pub allowed_origins: Vec<String>,
    /// `ALLOWED_HOSTS` (empty): extra `Host` names the provider answers to, comma- or
    /// space-separated, each `name` (any port) or `name:port`. It always answers to the
    /// issuer's host and to `localhost`, `127.0.0.1` and `[::1]`; any other `Host` is refused
    /// with 421, against DNS rebinding ([`crate::middleware::KnownHosts`]).
    pub allowed_hosts: Vec<String>,
    /// `PURGE_INTERVAL` (10 s): how often expired codes, tokens and sessions are dropped.
    pub purge_interval: Duration,
    /// `WORKERS` (number of CPUs): actix-web worker threads.
    pub workers: usize,
    /// `WORKSHOP` (`off`): the workshop profile. `on` shortens the *defaults* of the
    /// lifetimes to seconds (access 30 s, refresh 180 s, code 30 s, purge every 2 s) so a
    /// room can watch tokens expire, refresh and die within an hour; explicit
    /// `ACCESS_TOKEN_TTL` / `REFRESH_TOKEN_TTL` / `CODE_TTL` / `PURGE_INTERVAL` still win.
    pub workshop: bool,
    /// `STORE` (`memory`): where codes, tokens, grants and browser sessions live. `memory`
    /// keeps them in this process (lost on restart, one instance only);
    /// `redis://host:port[/db]` keeps them in Redis, so several instances can share them.
    pub store: StoreSetting,
    /// `STORE_PREFIX` (`oauth:`): the prefix of every Redis key this provider writes, so
    /// one Redis can serve several deployments (or test runs) side by side.
    pub store_prefix: String,
    /// `SESSION_KEY` (generated at start): the key that signs and encrypts the session
    /// cookie, at least 64 bytes as hex (128 digits) or base64. Generated when unset, which
    /// is fine for one instance; required with `STORE=redis://…`, where every instance must
    /// read the cookies the others wrote.
    pub session_key: Option<SessionKeyBytes>,
    /// `REQUEST_BODY_TIMEOUT` (5 s) and `MAX_CONNECTIONS` (4096): how long a request body
    /// may take to arrive, and how many connections may be open at once (see
    /// [`shared::limits`], where both are read, the same way as by the client).
    pub limits: ConnectionLimits,
    /// `SIGNING_KEY_FILE` (unset): a PKCS#8 PEM private key (RSA 2048–4096 bits, P-256 or
    /// Ed25519) that signs the ID tokens of its algorithm (OpenID Connect Core §2, §10.1),
    /// read at start, never rotated. The provider always signs with RS256 (Discovery 1.0 §3:
    /// every OpenID Provider supports it) and ES256: it generates the keys of those the file
    /// does not hold at its first start, keeps them in the store and rotates them. A file
    /// that does not load stops start-up naming this key.
    pub signing_key: Option<SigningKey>,
    /// `SIGNING_KEY_ROTATION` (2592000 s = 30 days): how long a generated key signs ID tokens
    /// before the next one (published since the previous rotation) takes over (OpenID
    /// Connect Core §10.1.1). At least 600 s, twice the JWKS's cache lifetime, so verifiers
    /// know a key before it signs, and longer than `ACCESS_TOKEN_TTL` (an ID token's
    /// lifetime). A `SIGNING_KEY_FILE` key does not rotate.
    pub signing_key_rotation: Duration,
    /// `API_URL` (`http://localhost:8082`): the notes API's resource identifier (RFC 8707
    /// §2), the same key the `api` binary reads. Besides the issuer (the provider's own API)
    /// it is the one `resource` this provider issues tokens for; a token for it carries it
    /// as `aud` (RFC 9068 §3).
    pub api_url: String,
    /// `API_ACCESS_TOKEN_TTL` (300 s): the lifetime of an access token for `API_URL`. Short,
    /// because the API checks a JWT on its own and never hears of a revocation: five
    /// minutes bounds how long a revoked token keeps working there (RFC 9068 §6 leaves the
    /// trade-off to the authorization server), while a client refreshes only every five
    /// minutes.
    pub api_access_token_ttl: Duration,
    /// `API_ACCESS_TOKEN_FORMAT` (`jwt`): `jwt` makes tokens for `API_URL` RFC 9068 JWTs the
    /// API validates with the provider's keys; `opaque` makes them random strings the API
    /// must introspect (RFC 7662), so a room can compare the two.
    pub api_access_token_format: AccessTokenFormat,
}

/// The shortest `SIGNING_KEY_ROTATION`: twice the `max-age` of the JWKS response (300 s).
pub const MIN_SIGNING_KEY_ROTATION_SECONDS: u64 = 600;

/// `SIGNING_KEY_ROTATION`, checked against the ID token lifetime it must exceed.
fn parse_key_rotation(env: &EnvSource, id_token_ttl: Duration) -> Result<Duration, SettingError> {
    const DEFAULT: u64 = 30 * 24 * 3600;
    let explain = format!(
        "a number of seconds, at least {MIN_SIGNING_KEY_ROTATION_SECONDS} and more than \
         ACCESS_TOKEN_TTL ({}), such as {DEFAULT} (30 days)",
        id_token_ttl.as_secs()
    );
    let seconds: u64 = env.parse("SIGNING_KEY_ROTATION", DEFAULT, &explain)?;
    if seconds < MIN_SIGNING_KEY_ROTATION_SECONDS || seconds <= id_token_ttl.as_secs() {
        return Err(env.error("SIGNING_KEY_ROTATION", &explain));
    }
    Ok(Duration::from_secs(seconds))
}

/// The format of the access tokens for `API_URL` (`API_ACCESS_TOKEN_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessTokenFormat {
    /// An RFC 9068 JWT, signed with the provider's current key.
    Jwt,
    /// 256 random bits, hashed in the store, checked by introspection.
    Opaque,
}

/// `CLIENT_ID_TOKEN_SIGNED_RESPONSE_ALG`: `RS256` or `ES256`, the algorithms the provider
/// always has keys for ([`crate::openid::signing::ALGORITHMS`]).
fn parse_id_token_alg(env: &EnvSource) -> Result<Algorithm, SettingError> {
    const KEY: &str = "CLIENT_ID_TOKEN_SIGNED_RESPONSE_ALG";
    match env.string(KEY, "ES256").as_str() {
        "RS256" => Ok(Algorithm::RS256),
        "ES256" => Ok(Algorithm::ES256),
        _ => Err(env.error(KEY, "RS256 or ES256")),
    }
}

/// `API_ACCESS_TOKEN_FORMAT`: `jwt` or `opaque`.
fn parse_access_token_format(env: &EnvSource) -> Result<AccessTokenFormat, SettingError> {
    match env.string("API_ACCESS_TOKEN_FORMAT", "jwt").as_str() {
        "jwt" => Ok(AccessTokenFormat::Jwt),
        "opaque" => Ok(AccessTokenFormat::Opaque),
        _ => Err(env.error("API_ACCESS_TOKEN_FORMAT", "jwt or opaque")),
    }
}

/// `API_URL`: an `http(s)://host[:port]` URL with no query, fragment or trailing slash,
/// since a resource identifier is compared as a string (RFC 8707 §2, RFC 9068 §4): one
/// spelling only, as the `api` binary requires of the same key.
fn parse_api_url(env: &EnvSource) -> Result<String, SettingError> {
    const DEFAULT: &str = "http://localhost:8082";
    let value = env.http_url("API_URL", DEFAULT)?;
    if value.contains(['?', '#']) || value.ends_with('/') {
        return Err(env.error(
            "API_URL",
            &format!("a URL without query, fragment or trailing slash, such as {DEFAULT}"),
        ));
    }
    Ok(value)
}

/// `SIGNING_KEY_FILE`: the key in the file it names, or `None` when unset (keys are then
/// generated). The error line names the key, the file and how to make one that works.
fn parse_signing_key(env: &EnvSource) -> Result<Option<SigningKey>, SettingError> {
    let path = env.string("SIGNING_KEY_FILE", "");
    if path.is_empty() {
        return Ok(None);
    }
    SigningKey::from_pem_file(&path)
        .map(Some)
        .map_err(|error| env.error("SIGNING_KEY_FILE", &error.to_string()))
}

/// The `STORE` setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreSetting {
    /// In this process (the default).
    Memory,
    /// A Redis server, by URL (`redis://[:password@]host[:port][/db]`).
    Redis(RedisUrl),
}

/// For the start-up log line: `memory`, or the Redis URL with any password hidden.
impl std::fmt::Display for StoreSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreSetting::Memory => f.write_str("memory"),
            StoreSetting::Redis(url) => f.write_str(&url.redacted()),
        }
    }
}

/// A validated `redis://` URL. Its `Debug` and [`RedisUrl::redacted`] hide any password.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl(String);

impl RedisUrl {
    /// The URL itself, for the Redis client only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with any password replaced by `***`, for logs and error messages.
    pub fn redacted(&self) -> String {
        redact_password(&self.0)
    }
}

impl std::fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RedisUrl({})", self.redacted())
    }
}

fn redact_password(value: &str) -> String {
    match url::Url::parse(value) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => value.to_owned(),
    }
}

/// The decoded `SESSION_KEY`: at least 64 bytes. `Debug` never shows them.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKeyBytes(Vec<u8>);

impl SessionKeyBytes {
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for SessionKeyBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SessionKeyBytes([redacted; {}])", self.0.len())
    }
}

/// The smallest session key actix-web's `Key::from` accepts.
pub const SESSION_KEY_MIN_BYTES: usize = 64;

/// Parses `STORE`: `memory`, or a `redis://` URL with a host, an optional port and an
/// optional database number as its path.
fn parse_store(env: &EnvSource) -> Result<StoreSetting, SettingError> {
    const EXPECTED: &str = "memory, or redis://host:port[/db] (TLS, rediss://, is not built in)";
    let value = env.string("STORE", "memory");
    if value.eq_ignore_ascii_case("memory") {
        return Ok(StoreSetting::Memory);
    }
    let redacted_error = || SettingError {
        key: "STORE".into(),
        value: redact_password(&value),
        expected: EXPECTED.into(),
    };
    let parsed = url::Url::parse(&value).map_err(|_| redacted_error())?;
    let database_ok = match parsed.path().trim_start_matches('/') {
        "" => true,
        db => db.parse::<u16>().is_ok(),
    };
    let well_formed = parsed.scheme() == "redis"
        && parsed.host_str().is_some_and(|host| !host.is_empty())
        && database_ok
        && parsed.query().is_none()
        && parsed.fragment().is_none();
    if !well_formed {
        return Err(redacted_error());
    }
    Ok(StoreSetting::Redis(RedisUrl(value)))
}

/// Parses `SESSION_KEY` (hex or base64, at least 64 bytes); required when the store is
/// shared. The error never repeats the value: it is a secret.
fn parse_session_key(
    env: &EnvSource,
    store: &StoreSetting,
) -> Result<Option<SessionKeyBytes>, SettingError> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let error = |value: &str, expected: &str| SettingError {
        key: "SESSION_KEY".into(),
        value: match value.len() {
            0 => String::new(),
            length => format!("[redacted, {length} characters]"),
        },
        expected: expected.into(),
    };
    let Some(value) = env.raw("SESSION_KEY") else {
        return match store {
            StoreSetting::Memory => Ok(None),
            StoreSetting::Redis(_) => Err(error(
                "",
                "a key shared by every instance when STORE is redis: 64+ random bytes as hex \
                 (openssl rand -hex 64)",
            )),
        };
    };
    let is_hex = value.len() % 2 == 0 && value.bytes().all(|byte| byte.is_ascii_hexdigit());
    let decoded = if is_hex {
        (0..value.len())
            .step_by(2)
            .map(|at| u8::from_str_radix(&value[at..at + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .ok()
    } else {
        STANDARD
            .decode(value)
            .or_else(|_| URL_SAFE_NO_PAD.decode(value))
            .ok()
    };
    match decoded {
        Some(bytes) if bytes.len() >= SESSION_KEY_MIN_BYTES => Ok(Some(SessionKeyBytes(bytes))),
        _ => Err(error(
            value,
            "at least 64 bytes as hex (128 hex digits) or base64 (openssl rand -hex 64)",
        )),
    }
}

/// `POST_LOGOUT_REDIRECT_URI`: one or more absolute URLs, by default `/logged-out` and `/`
/// on `REDIRECT_URI`'s origin. A URL with a fragment is refused, as for a redirect URI
/// (RFC 6749 §3.1.2): the provider appends `state` to the query.
fn parse_post_logout_redirect_uris(
    env: &EnvSource,
    redirect_origin: &str,
) -> Result<Vec<String>, SettingError> {
    const KEY: &str = "POST_LOGOUT_REDIRECT_URI";
    let default = format!("{redirect_origin}/logged-out {redirect_origin}/");
    let uris: Vec<String> = env
        .string(KEY, &default)
        .split([',', ' '])
        .filter(|uri| !uri.is_empty())
        .map(str::to_owned)
        .collect();
    if uris.is_empty() || !uris.iter().all(|uri| is_http_url(uri)) {
        return Err(env.error(
            KEY,
            &format!(
                "absolute http(s) URLs without a fragment, comma-separated, such as \
                 {redirect_origin}/logged-out (or leave it unset: it follows REDIRECT_URI)"
            ),
        ));
    }
    Ok(uris)
}

/// `scheme://host[:port]` of an absolute http(s) URL (already checked by `http_url`).
fn origin_of(url: &str) -> String {
    url::Url::parse(url)
        .map(|url| url.origin().ascii_serialization())
        .unwrap_or_else(|_| url.trim_end_matches('/').to_owned())
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
        // The public client's redirect URI and the CORS origins follow REDIRECT_URI unless
        // set: moving the client to another port is then one key, as it is for the client.
        let redirect_uri = env.http_url("REDIRECT_URI", "http://localhost:3000/callback")?;
        let redirect_origin = origin_of(&redirect_uri);
        let public_redirect_uri = env.http_url(
            "PUBLIC_REDIRECT_URI",
            &format!("{redirect_origin}/spa/callback"),
        )?;
        let allowed_origins = env
            .string("ALLOWED_ORIGINS", &origin_of(&public_redirect_uri))
            .split([',', ' '])
            .filter(|origin| !origin.is_empty())
            .map(|origin| origin.trim_end_matches('/').to_owned())
            .collect::<Vec<_>>();
        if allowed_origins.iter().any(|origin| !is_http_url(origin)) {
            return Err(env.error(
                "ALLOWED_ORIGINS",
                &format!(
                    "comma-separated origins such as {} (or leave it unset: it follows PUBLIC_REDIRECT_URI)",
                    origin_of(&public_redirect_uri)
                ),
            ));
        }
        let post_logout_redirect_uris = parse_post_logout_redirect_uris(env, &redirect_origin)?;
        let allowed_hosts = env
            .string("ALLOWED_HOSTS", "")
            .split([',', ' '])
            .filter(|host| !host.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>();
        if allowed_hosts
            .iter()
            .any(|host| crate::middleware::split_host(host).is_none())
        {
            return Err(env.error(
                "ALLOWED_HOSTS",
                "host names like auth.example.com or auth.example.com:8443",
            ));
        }
        let store = parse_store(env)?;
        let default_workers = std::thread::available_parallelism().map_or(2, usize::from);
        let per_limit = |key: &str, default: u32| -> Result<u32, SettingError> {
            let value: u32 = env.parse(key, default, "a whole number, at least 1")?;
            if value == 0 {
                return Err(env.error(key, "a whole number, at least 1"));
            }
            Ok(value)
        };
        let access_token_ttl = seconds("ACCESS_TOKEN_TTL", access_default)?;
        Ok(Self {
            bind: env.parse(
                "PROVIDER_BIND",
                SocketAddr::from(([127, 0, 0, 1], 8080)),
                "an address like 127.0.0.1:8080",
            )?,
            issuer: issuer.trim_end_matches('/').to_owned(),
            client_id: env.string("CLIENT_ID", "testclient"),
            client_secret: Secret::new(env.string("CLIENT_SECRET", "testsecret")),
            redirect_uri,
            client_name: env.string("CLIENT_NAME", "Demo Client App"),
            client_id_token_signed_response_alg: parse_id_token_alg(env)?,
            public_client_id: env.string("PUBLIC_CLIENT_ID", "spa-client"),
            public_redirect_uri,
            post_logout_redirect_uris,
            user_id: env.string("USER_ID", "user1"),
            username: env.string("OAUTH_USERNAME", "demo"),
            password: Secret::new(env.string("OAUTH_PASSWORD", "demo")),
            access_token_ttl,
            refresh_token_ttl: seconds("REFRESH_TOKEN_TTL", refresh_default)?,
            grant_max_lifetime: seconds("GRANT_MAX_LIFETIME", 30 * 24 * 3600)?,
            code_ttl,
            rate_limit: env.flag("RATE_LIMIT", true)?,
            login_per_minute: per_limit("RATE_LIMIT_LOGIN_PER_MINUTE", 10)?,
            token_per_second: per_limit("RATE_LIMIT_TOKEN_PER_SECOND", 50)?,
            authorize_per_minute: per_limit("RATE_LIMIT_AUTHORIZE_PER_MINUTE", 60)?,
            client_auth_failures_per_minute: per_limit(
                "RATE_LIMIT_CLIENT_AUTH_FAILURES_PER_MINUTE",
                10,
            )?,
            allow_bearer_in_query: env.flag("ALLOW_BEARER_IN_QUERY", false)?,
            allowed_origins,
            allowed_hosts,
            purge_interval: seconds("PURGE_INTERVAL", purge_default)?,
            workers: env.parse("WORKERS", default_workers, "a number of worker threads")?,
            workshop,
            session_key: parse_session_key(env, &store)?,
            store,
            store_prefix: env.string("STORE_PREFIX", "oauth:"),
            limits: ConnectionLimits::from_source(env)?,
            signing_key: parse_signing_key(env)?,
            signing_key_rotation: parse_key_rotation(env, access_token_ttl)?,
            api_url: parse_api_url(env)?,
            api_access_token_ttl: seconds("API_ACCESS_TOKEN_TTL", 300)?,
            api_access_token_format: parse_access_token_format(env)?,
        })
    }

    /// The resource servers tokens are issued for (RFC 8707): the issuer and `API_URL`.
    pub fn resource_servers(&self) -> ResourceServers<'_> {
        ResourceServers {
            issuer: &self.issuer,
            api_url: &self.api_url,
        }
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
        assert!(settings.signing_key.is_none(), "keys are generated");
        assert_eq!(
            settings.client_id_token_signed_response_alg,
            Algorithm::ES256
        );
    }

    #[test]
    fn a_signing_key_file_that_does_not_load_is_refused_naming_the_key() {
        let missing = EnvSource::from_pairs([("SIGNING_KEY_FILE", "/nonexistent/key.pem")]);
        let error = Settings::from_source(&missing).expect_err("no such file");
        assert_eq!(error.key, "SIGNING_KEY_FILE");
        assert!(error.to_string().contains("cannot read it"), "{error}");
    }

    #[test]
    fn a_key_rotation_no_longer_than_an_id_token_lives_is_refused_naming_the_key() {
        let settings = Settings::from_source(&EnvSource::default()).expect("defaults");
        assert_eq!(
            settings.signing_key_rotation,
            Duration::from_secs(2_592_000)
        );
        for (rotation, ttl) in [("3600", "3600"), ("599", "60"), ("soon", "60")] {
            let env = EnvSource::from_pairs([
                ("SIGNING_KEY_ROTATION", rotation),
                ("ACCESS_TOKEN_TTL", ttl),
            ]);
            let error = Settings::from_source(&env).expect_err("refused");
            assert_eq!(error.key, "SIGNING_KEY_ROTATION");
            assert_eq!(error.value, rotation);
            assert!(error.to_string().contains("2592000"), "{error}");
        }
        let env = EnvSource::from_pairs([("SIGNING_KEY_ROTATION", "3601")]);
        let settings = Settings::from_source(&env).expect("longer than an ID token lives");
        assert_eq!(settings.signing_key_rotation, Duration::from_secs(3601));
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
    fn the_store_is_memory_by_default_and_redis_by_url() {
        let settings = Settings::from_source(&EnvSource::default()).expect("defaults are valid");
        assert_eq!(settings.store, StoreSetting::Memory);
        assert!(settings.session_key.is_none());
        let key = "ab".repeat(64);
        let env = EnvSource::from_pairs([
            ("STORE", "redis://127.0.0.1:6379/2"),
            ("SESSION_KEY", key.as_str()),
        ]);
        let settings = Settings::from_source(&env).expect("valid");
        assert!(matches!(settings.store, StoreSetting::Redis(_)));
        assert_eq!(settings.session_key.expect("given").expose().len(), 64);
    }

    #[test]
    fn a_bad_store_url_is_refused_naming_the_key_and_hiding_the_password() {
        for bad in [
            "postgres://localhost",
            "redis://",
            "redis://localhost/notanumber",
            "rediss://localhost",
        ] {
            let env = EnvSource::from_pairs([("STORE", bad)]);
            let error = Settings::from_source(&env).expect_err(bad);
            assert_eq!(error.key, "STORE", "{bad}");
        }
        let env = EnvSource::from_pairs([("STORE", "redis://:hunter2@localhost/x")]);
        let error = Settings::from_source(&env).expect_err("bad database");
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }

    #[test]
    fn redis_without_a_session_key_is_refused_and_a_short_key_is_never_echoed() {
        let env = EnvSource::from_pairs([("STORE", "redis://127.0.0.1:6379")]);
        let error = Settings::from_source(&env).expect_err("SESSION_KEY is required");
        assert_eq!(error.key, "SESSION_KEY");
        let env = EnvSource::from_pairs([("SESSION_KEY", "c2VjcmV0")]);
        let error = Settings::from_source(&env).expect_err("8 bytes are too few");
        assert_eq!(error.key, "SESSION_KEY");
        assert!(!error.to_string().contains("c2VjcmV0"), "{error}");
    }

    #[test]
    fn allowed_hosts_are_names_with_an_optional_port_and_anything_else_is_refused() {
        let env = EnvSource::from_pairs([("ALLOWED_HOSTS", "auth.example.com, intranet:8443")]);
        let settings = Settings::from_source(&env).expect("valid host names");
        assert_eq!(
            settings.allowed_hosts,
            vec!["auth.example.com", "intranet:8443"]
        );
        assert!(
            Settings::from_source(&EnvSource::default()).is_ok_and(|s| s.allowed_hosts.is_empty())
        );
        for bad in ["http://auth.example.com", "auth.example.com/", "host:port"] {
            let env = EnvSource::from_pairs([("ALLOWED_HOSTS", bad)]);
            let error = Settings::from_source(&env).expect_err(bad);
            assert_eq!(error.key, "ALLOWED_HOSTS", "{bad}");
            assert!(error.to_string().contains("auth.example.com"), "{error}");
        }
    }

    #[test]
    fn the_spa_redirect_and_cors_origins_follow_redirect_uri_unless_set() {
        let env = EnvSource::from_pairs([("REDIRECT_URI", "http://localhost:4000/callback")]);
        let settings = Settings::from_source(&env).expect("valid");
        assert_eq!(
            settings.public_redirect_uri,
            "http://localhost:4000/spa/callback"
        );
        assert_eq!(settings.allowed_origins, vec!["http://localhost:4000"]);
        let env = EnvSource::from_pairs([
            ("REDIRECT_URI", "http://localhost:4000/callback"),
            ("ALLOWED_ORIGINS", "http://localhost:5000"),
        ]);
        let settings = Settings::from_source(&env).expect("valid");
        assert_eq!(settings.allowed_origins, vec!["http://localhost:5000"]);
        let env = EnvSource::from_pairs([
            ("REDIRECT_URI", "http://localhost:4000/callback"),
            ("ALLOWED_ORIGINS", "localhost:4000"),
        ]);
        let error = Settings::from_source(&env).expect_err("not an origin");
        assert_eq!(error.key, "ALLOWED_ORIGINS");
        assert!(error.expected.contains("http://localhost:4000"), "{error}");
    }

    #[test]
    fn post_logout_redirect_uris_follow_redirect_uri_unless_set_and_a_bad_one_names_the_key() {
        let settings = Settings::from_source(&EnvSource::default()).expect("defaults are valid");
        assert_eq!(
            settings.post_logout_redirect_uris,
            vec!["http://localhost:3000/logged-out", "http://localhost:3000/"]
        );
        let env = EnvSource::from_pairs([("REDIRECT_URI", "http://localhost:4000/callback")]);
        let settings = Settings::from_source(&env).expect("valid");
        assert_eq!(
            settings.post_logout_redirect_uris,
            vec!["http://localhost:4000/logged-out", "http://localhost:4000/"]
        );
        let env = EnvSource::from_pairs([("POST_LOGOUT_REDIRECT_URI", "https://app.example/bye")]);
        let settings = Settings::from_source(&env).expect("valid");
        assert_eq!(
            settings.post_logout_redirect_uris,
            vec!["https://app.example/bye"]
        );
        for bad in ["/logged-out", "http://localhost:3000/#x", " , "] {
            let env = EnvSource::from_pairs([("POST_LOGOUT_REDIRECT_URI", bad)]);
            let error = Settings::from_source(&env).expect_err(bad);
            assert_eq!(error.key, "POST_LOGOUT_REDIRECT_URI", "{bad}");
            assert!(
                error.expected.contains("http://localhost:3000/logged-out"),
                "{error}"
            );
        }
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

    #[test]
    fn the_api_settings_default_to_a_short_lived_jwt_for_localhost_8082_and_bad_values_name_their_key()
     {
        let settings = Settings::from_source(&EnvSource::default()).expect("defaults are valid");
        assert_eq!(settings.api_url, "http://localhost:8082");
        assert_eq!(settings.api_access_token_ttl, Duration::from_secs(300));
        assert_eq!(settings.api_access_token_format, AccessTokenFormat::Jwt);
        for (key, value) in [
            ("API_URL", "http://localhost:8082/"),
            ("API_URL", "notes"),
            ("API_ACCESS_TOKEN_TTL", "0"),
            ("API_ACCESS_TOKEN_FORMAT", "paseto"),
        ] {
            let error = Settings::from_source(&EnvSource::from_pairs([(key, value)]))
                .expect_err("a bad value stops start-up");
            assert!(error.to_string().contains(key), "{error}");
        }
        let opaque = EnvSource::from_pairs([("API_ACCESS_TOKEN_FORMAT", "opaque")]);
        assert_eq!(
            Settings::from_source(&opaque)
                .unwrap()
                .api_access_token_format,
            AccessTokenFormat::Opaque
        );
    }

    #[test]
    fn the_confidential_clients_id_token_alg_is_rs256_or_es256_and_anything_else_names_the_key() {
        let with = |value: &str| {
            Settings::from_source(&EnvSource::from_pairs([(
                "CLIENT_ID_TOKEN_SIGNED_RESPONSE_ALG",
                value,
            )]))
        };
        let rs256 = with("RS256").expect("RS256 is valid");
        assert_eq!(rs256.client_id_token_signed_response_alg, Algorithm::RS256);
        for refused in ["none", "HS256", "EdDSA", "es256"] {
            let error = with(refused).expect_err(refused);
            assert_eq!(error.key, "CLIENT_ID_TOKEN_SIGNED_RESPONSE_ALG");
            assert!(error.to_string().contains("RS256 or ES256"), "{error}");
        }
    }
}
