//! Request parameters as RFC 6749 §3.1 reads them.
//!
//! "Parameters sent without a value MUST be treated as if they were omitted from the
//! request. The authorization server MUST ignore unrecognized request parameters. Request
//! and response parameters MUST NOT be included more than once."

use std::collections::HashMap;

/// The parameters of one request: the first value of each name, and which names repeated.
#[derive(Debug, Default)]
pub struct Params {
    values: HashMap<String, String>,
    repeated: Vec<String>,
    /// The second and later values of repeated names, in order: read only for the one
    /// parameter that may repeat, RFC 8707's `resource` (see [`Params::all`]).
    later_values: Vec<(String, String)>,
}

impl Params {
    /// Parses `application/x-www-form-urlencoded` data (a query string or a form body).
    pub fn parse(encoded: &[u8]) -> Params {
        let mut params = Params::default();
        for (name, value) in url::form_urlencoded::parse(encoded) {
            if value.is_empty() {
                continue;
            }
            if params.values.contains_key(name.as_ref()) {
                if !params.repeated.iter().any(|seen| seen == name.as_ref()) {
                    params.repeated.push(name.clone().into_owned());
                }
                params
                    .later_values
                    .push((name.into_owned(), value.into_owned()));
            } else {
                params.values.insert(name.into_owned(), value.into_owned());
            }
        }
        params
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Every value of `name`, in the order sent: for a parameter that may be repeated
    /// (RFC 8707 §2: "multiple resource parameters may be used").
    pub fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.get(name).into_iter().chain(
            self.later_values
                .iter()
                .filter(move |(later, _)| later == name)
                .map(|(_, value)| value.as_str()),
        )
    }

    /// The first repeated parameter other than those in `may_repeat`.
    pub fn repeated_other_than(&self, may_repeat: &[&str]) -> Option<&str> {
        self.repeated
            .iter()
            .map(String::as_str)
            .find(|name| !may_repeat.contains(name))
    }

    /// The `error_description` for a repeated parameter: its name only if it is one of the
    /// protocol's own, since a description never echoes request input (RFC 6749 §5.2
    /// limits its characters, and a name is whatever the sender typed).
    pub fn repeated_description(name: &str) -> String {
        const KNOWN: [&str; 14] = [
            "grant_type",
            "code",
            "redirect_uri",
            "code_verifier",
            "refresh_token",
            "scope",
            "client_id",
            "client_secret",
            "token",
            "token_type_hint",
            "response_type",
            "state",
            "code_challenge",
            "code_challenge_method",
        ];
        match KNOWN.into_iter().find(|known| *known == name) {
            Some(known) => format!("the parameter {known} was sent more than once"),
            None => "a parameter was sent more than once".to_owned(),
        }
    }

    /// Whether `name` was sent more than once.
    pub fn is_repeated(&self, name: &str) -> bool {
        self.repeated.iter().any(|seen| seen == name)
    }

    /// The first parameter (in `names`) that was sent more than once.
    pub fn first_repeated<'a>(&self, names: &[&'a str]) -> Option<&'a str> {
        names.iter().copied().find(|name| self.is_repeated(name))
    }

    /// Any repeated parameter at all.
    pub fn any_repeated(&self) -> Option<&str> {
        self.repeated.first().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_count_as_omitted_and_repeats_are_noticed() {
        let params = Params::parse(b"a=1&b=&a=2&c=x%20y");
        assert_eq!(params.get("a"), Some("1"));
        assert_eq!(params.get("b"), None);
        assert_eq!(params.get("c"), Some("x y"));
        assert!(params.is_repeated("a"));
        assert_eq!(params.any_repeated(), Some("a"));
        assert_eq!(params.first_repeated(&["c", "a"]), Some("a"));
        assert_eq!(params.all("a").collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(params.repeated_other_than(&["a"]), None);
    }
}
