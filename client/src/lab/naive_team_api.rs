//! A DELIBERATELY NAIVE team API: what `POST /api/user/teams/{team_id}/members` would be if
//! a resource server checked the access token's *scope* and nothing else. Never copy it.
//!
//! It exists only so lab card 9 ("a scope is not a permission") can show the attack
//! succeeding somewhere. No route serves it: the card calls [`naive_add_member`] in-process
//! with the token its flow obtained and the team as the provider listed it, and it keeps
//! nothing afterwards. The real handler is `provider/src/api/teams.rs` (`add_member`), with
//! the role rules in `provider/src/domain/teams.rs` (`add_member`).
//!
//! Its one mistake, common in the wild (OWASP API Security Top 10, API1:2023, "broken object
//! level authorization"): it asks whether the *client* may write teams (the token is active
//! and its scope has `teams:write`, by RFC 7662 introspection, as a resource server that is
//! not the provider would) and never whether the *user* may add an admin to *this* team.

use shared::team::{TeamMember, TeamRole};

use crate::lab::agent::post_form;
use crate::lab::transcript::{Transcript, json_bool, json_field};
use crate::oauth::{OAuth, Provider};

/// NAIVE: adds `new_member` to `members` (the team as it stands) when the token is active
/// and carries `teams:write`, whatever the user's role in the team. Answers the team as it
/// would be afterwards, or why it refused.
pub async fn naive_add_member(
    oauth: &OAuth,
    provider: &Provider,
    token: &str,
    members: &[TeamMember],
    new_member: TeamMember,
    transcript: &mut Transcript,
) -> Result<Vec<TeamMember>, String> {
    let endpoint = provider
        .endpoints
        .introspection
        .as_ref()
        .ok_or("the provider publishes no introspection endpoint")?;
    let settings = oauth.settings();
    let request = post_form(
        endpoint,
        &[("token", token), ("token_type_hint", "access_token")],
        Some((&settings.client_id, settings.client_secret.expose())),
    )
    .map_err(|error| error.0)?;
    let answer = transcript
        .send(oauth.http(), request)
        .await
        .map_err(|error| error.0)?;
    if json_bool(&answer, "active") != Some(true) {
        return Err("the token is not active".into());
    }
    let scope = json_field(&answer, "scope").unwrap_or_default();
    if !scope.split(' ').any(|granted| granted == "teams:write") {
        return Err("the token lacks teams:write".into());
    }
    // Mistake: the scope said the *client* may write teams, and that is taken to mean the
    // *user* may do anything to this team. The user's role in it is never looked at.
    if members.iter().any(|m| m.username == new_member.username) {
        return Err(format!("{} is already a member", new_member.username));
    }
    let mut after = members.to_vec();
    after.push(new_member);
    Ok(after)
}

/// `mallory (admin)`-style lines for a transcript note.
pub fn describe(members: &[TeamMember]) -> String {
    members
        .iter()
        .map(|m| {
            let role = match m.role {
                TeamRole::Admin => "admin",
                TeamRole::Member => "member",
            };
            format!("{} ({role})", m.username)
        })
        .collect::<Vec<_>>()
        .join(", ")
}
