//! The keys that sign ID tokens live in the store, and rotate (OpenID Connect Core §10.1.1):
//! first the store's two operations on the store itself (memory, or Redis with
//! `TEST_STORE=redis`), then instances sharing one Redis as a Relying Party sees them: an ID
//! token from one verifies with the JWKS of another; after a rotation both publish the old
//! and the new keys, new ID tokens carry the new `kid`, and the old key leaves the JWKS only
//! once every ID token it signed has expired.
//!
//! The instances tell time by a `ManualClock` each: the tests move the clocks past a
//! rotation and run the key sync the background task would run, instead of waiting.

use std::time::Duration;

use futures_util::future::join_all;
use provider::openid::jws::verify;
use provider::openid::keys::{Algorithm, Jwks};
use provider::openid::keyset::{KeyRing, KeySet, StoredKeyRing};
use provider::openid::signing::{RELOAD_EVERY, VERIFIER_SKEW};
use provider::store::{GrantStore, KeySetSwap};
use serde_json::Value;

use testkit::backend::{TEST_SESSION_KEY, fresh_prefix, redis_server, test_store};
use testkit::{AuthorizationRequest, TestProvider, spawn_provider_with};

use crate::multi_instance::spawn_instance;

/// A key ring of two fresh keys (EdDSA: generated in microseconds; the store does not care).
fn key_ring() -> StoredKeyRing {
    KeyRing::new([KeySet::generate(Algorithm::EdDSA, 0).expect("keys")]).to_stored()
}

#[tokio::test]
async fn the_first_key_set_offered_is_stored_and_every_later_offer_gets_it_back() {
    let store = test_store().await;
    let (first, second) = (key_ring(), key_ring());
    let stored = store.signing_keys_or_insert(&first).await.expect("store");
    assert_eq!((stored.version, &stored.keys), (1, &first));
    let again = store.signing_keys_or_insert(&second).await.expect("store");
    assert_eq!((again.version, &again.keys), (1, &first), "not replaced");
}

#[tokio::test]
async fn instances_starting_at_once_all_end_with_one_key_ring() {
    let store = test_store().await;
    let candidates: Vec<StoredKeyRing> = (0..8).map(|_| key_ring()).collect();
    let answers = join_all(
        candidates
            .iter()
            .map(|candidate| store.signing_keys_or_insert(candidate)),
    )
    .await;
    let answers: Vec<_> = answers.into_iter().map(|a| a.expect("store")).collect();
    assert!(candidates.contains(&answers[0].keys), "one of the offers");
    for answer in &answers {
        assert_eq!(answer, &answers[0], "every instance got the same set");
    }
}

#[tokio::test]
async fn a_key_set_is_replaced_only_from_the_version_it_was_read_at() {
    let store = test_store().await;
    let (first, rotated, stale) = (key_ring(), key_ring(), key_ring());
    assert_eq!(
        store
            .replace_signing_keys(1, &rotated)
            .await
            .expect("store"),
        KeySetSwap::Outdated,
        "nothing stored yet: nothing to replace"
    );
    store.signing_keys_or_insert(&first).await.expect("store");

    let swap = store
        .replace_signing_keys(1, &rotated)
        .await
        .expect("store");
    assert_eq!(swap, KeySetSwap::Replaced);
    let swap = store.replace_signing_keys(1, &stale).await.expect("store");
    assert_eq!(swap, KeySetSwap::Outdated, "version 1 is gone");

    let now = store.signing_keys_or_insert(&stale).await.expect("store");
    assert_eq!((now.version, &now.keys), (2, &rotated));
}

#[tokio::test]
async fn of_eight_concurrent_rotations_from_one_version_exactly_one_replaces_the_set() {
    let store = test_store().await;
    store
        .signing_keys_or_insert(&key_ring())
        .await
        .expect("store");
    let rotations: Vec<StoredKeyRing> = (0..8).map(|_| key_ring()).collect();
    let swaps = join_all(
        rotations
            .iter()
            .map(|keys| store.replace_signing_keys(1, keys)),
    )
    .await;
    let swaps: Vec<KeySetSwap> = swaps.into_iter().map(|s| s.expect("store")).collect();
    let winners: Vec<usize> = (0..8)
        .filter(|&i| swaps[i] == KeySetSwap::Replaced)
        .collect();
    assert_eq!(winners.len(), 1, "{swaps:?}");
    let now = store
        .signing_keys_or_insert(&key_ring())
        .await
        .expect("store");
    assert_eq!((now.version, &now.keys), (2, &rotations[winners[0]]));
}

// ---------------------------------------------------------------------------------------
// Instances on one Redis.

/// How long an ID token lives in these tests (`ACCESS_TOKEN_TTL`), and the rotation period.
const ID_TOKEN_TTL: u64 = 600;
const ROTATION: u64 = 3600;

/// An in-process provider on the shared test Redis under `prefix`, whatever `TEST_STORE`.
async fn instance_on(prefix: &str) -> TestProvider {
    let redis = redis_server().url();
    let ttl = ID_TOKEN_TTL.to_string();
    let rotation = ROTATION.to_string();
    spawn_provider_with(&[
        ("STORE", redis.as_str()),
        ("STORE_PREFIX", prefix),
        ("SESSION_KEY", TEST_SESSION_KEY),
        ("ACCESS_TOKEN_TTL", ttl.as_str()),
        ("SIGNING_KEY_ROTATION", rotation.as_str()),
    ])
    .await
}

async fn jwks_at(url: &str) -> Jwks {
    let response = reqwest::get(url).await.expect("the provider answers");
    assert_eq!(response.status(), 200);
    response.json().await.expect("a JWK Set")
}

async fn jwks_of(provider: &TestProvider) -> Jwks {
    jwks_at(&provider.url("/.well-known/jwks.json")).await
}

fn kids(jwks: &Jwks) -> Vec<String> {
    jwks.keys.iter().map(|key| key.kid.clone()).collect()
}

/// An ID token from `provider` (login, consent, code exchange with scope `openid`).
async fn id_token(provider: &TestProvider) -> String {
    let request = AuthorizationRequest {
        scope: Some("openid".into()),
        ..AuthorizationRequest::default()
    };
    let code = provider
        .authorize(&request)
        .await
        .param("code")
        .expect("a code");
    let response = provider.exchange_code(&code).await;
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.expect("JSON");
    tokens["id_token"].as_str().expect("an id_token").to_owned()
}

/// The `kid` of the key that signed `jws`, which `jwks` must publish.
fn kid_verified_with(jws: &str, jwks: &Jwks) -> String {
    let verified = verify(jws, jwks, &Algorithm::ALL)
        .unwrap_or_else(|error| panic!("{error}: not signed by a key of {:?}", kids(jwks)));
    verified.header["kid"].as_str().expect("a kid").to_owned()
}

/// Moves both instances' clocks on, and runs the key sync of each (A first), as their
/// background tasks would within `RELOAD_EVERY`.
async fn advance_and_sync(a: &TestProvider, b: &TestProvider, by: u64) {
    a.clock.advance(Duration::from_secs(by));
    b.clock.advance(Duration::from_secs(by));
    a.app.sync_signing_keys().await.expect("A syncs");
    b.app.sync_signing_keys().await.expect("B syncs");
}

#[tokio::test]
async fn an_id_token_from_one_instance_verifies_with_the_jwks_another_process_publishes() {
    let prefix = fresh_prefix();
    // A provider process, with keys of its own making, is the first to start: its keys go
    // to the store. Then an instance in this process (other generated keys) starts.
    let process = spawn_instance(&prefix);
    let instance = instance_on(&prefix).await;

    let token = id_token(&instance).await;
    let published = jwks_at(&process.url("/.well-known/jwks.json")).await;
    kid_verified_with(&token, &published);
    assert_eq!(kids(&jwks_of(&instance).await), kids(&published));
}

#[tokio::test]
async fn after_a_rotation_both_instances_publish_old_and_new_keys_and_sign_with_the_new_one() {
    let prefix = fresh_prefix();
    let (a, b) = (instance_on(&prefix).await, instance_on(&prefix).await);
    let before = id_token(&a).await;
    let old_kid = kid_verified_with(&before, &jwks_of(&b).await);

    // A rotation period later, A rotates; B reloads the stored set.
    advance_and_sync(&a, &b, ROTATION).await;
    let (on_a, on_b) = (jwks_of(&a).await, jwks_of(&b).await);
    assert_eq!(kids(&on_a), kids(&on_b), "both publish the same set");
    assert_eq!(
        on_a.keys.len(),
        6,
        "for RS256 and for ES256: current, next, and the retired one"
    );
    assert!(kids(&on_b).contains(&old_kid));

    // New ID tokens, from either instance, carry the new kid; the old token still verifies.
    let new_kid = kid_verified_with(&id_token(&b).await, &on_a);
    assert_ne!(new_kid, old_kid);
    assert_eq!(kid_verified_with(&id_token(&a).await, &on_b), new_kid);
    kid_verified_with(&before, &on_b);

    // The old key stays while an ID token it signed may still be alive, then goes.
    advance_and_sync(&a, &b, ID_TOKEN_TTL).await;
    assert!(
        kids(&jwks_of(&b).await).contains(&old_kid),
        "{ID_TOKEN_TTL} s after"
    );
    let margin = RELOAD_EVERY.as_secs() + VERIFIER_SKEW.as_secs();
    advance_and_sync(&a, &b, margin).await;
    for provider in [&a, &b] {
        let jwks = jwks_of(provider).await;
        assert!(!kids(&jwks).contains(&old_kid), "{:?}", kids(&jwks));
        let first_es256 = jwks.keys.iter().find(|key| key.alg == "ES256");
        assert_eq!(
            first_es256.map(|key| key.kid.clone()),
            Some(new_kid.clone()),
            "the signing key is listed first of its algorithm's"
        );
    }
}
