//! The resource server's demo data: teams and their members, and who may change them.
//!
//! Two questions guard every change, and both must say yes. The access token's *scope*
//! (`teams:write`, checked by the bearer extractor, RFC 6750 §3.1) says what the *client*
//! may do for the user; the user's *role* in the team, checked here, says what the *user*
//! may do. A scope never adds to what the user may do: a plain member's app holding
//! `teams:write` still cannot add an admin. Skipping the second question is "broken object
//! level authorization", first on the OWASP API Security Top 10 (API1:2023).
//!
//! Held in memory behind one mutex: writes are rare and tiny, and a single lock keeps
//! "check the role, then edit" atomic without any cleverness.

use std::sync::Mutex;

use shared::team::{Team, TeamMember, TeamRole};

/// Why a team operation failed (each maps to a 4xx with an `{error, error_description}` body).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TeamError {
    #[error("no team {0:?} among your teams")]
    UnknownTeam(String),
    #[error("{0:?} is already a member of this team")]
    AlreadyMember(String),
    #[error("{0:?} is not a member of this team")]
    NotAMember(String),
    #[error("username must be 1 to 64 characters of A-Z a-z 0-9 . _ -")]
    InvalidUsername,
    /// The user's role in the team does not allow the change (403 `forbidden`).
    #[error("{0}")]
    Forbidden(TeamRule),
    /// The change would leave the team without an admin (409).
    #[error(
        "a team must keep at least one admin, and this is its last one: add another admin first"
    )]
    LastAdmin,
}

/// The role rules a refusal names (its `error_description`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TeamRule {
    /// Adding anyone, and so granting any role (`admin` included), is for admins.
    #[error(
        "only an admin of this team may add members or grant the admin role; your role here is member"
    )]
    OnlyAdminsAddMembers,
    /// A member may leave; removing someone else is for admins.
    #[error(
        "only an admin of this team may remove other members; a member may only remove themselves"
    )]
    OnlyAdminsRemoveOthers,
}

#[derive(Debug, Clone)]
struct TeamRecord {
    id: String,
    name: String,
    members: Vec<TeamMember>,
}

/// Every team, with its members.
#[derive(Debug)]
pub struct Teams {
    teams: Mutex<Vec<TeamRecord>>,
}

/// `username`: 1–64 characters of `[A-Za-z0-9._-]`: a name that is safe in a URL path
/// (`/api/user/teams/{id}/members/{username}`, docs/reference.md).
pub fn is_valid_username(username: &str) -> bool {
    (1..=64).contains(&username.len())
        && username
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-'))
}

fn member(username: &str, role: TeamRole) -> TeamMember {
    TeamMember {
        username: username.to_owned(),
        role,
    }
}

impl Teams {
    /// The demo data: `owner` is admin of one team and member of another, and a third team
    /// exists that `owner` is not in (so "not your team" can be seen too).
    pub fn demo(owner: &str) -> Self {
        let teams = vec![
            TeamRecord {
                id: "platform".into(),
                name: "Platform".into(),
                members: vec![
                    member(owner, TeamRole::Admin),
                    member("alice", TeamRole::Member),
                    member("bob", TeamRole::Member),
                ],
            },
            TeamRecord {
                id: "design".into(),
                name: "Design".into(),
                members: vec![
                    member("carol", TeamRole::Admin),
                    member(owner, TeamRole::Member),
                ],
            },
            TeamRecord {
                id: "research".into(),
                name: "Research".into(),
                members: vec![member("dave", TeamRole::Admin)],
            },
        ];
        Self {
            teams: Mutex::new(teams),
        }
    }

    fn with_teams<T>(&self, f: impl FnOnce(&mut Vec<TeamRecord>) -> T) -> T {
        // A panic while holding this lock cannot leave a team half-edited (each edit is one
        // Vec push or remove), so a poisoned lock's data is still sound.
        let mut teams = self
            .teams
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut teams)
    }

    /// The teams `username` belongs to, with their role in each.
    pub fn teams_of(&self, username: &str) -> Vec<Team> {
        self.with_teams(|teams| {
            teams
                .iter()
                .filter_map(|team| {
                    let membership = team.members.iter().find(|m| m.username == username)?;
                    Some(Team {
                        id: team.id.clone(),
                        name: team.name.clone(),
                        role: membership.role,
                    })
                })
                .collect()
        })
    }

    /// The members of one of `username`'s teams. A team they are not in is "unknown" to
    /// them: a 404 says nothing about which teams exist.
    pub fn members(&self, username: &str, team_id: &str) -> Result<Vec<TeamMember>, TeamError> {
        self.with_teams(|teams| {
            find_own_team(teams, username, team_id).map(|team| team.members.clone())
        })
    }

    /// `actor` adds `new_member` to one of their teams. In order:
    /// 1. the username is well formed ([`is_valid_username`], 400);
    /// 2. the team is one of `actor`'s (404 otherwise: it says nothing about other teams);
    /// 3. `actor` is an admin of it: only admins add members, and so only admins grant
    ///    `admin` (403 [`TeamRule::OnlyAdminsAddMembers`]), before anything about the
    ///    members is revealed;
    /// 4. the new member is not in the team yet (409).
    pub fn add_member(
        &self,
        actor: &str,
        team_id: &str,
        new_member: TeamMember,
    ) -> Result<TeamMember, TeamError> {
        if !is_valid_username(&new_member.username) {
            return Err(TeamError::InvalidUsername);
        }
        self.with_teams(|teams| {
            let team = find_own_team(teams, actor, team_id)?;
            if team.role_of(actor) != Some(TeamRole::Admin) {
                return Err(TeamError::Forbidden(TeamRule::OnlyAdminsAddMembers));
            }
            if team.role_of(&new_member.username).is_some() {
                return Err(TeamError::AlreadyMember(new_member.username));
            }
            team.members.push(new_member.clone());
            Ok(new_member)
        })
    }

    /// `actor` removes `removed` from one of their teams (themselves: they leave). In order:
    /// 1. the team is one of `actor`'s (404);
    /// 2. `actor` removes themselves, or is an admin of the team (403
    ///    [`TeamRule::OnlyAdminsRemoveOthers`]);
    /// 3. `removed` is a member (404);
    /// 4. the team still has an admin afterwards (409 [`TeamError::LastAdmin`]), whoever
    ///    asks: an admin cannot leave their team without one either.
    pub fn remove_member(
        &self,
        actor: &str,
        team_id: &str,
        removed: &str,
    ) -> Result<(), TeamError> {
        self.with_teams(|teams| {
            let team = find_own_team(teams, actor, team_id)?;
            if removed != actor && team.role_of(actor) != Some(TeamRole::Admin) {
                return Err(TeamError::Forbidden(TeamRule::OnlyAdminsRemoveOthers));
            }
            if team.role_of(removed).is_none() {
                return Err(TeamError::NotAMember(removed.chars().take(64).collect()));
            }
            let remaining: Vec<TeamMember> = team
                .members
                .iter()
                .filter(|m| m.username != removed)
                .cloned()
                .collect();
            team.replace_members(remaining)
        })
    }
}

impl TeamRecord {
    /// `username`'s role in this team, or `None` when they are not in it.
    fn role_of(&self, username: &str) -> Option<TeamRole> {
        self.members
            .iter()
            .find(|m| m.username == username)
            .map(|m| m.role)
    }

    /// Commits an edit of the member list, unless it leaves the team without an admin.
    /// Every edit that can take away an admin (removing one today; demoting one, should the
    /// API ever change roles) goes through here, so the rule lives in one place.
    fn replace_members(&mut self, members: Vec<TeamMember>) -> Result<(), TeamError> {
        if !members.iter().any(|m| m.role == TeamRole::Admin) {
            return Err(TeamError::LastAdmin);
        }
        self.members = members;
        Ok(())
    }
}

fn find_own_team<'a>(
    teams: &'a mut [TeamRecord],
    username: &str,
    team_id: &str,
) -> Result<&'a mut TeamRecord, TeamError> {
    teams
        .iter_mut()
        .find(|team| team.id == team_id && team.members.iter().any(|m| m.username == username))
        .ok_or_else(|| TeamError::UnknownTeam(team_id.chars().take(64).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_user_is_admin_of_one_team_and_member_of_another() {
        let teams = Teams::demo("demo").teams_of("demo");
        assert_eq!(teams.len(), 2);
        assert!(teams.iter().any(|t| t.role == TeamRole::Admin));
    }

    #[test]
    fn adding_twice_conflicts_and_removing_an_absent_member_is_not_found() {
        let teams = Teams::demo("demo");
        let erin = member("erin", TeamRole::Member);
        assert!(teams.add_member("demo", "platform", erin.clone()).is_ok());
        assert_eq!(
            teams.add_member("demo", "platform", erin),
            Err(TeamError::AlreadyMember("erin".into()))
        );
        assert!(teams.remove_member("demo", "platform", "erin").is_ok());
        assert_eq!(
            teams.remove_member("demo", "platform", "erin"),
            Err(TeamError::NotAMember("erin".into()))
        );
    }

    #[test]
    fn a_team_the_user_is_not_in_is_unknown_to_them() {
        let teams = Teams::demo("demo");
        assert!(matches!(
            teams.members("demo", "research"),
            Err(TeamError::UnknownTeam(_))
        ));
    }

    #[test]
    fn a_plain_member_may_neither_add_nor_remove_others_but_may_leave() {
        let teams = Teams::demo("demo");
        assert_eq!(
            teams.add_member("demo", "design", member("mallory", TeamRole::Admin)),
            Err(TeamError::Forbidden(TeamRule::OnlyAdminsAddMembers))
        );
        assert_eq!(
            teams.remove_member("demo", "design", "carol"),
            Err(TeamError::Forbidden(TeamRule::OnlyAdminsRemoveOthers))
        );
        assert_eq!(teams.remove_member("demo", "design", "demo"), Ok(()));
        assert!(teams.teams_of("demo").iter().all(|t| t.id != "design"));
    }

    #[test]
    fn the_last_admin_cannot_go_but_one_of_two_admins_can() {
        let teams = Teams::demo("demo");
        assert_eq!(
            teams.remove_member("demo", "platform", "demo"),
            Err(TeamError::LastAdmin)
        );
        assert!(
            teams
                .add_member("demo", "platform", member("erin", TeamRole::Admin))
                .is_ok()
        );
        assert_eq!(teams.remove_member("demo", "platform", "demo"), Ok(()));
        assert_eq!(
            teams.remove_member("erin", "platform", "erin"),
            Err(TeamError::LastAdmin)
        );
    }

    #[test]
    fn usernames_are_checked() {
        assert!(is_valid_username("a.b_c-1"));
        assert!(!is_valid_username(""));
        assert!(!is_valid_username(&"a".repeat(65)));
        assert!(!is_valid_username("space here"));
        assert!(!is_valid_username("ünïcode"));
    }
}
