//! The identifiers a grant ties together: which client (RFC 6749 §2.2, `client_id`), which
//! resource owner (§1.1), and the grant itself (the root of a token family, RFC 9700
//! §4.14.2).
//!
//! All three are strings on the wire, and in the store they sit side by side. One type
//! each means a user id can never be passed where a client id is meant: the store's
//! `grant_belongs_to(&GrantId, &UserId)` cannot be called with its arguments swapped. None
//! of them is a secret (a grant id appears in `/account`'s forms), so they print as they are.
//! They read as `&str` (`Deref`), so comparing or formatting one needs no conversion.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// Writes one identifier type: a cheaply cloned `Arc<str>` that reads as a `&str`.
macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Arc<str>);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        // Hashes and compares as its text, so maps keyed by it can be searched with a `&str`.
        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.into())
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id.into())
            }
        }

        impl From<Arc<str>> for $name {
            fn from(id: Arc<str>) -> Self {
                Self(id)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                &*self.0 == other
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), &*self.0)
            }
        }
    };
}

identifier! {
    /// A grant's identifier: random, not a secret (it appears in `/account` forms).
    GrantId
}

identifier! {
    /// A registered client's `client_id` (RFC 6749 §2.2): public, unique at this server.
    ClientId
}

identifier! {
    /// A resource owner's identifier at this server (`USER_ID`).
    UserId
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn an_id_reads_and_prints_as_its_text_and_is_found_by_it() {
        let id = ClientId::from("testclient");
        assert_eq!(id.as_str(), "testclient");
        assert_eq!(id.to_string(), "testclient");
        assert_eq!(format!("{id:?}"), "ClientId(\"testclient\")");
        let grants = HashMap::from([(GrantId::from("g1"), 1)]);
        assert_eq!(grants.get("g1"), Some(&1));
    }
}
