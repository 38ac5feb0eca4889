//! The notes (the protected resource), reached with good tokens.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Signer, spawn_api, spawn_authorization_server, spawn_both, www_authenticate};

#[tokio::test]
async fn a_good_token_writes_a_note_and_reads_it_back() {
    let (issuer, api) = spawn_both().await;
    let token = issuer.token(&api.url, "user1", "notes:read notes:write");

    let created = api.add_note(&token, "buy milk").await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let note: Value = created.json().await.expect("JSON");
    assert_eq!(note["text"], "buy milk");
    assert!(note["id"].is_u64(), "{note}");

    let listed = api.list_notes(&token).await;
    assert_eq!(listed.status(), StatusCode::OK);
    let notes: Value = listed.json().await.expect("JSON");
    assert_eq!(notes, serde_json::json!([note]));
}

#[tokio::test]
async fn an_eddsa_signed_token_is_accepted_too() {
    let issuer = spawn_authorization_server(Signer::ed25519("ed-1")).await;
    let api = spawn_api(&issuer.issuer, &[]).await;
    let token = issuer.token(&api.url, "user1", "notes:read");
    assert_eq!(api.list_notes(&token).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_rs256_signed_token_is_accepted_too() {
    let issuer = spawn_authorization_server(Signer::rs256("rsa-1")).await;
    let api = spawn_api(&issuer.issuer, &[]).await;
    let token = issuer.token(&api.url, "user1", "notes:read");
    assert_eq!(api.list_notes(&token).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_user_sees_only_their_own_notes() {
    let (issuer, api) = spawn_both().await;
    let alice = issuer.token(&api.url, "alice", "notes:read notes:write");
    let bob = issuer.token(&api.url, "bob", "notes:read notes:write");
    api.add_note(&alice, "alice's secret").await;

    let bobs: Value = api.list_notes(&bob).await.json().await.expect("JSON");
    assert_eq!(bobs, serde_json::json!([]));
    let alices: Value = api.list_notes(&alice).await.json().await.expect("JSON");
    assert_eq!(alices[0]["text"], "alice's secret");
}

#[tokio::test]
async fn a_request_without_a_token_gets_a_bare_challenge_naming_the_metadata() {
    let (_issuer, api) = spawn_both().await;
    let response = api
        .http
        .get(format!("{}/notes", api.url))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // RFC 6750 §3.1: no `error` when the request had no authentication at all.
    assert_eq!(www_authenticate(&response), api.challenge());
}

#[tokio::test]
async fn a_token_without_the_routes_scope_is_403_insufficient_scope_naming_it() {
    let (issuer, api) = spawn_both().await;
    let read_only = issuer.token(&api.url, "user1", "notes:read");
    let response = api.add_note(&read_only, "no").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        www_authenticate(&response),
        format!(
            "{}, error=\"insufficient_scope\", scope=\"notes:write\"",
            api.challenge()
        )
    );
    assert!(api.app.notebook.list("user1").is_empty());
}

#[tokio::test]
async fn a_token_with_only_notes_write_cannot_list_notes_403_naming_notes_read() {
    let (issuer, api) = spawn_both().await;
    let write_only = issuer.token(&api.url, "user1", "notes:write");
    let response = api.list_notes(&write_only).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        www_authenticate(&response),
        format!(
            "{}, error=\"insufficient_scope\", scope=\"notes:read\"",
            api.challenge()
        )
    );
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"], "insufficient_scope");
}

#[tokio::test]
async fn another_authorization_scheme_gets_the_bare_challenge_naming_the_metadata() {
    // RFC 6750 §3.1: a request that "lacks any authentication information" for this scheme
    // gets the challenge with no error code; the token is not even looked at.
    let (issuer, api) = spawn_both().await;
    let token = issuer.token(&api.url, "user1", "notes:read");
    let response = api
        .http
        .get(format!("{}/notes", api.url))
        .header("authorization", format!("Basic {token}"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(www_authenticate(&response), api.challenge());
}

#[tokio::test]
async fn an_empty_or_too_long_note_is_invalid_request_and_a_full_notebook_says_so() {
    let issuer = spawn_authorization_server(Signer::es256("key-1")).await;
    let api = spawn_api(&issuer.issuer, &[("NOTES_PER_USER", "1")]).await;
    let token = issuer.token(&api.url, "user1", "notes:write");
    for text in [String::new(), "x".repeat(1001)] {
        let response = api.add_note(&token, &text).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body["error"], "invalid_request");
    }
    assert_eq!(
        api.add_note(&token, &"é".repeat(1000)).await.status(),
        StatusCode::CREATED
    );
    let full = api.add_note(&token, "one more").await;
    assert_eq!(full.status(), StatusCode::CONFLICT);
    let body: Value = full.json().await.expect("JSON");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|text| text.contains("1 notes")),
        "{body}"
    );
}
