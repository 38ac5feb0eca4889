//! The store's contract (`provider::store::GrantStore`), tested on the store itself, without
//! HTTP: the same functions run against the in-memory store and, with `TEST_STORE=redis`,
//! against Redis. Each promise of the store's doc table has a test here, and the two
//! atomic ones (a code redeemed once, a generation rotated once) are raced.

use futures_util::future::join_all;
use provider::domain::grant::{Audience, AuthorizationCode, TokenKind, TokenRecord};
use provider::domain::pkce::CodeChallenge;
use provider::domain::scope::ScopeSet;
use provider::domain::token::{FamilySalt, TokenHash, mint};
use provider::store::{Commit, Family, GrantStore, Store, TokenStatus};

use testkit::backend::{redis_requested, test_store};

/// A clock for these tests: now, so Redis TTLs (real time) and logical expiry agree.
fn now() -> u64 {
    provider::domain::Clock::System.now_millis()
}

fn code(grant_id: &str, now: u64) -> AuthorizationCode {
    AuthorizationCode {
        grant_id: grant_id.into(),
        client_id: "testclient".into(),
        nonce: None,
        auth_time: 0,
        sid: None,
        user_id: "user1".into(),
        redirect_uri: Some("http://localhost:3000/callback".into()),
        scopes: ScopeSet::DEFAULT,
        resources: provider::domain::grant::Resources::DEFAULT,
        code_challenge: CodeChallenge::parse("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
            .expect("well formed"),
        expires_at: now + 60_000,
    }
}

fn token(kind: TokenKind, grant_id: Option<&str>, now: u64, ttl: u64) -> (TokenHash, TokenRecord) {
    (
        mint().hash,
        TokenRecord {
            kind,
            grant_id: grant_id.map(Into::into),
            client_id: "testclient".into(),
            user_id: grant_id.map(|_| "user1".into()),
            scopes: ScopeSet::DEFAULT,
            audience: Audience::Provider,
            issued_at: now,
            expires_at: now + ttl,
        },
    )
}

/// A fresh pair for grant `grant`: (access, refresh), the access token for the provider.
fn pair(grant: &str, now: u64) -> Vec<(TokenHash, TokenRecord)> {
    pair_for(Audience::Provider, grant, now)
}

/// A fresh pair for grant `grant` whose access token is for `audience`.
fn pair_for(audience: Audience, grant: &str, now: u64) -> Vec<(TokenHash, TokenRecord)> {
    let (access_hash, mut access) = token(TokenKind::Access, Some(grant), now, 60_000);
    access.audience = audience;
    vec![
        (access_hash, access),
        token(TokenKind::Refresh, Some(grant), now, 120_000),
    ]
}

/// A store whose grant `grant` has redeemed its code: its family at generation 0, holding
/// one pair (whose hashes are returned, access then refresh).
async fn store_with_redeemed_code(grant: &str) -> (Store, Family, TokenHash, TokenHash) {
    let (store, _, family, access, refresh) = redeemed(grant).await;
    (store, family, access, refresh)
}

/// A store with one grant `g` (its code's hash returned) holding an access and a refresh
/// token: the pair its code was redeemed for.
async fn store_with_family(grant: &str) -> (Store, TokenHash, TokenHash, TokenHash) {
    let (store, code_hash, _, access, refresh) = redeemed(grant).await;
    (store, code_hash, access, refresh)
}

/// A grant whose code was redeemed for one pair: the store, the code's hash, the family,
/// the access and the refresh token's hashes.
async fn redeemed(grant: &str) -> (Store, TokenHash, Family, TokenHash, TokenHash) {
    let store = test_store().await;
    let now = now();
    let code_hash = mint().hash;
    let issued = code(grant, now);
    store
        .start_grant(code_hash, issued.clone(), now)
        .await
        .expect("the store answers");
    let tokens = pair(grant, now);
    let (access, refresh) = (tokens[0].0, tokens[1].0);
    let committed = store
        .commit_code(&code_hash, &issued, FamilySalt::random(), tokens)
        .await
        .expect("the store answers");
    assert_eq!(committed, Commit::Committed);
    let family = store
        .find_family(&grant.into())
        .await
        .expect("the store answers")
        .expect("the family started");
    (store, code_hash, family, access, refresh)
}

#[tokio::test]
async fn the_suite_runs_on_the_store_test_store_asks_for() {
    let store = test_store().await;
    assert_eq!(matches!(store, Store::Redis(_)), redis_requested());
}

#[tokio::test]
async fn a_code_is_redeemed_once_and_the_second_use_names_its_grant() {
    let store = test_store().await;
    let (hash, now) = (mint().hash, now());
    let issued = code("g1", now);
    store
        .start_grant(hash, issued.clone(), now)
        .await
        .expect("ok");
    let found = store.find_code(&hash).await.expect("ok").expect("known");
    assert!(!found.used);
    let first = store
        .commit_code(&hash, &issued, FamilySalt::random(), Vec::new())
        .await
        .expect("ok");
    assert_eq!(first, Commit::Committed);
    let second = store
        .commit_code(&hash, &issued, FamilySalt::random(), Vec::new())
        .await
        .expect("ok");
    assert_eq!(second, Commit::Replayed);
    let found = store.find_code(&hash).await.expect("ok").expect("known");
    assert!(found.used);
    assert_eq!(found.code.grant_id.as_ref(), "g1");
}

#[tokio::test]
async fn finding_a_code_changes_nothing_so_it_stays_usable() {
    let store = test_store().await;
    let (hash, now) = (mint().hash, now());
    let issued = code("g1", now);
    store
        .start_grant(hash, issued.clone(), now)
        .await
        .expect("ok");
    for _ in 0..3 {
        let found = store.find_code(&hash).await.expect("ok").expect("known");
        assert!(!found.used, "a lookup burns nothing");
    }
    let redeemed = store
        .commit_code(&hash, &issued, FamilySalt::random(), Vec::new())
        .await
        .expect("ok");
    assert_eq!(
        redeemed,
        Commit::Committed,
        "the real client's code still works"
    );
}

#[tokio::test]
async fn an_unknown_code_is_not_found_and_commits_nothing() {
    let store = test_store().await;
    let (hash, now) = (mint().hash, now());
    assert!(store.find_code(&hash).await.expect("ok").is_none());
    let access = token(TokenKind::Access, Some("g1"), now, 60_000);
    let access_hash = access.0;
    let committed = store
        .commit_code(&hash, &code("g1", now), FamilySalt::random(), vec![access])
        .await
        .expect("ok");
    assert_eq!(committed, Commit::Revoked);
    assert!(store.find_known(&access_hash).await.expect("ok").is_none());
}

#[tokio::test]
async fn sixteen_concurrent_redemptions_of_one_code_let_exactly_one_through() {
    let store = test_store().await;
    let (hash, now) = (mint().hash, now());
    let issued = code("g1", now);
    store
        .start_grant(hash, issued.clone(), now)
        .await
        .expect("ok");
    let outcomes = join_all(
        (0..16).map(|_| store.commit_code(&hash, &issued, FamilySalt::random(), pair("g1", now))),
    )
    .await;
    let outcomes: Vec<_> = outcomes
        .into_iter()
        .map(|outcome| outcome.expect("the store answers"))
        .collect();
    let winners = outcomes
        .iter()
        .filter(|outcome| **outcome == Commit::Committed)
        .count();
    assert_eq!(winners, 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .filter(|outcome| **outcome != Commit::Committed)
            .all(|outcome| *outcome == Commit::Replayed),
        "{outcomes:?}"
    );
    assert_eq!(store.size().await.expect("ok").tokens, 2, "one pair joined");
}

#[tokio::test]
async fn tokens_of_a_live_grant_are_found_by_hash_until_they_expire() {
    let (store, _, access, refresh) = store_with_family("g1").await;
    let now = now();
    let found = store.find_active(&access, now).await.expect("ok");
    assert_eq!(found.expect("active").kind, TokenKind::Access);
    assert!(
        store
            .find_active(&refresh, now)
            .await
            .expect("ok")
            .is_some()
    );
    assert!(
        store
            .find_active(&access, now + 60_000)
            .await
            .expect("ok")
            .is_none(),
        "expired the moment it expires"
    );
    assert!(
        store
            .find_active(&mint().hash, now)
            .await
            .expect("ok")
            .is_none()
    );
}

#[tokio::test]
async fn a_standalone_token_is_active_and_can_be_revoked() {
    let store = test_store().await;
    let now = now();
    let (hash, record) = token(TokenKind::Access, None, now, 60_000);
    store.save_standalone_token(hash, record).await.expect("ok");
    assert!(store.find_active(&hash, now).await.expect("ok").is_some());
    let revoked = store.revoke_token(&hash).await.expect("ok");
    assert!(revoked.is_some());
    assert!(store.find_active(&hash, now).await.expect("ok").is_none());
    assert!(store.revoke_token(&hash).await.expect("ok").is_none());
}

#[tokio::test]
async fn revoking_a_grant_removes_every_token_and_refuses_new_ones() {
    let (store, family, access, refresh) = store_with_redeemed_code("g1").await;
    let now = now();
    store.revoke_grant(&"g1".into()).await.expect("ok");
    assert!(store.find_active(&access, now).await.expect("ok").is_none());
    assert!(
        store
            .find_active(&refresh, now)
            .await
            .expect("ok")
            .is_none()
    );
    // The one way tokens join a redeemed grant is a rotation: it is refused.
    let late = token(TokenKind::Access, Some("g1"), now, 60_000);
    let late_hash = late.0;
    let saved = store
        .commit_rotation(&family, family.generation, vec![late])
        .await
        .expect("ok");
    assert_eq!(saved, Commit::Revoked);
    assert!(store.find_known(&late_hash).await.expect("ok").is_none());
}

#[tokio::test]
async fn a_replayed_code_reports_the_grant_whose_revocation_kills_its_tokens() {
    // The first use committed (the helper asserts it) and the pair joined the grant.
    let (store, code_hash, access, _) = store_with_family("g1").await;
    let now = now();
    let issued = code("g1", now);
    let replay = store
        .commit_code(&code_hash, &issued, FamilySalt::random(), Vec::new())
        .await
        .expect("ok");
    assert_eq!(replay, Commit::Replayed);
    let found = store
        .find_code(&code_hash)
        .await
        .expect("ok")
        .expect("known");
    store.revoke_grant(&found.code.grant_id).await.expect("ok");
    assert!(store.find_active(&access, now).await.expect("ok").is_none());
}

#[tokio::test]
async fn revoking_an_access_token_leaves_the_family_and_a_refresh_token_ends_it() {
    let (store, _, access, refresh) = store_with_family("g1").await;
    let now = now();
    store.revoke_token(&access).await.expect("ok");
    assert!(store.find_active(&access, now).await.expect("ok").is_none());
    assert!(
        store
            .find_active(&refresh, now)
            .await
            .expect("ok")
            .is_some()
    );

    let (store, _, access, refresh) = store_with_family("g2").await;
    store.revoke_token(&refresh).await.expect("ok");
    assert!(store.find_active(&access, now).await.expect("ok").is_none());
    assert!(
        store
            .find_active(&refresh, now)
            .await
            .expect("ok")
            .is_none()
    );
}

#[tokio::test]
async fn a_rotation_replaces_the_pair_and_a_second_one_from_the_same_generation_is_a_replay() {
    let (store, family, old_access, old_refresh) = store_with_redeemed_code("g1").await;
    let now = now();
    assert_eq!(family.generation, 0);
    let next = pair("g1", now);
    let (next_access, next_refresh) = (next[0].0, next[1].0);
    let rotated = store.commit_rotation(&family, 0, next).await.expect("ok");
    assert_eq!(rotated, Commit::Committed);
    for superseded in [old_access, old_refresh] {
        assert!(
            store.find_known(&superseded).await.expect("ok").is_none(),
            "the superseded pair is gone"
        );
    }
    assert!(
        store
            .find_active(&next_refresh, now)
            .await
            .expect("ok")
            .is_some()
    );
    let moved = store
        .find_family(&"g1".into())
        .await
        .expect("ok")
        .expect("live");
    assert_eq!(moved.generation, 1);
    let again = store
        .commit_rotation(&family, 0, pair("g1", now))
        .await
        .expect("ok");
    assert_eq!(again, Commit::Replayed);
    // The token endpoint revokes the grant on a replay: the family dies.
    store.revoke_grant(&family.grant_id).await.expect("ok");
    assert!(
        store
            .find_active(&next_access, now)
            .await
            .expect("ok")
            .is_none(),
        "the family died"
    );
    assert!(store.find_family(&"g1".into()).await.expect("ok").is_none());
}

#[tokio::test]
async fn a_revoked_grant_commits_no_rotation_and_has_no_family() {
    let (store, family, _, _) = store_with_redeemed_code("g1").await;
    let now = now();
    store.revoke_grant(&family.grant_id).await.expect("ok");
    assert!(store.find_family(&"g1".into()).await.expect("ok").is_none());
    let next = pair("g1", now);
    let next_access = next[0].0;
    let rotated = store.commit_rotation(&family, 0, next).await.expect("ok");
    assert_eq!(rotated, Commit::Revoked);
    assert!(store.find_known(&next_access).await.expect("ok").is_none());
    assert!(
        store
            .find_family(&"nope".into())
            .await
            .expect("ok")
            .is_none(),
        "an unknown grant has no family"
    );
}

#[tokio::test]
async fn eight_concurrent_rotations_of_one_generation_let_exactly_one_through() {
    let (store, family, _, _) = store_with_redeemed_code("g1").await;
    let now = now();
    let outcomes =
        join_all((0..8).map(|_| store.commit_rotation(&family, 0, pair("g1", now)))).await;
    let outcomes: Vec<_> = outcomes
        .into_iter()
        .map(|outcome| outcome.expect("the store answers"))
        .collect();
    assert_eq!(
        outcomes
            .iter()
            .filter(|outcome| **outcome == Commit::Committed)
            .count(),
        1,
        "{outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .filter(|outcome| **outcome != Commit::Committed)
            .all(|outcome| *outcome == Commit::Replayed),
        "{outcomes:?}"
    );
    // The grant never forked: one generation up, one pair in it.
    let moved = store
        .find_family(&"g1".into())
        .await
        .expect("ok")
        .expect("live");
    assert_eq!(moved.generation, 1);
    let grants = store
        .grants_of_user(&"user1".into(), now)
        .await
        .expect("ok");
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].tokens.len(), 2, "{grants:?}");
}

#[tokio::test]
async fn a_grant_holds_as_much_after_a_thousand_rotations_as_after_one() {
    let (store, mut family, _, _) = store_with_redeemed_code("g1").await;
    let now = now();
    let mut after_one = None;
    for generation in 0..1_000 {
        let rotated = store
            .commit_rotation(&family, generation, pair("g1", now))
            .await
            .expect("ok");
        assert_eq!(rotated, Commit::Committed);
        family = store
            .find_family(&"g1".into())
            .await
            .expect("ok")
            .expect("live");
        if generation == 0 {
            after_one = Some((store.size().await.expect("ok"), redis_keys(&store).await));
        }
    }
    assert_eq!(family.generation, 1_000);
    let after_thousand = (store.size().await.expect("ok"), redis_keys(&store).await);
    assert_eq!(Some(after_thousand), after_one);
}

#[tokio::test]
async fn a_rotation_replaces_the_access_token_of_its_own_audience_and_leaves_the_others() {
    // RFC 8707 §2.2: one authorization, a token request per resource. Generation 0 holds
    // the provider's access token; two rotations then ask for the notes API.
    let (store, family, for_provider, first_refresh) = store_with_redeemed_code("g1").await;
    let now = now();
    let first = pair_for(Audience::Api, "g1", now);
    let (first_for_api, second_refresh) = (first[0].0, first[1].0);
    let rotated = store.commit_rotation(&family, 0, first).await.expect("ok");
    assert_eq!(rotated, Commit::Committed);
    assert!(
        store
            .find_known(&first_refresh)
            .await
            .expect("ok")
            .is_none()
    );

    let second = pair_for(Audience::Api, "g1", now);
    let second_for_api = second[0].0;
    let rotated = store.commit_rotation(&family, 1, second).await.expect("ok");
    assert_eq!(rotated, Commit::Committed);
    assert!(
        store
            .find_active(&for_provider, now)
            .await
            .expect("ok")
            .is_some(),
        "the provider's access token is for another audience: it stays valid"
    );
    for superseded in [first_for_api, second_refresh] {
        assert!(
            store.find_known(&superseded).await.expect("ok").is_none(),
            "the previous API token and refresh token are gone"
        );
    }
    assert!(
        store
            .find_active(&second_for_api, now)
            .await
            .expect("ok")
            .is_some()
    );

    // Revoking the grant still takes every token, whatever its audience.
    store.revoke_grant(&family.grant_id).await.expect("ok");
    for gone in [for_provider, second_for_api] {
        assert!(store.find_known(&gone).await.expect("ok").is_none());
    }
}

#[tokio::test]
async fn a_grant_alternating_audiences_holds_as_much_after_a_thousand_rotations_as_after_two() {
    let (store, mut family, _, _) = store_with_redeemed_code("g1").await;
    let now = now();
    let mut after_two = None;
    for generation in 0..1_000 {
        let audience = if generation % 2 == 0 {
            Audience::Api
        } else {
            Audience::Provider
        };
        let rotated = store
            .commit_rotation(&family, generation, pair_for(audience, "g1", now))
            .await
            .expect("ok");
        assert_eq!(rotated, Commit::Committed);
        family = store
            .find_family(&"g1".into())
            .await
            .expect("ok")
            .expect("live");
        if generation == 1 {
            after_two = Some((store.size().await.expect("ok"), redis_keys(&store).await));
        }
    }
    let after_thousand = (store.size().await.expect("ok"), redis_keys(&store).await);
    assert_eq!(Some(after_thousand), after_two);
    let grants = store
        .grants_of_user(&"user1".into(), now)
        .await
        .expect("ok");
    assert_eq!(
        grants[0].tokens.len(),
        3,
        "one refresh token and one access token per audience: {grants:?}"
    );
}

/// On Redis, every key this test's store holds (none on the memory store).
async fn redis_keys(store: &Store) -> usize {
    let Store::Redis(redis) = store else {
        return 0;
    };
    let mut connection = redis.connection();
    let keys: Vec<String> = ::redis::cmd("KEYS")
        .arg(format!("{}*", redis.prefix()))
        .query_async(&mut connection)
        .await
        .expect("KEYS");
    keys.len()
}

#[tokio::test]
async fn the_account_view_lists_live_families_of_their_owner_only() {
    let (store, _, access, _) = store_with_family("g1").await;
    let now = now();
    let grants = store
        .grants_of_user(&"user1".into(), now)
        .await
        .expect("ok");
    assert_eq!(grants.len(), 1);
    assert_eq!(&*grants[0].id, "g1");
    assert_eq!(grants[0].tokens.len(), 2);
    assert!(
        grants[0]
            .tokens
            .iter()
            .all(|token| token.status == TokenStatus::Active)
    );
    assert!(
        grants[0]
            .tokens
            .iter()
            .any(|token| token.fingerprint == access.fingerprint())
    );
    assert!(
        store
            .grants_of_user(&"someone".into(), now)
            .await
            .expect("ok")
            .is_empty()
    );
    assert!(
        store
            .grant_belongs_to(&"g1".into(), &"user1".into())
            .await
            .expect("ok")
    );
    assert!(
        !store
            .grant_belongs_to(&"g1".into(), &"someone".into())
            .await
            .expect("ok")
    );
    assert!(
        !store
            .grant_belongs_to(&"nope".into(), &"user1".into())
            .await
            .expect("ok")
    );
}

#[tokio::test]
async fn nothing_outlives_its_expiry() {
    let (store, _, _, _) = store_with_family("g1").await;
    let now = now();
    match &store {
        Store::Memory(memory) => {
            let purged = GrantStore::purge_expired(memory, now + 200_000)
                .await
                .expect("ok");
            assert_eq!(purged.codes + purged.tokens + purged.grants, 4);
            assert_eq!(store.size().await.expect("ok"), Default::default());
        }
        Store::Redis(redis) => {
            // Redis expires what the memory store purges: every key has a TTL no longer
            // than the longest-lived record it serves (the refresh token, 120 s).
            let mut connection = redis.connection();
            let keys: Vec<String> = ::redis::cmd("KEYS")
                .arg(format!("{}*", redis.prefix()))
                .query_async(&mut connection)
                .await
                .expect("KEYS");
            assert_eq!(
                keys.len(),
                6,
                "code, grant, family, user, 2 tokens: {keys:?}"
            );
            for key in keys {
                let ttl: i64 = ::redis::cmd("PTTL")
                    .arg(&key)
                    .query_async(&mut connection)
                    .await
                    .expect("PTTL");
                assert!(ttl > 0 && ttl <= 120_000, "{key} has TTL {ttl}");
                let rest = &key[redis.prefix().len()..];
                if let Some(hash) = rest
                    .strip_prefix("token:")
                    .or_else(|| rest.strip_prefix("code:"))
                {
                    assert!(
                        hash.len() == 64 && hash.bytes().all(|byte| byte.is_ascii_hexdigit()),
                        "keyed by the SHA-256 hex, never the token: {key}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn a_retired_generation_stays_recognisable_from_the_family_record_alone() {
    let (store, family, _, old_refresh) = store_with_redeemed_code("g1").await;
    let now = now();
    let next = pair("g1", now);
    let next_refresh = next[1].0;
    let rotated = store.commit_rotation(&family, 0, next).await.expect("ok");
    assert_eq!(rotated, Commit::Committed);
    // Nothing is kept per retired token: the family's generation says generation 0 is
    // retired, and its salt lets the token endpoint check the token's MAC.
    assert!(store.find_known(&old_refresh).await.expect("ok").is_none());
    let moved = store
        .find_family(&"g1".into())
        .await
        .expect("ok")
        .expect("live");
    assert_eq!((moved.generation, moved.salt), (1, family.salt));
    store.revoke_grant(&moved.grant_id).await.expect("ok");
    assert!(
        store
            .find_active(&next_refresh, now)
            .await
            .expect("ok")
            .is_none(),
        "the pair it was rotated into is gone too"
    );
    assert!(store.find_known(&mint().hash).await.expect("ok").is_none());
}

#[tokio::test]
async fn a_redeemed_codes_tokens_join_its_grant_in_the_same_step() {
    let store = test_store().await;
    let (hash, now) = (mint().hash, now());
    let issued = code("g1", now);
    store
        .start_grant(hash, issued.clone(), now)
        .await
        .expect("ok");
    let access = token(TokenKind::Access, Some("g1"), now, 60_000);
    let access_hash = access.0;
    let redeemed = store
        .commit_code(&hash, &issued, FamilySalt::random(), vec![access])
        .await
        .expect("the store answers");
    assert_eq!(redeemed, Commit::Committed);
    let found = store
        .find_active(&access_hash, now)
        .await
        .expect("the store answers");
    assert!(
        found.is_some(),
        "the token is live as soon as the code is used"
    );

    // A replay revokes the grant: the token issued with the code goes with it.
    let replay = store
        .commit_code(&hash, &issued, FamilySalt::random(), Vec::new())
        .await
        .expect("the store answers");
    assert_eq!(replay, Commit::Replayed);
    store
        .revoke_grant(&issued.grant_id)
        .await
        .expect("the store answers");
    let found = store
        .find_active(&access_hash, now)
        .await
        .expect("the store answers");
    assert!(found.is_none(), "the replay's revocation found the token");
}

#[tokio::test]
async fn a_code_whose_grant_was_revoked_issues_nothing() {
    let store = test_store().await;
    let (hash, now) = (mint().hash, now());
    let issued = code("g1", now);
    store
        .start_grant(hash, issued.clone(), now)
        .await
        .expect("ok");
    store.revoke_grant(&"g1".into()).await.expect("ok");
    let access = token(TokenKind::Access, Some("g1"), now, 60_000);
    let access_hash = access.0;
    let redeemed = store
        .commit_code(&hash, &issued, FamilySalt::random(), vec![access])
        .await
        .expect("the store answers");
    assert_eq!(redeemed, Commit::Revoked);
    let found = store
        .find_known(&access_hash)
        .await
        .expect("the store answers");
    assert!(found.is_none(), "no token joins a revoked grant");
}

#[tokio::test]
async fn the_logins_sid_is_kept_with_the_code_and_the_grant_for_every_refresh() {
    let store = test_store().await;
    let now = now();
    let code_hash = mint().hash;
    let issued = AuthorizationCode {
        sid: Some("session-1".into()),
        ..code("g-sid", now)
    };
    store
        .start_grant(code_hash, issued.clone(), now)
        .await
        .expect("the store answers");
    let found = store
        .find_code(&code_hash)
        .await
        .expect("the store answers")
        .expect("the code");
    assert_eq!(found.code.sid.as_deref(), Some("session-1"));
    store
        .commit_code(
            &code_hash,
            &issued,
            FamilySalt::random(),
            pair("g-sid", now),
        )
        .await
        .expect("the store answers");
    let family = store
        .find_family(&"g-sid".into())
        .await
        .expect("the store answers")
        .expect("the family started");
    assert_eq!(family.sid.as_deref(), Some("session-1"));

    let (_, family, _, _) = store_with_redeemed_code("g-no-sid").await;
    assert_eq!(family.sid, None, "a login without a sid stays without one");
}
