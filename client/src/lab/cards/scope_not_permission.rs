//! Card 9: a scope is not a permission. A plain member's `teams:write` token adds an admin.
//!
//! The attack: with a token that carries `teams:write`, add `mallory` as an admin of a team
//! where the user is a plain member. RFC 6749 §3.3: the scope limits what the *client* may
//! do for the user; it never gives the user rights they do not have. The resource server
//! must check both (a refusal is 403, RFC 6750 §3.1).
//!
//! Refused by the provider: the team rules (`add_member` in `provider/src/domain/teams.rs`)
//! answer 403 `forbidden`. The same request at [`crate::lab::naive_team_api`], which checks
//! the scope by introspection (RFC 7662) and nothing else, succeeds.

use shared::team::{TeamMember, TeamRole};

use crate::flow::rfc;
use crate::lab::agent::{get, post};
use crate::lab::cards::{AttackReport, Card, NaiveReport};
use crate::lab::harness::{LabContext, answer_note, kind_of, obtain_tokens, tidy_up, verdict_of};
use crate::lab::transcript::{StepKind, Transcript};
use crate::lab::{LabError, code, naive_team_api};

/// The card: what the attacker wants, what the button does, what refuses it.
pub fn card() -> Card {
    Card {
        id: "scope-not-permission",
        number: 9,
        title: "A scope is not a permission: a plain member with teams:write adds an admin",
        wants: "Control of a team the user merely belongs to: with a token that carries teams:write, add mallory as an admin of a team where the user is a plain member, and take it over from there.",
        does: "Runs a real flow asking for teams:read teams:write (the lab's browser logs in as demo and approves), lists the user's teams, picks one where demo is a plain member, and POSTs {\"username\": \"mallory\", \"role\": \"admin\"} to its members with the token. Then it lists the team again. Last, the same request goes to a deliberately naive team handler that checks the scope only.",
        defence: "The scope says what the client may do for the user; the user's role in the team says what the user may do; a change needs both. teams:write lets the app manage teams as far as the user may, never further. Only a team's admins add members or grant admin, so the provider refuses with 403 forbidden, naming the rule, and the team is unchanged. (A member may still leave, and a team never loses its last admin: 409.) The naive handler introspects the token, sees teams:write, and adds mallory as admin.",
        defended_by: "provider",
        rfcs: vec![rfc(6749, "3.3"), rfc(6750, "3.1"), rfc(7662, "2.2")],
        refused_by: vec![
            code("provider/src/domain/teams.rs", "add_member"),
            code("provider/src/api/teams.rs", "add_member"),
        ],
        naive: Some(code("client/src/lab/naive_team_api.rs", "naive_add_member")),
        setting: None,
    }
}

/// The team the attack aims at, and the member it tries to add.
const MALLORY: &str = "mallory";

/// The attack: a real flow for `teams:read teams:write`, a team where demo is a plain
/// member, `mallory` posted as its admin; then the same request at the naive team API.
pub async fn run(ctx: &LabContext<'_>) -> Result<AttackReport, LabError> {
    let mut transcript = Transcript::new();
    let tokens = obtain_tokens(
        ctx,
        &mut transcript,
        "teams:read teams:write",
        "The user approves teams:write: a token that may manage teams",
    )
    .await?
    .tokens;
    let settings = ctx.oauth.settings();
    let teams = transcript
        .send(
            ctx.oauth.http(),
            get(
                &settings.provider_url("/api/user/teams"),
                Some(&tokens.access),
            )?,
        )
        .await?;
    let teams: Vec<shared::team::Team> = serde_json::from_slice(teams.body()).map_err(|_| {
        LabError::new(format!(
            "the provider's /api/user/teams did not answer a team list (HTTP {})",
            teams.status().as_u16()
        ))
    })?;
    let Some(team) = teams.iter().find(|team| team.role == TeamRole::Member) else {
        tidy_up(ctx, &mut transcript, &tokens).await?;
        return Err(LabError::new(
            "the lab's user is a plain member of no team, so there is nothing to show",
        ));
    };
    let members_url = settings.provider_url(&format!("/api/user/teams/{}/members", team.id));
    let before = team_members(ctx, &mut transcript, &members_url, &tokens.access).await?;
    transcript.step(
        format!("The user's teams: in {}, demo is a plain member", team.name),
        StepKind::Setup,
        vec![format!(
            "{} now: {}",
            team.id,
            naive_team_api::describe(&before)
        )],
    );

    let mallory = TeamMember {
        username: MALLORY.into(),
        role: TeamRole::Admin,
    };
    let body = serde_json::to_string(&mallory)
        .map_err(|_| LabError::new("the new member could not be written as JSON"))?;
    let mut request = post(&members_url, "application/json", body, None)?;
    if let Ok(value) = format!("Bearer {}", tokens.access).parse() {
        request
            .headers_mut()
            .insert(oauth2::http::header::AUTHORIZATION, value);
    }
    let attempt = transcript.send(ctx.oauth.http(), request).await?;
    let verdict = verdict_of(
        &attempt,
        "Refused: the token carries teams:write, but demo is a plain member of this team, and only its admins add members.",
        "The provider ACCEPTED: a plain member's token added an admin. It checks the scope and not the role.",
    );
    transcript.step(
        format!(
            "The attack: POST /api/user/teams/{}/members {{mallory, admin}}",
            team.id
        ),
        kind_of(&attempt),
        vec![answer_note(&attempt)],
    );
    let after = team_members(ctx, &mut transcript, &members_url, &tokens.access).await?;
    let unchanged = after.iter().all(|m| m.username != MALLORY);
    transcript.step(
        "The team, listed again",
        if unchanged {
            StepKind::Check
        } else {
            StepKind::Accepted
        },
        vec![format!("{}: {}", team.id, naive_team_api::describe(&after))],
    );

    let mut naive_transcript = Transcript::new();
    let outcome = naive_team_api::naive_add_member(
        ctx.oauth,
        &ctx.provider,
        &tokens.access,
        &before,
        mallory,
        &mut naive_transcript,
    )
    .await;
    let naive = match outcome {
        Ok(members) => {
            naive_transcript.step(
                "The same request at the NAIVE team handler",
                StepKind::Accepted,
                vec![format!(
                    "ACCEPTED: {} would now be {}",
                    team.id,
                    naive_team_api::describe(&members)
                )],
            );
            NaiveReport {
                steps: naive_transcript.finish(ctx.oauth.masker()),
                succeeded: true,
                summary: "The naive handler introspected the token, saw teams:write, and made mallory an admin of a team whose user is a plain member. From there mallory can remove the real admin.".into(),
            }
        }
        Err(reason) => {
            naive_transcript.step(
                "The same request at the NAIVE team handler",
                StepKind::Refused,
                vec![reason.clone()],
            );
            NaiveReport {
                steps: naive_transcript.finish(ctx.oauth.masker()),
                succeeded: false,
                summary: format!("Even the naive handler gave up: {reason}."),
            }
        }
    };
    tidy_up(ctx, &mut transcript, &tokens).await?;
    Ok(AttackReport {
        verdict,
        steps: transcript.finish(ctx.oauth.masker()),
        consequences: vec![if unchanged {
            "The team is unchanged: no mallory. The token still works for what demo may do (listing teams, leaving one, and managing a team demo is admin of).".into()
        } else {
            "mallory is now an admin of the team: the provider enforces scopes but not roles."
                .into()
        }],
        naive: Some(naive),
    })
}

/// The members of a team, as the provider lists them to this token.
async fn team_members(
    ctx: &LabContext<'_>,
    transcript: &mut Transcript,
    members_url: &str,
    token: &str,
) -> Result<Vec<TeamMember>, LabError> {
    let answer = transcript
        .send(ctx.oauth.http(), get(members_url, Some(token))?)
        .await?;
    serde_json::from_slice(answer.body()).map_err(|_| {
        LabError::new(format!(
            "the provider did not list the team's members (HTTP {})",
            answer.status().as_u16()
        ))
    })
}
