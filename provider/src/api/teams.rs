//! The team API: list teams (`teams:read`), list, add and remove members (`teams:read`,
//! `teams:write`). The scope is checked by the extractor in each signature, the user's role
//! by [`crate::domain::teams`]: both must allow a change. JSON errors: 400 malformed body,
//! 403 `forbidden` when the role does not allow it, 404 unknown team or member, 409 already
//! a member or the team's last admin.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use shared::ApiErrorCode;
use shared::team::TeamMember;

use crate::api::bearer::{Authorized, TeamsRead, TeamsWrite};
use crate::domain::teams::TeamError;
use crate::error::{ApiError, BearerError};
use crate::state::AppState;

fn username_of<S>(auth: &Authorized<S>, app: &AppState) -> Result<String, BearerError> {
    match auth.user_id() {
        Some(id) if **id == *app.user.id => Ok(app.user.username.clone()),
        Some(_) => Err(BearerError::InvalidToken(
            "the token's user no longer exists",
        )),
        None => Err(BearerError::InvalidToken(
            "this token was issued to a client for itself (client_credentials): it has no user",
        )),
    }
}

impl From<TeamError> for ApiError {
    fn from(error: TeamError) -> Self {
        let (status, code) = match error {
            TeamError::UnknownTeam(_) | TeamError::NotAMember(_) => {
                (StatusCode::NOT_FOUND, ApiErrorCode::NotFound)
            }
            TeamError::AlreadyMember(_) | TeamError::LastAdmin => {
                (StatusCode::CONFLICT, ApiErrorCode::Conflict)
            }
            TeamError::Forbidden(_) => (StatusCode::FORBIDDEN, ApiErrorCode::Forbidden),
            TeamError::InvalidUsername => (StatusCode::BAD_REQUEST, ApiErrorCode::InvalidRequest),
        };
        ApiError::new(status, code, error.to_string())
    }
}

/// Either a bearer refusal or a team error.
#[derive(Debug, thiserror::Error)]
pub enum TeamApiError {
    #[error(transparent)]
    Bearer(#[from] BearerError),
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl actix_web::ResponseError for TeamApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            TeamApiError::Bearer(error) => error.status_code(),
            TeamApiError::Api(error) => error.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            TeamApiError::Bearer(error) => error.error_response(),
            TeamApiError::Api(error) => error.error_response(),
        }
    }
}

/// The body of an add-member request: a JSON *object* `{username, role}`. serde would
/// also accept the struct written as an array (`["erin", "member"]`), which docs/reference.md's
/// `{"username","role"}` does not allow: it is malformed, so the shape is checked first.
fn parse_member(body: &[u8]) -> Result<TeamMember, ApiError> {
    let malformed = || {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ApiErrorCode::InvalidRequest,
            "the body must be a JSON object {\"username\": \"…\", \"role\": \"member\" | \"admin\"}",
        )
    };
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(value @ serde_json::Value::Object(_)) => {
            serde_json::from_value(value).map_err(|_| malformed())
        }
        _ => Err(malformed()),
    }
}

/// GET `/api/user/teams`.
pub async fn list_teams(
    auth: Authorized<TeamsRead>,
    app: web::Data<AppState>,
) -> Result<HttpResponse, BearerError> {
    let username = username_of(&auth, &app)?;
    Ok(HttpResponse::Ok().json(app.teams.teams_of(&username)))
}

/// GET `/api/user/teams/{team_id}/members`.
pub async fn list_members(
    auth: Authorized<TeamsRead>,
    path: web::Path<String>,
    app: web::Data<AppState>,
) -> Result<HttpResponse, TeamApiError> {
    let username = username_of(&auth, &app)?;
    let members = app
        .teams
        .members(&username, &path)
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(members))
}

/// POST `/api/user/teams/{team_id}/members` with JSON `{username, role}`.
pub async fn add_member(
    auth: Authorized<TeamsWrite>,
    path: web::Path<String>,
    body: web::Bytes,
    app: web::Data<AppState>,
) -> Result<HttpResponse, TeamApiError> {
    let username = username_of(&auth, &app)?;
    let new_member = parse_member(&body)?;
    let added = app
        .teams
        .add_member(&username, &path, new_member)
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Created().json(added))
}

/// DELETE `/api/user/teams/{team_id}/members/{username}`.
pub async fn remove_member(
    auth: Authorized<TeamsWrite>,
    path: web::Path<(String, String)>,
    app: web::Data<AppState>,
) -> Result<HttpResponse, TeamApiError> {
    let username = username_of(&auth, &app)?;
    let (team_id, removed) = path.into_inner();
    app.teams
        .remove_member(&username, &team_id, &removed)
        .map_err(ApiError::from)?;
    Ok(HttpResponse::NoContent().finish())
}
