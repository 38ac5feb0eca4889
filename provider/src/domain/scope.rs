//! Scope parsing and sets (RFC 6749 §3.3): "a list of space-delimited, case-sensitive strings".

use shared::scope::Scope;

/// A set of granted or requested scopes, one bit per [`Scope`]: copying it is free, and a
/// token record carries it in a single byte.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet(u8);

/// Why a scope string was refused. The messages become `error_description`s, so they name
/// no part of the request (RFC 6749 §5.2 allows few characters, and echoing input is how
/// markup and log lines get injected).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("the scope names a scope this provider does not know")]
    Unknown,
    #[error("scope is present but empty: leave it out for the default, or name at least one scope")]
    Blank,
}

/// One bit per scope, by its position in [`Scope`]. Eight scopes fill the `u8`: a ninth
/// widens [`ScopeSet`] to a `u16` (the compiler refuses the shift otherwise).
const fn bit(scope: Scope) -> u8 {
    1 << (scope as u8)
}

impl ScopeSet {
    /// What a request with no `scope` gets. RFC 6749 §3.3: the server "MUST either process
    /// the request using a pre-defined default value or fail"; this provider's default is
    /// `profile:read`.
    pub const DEFAULT: ScopeSet = ScopeSet(bit(Scope::ProfileRead));
    /// Every scope this provider knows: adding a scope to [`Scope::ALL`] adds it here.
    pub const ALL: ScopeSet = {
        let mut bits = 0;
        let mut index = 0;
        while index < Scope::ALL.len() {
            bits |= bit(Scope::ALL[index]);
            index += 1;
        }
        ScopeSet(bits)
    };

    /// The `scope` parameter of a request: the one parser for the authorization endpoint
    /// and every grant at the token endpoint. `None` when the parameter is absent (each
    /// caller applies its documented default); present, it must name at least one scope
    /// (§3.3: `scope = scope-token *( SP scope-token )`): `scope=" "` is `Blank`
    /// (`invalid_scope`, §5.2: "malformed"), never read as "everything" or "the default".
    pub fn parse_requested(value: Option<&str>) -> Result<Option<ScopeSet>, ScopeError> {
        let Some(value) = value else {
            return Ok(None);
        };
        let set = ScopeSet::parse(value)?;
        if set.is_empty() {
            return Err(ScopeError::Blank);
        }
        Ok(Some(set))
    }

    /// Parses a space-delimited scope list (a stored wire form, say). Repeated names
    /// collapse; any unknown name is an error. Empty or whitespace-only input gives the empty
    /// set: a request's parameter goes through [`ScopeSet::parse_requested`] instead.
    pub fn parse(value: &str) -> Result<ScopeSet, ScopeError> {
        value
            .split(' ')
            .filter(|name| !name.is_empty())
            .try_fold(ScopeSet(0), |set, name| {
                Scope::from_name(name)
                    .map(|scope| set.with(scope))
                    .ok_or(ScopeError::Unknown)
            })
    }

    pub fn with(self, scope: Scope) -> ScopeSet {
        ScopeSet(self.0 | bit(scope))
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & bit(scope) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every scope of `self` is also in `other` (used to allow narrowing only).
    pub fn is_subset_of(self, other: ScopeSet) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL
            .into_iter()
            .filter(move |scope| self.contains(*scope))
    }

    /// The space-delimited wire form, in a stable order.
    pub fn to_wire(self) -> String {
        self.iter().map(Scope::as_str).collect::<Vec<_>>().join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_delimited_names_parse_into_a_set() {
        let set = ScopeSet::parse("teams:read profile:read").expect("known scopes");
        assert!(set.contains(Scope::ProfileRead) && set.contains(Scope::TeamsRead));
        assert!(!set.contains(Scope::TeamsWrite));
        assert_eq!(set.to_wire(), "profile:read teams:read");
    }

    #[test]
    fn an_unknown_or_differently_cased_name_is_refused() {
        assert!(ScopeSet::parse("profile:read admin").is_err());
        assert!(
            ScopeSet::parse("Profile:Read").is_err(),
            "scopes are case-sensitive"
        );
    }

    #[test]
    fn a_requested_scope_is_absent_or_names_at_least_one_scope() {
        assert_eq!(ScopeSet::parse_requested(None), Ok(None));
        for blank in ["", " ", "   "] {
            assert_eq!(
                ScopeSet::parse_requested(Some(blank)),
                Err(ScopeError::Blank)
            );
        }
        assert_eq!(
            ScopeSet::parse_requested(Some(" teams:read ")),
            Ok(Some(ScopeSet::default().with(Scope::TeamsRead)))
        );
    }

    #[test]
    fn empty_input_is_the_empty_set_and_subsets_allow_narrowing_only() {
        assert!(ScopeSet::parse("").expect("empty is fine").is_empty());
        let granted = ScopeSet::parse("profile:read teams:read").expect("known");
        let narrower = ScopeSet::parse("teams:read").expect("known");
        let wider = ScopeSet::parse("teams:read teams:write").expect("known");
        assert!(narrower.is_subset_of(granted));
        assert!(!wider.is_subset_of(granted));
    }
}
