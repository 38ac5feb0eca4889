//! Teams and their members, served under `/api/user/teams` (scopes `teams:read`, `teams:write`).

use serde::{Deserialize, Serialize};

/// A role inside a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TeamRole {
    Member,
    Admin,
}

/// One team the user belongs to, with the user's role in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub id: String,
    pub name: String,
    pub role: TeamRole,
}

/// One member of a team; also the JSON body that adds a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMember {
    /// 1–64 characters of `[A-Za-z0-9._-]`.
    pub username: String,
    pub role: TeamRole,
}
