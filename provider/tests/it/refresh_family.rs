//! A grant's refresh family over HTTP (RFC 9700 §4.14.2, RFC 6749 §4.1.3, §6, §10.4;
//! RFC 7009 §2.1): reuse detection at full strength however long ago a token was retired,
//! with a grant whose footprint in the store does not grow as it rotates; forged tokens
//! that change nothing; and the client binding checked before any replay reaction, so
//! only the client a grant belongs to can set off its revocation.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use provider::store::{GrantStore, Store, StoreSize};
use reqwest::StatusCode;
use shared::token::TokenResponse;

use testkit::{
    PUBLIC_REDIRECT_URI, REDIRECT_URI, TestProvider, VERIFIER, assert_json_error, spawn_provider,
    token_pair,
};

/// Refreshes `refresh` and returns the new pair, asserting it worked.
async fn rotate(provider: &TestProvider, refresh: &str) -> (String, String) {
    let response = provider.refresh(refresh).await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: TokenResponse = response.json().await.expect("a token response");
    token_pair(&tokens)
}

/// What the store holds: its counts, and on Redis the number of keys under this provider's
/// prefix (the grant, its family set, its tokens, the user's set, the used code).
async fn footprint(store: &Store) -> (StoreSize, usize) {
    let size = store.size().await.expect("the store answers");
    let keys = match store {
        Store::Memory(_) => 0,
        Store::Redis(redis) => {
            let mut connection = redis.connection();
            let keys: Vec<String> = ::redis::cmd("KEYS")
                .arg(format!("{}*", redis.prefix()))
                .query_async(&mut connection)
                .await
                .expect("KEYS");
            keys.len()
        }
    };
    (size, keys)
}

/// `token` with its last part (the MAC) replaced by another 32 bytes.
fn with_wrong_mac(token: &str) -> String {
    let (claims, _) = token.rsplit_once('.').expect("grant.generation.mac");
    format!("{claims}.{}", URL_SAFE_NO_PAD.encode([7u8; 32]))
}

/// `token` claiming generation `generation` instead of its own, MAC unchanged.
fn with_generation(token: &str, generation: u64) -> String {
    let mut parts = token.split('.');
    let (grant, _, mac) = (
        parts.next().expect("grant"),
        parts.next().expect("generation"),
        parts.next().expect("mac"),
    );
    format!("{grant}.{generation}.{mac}")
}

#[tokio::test]
async fn after_a_thousand_rotations_a_grant_holds_what_it_held_after_one_and_the_first_token_still_revokes_it()
 {
    let provider = spawn_provider().await;
    let (_, first_refresh) = token_pair(&provider.user_tokens().await);
    let (_, mut refresh) = rotate(&provider, &first_refresh).await;
    let after_one = footprint(&provider.store).await;
    for _ in 1..1_000 {
        (_, refresh) = rotate(&provider, &refresh).await;
    }
    let after_thousand = footprint(&provider.store).await;
    println!("store after 1 rotation: {after_one:?}; after 1,000: {after_thousand:?}");
    assert_eq!(after_thousand, after_one, "nothing is kept per rotation");
    assert!(provider.is_active(&refresh).await);

    // The token retired 1,000 rotations ago is still recognised as this family's.
    let reuse = provider.refresh(&first_refresh).await;
    assert_json_error(reuse, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(
        !provider.is_active(&refresh).await,
        "the whole grant is revoked"
    );
    let after_revocation = provider.refresh(&refresh).await;
    assert_json_error(after_revocation, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn a_forged_refresh_token_is_invalid_grant_and_never_revokes_the_grant() {
    let provider = spawn_provider().await;
    let (_, first_refresh) = token_pair(&provider.user_tokens().await);
    let (access, refresh) = rotate(&provider, &first_refresh).await;
    let forgeries = [
        // The right grant and the current generation, a wrong MAC.
        with_wrong_mac(&refresh),
        // The right grant and a retired generation, a wrong MAC: must not pass for reuse.
        with_wrong_mac(&first_refresh),
        // A genuine MAC moved to another generation.
        with_generation(&refresh, 0),
        with_generation(&refresh, 2),
        // Not a refresh token of this provider at all.
        "not-a-token".to_owned(),
    ];
    for forged in &forgeries {
        let response = provider.refresh(forged).await;
        assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
        let revocation = provider.revoke(forged).await;
        assert_eq!(revocation.status(), StatusCode::OK, "RFC 7009 §2.2");
    }
    assert!(provider.is_active(&access).await, "the grant lives");
    rotate(&provider, &refresh).await;
}

#[tokio::test]
async fn revoking_a_refresh_token_retired_many_rotations_ago_ends_its_grant() {
    let provider = spawn_provider().await;
    let (_, first_refresh) = token_pair(&provider.user_tokens().await);
    let mut pair = rotate(&provider, &first_refresh).await;
    for _ in 0..5 {
        pair = rotate(&provider, &pair.1).await;
    }
    let response = provider.revoke(&first_refresh).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!provider.is_active(&pair.0).await, "RFC 7009 §2.1");
    assert!(!provider.is_active(&pair.1).await);
}

#[tokio::test]
async fn a_rotation_revokes_the_access_token_it_supersedes() {
    let provider = spawn_provider().await;
    let (first_access, first_refresh) = token_pair(&provider.user_tokens().await);
    let (access, _) = rotate(&provider, &first_refresh).await;
    assert!(!provider.is_active(&first_access).await);
    let protected = provider.get_with_token("/protected", &first_access).await;
    assert_eq!(protected.status(), StatusCode::UNAUTHORIZED);
    assert!(provider.is_active(&access).await);
}

#[tokio::test]
async fn a_retired_refresh_token_presented_by_another_client_is_invalid_grant_and_revokes_nothing()
{
    let provider = spawn_provider().await;
    let (_, first_refresh) = token_pair(&provider.user_tokens().await);
    let (access, refresh) = rotate(&provider, &first_refresh).await;
    // The public client holds a copy of the confidential client's retired token.
    let response = provider.public_refresh(&first_refresh).await;
    assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(provider.is_active(&access).await, "the grant lives");
    rotate(&provider, &refresh).await;
}

#[tokio::test]
async fn a_used_code_presented_by_another_client_is_invalid_grant_and_revokes_nothing() {
    let provider = spawn_provider().await;
    let code = provider.authorization_code().await;
    let response = provider.exchange_code(&code).await;
    assert_eq!(response.status(), StatusCode::OK);
    let (access, refresh) = token_pair(&response.json().await.expect("a token response"));

    // The public client, with no secret and no verifier, and then with its own redirect
    // URI and a verifier: neither is the client the code was issued to.
    for form in [
        vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
        ],
        vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", PUBLIC_REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ],
    ] {
        let replay = provider.public_token_request(&form).await;
        assert_json_error(replay, StatusCode::BAD_REQUEST, "invalid_grant").await;
    }
    assert!(provider.is_active(&access).await, "the grant lives");
    rotate(&provider, &refresh).await;
}

#[tokio::test]
async fn a_used_code_with_a_wrong_redirect_uri_or_verifier_is_invalid_grant_and_revokes_nothing() {
    let provider = spawn_provider().await;
    let code = provider.authorization_code().await;
    let response = provider.exchange_code(&code).await;
    assert_eq!(response.status(), StatusCode::OK);
    let (access, _) = token_pair(&response.json().await.expect("a token response"));
    let wrong_verifier = "a".repeat(43);
    for form in [
        [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "http://localhost:3000/elsewhere"),
            ("code_verifier", VERIFIER),
        ],
        [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", wrong_verifier.as_str()),
        ],
    ] {
        let replay = provider.token_request(&form).await;
        assert_json_error(replay, StatusCode::BAD_REQUEST, "invalid_grant").await;
        assert!(provider.is_active(&access).await, "the grant lives");
    }
    // The bound replay still revokes, as §4.1.2 asks.
    let replay = provider.exchange_code(&code).await;
    assert_json_error(replay, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(!provider.is_active(&access).await);
}
