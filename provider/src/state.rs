//! What every handler can reach: settings, the registered clients, the demo user, the store,
//! the keys that sign ID tokens, and the clock every expiry is measured on.

use std::sync::Arc;

use crate::config::Settings;
use crate::domain::Clock;
use crate::domain::client::{ClientRegistry, RegisteredClient};
use crate::domain::teams::Teams;
use crate::domain::token::RefreshTokenKey;
use crate::domain::user::DemoUser;
use crate::openid::keys::KeyError;
use crate::openid::signing::{KeysSynced, Rotation, SigningKeys, SyncError};
use crate::store::Store;

/// The provider's shared state, built once from [`Settings`].
pub struct AppState {
    pub settings: Settings,
    pub clients: ClientRegistry,
    pub user: DemoUser,
    pub teams: Teams,
    pub store: Arc<Store>,
    /// Signs and recognises refresh tokens; derived from `SESSION_KEY` when it is set, so
    /// every instance sharing a Redis store shares it too.
    pub refresh_key: RefreshTokenKey,
    /// What time it is, for every expiry decision: the system's clock, or a test's.
    pub clock: Clock,
    /// The keys that sign ID tokens and are published at `jwks_uri` (OpenID Connect Core
    /// §10.1): an RS256 and an ES256 key set kept in the store, rotated on schedule, with
    /// `SIGNING_KEY_FILE`'s key in place of its algorithm's
    /// ([`AppState::sync_signing_keys`]).
    pub keys: SigningKeys,
}

impl AppState {
    /// The state over an opened store ([`Store::connect`]), telling time by `clock`. Fails
    /// only when no signing key can be generated (the system's random generator failed).
    pub fn new(settings: Settings, store: Arc<Store>, clock: Clock) -> Result<Self, KeyError> {
        let clients = ClientRegistry::new([
            RegisteredClient::confidential(
                &settings.client_id,
                &settings.client_name,
                settings.client_secret.expose(),
                &settings.redirect_uri,
            )
            .with_post_logout_redirect_uris(&settings.post_logout_redirect_uris)
            .with_id_token_signed_response_alg(settings.client_id_token_signed_response_alg),
            RegisteredClient::public(
                &settings.public_client_id,
                "Browser app (public client)",
                &settings.public_redirect_uri,
            ),
        ]);
        let user = DemoUser::new(
            &settings.user_id,
            &settings.username,
            settings.password.expose(),
        );
        let teams = Teams::demo(&settings.username);
        let refresh_key = RefreshTokenKey::new(
            settings
                .session_key
                .as_ref()
                .map(|session_key| session_key.expose()),
        );
        let keys = SigningKeys::at_start(settings.signing_key.as_ref(), clock.now_millis() / 1000)?;
        Ok(Self {
            settings,
            clients,
            user,
            teams,
            store,
            refresh_key,
            clock,
            keys,
        })
    }

    /// Reads the stored signing keys, rotates them when `SIGNING_KEY_ROTATION` says so, and
    /// uses them (see [`crate::openid::signing`]): at start, then in the background.
    pub async fn sync_signing_keys(&self) -> Result<KeysSynced, SyncError> {
        let rotation = Rotation {
            every: self.settings.signing_key_rotation.as_secs(),
            id_token_ttl: self.settings.access_token_ttl.as_secs(),
        };
        self.keys
            .sync(&self.store, self.clock.now_millis() / 1000, rotation)
            .await
    }
}
