//! The client's settings: the only place that reads the environment or `.env`.
//!
//! Five keys are all it takes to log in with another provider (README, "Settings"):
//! `AUTH_SERVER`, `CLIENT_ID`, `CLIENT_SECRET`, `REDIRECT_URI` and `SCOPES`. Everything
//! else has a default that works on a laptop. A bad value stops the binary with one line
//! naming the key and the value ([`SettingError`]).

use std::net::SocketAddr;
use std::time::Duration;

use shared::Secret;
use shared::env::{EnvSource, SettingError, is_http_url};
use shared::limits::ConnectionLimits;
use url::Url;

/// Paths the client serves itself; the redirect URI's path must not be one of them.
const RESERVED_PATHS: [&str; 12] = [
    "/",
    "/discover",
    "/notes",
    "/login",
    "/logout",
    "/refresh",
    "/expire",
    "/revoke-access",
    "/flow",
    "/spa",
    "/lab",
    "/errors",
];

/// `SCOPES`' default: the provider's profile and teams, and the notes API's two scopes.
pub const DEFAULT_SCOPES: &str = "profile:read teams:read notes:read notes:write";

/// The notes API's scopes (`API_URL`): asked for only when the provider offers them.
pub const NOTES_SCOPES: [&str; 2] = ["notes:read", "notes:write"];

/// Everything the client needs to run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `CLIENT_BIND` (default `127.0.0.1:3000`): where the client listens.
    pub bind: SocketAddr,
    /// `AUTH_SERVER` (default `http://localhost:8080`): the provider's issuer URL. Its
    /// RFC 8414 metadata names every endpoint; its resource API (`/api/...`) lives here too.
    pub auth_server: Url,
    /// `API_URL` (default `http://localhost:8082`): the notes API, the resource server that
    /// is not the provider; the same key the api binary reads. Also its resource identifier
    /// (RFC 8707 §2): the client asks for a token with `resource` set to exactly this, and
    /// calls `<API_URL>/notes` with it. No trailing slash: identifiers are compared as strings.
    pub api_url: String,
    /// `CLIENT_ID` (default `testclient`): this app's id at the provider (RFC 6749 §2.2).
    pub client_id: String,
    /// `CLIENT_SECRET` (default `testsecret`): this app's secret, sent only in the
    /// `Authorization: Basic` header of back-channel calls (RFC 6749 §2.3.1).
    pub client_secret: Secret,
    /// `REDIRECT_URI` (default `http://localhost:3000/callback`): where the provider sends
    /// the browser back (RFC 6749 §3.1.2). Its origin is this app's public origin: requests
    /// arriving under another host name are redirected there first, or the session cookie
    /// set at `/login` would not come back at `/callback`.
    pub redirect_uri: Url,
    /// `SCOPES` (default `profile:read teams:read notes:read notes:write`): the scopes asked
    /// for at `/login` (RFC 6749 §3.3, space-delimited). The `notes:` ones are for the notes
    /// API at `API_URL`; the client asks for them only from a provider whose metadata offers
    /// them (RFC 8414 `scopes_supported`), so the default also works with one that has no
    /// such API.
    pub scopes: Vec<String>,
    /// `CLIENT_HTTP_TIMEOUT` (seconds, default 10): the time limit of every call the client
    /// makes to the provider, so a hung provider shows an error page instead of a spinner.
    pub http_timeout: Duration,
    /// `PUBLIC_CLIENT_ID` (default `spa-client`): the public client `/spa` plays in the
    /// browser (RFC 6749 §2.1: no secret, it could not keep one). Only the page's script uses
    /// it; this server never calls the token endpoint as that client.
    pub public_client_id: String,
    /// `PUBLIC_REDIRECT_URI` (default: `REDIRECT_URI`'s origin + `/spa/callback`, so
    /// `http://localhost:3000/spa/callback`): the public client's redirect URI. Same origin as
    /// `REDIRECT_URI`, because the page that starts the flow keeps its verifier and `state`
    /// in `sessionStorage`, which belongs to one origin.
    pub public_redirect_uri: Url,
    /// `POST_LOGOUT_REDIRECT_URI` (default: `REDIRECT_URI`'s origin + `/logged-out`, so
    /// `http://localhost:3000/logged-out`): where this app asks the provider to send the
    /// browser back after logout (RP-Initiated Logout 1.0 §2), sent exactly as written, since
    /// the provider compares strings. The provider reads the same key as the list of URIs it
    /// registers for this app; a list here sends its first entry.
    pub post_logout_redirect_uri: String,
    /// `OAUTH_USERNAME`, `OAUTH_PASSWORD` (default `demo`, `demo`): the provider's demo user,
    /// read from the same `.env` as the provider. Only the attack lab uses them: its
    /// attacker and victim browsers log in at the provider as this user.
    pub lab_username: String,
    pub lab_password: Secret,
    /// `REQUEST_BODY_TIMEOUT` (5 s) and `MAX_CONNECTIONS` (4096): how long a request body
    /// may take to arrive, and how many connections may be open at once. Read by
    /// [`shared::limits`], the same way as by the provider.
    pub limits: ConnectionLimits,
    /// `LAB` (`auto`): the attack lab (`/lab`) and the error gallery (`/errors`). They log
    /// in at the provider as the demo user for any visitor and send bursts of requests
    /// (fine on a laptop, an amplifier on a shared host), so `auto` turns them on only when
    /// `CLIENT_BIND` is a loopback address; `on` and `off` decide outright.
    pub lab: bool,
    /// `RATE_LIMIT` (`on`, the same key as the provider's): this app's own limits, on the
    /// lab's and the gallery's actions per session and on `/login` per address; `off` for
    /// benchmarks and test suites.
    pub rate_limit: bool,
    /// `RATE_LIMIT_LAB_PER_MINUTE` (10): lab and gallery actions per session per minute.
    pub lab_actions_per_minute: u32,
    /// `RATE_LIMIT_CLIENT_LOGIN_PER_MINUTE` (30): `GET /login`s per remote address per
    /// minute (each keeps a pending authorization request for ten minutes).
    pub login_per_minute: u32,
}

impl Settings {
    /// Reads and checks every setting.
    pub fn from_source(env: &EnvSource) -> Result<Self, SettingError> {
        let bind = env.parse(
            "CLIENT_BIND",
            SocketAddr::from(([127, 0, 0, 1], 3000)),
            "an address to listen on, such as 127.0.0.1:3000",
        )?;
        let auth_server = url_setting(env, "AUTH_SERVER", "http://localhost:8080")?;
        if auth_server.query().is_some() {
            return Err(env.error("AUTH_SERVER", "an issuer URL without a query (RFC 8414 §2)"));
        }
        let api_url = env.http_url("API_URL", "http://localhost:8082")?;
        // RFC 8707 §2: "an absolute URI … MUST NOT include a fragment component"; without a
        // query or trailing slash, so it is the same string the API compares `aud` with.
        if Url::parse(&api_url).is_err() || api_url.contains('?') || api_url.ends_with('/') {
            return Err(env.error(
                "API_URL",
                "a URL without query or trailing slash, such as http://localhost:8082",
            ));
        }
        let redirect_uri = url_setting(env, "REDIRECT_URI", "http://localhost:3000/callback")?;
        if RESERVED_PATHS.contains(&redirect_uri.path())
            || redirect_uri.path().starts_with("/static/")
        {
            return Err(env.error(
                "REDIRECT_URI",
                &format!(
                    "a path of its own, such as {}/callback",
                    redirect_uri.origin().ascii_serialization()
                ),
            ));
        }
        let scopes: Vec<String> = env
            .string("SCOPES", DEFAULT_SCOPES)
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        if !scopes.iter().all(|scope| is_scope_token(scope)) {
            return Err(env.error(
                "SCOPES",
                "space-separated scope names of printable ASCII without quotes or backslashes (RFC 6749 §3.3)",
            ));
        }
        let timeout_seconds: u64 = env.parse(
            "CLIENT_HTTP_TIMEOUT",
            10,
            "a whole number of seconds, at least 1",
        )?;
        if timeout_seconds == 0 {
            return Err(env.error(
                "CLIENT_HTTP_TIMEOUT",
                "a whole number of seconds, at least 1",
            ));
        }
        let default_public_redirect_uri = format!(
            "{}/spa/callback",
            redirect_uri.origin().ascii_serialization()
        );
        let public_redirect_uri =
            url_setting(env, "PUBLIC_REDIRECT_URI", &default_public_redirect_uri)?;
        if public_redirect_uri.origin() != redirect_uri.origin()
            || RESERVED_PATHS.contains(&public_redirect_uri.path())
            || public_redirect_uri.path().starts_with("/static/")
            || public_redirect_uri.path() == redirect_uri.path()
        {
            // A value that works: REDIRECT_URI's origin, the path the default uses.
            return Err(env.error(
                "PUBLIC_REDIRECT_URI",
                &format!(
                    "a path of its own on REDIRECT_URI's origin, such as {} (or leave it unset: it follows REDIRECT_URI)",
                    default_public_redirect_uri
                ),
            ));
        }
        let default_post_logout =
            format!("{}/logged-out", redirect_uri.origin().ascii_serialization());
        let post_logout_redirect_uri = env
            .string("POST_LOGOUT_REDIRECT_URI", &default_post_logout)
            .split([',', ' '])
            .find(|uri| !uri.is_empty())
            .filter(|uri| is_http_url(uri))
            .map(str::to_owned)
            .ok_or_else(|| {
                env.error(
                    "POST_LOGOUT_REDIRECT_URI",
                    &format!(
                        "an absolute http(s) URL without a fragment, such as {default_post_logout} \
                         (or leave it unset: it follows REDIRECT_URI)"
                    ),
                )
            })?;
        Ok(Self {
            bind,
            auth_server,
            api_url,
            client_id: env.string("CLIENT_ID", "testclient"),
            client_secret: Secret::new(env.string("CLIENT_SECRET", "testsecret")),
            redirect_uri,
            scopes,
            http_timeout: Duration::from_secs(timeout_seconds),
            public_client_id: env.string("PUBLIC_CLIENT_ID", "spa-client"),
            public_redirect_uri,
            post_logout_redirect_uri,
            lab_username: env.string("OAUTH_USERNAME", "demo"),
            lab_password: Secret::new(env.string("OAUTH_PASSWORD", "demo")),
            limits: ConnectionLimits::from_source(env)?,
            lab: match env.string("LAB", "auto").to_ascii_lowercase().as_str() {
                "auto" => bind.ip().is_loopback(),
                "on" => true,
                "off" => false,
                _ => return Err(env.error("LAB", "auto, on or off")),
            },
            rate_limit: env.flag("RATE_LIMIT", true)?,
            lab_actions_per_minute: match env.parse(
                "RATE_LIMIT_LAB_PER_MINUTE",
                10u32,
                "a whole number, at least 1, such as 10",
            )? {
                0 => {
                    return Err(env.error(
                        "RATE_LIMIT_LAB_PER_MINUTE",
                        "a whole number, at least 1, such as 10",
                    ));
                }
                n => n,
            },
            login_per_minute: match env.parse(
                "RATE_LIMIT_CLIENT_LOGIN_PER_MINUTE",
                30u32,
                "a whole number, at least 1, such as 30",
            )? {
                0 => {
                    return Err(env.error(
                        "RATE_LIMIT_CLIENT_LOGIN_PER_MINUTE",
                        "a whole number, at least 1, such as 30",
                    ));
                }
                n => n,
            },
        })
    }

    /// The app's public origin, `scheme://host[:port]`, taken from the redirect URI.
    pub fn public_origin(&self) -> String {
        self.redirect_uri.origin().ascii_serialization()
    }

    /// The issuer URL as configured, without a trailing slash (how issuers are compared).
    pub fn issuer(&self) -> String {
        self.auth_server.as_str().trim_end_matches('/').to_owned()
    }

    /// A URL under `AUTH_SERVER`: the resource API, and the fallback endpoints.
    pub fn provider_url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer())
    }
}

fn url_setting(env: &EnvSource, key: &str, default: &str) -> Result<Url, SettingError> {
    let value = env.http_url(key, default)?;
    Url::parse(&value).map_err(|_| {
        env.error(
            key,
            "an absolute http:// or https:// URL without a fragment",
        )
    })
}

/// `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )` (RFC 6749 §3.3).
pub fn is_scope_token(scope: &str) -> bool {
    !scope.is_empty()
        && scope
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_url_with_a_trailing_slash_stops_start_up_naming_the_key_and_a_value_that_works() {
        let env = EnvSource::from_pairs([("API_URL", "http://localhost:8082/")]);
        let error = Settings::from_source(&env)
            .expect_err("refused")
            .to_string();
        assert!(error.contains("API_URL"), "{error}");
        assert!(error.contains("http://localhost:8082"), "{error}");
    }

    #[test]
    fn no_setting_at_all_gives_the_contract_defaults() {
        let settings = Settings::from_source(&EnvSource::default()).expect("defaults are valid");
        assert_eq!(settings.bind.to_string(), "127.0.0.1:3000");
        assert_eq!(settings.issuer(), "http://localhost:8080");
        assert_eq!(settings.client_id, "testclient");
        assert_eq!(settings.client_secret.expose(), "testsecret");
        assert_eq!(
            settings.redirect_uri.as_str(),
            "http://localhost:3000/callback"
        );
        assert_eq!(
            settings.scopes,
            ["profile:read", "teams:read", "notes:read", "notes:write"]
        );
        assert_eq!(settings.api_url, "http://localhost:8082");
        assert_eq!(settings.public_origin(), "http://localhost:3000");
        assert_eq!(settings.public_client_id, "spa-client");
        assert_eq!(
            settings.public_redirect_uri.as_str(),
            "http://localhost:3000/spa/callback"
        );
    }

    #[test]
    fn the_post_logout_redirect_uri_follows_redirect_uri_and_a_list_sends_its_first() {
        let settings = Settings::from_source(&EnvSource::default()).expect("defaults are valid");
        assert_eq!(
            settings.post_logout_redirect_uri,
            "http://localhost:3000/logged-out"
        );
        let env = EnvSource::from_pairs([("REDIRECT_URI", "http://localhost:4000/callback")]);
        let settings = Settings::from_source(&env).expect("valid");
        assert_eq!(
            settings.post_logout_redirect_uri,
            "http://localhost:4000/logged-out"
        );
        let env = EnvSource::from_pairs([(
            "POST_LOGOUT_REDIRECT_URI",
            "http://localhost:3000/bye, http://localhost:3000/",
        )]);
        let settings = Settings::from_source(&env).expect("valid");
        assert_eq!(
            settings.post_logout_redirect_uri,
            "http://localhost:3000/bye"
        );
        let env = EnvSource::from_pairs([("POST_LOGOUT_REDIRECT_URI", "/logged-out")]);
        let error = Settings::from_source(&env).expect_err("not absolute");
        assert_eq!(error.key, "POST_LOGOUT_REDIRECT_URI");
        assert!(
            error.expected.contains("http://localhost:3000/logged-out"),
            "{error}"
        );
    }

    #[test]
    fn the_notes_api_url_defaults_to_port_8082_and_a_bad_one_stops_start_up_naming_api_url() {
        let defaults = Settings::from_source(&EnvSource::default()).expect("defaults are valid");
        assert_eq!(defaults.api_url, "http://localhost:8082");
        let env = EnvSource::from_pairs([("API_URL", "http://127.0.0.1:9000")]);
        assert_eq!(
            Settings::from_source(&env).expect("valid").api_url,
            "http://127.0.0.1:9000"
        );
        for bad in ["localhost:8082", "http://localhost:8082/", "http://h?x=1"] {
            let env = EnvSource::from_pairs([("API_URL", bad)]);
            assert_eq!(Settings::from_source(&env).expect_err(bad).key, "API_URL");
        }
    }

    #[test]
    fn the_lab_logs_in_as_the_providers_demo_user_from_the_same_settings() {
        let defaults = Settings::from_source(&EnvSource::from_pairs::<&str, &str>([]))
            .expect("defaults are valid");
        assert_eq!(defaults.lab_username, "demo");
        let env =
            EnvSource::from_pairs([("OAUTH_USERNAME", "alice"), ("OAUTH_PASSWORD", "wonder")]);
        let settings = Settings::from_source(&env).expect("valid");
        assert_eq!(settings.lab_username, "alice");
        assert_eq!(settings.lab_password.expose(), "wonder");
        let env = EnvSource::from_pairs([("REDIRECT_URI", "http://localhost:3000/errors")]);
        assert_eq!(
            Settings::from_source(&env)
                .expect_err("the gallery's path")
                .key,
            "REDIRECT_URI"
        );
    }

    #[test]
    fn the_public_redirect_uri_follows_the_apps_origin_and_must_stay_on_it() {
        let env = EnvSource::from_pairs([("REDIRECT_URI", "http://127.0.0.1:4000/callback")]);
        let settings = Settings::from_source(&env).expect("valid");
        assert_eq!(
            settings.public_redirect_uri.as_str(),
            "http://127.0.0.1:4000/spa/callback"
        );
        for other in [
            "http://localhost:3001/spa/callback",
            "http://localhost:3000/callback",
            "http://localhost:3000/spa",
        ] {
            let env = EnvSource::from_pairs([("PUBLIC_REDIRECT_URI", other)]);
            assert_eq!(
                Settings::from_source(&env).expect_err(other).key,
                "PUBLIC_REDIRECT_URI"
            );
        }
    }

    #[test]
    fn a_refused_public_redirect_uri_is_told_a_value_that_works_not_the_refused_one() {
        // The handout's advice for a taken port: move CLIENT_BIND and REDIRECT_URI.
        let env = EnvSource::from_pairs([
            ("CLIENT_BIND", "127.0.0.1:3001"),
            ("REDIRECT_URI", "http://localhost:3001/callback"),
        ]);
        let settings = Settings::from_source(&env).expect("the derived key follows");
        assert_eq!(
            settings.public_redirect_uri.as_str(),
            "http://localhost:3001/spa/callback"
        );
        // A pinned old value is refused with the one that would work.
        let env = EnvSource::from_pairs([
            ("REDIRECT_URI", "http://localhost:3001/callback"),
            ("PUBLIC_REDIRECT_URI", "http://localhost:3000/spa/callback"),
        ]);
        let error = Settings::from_source(&env).expect_err("another origin");
        assert_eq!(error.key, "PUBLIC_REDIRECT_URI");
        assert!(
            error
                .expected
                .contains("such as http://localhost:3001/spa/callback"),
            "{error}"
        );
        assert!(!error.expected.contains(":3000"), "{error}");
    }

    #[test]
    fn a_bad_bind_address_names_the_key_and_the_value() {
        let env = EnvSource::from_pairs([("CLIENT_BIND", "localhost:port")]);
        let error = Settings::from_source(&env).expect_err("not a socket address");
        assert_eq!(error.key, "CLIENT_BIND");
        assert!(error.to_string().contains("localhost:port"));
    }

    #[test]
    fn a_malformed_url_or_scope_is_refused() {
        let env = EnvSource::from_pairs([("AUTH_SERVER", "localhost:8080")]);
        assert_eq!(
            Settings::from_source(&env).expect_err("no scheme").key,
            "AUTH_SERVER"
        );
        let env = EnvSource::from_pairs([("SCOPES", "profile:read \"quoted\"")]);
        assert_eq!(
            Settings::from_source(&env).expect_err("quote").key,
            "SCOPES"
        );
        let env = EnvSource::from_pairs([("REDIRECT_URI", "http://localhost:3000/login")]);
        assert_eq!(
            Settings::from_source(&env).expect_err("taken path").key,
            "REDIRECT_URI"
        );
    }
}
