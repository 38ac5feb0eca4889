//! `POST /teams/{team_id}/members` and `POST /teams/{team_id}/members/{username}/remove`:
//! team management with the `teams:write` scope (the provider's members API).
//!
//! Browsers' forms can only GET and POST, so removal is a POST here and a `DELETE` at the
//! provider. A 403 `insufficient_scope` is explained, with the incremental-authorization
//! button on the home page.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::team::{TeamMember, TeamRole};

use crate::error::ClientError;
use crate::pages::Notice;
use crate::provider_api::{ProviderApi, Refusal};
use crate::routes::{AppState, CsrfForm, see_other};
use crate::session::ClientSession;

/// The add-member form.
#[derive(Debug, Deserialize)]
pub struct AddMemberForm {
    /// Missing reads as empty, refused with 403 like a wrong one (see [`CsrfForm`]).
    #[serde(default)]
    pub csrf_token: String,
    pub username: String,
    pub role: TeamRole,
}

/// `POST /teams/{team_id}/members`: adds a member through the provider's API.
pub async fn add_member(
    path: web::Path<String>,
    form: web::Form<AddMemberForm>,
    session: ClientSession,
    app: web::Data<AppState>,
) -> Result<HttpResponse, ClientError> {
    let team_id = path.into_inner();
    let browser = session.browser_for_form(&form.csrf_token, &app.vault)?;
    let api = ProviderApi::new(&app.oauth, &browser).await?;
    let form = form.into_inner();
    let member = TeamMember {
        username: form.username.trim().to_owned(),
        role: form.role,
    };
    match api.add_member(&team_id, &member).await {
        Ok(Ok(())) => browser.set_notice(Notice::ok(
            "Member added",
            format!("{} joined team {team_id}.", member.username),
        )),
        Ok(Err(refusal)) => browser.set_notice(refused("add", &refusal)),
        Err(ClientError::SessionEnded { .. }) => {}
        Err(error) => return Err(error),
    }
    Ok(see_other("/"))
}

/// `POST /teams/{team_id}/members/{username}/remove`: removes a member.
pub async fn remove_member(
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
    session: ClientSession,
    app: web::Data<AppState>,
) -> Result<HttpResponse, ClientError> {
    let (team_id, username) = path.into_inner();
    let browser = session.browser_for_form(&form.csrf_token, &app.vault)?;
    let api = ProviderApi::new(&app.oauth, &browser).await?;
    match api.remove_member(&team_id, &username).await {
        Ok(Ok(())) => browser.set_notice(Notice::ok(
            "Member removed",
            format!("{username} left team {team_id}."),
        )),
        Ok(Err(refusal)) => browser.set_notice(refused("remove", &refusal)),
        Err(ClientError::SessionEnded { .. }) => {}
        Err(error) => return Err(error),
    }
    Ok(see_other("/"))
}

fn refused(action: &str, refusal: &Refusal) -> Notice {
    if refusal.error.as_deref() == Some("insufficient_scope") {
        Notice::error(
            format!("Could not {action} the member: insufficient_scope"),
            format!(
                "{}. The access token lacks teams:write (RFC 6750 §3.1). Use the button below to ask the provider for it.",
                refusal.describe()
            ),
        )
    } else {
        Notice::error(format!("Could not {action} the member"), refusal.describe())
    }
}
