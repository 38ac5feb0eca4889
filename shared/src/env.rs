//! Reading settings: the process environment over the workspace-root `.env`.
//!
//! Both binaries read the same `.env`, so the rule for finding and parsing it lives here,
//! once. Nothing is written back into the process environment: a [`EnvSource`] is a plain
//! map, which is also how tests hand a binary its settings.
//!
//! Every parse error names the key and the value, so `main` can stop with one line.

use std::collections::HashMap;
use std::fmt::Display;
use std::path::Path;
use std::str::FromStr;

/// The key that turns the `.env` file off (`DOTENV=off`); read from the process
/// environment only, since it decides whether there is a file to read.
pub const DOTENV: &str = "DOTENV";

/// A bad setting: which key, what it held, what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingError {
    pub key: String,
    pub value: String,
    pub expected: String,
}

impl Display for SettingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "invalid setting {}={:?}: expected {}",
            self.key, self.value, self.expected
        )
    }
}

impl std::error::Error for SettingError {}

/// Where settings come from: a key → value map.
#[derive(Debug, Clone, Default)]
pub struct EnvSource {
    values: HashMap<String, String>,
}

impl EnvSource {
    /// The process environment, over the `.env` found in the current directory or the
    /// nearest parent that has one (the workspace root when run with `cargo run`).
    /// A variable set in the environment wins over the same key in `.env`, as with dotenvy.
    ///
    /// `DOTENV=off` in the environment skips the file: the process environment alone. The
    /// test suites start the binaries that way, so a learner's `.env` in the checkout
    /// cannot change what a test sees.
    pub fn from_process() -> Result<Self, SettingError> {
        let mut values = HashMap::new();
        let environment = Self::from_pairs(std::env::vars());
        let read_dotenv = environment.flag(DOTENV, true)?;
        let found = read_dotenv
            .then(|| find_dotenv(&std::env::current_dir().unwrap_or_default()))
            .flatten();
        if let Some(path) = found {
            let entries = dotenvy::from_path_iter(&path).map_err(|error| SettingError {
                key: ".env".into(),
                value: path.display().to_string(),
                expected: format!("a readable KEY=value file ({error})"),
            })?;
            for entry in entries {
                let (key, value) = entry.map_err(|error| SettingError {
                    key: ".env".into(),
                    value: path.display().to_string(),
                    expected: format!("KEY=value lines ({error})"),
                })?;
                values.insert(key, value);
            }
        }
        values.extend(environment.values);
        Ok(Self { values })
    }

    /// Exactly these pairs and nothing else: what tests use.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            values: pairs
                .into_iter()
                .map(|(key, value)| (key.into(), value.into()))
                .collect(),
        }
    }

    /// Sets one key, replacing what was there.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.values.insert(key.into(), value.into());
    }

    /// The raw value of a key; an empty value counts as unset.
    pub fn raw(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .map(|value| value.trim())
            .filter(|value| !value.is_empty())
    }

    /// A string setting with a default.
    pub fn string(&self, key: &str, default: &str) -> String {
        self.raw(key).unwrap_or(default).to_owned()
    }

    /// Any `FromStr` setting with a default; `expected` says what a good value looks like.
    pub fn parse<T: FromStr>(
        &self,
        key: &str,
        default: T,
        expected: &str,
    ) -> Result<T, SettingError> {
        match self.raw(key) {
            None => Ok(default),
            Some(value) => value.parse().map_err(|_| self.error(key, expected)),
        }
    }

    /// A boolean: `true`/`false`, `on`/`off`, `yes`/`no`, `1`/`0`.
    pub fn flag(&self, key: &str, default: bool) -> Result<bool, SettingError> {
        match self.raw(key).map(str::to_ascii_lowercase).as_deref() {
            None => Ok(default),
            Some("true" | "on" | "yes" | "1") => Ok(true),
            Some("false" | "off" | "no" | "0") => Ok(false),
            Some(_) => Err(self.error(key, "true/false or on/off")),
        }
    }

    /// An absolute `http`/`https` URL with a host and no fragment.
    pub fn http_url(&self, key: &str, default: &str) -> Result<String, SettingError> {
        let value = self.string(key, default);
        if is_http_url(&value) {
            Ok(value)
        } else {
            Err(self.error(
                key,
                "an absolute http:// or https:// URL without a fragment",
            ))
        }
    }

    /// The error for `key`'s current value.
    pub fn error(&self, key: &str, expected: &str) -> SettingError {
        SettingError {
            key: key.to_owned(),
            value: self.raw(key).unwrap_or_default().to_owned(),
            expected: expected.to_owned(),
        }
    }
}

/// Whether `value` looks like `http(s)://host[:port][/path][?query]`, with no fragment,
/// no spaces and no user-info (`user@host` hides where a URL really points).
pub fn is_http_url(value: &str) -> bool {
    let rest = value
        .strip_prefix("http://")
        .or_else(|| value.strip_prefix("https://"));
    let Some(rest) = rest else { return false };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    !authority.is_empty()
        && !authority.contains('@')
        && !value.contains('#')
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn find_dotenv(start: &Path) -> Option<std::path::PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(".env"))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_key_takes_the_default_and_a_bad_one_names_key_and_value() {
        let env = EnvSource::from_pairs([("ACCESS_TOKEN_TTL", "soon")]);
        assert_eq!(env.parse("CODE_TTL", 60u64, "seconds"), Ok(60));
        let error = env
            .parse("ACCESS_TOKEN_TTL", 3600u64, "a whole number of seconds")
            .expect_err("'soon' is not a number");
        assert_eq!(
            error.to_string(),
            "invalid setting ACCESS_TOKEN_TTL=\"soon\": expected a whole number of seconds"
        );
    }

    #[test]
    fn flags_accept_on_off_and_true_false() {
        let env = EnvSource::from_pairs([("A", "on"), ("B", "FALSE"), ("C", "maybe")]);
        assert_eq!(env.flag("A", false), Ok(true));
        assert_eq!(env.flag("B", true), Ok(false));
        assert!(env.flag("C", true).is_err());
    }

    #[test]
    fn urls_must_be_absolute_http_without_fragment_or_userinfo() {
        assert!(is_http_url("http://localhost:3000/callback"));
        assert!(is_http_url("https://example.com"));
        assert!(!is_http_url("localhost:3000"));
        assert!(!is_http_url("http://localhost/cb#frag"));
        assert!(!is_http_url("http://evil@localhost/"));
        assert!(!is_http_url("http:///nohost"));
    }
}
