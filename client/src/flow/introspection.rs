//! The introspection step of the flow inspector: the client asks the provider whether its
//! access token is active (RFC 7662 §2).

use super::{Channel, Step, code, rfc};
use crate::oauth::introspection::Introspection;

impl Step {
    /// An introspection call.
    pub fn introspection() -> Self {
        Step::new(
            "Introspection: is the access token active?",
            Channel::Back,
            "The client asks the provider what it knows about the access token: active or not, \
             its scopes, its expiry, whom it belongs to. Opaque tokens carry no readable \
             content, so this is how their facts are learnt.",
        )
        .rfcs([rfc(7662, "2.1"), rfc(7662, "2.2")])
        .client([code("client/src/oauth/introspection.rs", "introspect")])
        .provider([code("provider/src/oauth/introspect.rs", "introspect")])
    }
}

/// An introspection; none when the provider publishes no endpoint for it.
pub fn introspection_step(introspection: &Introspection) -> Option<Step> {
    if introspection.wire.exchanges.is_empty() && matches!(introspection.result, Ok(None)) {
        return None;
    }
    let step = Step::introspection()
        .fingerprinted("access token", introspection.fingerprint.clone())
        .recorded(&introspection.wire);
    Some(match introspection.result {
        Ok(_) => step,
        Err(_) => step.failed(),
    })
}
