//! The revocation steps of the flow inspector: tokens the client gives back at logout or when
//! a new login replaces the grant (RFC 7009 §2).

use super::{Channel, Step, code, rfc};
use crate::oauth::revocation::Revocation;

impl Step {
    /// A revocation (logout, or the grant replaced by a new login).
    pub fn revocation(which: &str, reason: &str) -> Self {
        Step::new(
            format!("Revocation of the {which}: {reason}"),
            Channel::Back,
            "The client tells the provider it no longer needs a token, so a copy of it (in a \
             log, a backup, a stolen laptop) is worthless from now on. Revoking the refresh \
             token also ends the access tokens of its grant.",
        )
        .rfcs([rfc(7009, "2.1"), rfc(7009, "2.2")])
        .milestone()
        .client([code("client/src/oauth/revocation.rs", "revoke")])
        .provider([code("provider/src/oauth/revoke.rs", "revoke")])
    }
}

/// One step per token revoked.
pub fn revocation_steps(revocations: &[Revocation]) -> Vec<Step> {
    revocations
        .iter()
        .map(|revocation| {
            let which = revocation.kind.name();
            let step = Step::revocation(which, &revocation.reason)
                .fingerprinted(which, revocation.fingerprint.clone());
            if !revocation.endpoint_published {
                return step.note("The provider publishes no revocation endpoint: the token stays valid until it expires.");
            }
            let step = step.recorded(&revocation.wire);
            match revocation.result {
                Ok(()) => step,
                Err(_) => step.failed(),
            }
        })
        .collect()
}
