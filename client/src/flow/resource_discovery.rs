//! The steps of discovery from the API alone: the API's 401 names its metadata, which names
//! the authorization server, whose metadata gives its endpoints (RFC 9728 §5, RFC 8414 §3).

use super::{Channel, Step, code, rfc};
use crate::resource_discovery::{Hop as ResourceHop, ResourceDiscovery};

impl Step {
    /// A hop of the discovery from the API alone.
    pub fn resource_discovery(number: usize, title: &str) -> Self {
        Step::new(
            format!("From the API alone, {number}: {title}"),
            Channel::Back,
            "The client knows only the API's URL and finds the authorization server that \
             protects it: the API's 401 names its metadata, that metadata names the \
             authorization server, and the server's own metadata gives its endpoints. The \
             path MCP and other new protocols use.",
        )
        .rfcs([rfc(9728, "5.1"), rfc(9728, "3.3"), rfc(8414, "3")])
        .client([
            code("client/src/routes/discover.rs", "discover"),
            code("client/src/resource_discovery.rs", "discover_from_api"),
        ])
        .api([code("api/src/metadata.rs", "protected_resource_metadata")])
    }
}

/// The discovery from the API alone (RFC 9728 §5), one numbered step per hop made; the
/// one that stopped it is marked failed, with the reason.
pub fn resource_discovery_steps(found: &ResourceDiscovery) -> Vec<Step> {
    let mut steps: Vec<Step> = ResourceHop::ALL
        .iter()
        .zip(&found.wire)
        .enumerate()
        .map(|(index, (hop, wire))| {
            let mut step = Step::resource_discovery(index + 1, hop.title()).wire(wire.clone());
            // The first hop's 401 is the answer hoped for.
            step.ok = step.ok || *hop == ResourceHop::Challenge;
            step
        })
        .collect();
    match &found.result {
        Ok(discovered) => {
            if let Some(last) = steps.pop() {
                steps.push(
                    last.note(format!(
                        "resource: {} (the API asked, RFC 9728 §3.3) ✓",
                        discovered.resource
                    ))
                    .note(format!("authorization server: {}", discovered.issuer))
                    .note(format!(
                        "authorization endpoint: {}",
                        discovered.authorization_endpoint
                    ))
                    .note(format!("token endpoint: {}", discovered.token_endpoint))
                    .note(format!("scopes: {}", discovered.scopes_supported.join(" "))),
                );
            }
        }
        Err((hop, problem)) => {
            let index = ResourceHop::ALL.iter().position(|h| h == hop).unwrap_or(0);
            match steps.get_mut(index) {
                Some(step) => {
                    step.ok = false;
                    step.notes.push(format!("stopped here: {problem}"));
                }
                None => steps.push(
                    Step::resource_discovery(index + 1, hop.title())
                        .note(format!("stopped here: {problem}"))
                        .failed(),
                ),
            }
        }
    }
    steps
}
