//! A string that must not leak: access tokens, refresh tokens, client secrets.
//!
//! Its `Debug` prints a redaction and it has no `PartialEq`, so a token can neither end
//! up in a log line by `{:?}` nor be compared with a timing-leaky `==` by accident
//! (the same choices the `oauth2` crate makes for its secret newtypes).

use serde::{Deserialize, Serialize};

/// A secret string. Serialises as the plain string: it is meant for the wire.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself. Every call site is a place where it may leave the process.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_secret() {
        let secret = Secret::new("s3cr3t-value");
        assert!(!format!("{secret:?}").contains("s3cr3t"));
    }

    #[test]
    fn serialises_as_the_plain_string() {
        let json = serde_json::to_string(&Secret::new("abc")).expect("a string serialises");
        assert_eq!(json, "\"abc\"");
    }
}
