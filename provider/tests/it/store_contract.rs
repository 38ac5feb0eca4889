//! The store's contract (`provider::store::GrantStore`), tested on the store itself, without
//! HTTP: the same functions run against the in-memory store and, with `TEST_STORE=redis`,
//! against Redis. Each promise of the store's doc table has a test here, and the two
//! atomic ones (a code redeemed once, a refresh token rotated once) are raced.

use futures_util::future::join_all;
use provider::domain::grant::{AuthorizationCode, TokenKind, TokenRecord};
use provider::domain::pkce::CodeChallenge;
use provider::domain::scope::ScopeSet;
use provider::domain::token::{TokenHash, mint};
use provider::store::{GrantRevoked, GrantStore, RedeemError, RotateError, Store, TokenStatus};

use crate::helpers::backend::{redis_requested, test_store};

/// A clock for these tests: now, so Redis TTLs (real time) and logical expiry agree.
fn now() -> u64 {
    provider::domain::now_millis()
}

fn code(grant_id: &str, now: u64) -> AuthorizationCode {
    AuthorizationCode {
        grant_id: grant_id.into(),
        client_id: "testclient".into(),
        user_id: "user1".into(),
        redirect_uri: Some("http://localhost:3000/callback".into()),
        scopes: ScopeSet::DEFAULT,
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
            issued_at: now,
            expires_at: now + ttl,
            grant_ends_at: None,
        },
    )
}

fn always_ok<T>(_: &T) -> Result<(), ()> {
    Ok(())
}

fn no_tokens<T>(_: &T) -> Vec<(TokenHash, TokenRecord)> {
    Vec::new()
}

/// A store with one grant `g` (its code's hash returned) holding an access and a refresh token.
async fn store_with_family(grant: &str) -> (Store, TokenHash, TokenHash, TokenHash) {
    let store = test_store().await;
    let now = now();
    let code_hash = mint().hash;
    store
        .start_grant(code_hash, code(grant, now), now)
        .await
        .expect("the store answers");
    let access = token(TokenKind::Access, Some(grant), now, 60_000);
    let refresh = token(TokenKind::Refresh, Some(grant), now, 120_000);
    let (access_hash, refresh_hash) = (access.0, refresh.0);
    store
        .save_tokens(&grant.into(), vec![access, refresh])
        .await
        .expect("the store answers")
        .expect("the grant is live");
    (store, code_hash, access_hash, refresh_hash)
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
    store
        .start_grant(hash, code("g1", now), now)
        .await
        .expect("ok");
    let first = store
        .redeem_code(&hash, now, always_ok, no_tokens)
        .await
        .expect("ok");
    assert_eq!(
        first.expect("the first use succeeds").grant_id.as_ref(),
        "g1"
    );
    let second = store
        .redeem_code(&hash, now, always_ok, no_tokens)
        .await
        .expect("ok");
    assert_eq!(second.map(|_| ()), Err(RedeemError::Replayed("g1".into())));
}

#[tokio::test]
async fn a_refused_check_leaves_the_code_usable() {
    let store = test_store().await;
    let (hash, now) = (mint().hash, now());
    store
        .start_grant(hash, code("g1", now), now)
        .await
        .expect("ok");
    let refused = store
        .redeem_code(&hash, now, |_| Err("wrong verifier"), no_tokens)
        .await
        .expect("ok");
    assert_eq!(
        refused.map(|_| ()),
        Err(RedeemError::Rejected("wrong verifier"))
    );
    let redeemed = store
        .redeem_code(&hash, now, always_ok, no_tokens)
        .await
        .expect("ok");
    assert!(redeemed.is_ok(), "the real client's code still works");
}

#[tokio::test]
async fn an_unknown_or_expired_code_cannot_be_redeemed() {
    let store = test_store().await;
    let (hash, now) = (mint().hash, now());
    let unknown = store
        .redeem_code(&hash, now, always_ok, no_tokens)
        .await
        .expect("ok");
    assert_eq!(unknown.map(|_| ()), Err(RedeemError::Unknown));
    store
        .start_grant(hash, code("g1", now), now)
        .await
        .expect("ok");
    let late = store
        .redeem_code(&hash, now + 60_000, always_ok, no_tokens)
        .await
        .expect("ok");
    assert_eq!(late.map(|_| ()), Err(RedeemError::Expired));
}

#[tokio::test]
async fn sixteen_concurrent_redemptions_of_one_code_let_exactly_one_through() {
    let store = test_store().await;
    let (hash, now) = (mint().hash, now());
    store
        .start_grant(hash, code("g1", now), now)
        .await
        .expect("ok");
    let outcomes =
        join_all((0..16).map(|_| store.redeem_code(&hash, now, always_ok, no_tokens))).await;
    let outcomes: Vec<_> = outcomes
        .into_iter()
        .map(|outcome| outcome.expect("the store answers"))
        .collect();
    let winners = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
    assert_eq!(winners, 1, "{outcomes:?}");
    assert!(
        outcomes.iter().filter(|outcome| outcome.is_err()).all(
            |outcome| matches!(outcome, Err(RedeemError::Replayed(grant)) if &**grant == "g1")
        )
    );
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
    let (store, _, access, refresh) = store_with_family("g1").await;
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
    let late = token(TokenKind::Access, Some("g1"), now, 60_000);
    let saved = store
        .save_tokens(&"g1".into(), vec![late])
        .await
        .expect("ok");
    assert_eq!(saved, Err(GrantRevoked));
}

#[tokio::test]
async fn a_replayed_code_reports_the_grant_whose_revocation_kills_its_tokens() {
    let (store, code_hash, access, _) = store_with_family("g1").await;
    let now = now();
    assert!(
        store
            .redeem_code(&code_hash, now, always_ok, no_tokens)
            .await
            .expect("ok")
            .is_ok()
    );
    let replay = store
        .redeem_code(&code_hash, now, always_ok, no_tokens)
        .await
        .expect("ok");
    let Err(RedeemError::Replayed(grant)) = replay else {
        panic!("a replay is reported: {replay:?}");
    };
    store.revoke_grant(&grant).await.expect("ok");
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
async fn a_rotated_refresh_token_used_again_revokes_the_family() {
    let (store, _, _, old) = store_with_family("g1").await;
    let now = now();
    let next = token(TokenKind::Refresh, Some("g1"), now, 120_000);
    let next_hash = next.0;
    let rotated = store
        .rotate_refresh(&old, now, always_ok, move |_| vec![next])
        .await
        .expect("ok");
    assert!(rotated.is_ok());
    assert!(
        store.find_active(&old, now).await.expect("ok").is_none(),
        "retired"
    );
    assert!(
        store
            .find_active(&next_hash, now)
            .await
            .expect("ok")
            .is_some()
    );
    let reused = store
        .rotate_refresh(&old, now, always_ok, |_| Vec::new())
        .await
        .expect("ok");
    assert_eq!(reused.map(|_| ()), Err(RotateError::Reused));
    assert!(
        store
            .find_active(&next_hash, now)
            .await
            .expect("ok")
            .is_none(),
        "the family died"
    );
}

#[tokio::test]
async fn a_refused_rotation_check_changes_nothing() {
    let (store, _, _, old) = store_with_family("g1").await;
    let now = now();
    let refused = store
        .rotate_refresh(&old, now, |_| Err("other client"), |_| Vec::new())
        .await
        .expect("ok");
    assert_eq!(
        refused.map(|_| ()),
        Err(RotateError::Rejected("other client"))
    );
    assert!(store.find_active(&old, now).await.expect("ok").is_some());
    let expired = store
        .rotate_refresh(&old, now + 120_000, always_ok, |_| Vec::new())
        .await
        .expect("ok");
    assert_eq!(expired.map(|_| ()), Err(RotateError::Expired));
    let access_hash = mint().hash;
    let not_refresh = store
        .rotate_refresh(&access_hash, now, always_ok, |_| Vec::new())
        .await
        .expect("ok");
    assert_eq!(not_refresh.map(|_| ()), Err(RotateError::Unknown));
}

#[tokio::test]
async fn eight_concurrent_rotations_of_one_refresh_token_let_exactly_one_through() {
    let (store, _, _, old) = store_with_family("g1").await;
    let now = now();
    let outcomes = join_all((0..8).map(|_| {
        let next = token(TokenKind::Refresh, Some("g1"), now, 120_000);
        store.rotate_refresh(&old, now, always_ok, move |_| vec![next])
    }))
    .await;
    let outcomes: Vec<_> = outcomes
        .into_iter()
        .map(|outcome| outcome.expect("the store answers").map(|_| ()))
        .collect();
    assert_eq!(
        outcomes.iter().filter(|outcome| outcome.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .filter(|outcome| outcome.is_err())
            .all(|outcome| matches!(outcome, Err(RotateError::Reused | RotateError::Unknown))),
        "{outcomes:?}"
    );
    // The losers saw a retired token: the family is revoked, the winner's pair included.
    let grants = store.grants_of_user("user1", now).await.expect("ok");
    assert!(grants.is_empty(), "{grants:?}");
}

#[tokio::test]
async fn the_account_view_lists_live_families_of_their_owner_only() {
    let (store, _, access, _) = store_with_family("g1").await;
    let now = now();
    let grants = store.grants_of_user("user1", now).await.expect("ok");
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
            .grants_of_user("someone", now)
            .await
            .expect("ok")
            .is_empty()
    );
    assert!(store.grant_belongs_to("g1", "user1").await.expect("ok"));
    assert!(!store.grant_belongs_to("g1", "someone").await.expect("ok"));
    assert!(!store.grant_belongs_to("nope", "user1").await.expect("ok"));
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
async fn a_rotated_refresh_token_is_still_known_to_revocation_which_ends_its_family() {
    let (store, _, _, old) = store_with_family("g1").await;
    let now = now();
    let next = token(TokenKind::Refresh, Some("g1"), now, 120_000);
    let next_hash = next.0;
    store
        .rotate_refresh(&old, now, always_ok, move |_| vec![next])
        .await
        .expect("ok")
        .expect("rotated");
    assert!(store.find_active(&old, now).await.expect("ok").is_none());
    let known = store.find_known(&old).await.expect("ok");
    assert_eq!(known.expect("still known").kind, TokenKind::Refresh);
    store.revoke_token(&old).await.expect("ok");
    assert!(
        store
            .find_active(&next_hash, now)
            .await
            .expect("ok")
            .is_none(),
        "the pair it was rotated into is gone too"
    );
    assert!(store.find_known(&old).await.expect("ok").is_none());
    assert!(store.find_known(&mint().hash).await.expect("ok").is_none());
}

#[tokio::test]
async fn a_redeemed_codes_tokens_join_its_grant_in_the_same_step() {
    let store = test_store().await;
    let (hash, now) = (mint().hash, now());
    store
        .start_grant(hash, code("g1", now), now)
        .await
        .expect("ok");
    let access = token(TokenKind::Access, Some("g1"), now, 60_000);
    let access_hash = access.0;
    let redeemed = store
        .redeem_code(&hash, now, always_ok, |_| vec![access])
        .await
        .expect("the store answers");
    assert!(redeemed.is_ok());
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
        .redeem_code(&hash, now, always_ok, no_tokens)
        .await
        .expect("the store answers");
    let Err(RedeemError::Replayed(grant)) = replay else {
        panic!("a second use is a replay: {replay:?}");
    };
    store.revoke_grant(&grant).await.expect("the store answers");
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
    store
        .start_grant(hash, code("g1", now), now)
        .await
        .expect("ok");
    store.revoke_grant(&"g1".into()).await.expect("ok");
    let access = token(TokenKind::Access, Some("g1"), now, 60_000);
    let access_hash = access.0;
    let redeemed = store
        .redeem_code(&hash, now, always_ok, |_| vec![access])
        .await
        .expect("the store answers");
    assert_eq!(redeemed.map(|_| ()), Err(RedeemError::Revoked));
    let found = store
        .find_known(&access_hash)
        .await
        .expect("the store answers");
    assert!(found.is_none(), "no token joins a revoked grant");
}
