//! The scopes this system knows (RFC 6749 §3.3) and the words a consent page uses for them.
//!
//! A scope string on the wire is a space-delimited list of these names.

use serde::{Deserialize, Serialize};

/// One scope the provider can grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Scope {
    /// Read the signed-in user's profile (`/api/auth/me`).
    #[serde(rename = "profile:read")]
    ProfileRead,
    /// Read the teams the user belongs to and their members.
    #[serde(rename = "teams:read")]
    TeamsRead,
    /// Add and remove members of the user's teams.
    #[serde(rename = "teams:write")]
    TeamsWrite,
    /// Read the user's notes at the notes API (`GET /notes` on `API_URL`): a permission
    /// at another resource server, so a client asks for it with `resource` (RFC 8707).
    #[serde(rename = "notes:read")]
    NotesRead,
    /// Add notes at the notes API (`POST /notes` on `API_URL`).
    #[serde(rename = "notes:write")]
    NotesWrite,
    /// OpenID Connect (Core §3.1.2.1): the request is an authentication request, and the
    /// token response carries an ID token.
    #[serde(rename = "openid")]
    OpenId,
    /// OpenID Connect (Core §5.4): claims about the user (`name`, `preferred_username`).
    /// Not `profile:read`: that one is a permission to call the profile API.
    #[serde(rename = "profile")]
    Profile,
    /// OpenID Connect (Core §5.4): the `email` and `email_verified` claims.
    #[serde(rename = "email")]
    Email,
}

impl Scope {
    /// Every scope, in the order a consent page lists them.
    pub const ALL: [Scope; 8] = [
        Scope::OpenId,
        Scope::Profile,
        Scope::Email,
        Scope::ProfileRead,
        Scope::TeamsRead,
        Scope::TeamsWrite,
        Scope::NotesRead,
        Scope::NotesWrite,
    ];

    /// The scope's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ProfileRead => "profile:read",
            Scope::TeamsRead => "teams:read",
            Scope::TeamsWrite => "teams:write",
            Scope::NotesRead => "notes:read",
            Scope::NotesWrite => "notes:write",
            Scope::OpenId => "openid",
            Scope::Profile => "profile",
            Scope::Email => "email",
        }
    }

    /// What granting this scope lets the application do, in plain words.
    pub fn description(self) -> &'static str {
        match self {
            Scope::ProfileRead => "See your profile: username, display name and email address",
            Scope::TeamsRead => "See which teams you belong to and who is in them",
            Scope::TeamsWrite => "Add and remove members of your teams",
            Scope::NotesRead => "See your notes at the notes API",
            Scope::NotesWrite => "Add notes at the notes API",
            Scope::OpenId => "Sign you in: learn which account at this provider is yours",
            Scope::Profile => "Know your name and username",
            Scope::Email => "Know your email address",
        }
    }

    /// The scope with this wire name, if there is one.
    pub fn from_name(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == name)
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Joins scopes into the space-delimited wire form (RFC 6749 §3.3).
pub fn join_scopes<'a>(scopes: impl IntoIterator<Item = &'a Scope>) -> String {
    scopes
        .into_iter()
        .map(|scope| scope.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scope_round_trips_through_its_wire_name() {
        for scope in Scope::ALL {
            assert_eq!(Scope::from_name(scope.as_str()), Some(scope));
        }
        assert_eq!(Scope::from_name("admin"), None);
    }

    #[test]
    fn scopes_join_with_single_spaces() {
        assert_eq!(
            join_scopes(&[Scope::ProfileRead, Scope::TeamsWrite]),
            "profile:read teams:write"
        );
    }
}
