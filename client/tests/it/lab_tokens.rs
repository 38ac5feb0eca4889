//! `/lab`, the signed-token cards: each forged or misused ID token is refused by the client's
//! real check (OpenID Connect Core 1.0 §3.1.3.7), each JWT access token by the notes API's
//! (RFC 9068 §4), and each falls on the deliberately naive validator beside it. The honest
//! card shows a revoked JWT still accepted, and introspection saying inactive.

use testkit::apps::{base_url, free_listener, spawn_api_on};
use testkit::{TestApps, spawn_provider_and_client, spawn_with};

use crate::lab::run_card;

/// Provider, client and the notes API, the client's `API_URL` pointing at the API.
async fn spawn_with_api() -> TestApps {
    let listener = free_listener();
    let api_url = base_url(&listener, "127.0.0.1");
    let apps = spawn_with(&[], &[("API_URL", api_url.as_str())]).await;
    spawn_api_on(listener, &apps.provider, &[]);
    apps
}

/// The card was refused by `who` at `check`, and the naive validator fell for it.
fn assert_refused_and_naive_falls(card: &str, who: &str, check: &str) {
    assert!(card.contains(&format!("Refused by the {who}")), "{card}");
    assert!(card.contains(check), "{check}: {card}");
    assert!(
        card.contains("The attack SUCCEEDED against the naive handler"),
        "{card}"
    );
}

#[tokio::test]
async fn an_id_token_issued_to_another_client_is_refused_at_aud_and_the_naive_check_signs_in() {
    let apps = spawn_provider_and_client().await;
    let (_, card) = run_card(&apps, "id-token-audience").await;
    assert_refused_and_naive_falls(&card, "client", "refused it at step \"aud\"");
    assert!(card.contains("another client"), "{card}");
    assert!(card.contains("\"aud\":\"another-client\""), "{card}");
}

#[tokio::test]
async fn a_replayed_nonce_and_a_missing_one_are_refused_at_nonce_and_the_naive_check_takes_both() {
    let apps = spawn_provider_and_client().await;
    let (_, card) = run_card(&apps, "id-token-nonce").await;
    assert_refused_and_naive_falls(&card, "client", "refused both at step \"nonce\"");
    assert_eq!(card.matches("✗ nonce").count(), 2, "{card}");
}

#[tokio::test]
async fn an_unsigned_id_token_is_refused_at_alg_and_the_naive_check_believes_it() {
    let apps = spawn_provider_and_client().await;
    let (_, card) = run_card(&apps, "id-token-alg-none").await;
    assert_refused_and_naive_falls(&card, "client", "refused it at step \"alg\"");
    assert!(card.contains("✗ alg"), "{card}");
    assert!(card.contains("\"alg\":\"none\""), "{card}");
}

#[tokio::test]
async fn an_hs256_id_token_keyed_with_the_providers_rsa_public_key_is_refused_at_alg() {
    let apps = spawn_provider_and_client().await;
    let (_, card) = run_card(&apps, "id-token-alg-confusion").await;
    assert_refused_and_naive_falls(&card, "client", "refused it at step \"alg\"");
    assert!(card.contains("the public RSA key"), "{card}");
    assert!(card.contains("HMAC"), "{card}");
}

#[tokio::test]
async fn an_expired_id_token_is_refused_at_exp_and_the_naive_check_takes_it() {
    let apps = spawn_provider_and_client().await;
    let (_, card) = run_card(&apps, "id-token-expired").await;
    assert_refused_and_naive_falls(&card, "client", "refused it at step \"exp\"");
    assert!(card.contains("✗ exp"), "{card}");
}

#[tokio::test]
async fn an_id_token_with_a_kid_the_jwks_lacks_is_refused_at_kid_and_the_naive_check_skips_it() {
    let apps = spawn_provider_and_client().await;
    let (_, card) = run_card(&apps, "id-token-unknown-kid").await;
    assert_refused_and_naive_falls(&card, "client", "refused it at step \"kid\"");
    assert!(card.contains("attacker-key"), "{card}");
    assert!(card.contains("fetch jwks_uri once more"), "{card}");
}

#[tokio::test]
async fn an_id_token_as_a_bearer_token_is_refused_by_the_provider_and_the_notes_api() {
    let apps = spawn_with_api().await;
    let (_, card) = run_card(&apps, "id-token-as-access-token").await;
    assert_refused_and_naive_falls(
        &card,
        "provider and the notes API",
        "HTTP 401 invalid_token",
    );
    assert!(
        card.contains("GET /api/auth/me") && card.contains("GET /notes"),
        "{card}"
    );
    assert!(
        !card.contains("ACCEPTED an ID token as an access token"),
        "{card}"
    );
}

#[tokio::test]
async fn an_unsigned_access_token_is_refused_by_the_running_notes_api() {
    let apps = spawn_with_api().await;
    let (_, card) = run_card(&apps, "access-token-alg-none").await;
    assert_refused_and_naive_falls(&card, "notes API", "HTTP 401 invalid_token");
    assert!(card.contains("resource_metadata="), "{card}");
}

#[tokio::test]
async fn an_access_token_macd_with_the_providers_public_key_is_refused_by_the_notes_api() {
    let apps = spawn_with_api().await;
    let (_, card) = run_card(&apps, "access-token-alg-confusion").await;
    assert_refused_and_naive_falls(&card, "notes API", "HTTP 401 invalid_token");
    assert!(card.contains("\"alg\":\"HS256\""), "{card}");
}

#[tokio::test]
async fn an_access_token_carrying_the_attackers_own_key_is_refused_by_the_notes_api() {
    let apps = spawn_with_api().await;
    let (_, card) = run_card(&apps, "access-token-attacker-key").await;
    assert_refused_and_naive_falls(&card, "notes API", "HTTP 401 invalid_token");
    assert!(card.contains("\"jwk\":{"), "{card}");
    assert!(card.contains("\"jku\":"), "{card}");
}

#[tokio::test]
async fn a_token_for_the_providers_api_is_refused_at_the_notes_apis_audience_step() {
    let apps = spawn_provider_and_client().await;
    let (_, card) = run_card(&apps, "access-token-audience").await;
    assert_refused_and_naive_falls(&card, "notes API", "refused at step Audience");
}

#[tokio::test]
async fn an_expired_access_token_is_refused_at_the_notes_apis_lifetime_step() {
    let apps = spawn_provider_and_client().await;
    let (_, card) = run_card(&apps, "access-token-expired").await;
    assert_refused_and_naive_falls(&card, "notes API", "refused at step Lifetime");
}

#[tokio::test]
async fn a_revoked_jwt_is_still_accepted_by_the_notes_api_and_introspection_says_inactive() {
    let apps = spawn_provider_and_client().await;
    let (_, card) = run_card(&apps, "access-token-revoked").await;
    assert!(
        card.contains("NOT refused"),
        "the honest card says the API accepts it: {card}"
    );
    assert!(
        card.contains(
            "before revocation: accepted; after: accepted; introspection: active = false"
        ),
        "{card}"
    );
    assert!(card.contains("Short lifetimes"), "{card}");
    assert!(
        card.contains("Introspection for high-value calls"),
        "{card}"
    );
}

#[tokio::test]
async fn with_the_notes_api_down_an_api_card_says_how_to_start_it() {
    let listener = free_listener();
    let api_url = base_url(&listener, "127.0.0.1");
    drop(listener);
    let apps = spawn_with(&[], &[("API_URL", api_url.as_str())]).await;
    let browser = testkit::Browser::new();
    let lab = browser.get(&apps.client_url("/lab")).await;
    let page = apps
        .submit(&browser, &lab, "/lab/access-token-alg-none", &[])
        .await;
    let card = crate::lab::card_text(&page, "access-token-alg-none");
    assert!(
        card.contains(
            "The lab could not run this attack to its end: the notes API does not answer at"
        ),
        "{card}"
    );
    assert!(card.contains("start it with `cargo run`"), "{card}");
}
