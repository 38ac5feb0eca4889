//! `POST /logout`: revoke both tokens at the provider (RFC 7009), then clear the session;
//! with an OpenID Provider that has an `end_session_endpoint`, then send the browser there
//! to end the provider's own session too (OpenID Connect RP-Initiated Logout 1.0 §2), and
//! `GET /logged-out` is where it comes back (§3), with the `state` this app sent.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use url::Url;

use crate::error::ClientError;
use crate::flow;
use crate::oauth::revocation::first_failure;
use crate::pages::Notice;
use crate::routes::{AppState, CsrfForm, see_other};
use crate::session::ClientSession;

/// `POST /logout` (RFC 7009 §2.1): the refresh token first (which ends its grant's access
/// tokens too), then the access token; then the session is cleared and renewed. The flow
/// log stays, so the inspector shows the revocations.
pub async fn logout(
    form: web::Form<CsrfForm>,
    session: ClientSession,
    app: web::Data<AppState>,
) -> Result<HttpResponse, ClientError> {
    session.check_csrf(&form.csrf_token)?;
    let Some(browser) = session.browser(&app.vault)? else {
        return Ok(see_other("/"));
    };
    let tokens = browser.tokens.lock().await.take();
    let id_token = tokens.as_ref().and_then(|tokens| tokens.id_token.clone());
    browser.pending.clear();
    let mut notice = Notice::ok(
        "Signed out",
        "Both tokens were revoked at the provider (RFC 7009), then this app's session was cleared. You may still be signed in at the provider itself (its own session cookie): its /account page has its own logout.",
    );
    if let Some(tokens) = tokens {
        let outcome = async {
            let provider = app.oauth.provider().await?;
            let revoked = app.oauth.revoke_tokens(&provider, tokens, "logout").await;
            browser.record(flow::revocation_steps(&revoked));
            first_failure(revoked)
        }
        .await;
        if let Err(error) = outcome {
            notice = Notice::error(
                "Signed out here; the provider did not confirm the revocation",
                format!(
                    "{error}. This app has forgotten the tokens; at the provider they stay valid until they expire or are revoked from its /account page."
                ),
            );
        }
    }
    session.renew()?;
    browser.set_notice(notice);
    // RP-Initiated Logout 1.0 §2: with an ID token and a provider that publishes where to,
    // the browser goes on to the provider, which ends its own session and sends it back.
    let end_session = app
        .oauth
        .discovered()
        .and_then(|provider| provider.endpoints.openid.clone()?.end_session);
    if let (Some(end_session), Some(id_token)) = (end_session, id_token) {
        let state = browser.begin_logout();
        if let Some(url) = end_session_url(&end_session, &id_token, app.oauth.settings(), &state) {
            return Ok(see_other(url.as_str()));
        }
    }
    Ok(see_other("/"))
}

/// The logout request (RP-Initiated Logout 1.0 §2): `id_token_hint` says which session to
/// end and proves this client took part in it; `client_id`; `post_logout_redirect_uri`,
/// which the provider must match exactly against the registered ones; `state`, to be sent
/// back. `None` when the endpoint is not a URL.
fn end_session_url(
    endpoint: &str,
    id_token: &str,
    settings: &crate::config::Settings,
    state: &str,
) -> Option<Url> {
    let mut url = Url::parse(endpoint).ok()?;
    url.query_pairs_mut()
        .append_pair("id_token_hint", id_token)
        .append_pair("client_id", &settings.client_id)
        .append_pair(
            "post_logout_redirect_uri",
            &settings.post_logout_redirect_uri,
        )
        .append_pair("state", state);
    Some(url)
}

/// `/logged-out`'s query (RP-Initiated Logout 1.0 §3).
#[derive(Debug, Deserialize)]
pub struct LoggedOutQuery {
    pub state: Option<String>,
}

/// `GET /logged-out`: back from the provider's logout. The `state` must be the one this
/// browser's logout sent; either way the browser goes home (nothing is at stake here: the
/// tokens are already revoked and forgotten), with a notice saying which it was.
pub async fn logged_out(
    query: web::Query<LoggedOutQuery>,
    session: ClientSession,
    app: web::Data<AppState>,
) -> Result<HttpResponse, ClientError> {
    if let Some(browser) = session.browser(&app.vault)? {
        let returned = query.state.as_deref().unwrap_or("");
        browser.set_notice(if browser.finish_logout(returned) {
            Notice::ok(
                "Signed out, here and at the provider",
                "Both tokens were revoked (RFC 7009), this app's session was cleared, and the provider ended its own session at its end_session_endpoint, then sent you back with the state this app sent (OpenID Connect RP-Initiated Logout 1.0).",
            )
        } else {
            Notice::error(
                "Back from a logout this browser did not start",
                "The provider sent this browser back without the state this app's logout sent, so this app cannot tell whether it was the provider's answer. Nothing changed here.",
            )
        });
    }
    Ok(see_other("/"))
}
