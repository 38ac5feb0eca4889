//! The OpenID Connect steps of the flow inspector: the ID token of the token response with
//! each of its checks (OpenID Connect Core 1.0 §3.1.3.7), and the UserInfo request whose
//! `sub` must be the ID token's (§5.3).

use super::{Channel, Step, code, openid_core, rfc};
use crate::oauth::callback::IdTokenOutcome;
use crate::oauth::id_token::Validation;
use crate::oauth::userinfo::UserInfo;

impl Step {
    /// (E′) OpenID Connect: the ID token of the token response, checked before it is believed.
    pub fn id_token() -> Self {
        Step::new(
            "(E′) ID token: checked before it says who signed in",
            Channel::Back,
            "The request asked for 'openid', so the token response carries an ID token: a JWS \
             signed by the provider saying who signed in (iss + sub), to which client (aud), \
             when (iat, exp) and for which login (nonce). The client checks it in order, and \
             keeps nothing if one check fails. Below: its header and claims as decoded (the \
             signature masked), and each check with its result.",
        )
        .rfcs([
            openid_core("3.1.3.7", "IDTokenValidation"),
            openid_core("3.1.3.8", "CodeFlowTokenValidation"),
            rfc(7515, "7.1"),
        ])
        .client([
            code("client/src/oauth/callback.rs", "check_id_token"),
            code("client/src/oauth/id_token.rs", "validate"),
        ])
        .provider([code("provider/src/openid/jws.rs", "sign_jws")])
    }

    /// OpenID Connect UserInfo: the user's claims, for the ID token's `sub` only.
    pub fn userinfo() -> Self {
        Step::new(
            "UserInfo: the signed-in user's claims",
            Channel::Back,
            "The client asks the provider's userinfo_endpoint, with the access token as a \
             Bearer token, for claims about the user (name, email, ...). The answer is not \
             signed and is about whoever the access token belongs to, so its sub must be \
             exactly the ID token's: if not, its claims are not used.",
        )
        .rfcs([
            openid_core("5.3.1", "UserInfoRequest"),
            openid_core("5.3.4", "UserInfoResponseValidation"),
            rfc(6750, "2.1"),
        ])
        .client([
            code("client/src/provider_api.rs", "userinfo"),
            code("client/src/oauth/userinfo.rs", "userinfo"),
        ])
        .provider([code("provider/src/api/userinfo.rs", "userinfo")])
    }
}

/// The ID token step: the token decoded (header and claims; the signature masked, as it is
/// never needed to read the token) and each of `id_token.rs`'s checks with its result.
pub fn id_token_step(outcome: &IdTokenOutcome) -> Step {
    let validation = &outcome.validation;
    let mut step = Step::id_token().recorded(&outcome.wire);
    step = id_token_notes(step, validation);
    match &validation.identity {
        Some(identity) => step.note(format!(
            "Signed in as sub {:?} at iss {:?}: the pair is the identity (Core §2)",
            identity.subject, identity.issuer
        )),
        None => step.failed(),
    }
}

/// An ID token decoded (header and claims; the signature masked, as it is never needed to
/// read the token) and each of `id_token.rs`'s checks with its result.
pub(super) fn id_token_notes(mut step: Step, validation: &Validation) -> Step {
    let json = |value: &Option<serde_json::Value>| {
        value
            .as_ref()
            .map_or_else(|| "(not decodable)".to_owned(), ToString::to_string)
    };
    step = step
        .note(format!("header: {}", json(&validation.header)))
        .note(format!("claims: {}", json(&validation.claims)))
        .note("signature: ••••••••");
    for (number, result) in validation.checks.iter().enumerate() {
        step = step.note(format!(
            "{}. {}: {} {} ({})",
            number + 1,
            result.check.name(),
            result.detail,
            if result.passed { "✓" } else { "✗ refused" },
            result.check.function()
        ));
    }
    step
}

/// A UserInfo request: the traffic, and why its claims were not used when they were not.
pub fn userinfo_step(userinfo: &UserInfo) -> Step {
    let step = Step::userinfo()
        .fingerprinted("access token sent", userinfo.fingerprint.clone())
        .recorded(&userinfo.wire);
    match &userinfo.result {
        Ok(claims) => step.note(format!(
            "sub {:?} is the ID token's: the claims are used (Core §5.3.4)",
            claims.sub
        )),
        Err(problem) => step.note(problem.describe()).failed(),
    }
}
