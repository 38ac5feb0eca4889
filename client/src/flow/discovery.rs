//! Step 0 of the flow inspector: discovery, how the client learnt the provider's endpoints
//! and issuer (RFC 8414 §3, Authorization Server Metadata).

use super::{Channel, Step, code, rfc};
use crate::oauth::Provider;

impl Step {
    /// Step 0: discovery, once per process.
    pub fn discovery(source: &str) -> Self {
        Step::new(
            format!("Discovery: the provider's endpoints, from {source}"),
            Channel::Back,
            "Before anything else the client asks the provider to describe itself: its issuer, \
             and where its authorization, token, revocation and introspection endpoints are. \
             So AUTH_SERVER is the only URL in the settings, and the issuer learnt here is what \
             the 'iss' of every authorization response must match.",
        )
        .rfcs([rfc(8414, "3"), rfc(8414, "3.3")])
        .client([code("client/src/discovery.rs", "discover")])
        .provider([code("provider/src/oauth/metadata.rs", "metadata")])
    }
}

/// Step 0: how the provider was discovered, and what it published.
pub fn discovery_step(provider: &Provider) -> Step {
    let endpoints = &provider.endpoints;
    let mut step = provider
        .discovery
        .iter()
        .cloned()
        .fold(Step::discovery(endpoints.source.describe()), Step::wire);
    // A 404 on the way to the fallback is expected, not a failure.
    step.ok = true;
    step.note(format!("issuer: {}", endpoints.issuer))
        .note(format!(
            "authorization endpoint: {}",
            endpoints.authorization
        ))
        .note(format!("token endpoint: {}", endpoints.token))
        .note(format!(
            "revocation endpoint: {}",
            endpoints.revocation.as_deref().unwrap_or("none published")
        ))
        .note(format!(
            "introspection endpoint: {}",
            endpoints
                .introspection
                .as_deref()
                .unwrap_or("none published")
        ))
        .note(format!(
            "iss in authorization responses (RFC 9207): {}",
            if endpoints.iss_parameter_supported {
                "promised, so required"
            } else {
                "not promised"
            }
        ))
}
