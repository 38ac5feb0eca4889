//! The API call steps of the flow inspector: the client calls the provider's own resource
//! server with its access token as a Bearer token (RFC 6750 §2.1, §3.1).

use oauth2::AccessToken;

use super::{Channel, Step, code, rfc};
use crate::provider_api::Resource;
use crate::wire::Recorded;

impl Step {
    /// A call to the resource server with the access token.
    pub fn api_call(resource: Resource) -> Self {
        let (what, client_fn, provider) = match resource {
            Resource::Me => (
                "your profile",
                "me",
                code("provider/src/api/profile.rs", "me"),
            ),
            Resource::Teams => (
                "your teams",
                "teams",
                code("provider/src/api/teams.rs", "list_teams"),
            ),
            Resource::Members => (
                "a team's members",
                "members",
                code("provider/src/api/teams.rs", "list_members"),
            ),
            Resource::AddMember => (
                "add a team member",
                "add_member",
                code("provider/src/api/teams.rs", "add_member"),
            ),
            Resource::RemoveMember => (
                "remove a team member",
                "remove_member",
                code("provider/src/api/teams.rs", "remove_member"),
            ),
        };
        Step::new(
            format!("API call: {what}"),
            Channel::Back,
            "The client calls the resource server with 'Authorization: Bearer <access token>'. \
             A 401 with 'WWW-Authenticate: Bearer error=\"invalid_token\"' makes it refresh \
             once and retry; a 403 'insufficient_scope' names the scope it lacks.",
        )
        .rfcs([rfc(6750, "2.1"), rfc(6750, "3.1")])
        .client([code("client/src/provider_api.rs", client_fn)])
        .provider([provider])
    }
}

/// A call to the resource server with `access`.
pub fn api_call_step(resource: Resource, access: &AccessToken, call: &Recorded) -> Step {
    Step::api_call(resource)
        .fingerprint("access token sent", access.secret())
        .recorded(call)
}
