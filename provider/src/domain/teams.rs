//! The resource server's demo data: teams and their members.
//!
//! Held in memory behind one mutex: writes are rare and tiny, and a single lock keeps
//! "add if absent" and "remove if present" atomic without any cleverness.

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

/// `username`: 1–64 characters of `[A-Za-z0-9._-]` (the contract).
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

    pub fn add_member(
        &self,
        username: &str,
        team_id: &str,
        new_member: TeamMember,
    ) -> Result<TeamMember, TeamError> {
        if !is_valid_username(&new_member.username) {
            return Err(TeamError::InvalidUsername);
        }
        self.with_teams(|teams| {
            let team = find_own_team(teams, username, team_id)?;
            if team
                .members
                .iter()
                .any(|m| m.username == new_member.username)
            {
                return Err(TeamError::AlreadyMember(new_member.username));
            }
            team.members.push(new_member.clone());
            Ok(new_member)
        })
    }

    pub fn remove_member(
        &self,
        username: &str,
        team_id: &str,
        removed: &str,
    ) -> Result<(), TeamError> {
        self.with_teams(|teams| {
            let team = find_own_team(teams, username, team_id)?;
            let before = team.members.len();
            team.members.retain(|m| m.username != removed);
            if team.members.len() == before {
                return Err(TeamError::NotAMember(removed.chars().take(64).collect()));
            }
            Ok(())
        })
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
    fn usernames_are_checked() {
        assert!(is_valid_username("a.b_c-1"));
        assert!(!is_valid_username(""));
        assert!(!is_valid_username(&"a".repeat(65)));
        assert!(!is_valid_username("space here"));
        assert!(!is_valid_username("ünïcode"));
    }
}
