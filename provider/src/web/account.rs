//! `/account`: the signed-in user sees which applications hold live tokens for their
//! account, each grant as a family (its code and every token it produced), and can revoke
//! any grant: every token of it dies at once (RFC 6749 §10.5, RFC 7009's effect, by the user).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::domain::grant::{GrantId, TokenKind, UserId};
use crate::error::{PageError, see_other};
use crate::state::AppState;
use crate::store::{GrantStore, TokenStatus};
use crate::web::login::signed_out_page;
use crate::web::pages::{AccountPage, GrantLine, TokenLine};
use crate::web::session::ProviderSession;

/// The revoke form of one grant.
#[derive(Debug, Deserialize)]
pub struct RevokeGrantForm {
    pub csrf_token: Option<String>,
    pub grant_id: Option<String>,
}

/// GET `/account`.
pub async fn show_account(
    app: web::Data<AppState>,
    session: ProviderSession,
) -> Result<HttpResponse, PageError> {
    let Some(user_id) = session.user_id() else {
        return signed_out_page(&session);
    };
    let now = app.clock.now_millis();
    let grants = app
        .store
        .grants_of_user(&UserId::from(user_id), now)
        .await?
        .into_iter()
        .map(|grant| GrantLine {
            id: grant.id.to_string(),
            client_name: app
                .clients
                .find(&grant.client_id)
                .map(|client| client.name.clone())
                .unwrap_or_default(),
            client_id: grant.client_id.to_string(),
            scopes: grant.scopes.iter().map(|scope| scope.as_str()).collect(),
            code_fingerprint: grant.code_fingerprint,
            tokens: grant
                .tokens
                .into_iter()
                .map(|token| TokenLine {
                    kind: match token.kind {
                        TokenKind::Access => "access token",
                        TokenKind::Refresh => "refresh token",
                    },
                    fingerprint: token.fingerprint,
                    status: match token.status {
                        TokenStatus::Active => "live",
                        TokenStatus::Expired => "expired",
                    },
                    expires_in: in_words(token.expires_at.saturating_sub(now) / 1000),
                })
                .collect(),
        })
        .collect();
    Ok(AccountPage {
        csrf_token: session.csrf_token()?,
        display_name: app.user.display_name.clone(),
        username: app.user.username.clone(),
        grants,
        notice: None,
    }
    .into_response())
}

/// POST `/account`: revoke one grant of the signed-in user.
pub async fn revoke_grant(
    form: web::Form<RevokeGrantForm>,
    app: web::Data<AppState>,
    session: ProviderSession,
) -> Result<HttpResponse, PageError> {
    session.check_csrf(form.csrf_token.as_deref())?;
    let Some(user_id) = session.user_id() else {
        return signed_out_page(&session);
    };
    let grant_id = GrantId::from(form.grant_id.as_deref().unwrap_or_default());
    // Only the owner may revoke: a grant id from someone else's page does nothing.
    if app
        .store
        .grant_belongs_to(&grant_id, &UserId::from(user_id))
        .await?
    {
        app.store.revoke_grant(&grant_id).await?;
        tracing::info!(%grant_id, "grant revoked by its resource owner");
    }
    Ok(see_other("/account"))
}

/// A lifetime as a person reads it: `14 days`, `3 h 5 min`, `59 s`, `1 second`; the
/// largest two units at most, so 1 209 597 s reads "13 days 23 h" rather than a number.
fn in_words(seconds: u64) -> String {
    let plural = |count: u64, one: &str, many: &str| {
        if count == 1 {
            format!("1 {one}")
        } else {
            format!("{count} {many}")
        }
    };
    let (days, hours) = (seconds / 86_400, seconds % 86_400 / 3600);
    let (minutes, rest) = (seconds % 3600 / 60, seconds % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => plural(rest, "second", "seconds"),
        (0, 0, _) if rest == 0 => format!("{minutes} min"),
        (0, 0, _) => format!("{minutes} min {rest} s"),
        (0, _, 0) => format!("{hours} h"),
        (0, _, _) => format!("{hours} h {minutes} min"),
        (_, 0, _) => plural(days, "day", "days"),
        (_, _, _) => format!("{} {hours} h", plural(days, "day", "days")),
    }
}

#[cfg(test)]
mod tests {
    use super::in_words;

    #[test]
    fn lifetimes_read_in_days_hours_and_minutes_not_raw_seconds() {
        assert_eq!(in_words(14 * 86_400), "14 days");
        assert_eq!(in_words(1_209_597), "13 days 23 h");
        assert_eq!(in_words(3600), "1 h");
        assert_eq!(in_words(3599), "59 min 59 s");
        assert_eq!(in_words(120), "2 min");
        assert_eq!(in_words(1), "1 second");
        assert_eq!(in_words(30), "30 seconds");
    }
}
