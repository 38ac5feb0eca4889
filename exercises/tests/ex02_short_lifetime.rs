//! Exercise 2: set `ACCESS_TOKEN_TTL=10` (or less) in your `.env` (copy `.env.example`),
//! restart, and watch the client refresh on its home page. This check reads the same `.env`.
#![cfg(feature = "ex02")]

use std::time::Duration;

use provider::config::Settings;
use shared::env::EnvSource;
use testkit::spawn_provider_with;

#[tokio::test]
async fn ex02_your_access_tokens_expire_within_ten_seconds_and_refresh_works() {
    let env = EnvSource::from_process().expect("your .env can be read");
    let settings = Settings::from_source(&env).expect("your settings are valid");
    let ttl = settings.access_token_ttl.as_secs();
    assert!(
        ttl <= 10,
        "ACCESS_TOKEN_TTL is {ttl} s: set it to 10 or less in .env at the workspace root"
    );
    let ttl_text = ttl.to_string();
    let provider = spawn_provider_with(&[("ACCESS_TOKEN_TTL", ttl_text.as_str())]).await;
    let tokens = provider.user_tokens().await;
    assert_eq!(
        tokens.expires_in, ttl,
        "the token response says how long the token lives"
    );
    tokio::time::sleep(Duration::from_secs(ttl) + Duration::from_millis(300)).await;
    let expired = provider
        .get_with_token("/api/auth/me", tokens.access_token.expose())
        .await;
    assert_eq!(expired.status(), 401, "an expired access token is refused");
    let refresh = tokens.refresh_token.expect("a refresh token");
    let refreshed = provider.refresh(refresh.expose()).await;
    assert_eq!(refreshed.status(), 200, "the refresh token still works");
}
