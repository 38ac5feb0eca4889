//! What every request handler shares: the settings, the authorization server as seen over
//! HTTP, the caches of checked tokens and the notes. Made once, outside the per-worker factory.

use crate::authorization_server::AuthorizationServer;
use crate::config::Settings;
use crate::introspection::IntrospectionCache;
use crate::notebook::Notebook;
use crate::verified_tokens::VerifiedTokens;

/// The API's state (handlers call it `app`: in OAuth, `state` is RFC 6749 §10.12's).
pub struct AppState {
    pub settings: Settings,
    pub authorization_server: AuthorizationServer,
    pub introspection_cache: IntrospectionCache,
    pub verified_tokens: VerifiedTokens,
    pub notebook: Notebook,
}

impl AppState {
    pub fn new(settings: Settings) -> anyhow::Result<Self> {
        Ok(Self {
            authorization_server: AuthorizationServer::new(&settings)?,
            introspection_cache: IntrospectionCache::new(settings.introspection_cache_ttl),
            verified_tokens: VerifiedTokens::new(settings.jwt_cache_entries),
            notebook: Notebook::new(settings.notes_per_user, settings.notes_total),
            settings,
        })
    }
}
