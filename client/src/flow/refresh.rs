//! The refresh step of the flow inspector: a refresh token grant, with rotation (RFC 6749 §6,
//! RFC 9700 §4.14.2), and a refreshed ID token checked again (OpenID Connect Core 1.0 §12.2).

use super::openid::id_token_notes;
use super::{Channel, Step, code, rfc};
use crate::oauth::refresh::Refresh;

impl Step {
    /// A refresh token grant.
    pub fn refresh(reason: &str) -> Self {
        Step::new(
            format!("Refresh: {reason}"),
            Channel::Back,
            "The client uses its refresh token for a new access token. The provider rotates \
             refresh tokens: the old one is retired, and using it again would revoke the whole \
             grant, so only one refresh runs at a time for a session.",
        )
        .rfcs([rfc(6749, "6"), rfc(9700, "4.14.2")])
        .milestone()
        .client([
            code("client/src/provider_api.rs", "fresh_access_token"),
            code("client/src/oauth/refresh.rs", "refresh"),
        ])
        .provider([code("provider/src/oauth/token/refresh_token.rs", "refresh")])
    }
}

/// A refresh; none when there was no refresh token to send. A refreshed ID token (OpenID
/// Connect Core §12.2) is shown decoded, with its checks.
pub fn refresh_step(refresh: &Refresh) -> Option<Step> {
    let sent = refresh.sent.as_ref()?;
    let mut step = Step::refresh(&refresh.reason)
        .fingerprint("refresh token sent", sent.secret())
        .recorded(&refresh.wire);
    if let Some(validation) = &refresh.id_token {
        step = id_token_notes(
            step.note("A new ID token came with the refresh: checked like the login's, and against it (OpenID Connect Core §12.2)"),
            validation,
        );
    }
    Some(match &refresh.result {
        Ok(tokens) => step.tokens(tokens),
        Err(_) => step.failed(),
    })
}
