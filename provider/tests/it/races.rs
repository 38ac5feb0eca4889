//! The classic races of an authorization server, played with real concurrent HTTP requests:
//! one code redeemed by fifty requests at once (RFC 6749 §4.1.2, RFC 9700 §4.5), one refresh
//! token used by fifty at once (RFC 9700 §4.14.2, the contract's reuse rule), a grant revoked
//! while its refresh is in flight (RFC 7009 §2.1), and many browsers logging in and
//! consenting at the same moment (RFC 6749 §10.12: each session sees only its own request).
//!
//! Only the public HTTP surface is used, so these tests hold for any store behind it. Each
//! test prints its totals (`cargo test -p provider --test it races -- --nocapture`).

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use shared::token::TokenResponse;
use tokio::sync::Barrier;
use tokio::task::JoinSet;

use testkit::{
    AuthorizationRequest, REDIRECT_URI, TestProvider, hidden_input, location, new_browser,
    query_param, spawn_provider, token_pair,
};

/// How many requests race in each round.
const RACERS: usize = 50;

/// How one racing token request ended.
#[derive(Debug, Default)]
struct Tally {
    winners: usize,
    invalid_grant: usize,
    server_errors: usize,
    other: Vec<String>,
}

impl Tally {
    fn add(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Tokens(_) => self.winners += 1,
            Outcome::Refused { status, error } if *status == 400 && error == "invalid_grant" => {
                self.invalid_grant += 1
            }
            Outcome::Refused { status, .. } if *status >= 500 => self.server_errors += 1,
            Outcome::Refused { status, error } => self.other.push(format!("{status} {error}")),
        }
    }
}

/// A token endpoint answer, read.
#[derive(Debug)]
enum Outcome {
    Tokens(TokenResponse),
    Refused { status: u16, error: String },
}

async fn read_outcome(response: reqwest::Response) -> Outcome {
    let status = response.status();
    if status == StatusCode::OK {
        return Outcome::Tokens(response.json().await.expect("a token response"));
    }
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    Outcome::Refused {
        status: status.as_u16(),
        error: body["error"].as_str().unwrap_or_default().to_owned(),
    }
}

/// Sends `RACERS` copies of the token request `form` at the same instant (a barrier
/// releases them together) and returns every outcome.
async fn race_token_requests(
    provider: &Arc<TestProvider>,
    form: Vec<(&'static str, String)>,
) -> Vec<Outcome> {
    let barrier = Arc::new(Barrier::new(RACERS));
    let mut racers = JoinSet::new();
    for _ in 0..RACERS {
        let provider = Arc::clone(provider);
        let barrier = Arc::clone(&barrier);
        let form = form.clone();
        racers.spawn(async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            barrier.wait().await;
            read_outcome(provider.token_request(&form).await).await
        });
    }
    racers.join_all().await
}

/// The PKCE S256 challenge of `verifier` (RFC 7636 §4.2).
fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_code_redeemed_by_fifty_concurrent_requests_has_one_winner_and_the_replays_revoke_its_tokens()
 {
    const ROUNDS: usize = 20;
    let provider = Arc::new(spawn_provider().await);
    let mut total = Tally::default();
    for round in 0..ROUNDS {
        let code = provider.authorization_code().await;
        let outcomes = race_token_requests(
            &provider,
            vec![
                ("grant_type", "authorization_code".into()),
                ("code", code.clone()),
                ("redirect_uri", REDIRECT_URI.into()),
                ("code_verifier", testkit::VERIFIER.into()),
            ],
        )
        .await;
        let mut tally = Tally::default();
        for outcome in &outcomes {
            tally.add(outcome);
            total.add(outcome);
        }
        assert_eq!(tally.server_errors, 0, "round {round}: no 5xx");
        assert!(tally.other.is_empty(), "round {round}: {:?}", tally.other);
        // The store redeems the code and stores its tokens in one step, so the first request
        // wins even when a replay lands a moment later.
        assert_eq!(
            tally.winners, 1,
            "round {round}: exactly one request gets tokens"
        );
        assert_eq!(tally.winners + tally.invalid_grant, RACERS);
        // Every other request was a replay of a used code: what the winner got is revoked.
        for outcome in &outcomes {
            if let Outcome::Tokens(tokens) = outcome {
                let (access, refresh) = token_pair(tokens);
                assert!(!provider.is_active(&access).await, "round {round}");
                assert!(!provider.is_active(&refresh).await, "round {round}");
                let call = provider.get_with_token("/protected", &access).await;
                assert_eq!(call.status(), StatusCode::UNAUTHORIZED, "round {round}");
            }
        }
        // And the code stays dead.
        let late = provider.exchange_code(&code).await;
        assert_eq!(late.status(), StatusCode::BAD_REQUEST, "round {round}");
    }
    println!(
        "{RACERS} concurrent redemptions × {ROUNDS} rounds: {} winners, {} invalid_grant, {} 5xx",
        total.winners, total.invalid_grant, total.server_errors
    );
    assert_eq!(total.winners, ROUNDS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_refresh_token_used_by_fifty_concurrent_requests_ends_with_the_whole_grant_revoked() {
    const ROUNDS: usize = 10;
    let provider = Arc::new(spawn_provider().await);
    let mut total = Tally::default();
    for round in 0..ROUNDS {
        let (access, refresh) = token_pair(&provider.user_tokens().await);
        let outcomes = race_token_requests(
            &provider,
            vec![
                ("grant_type", "refresh_token".into()),
                ("refresh_token", refresh.clone()),
            ],
        )
        .await;
        let mut tally = Tally::default();
        for outcome in &outcomes {
            tally.add(outcome);
            total.add(outcome);
        }
        assert_eq!(tally.server_errors, 0, "round {round}: no 5xx");
        assert!(tally.other.is_empty(), "round {round}: {:?}", tally.other);
        assert!(
            tally.winners <= 1,
            "round {round}: one refresh token became {} families",
            tally.winners
        );
        assert_eq!(tally.winners + tally.invalid_grant, RACERS);
        // The losers presented a retired token: the grant is gone, winner's tokens included.
        let mut family = vec![access, refresh];
        for outcome in &outcomes {
            if let Outcome::Tokens(tokens) = outcome {
                let (new_access, new_refresh) = token_pair(tokens);
                family.extend([new_access, new_refresh]);
            }
        }
        for token in &family {
            assert!(
                !provider.is_active(token).await,
                "round {round}: a token of the raced grant is still active"
            );
        }
    }
    println!(
        "{RACERS} concurrent refreshes of one token × {ROUNDS} rounds: {} winners, {} invalid_grant, \
         {} 5xx, 0 live tokens left",
        total.winners, total.invalid_grant, total.server_errors
    );
}

/// Which way a grant is revoked while its refresh races.
#[derive(Debug, Clone, Copy)]
enum RevokeBy {
    /// The resource owner's revoke form on `/account` (by grant id).
    AccountPage,
    /// The client's RFC 7009 revocation of the refresh token being used.
    RevocationEndpoint,
}

/// Many rounds of: tokens, then a refresh and a revocation of the same grant sent at once.
/// Afterwards no token of the grant, old or new, is active, whichever request won.
async fn revoke_races_refresh(revoke_by: RevokeBy) {
    const ROUNDS: usize = 20;
    let provider = Arc::new(spawn_provider().await);
    let browser = new_browser();
    let mut refreshes_won = 0;
    for round in 0..ROUNDS {
        let (access, refresh) = token_pair(&provider.user_tokens_in(&browser).await);
        let (_, html) = provider.page(&browser, "/account").await;
        let csrf = hidden_input(&html, "csrf_token").expect("a csrf_token");
        let grant_id = hidden_input(&html, "grant_id").expect("the grant's revoke form");
        let barrier = Arc::new(Barrier::new(2));

        let refreshing = {
            let provider = Arc::clone(&provider);
            let barrier = Arc::clone(&barrier);
            let refresh = refresh.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                read_outcome(provider.refresh(&refresh).await).await
            })
        };
        let revoking = {
            let provider = Arc::clone(&provider);
            let barrier = Arc::clone(&barrier);
            let browser = browser.clone();
            let refresh = refresh.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                match revoke_by {
                    RevokeBy::AccountPage => browser
                        .post(provider.url("/account"))
                        .form(&[("csrf_token", csrf.as_str()), ("grant_id", &grant_id)])
                        .send()
                        .await
                        .expect("the provider answers")
                        .status(),
                    RevokeBy::RevocationEndpoint => provider.revoke(&refresh).await.status(),
                }
            })
        };
        let refreshed = refreshing.await.expect("the refresh ran");
        let revoked = revoking.await.expect("the revocation ran");
        assert!(
            revoked == StatusCode::OK || revoked == StatusCode::SEE_OTHER,
            "round {round}: the revocation is accepted: {revoked}"
        );
        let mut family = vec![access, refresh];
        match &refreshed {
            Outcome::Tokens(tokens) => {
                refreshes_won += 1;
                let (new_access, new_refresh) = token_pair(tokens);
                family.extend([new_access, new_refresh]);
            }
            Outcome::Refused { status, error } => {
                assert_eq!(
                    (*status, error.as_str()),
                    (400, "invalid_grant"),
                    "round {round}"
                );
            }
        }
        for token in &family {
            assert!(
                !provider.is_active(token).await,
                "round {round} ({revoke_by:?}, refresh {}): a token of the revoked grant is \
                 still active",
                if matches!(refreshed, Outcome::Tokens(_)) {
                    "won"
                } else {
                    "lost"
                }
            );
        }
    }
    println!(
        "revoke ({revoke_by:?}) racing a refresh × {ROUNDS} rounds: the refresh got tokens in \
         {refreshes_won}, and in every round no token of the grant was left active"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn revoking_a_grant_on_the_account_page_while_it_refreshes_leaves_no_token_active() {
    revoke_races_refresh(RevokeBy::AccountPage).await;
}

// When the refresh wins, the revocation presents a refresh token that rotation has just
// retired: `/oauth/revoke` must still find it and end its grant, new pair included.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn revoking_the_refresh_token_while_it_is_being_used_leaves_no_token_active() {
    revoke_races_refresh(RevokeBy::RevocationEndpoint).await;
}

/// What one browser asked for, and what it got back.
struct SessionResult {
    state: String,
    scope: String,
    verifier: String,
    request_id: String,
    csrf: String,
    redirect: String,
}

/// One browser's whole front channel, its own state, scope and PKCE pair; every hop is
/// started at the same moment as the other browsers' (the barrier).
async fn one_session(
    provider: Arc<TestProvider>,
    index: usize,
    barrier: Arc<Barrier>,
) -> SessionResult {
    let browser = new_browser();
    let scopes = ["profile:read", "teams:read", "profile:read teams:read"];
    let scope = scopes[index % scopes.len()].to_owned();
    let state = format!("state-of-session-{index}");
    let verifier = format!("verifier-of-session-{index:03}-{}", "x".repeat(40));
    let request = AuthorizationRequest {
        scope: Some(scope.clone()),
        state: Some(state.clone()),
        code_challenge: Some(s256(&verifier)),
        ..AuthorizationRequest::default()
    };
    barrier.wait().await;
    let consent_html = provider.reach_consent(&browser, &request).await;
    let request_id = hidden_input(&consent_html, "request_id").expect("a request id");
    let csrf = hidden_input(&consent_html, "csrf_token").expect("a csrf token");
    assert!(
        consent_html.contains(scope.split(' ').next().expect("a scope")),
        "session {index}'s consent page lists its own scope"
    );
    let approved = provider.decide(&browser, &consent_html, "approve").await;
    assert_eq!(approved.status(), StatusCode::SEE_OTHER, "session {index}");
    SessionResult {
        state,
        scope,
        verifier,
        request_id,
        csrf,
        redirect: location(&approved),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_browsers_logging_in_at_once_each_get_their_own_code_and_tokens_only() {
    const SESSIONS: usize = 40;
    let provider = Arc::new(spawn_provider().await);
    let barrier = Arc::new(Barrier::new(SESSIONS));
    let mut sessions = JoinSet::new();
    for index in 0..SESSIONS {
        sessions.spawn(one_session(
            Arc::clone(&provider),
            index,
            Arc::clone(&barrier),
        ));
    }
    let results = sessions.join_all().await;

    let mut codes = std::collections::HashSet::new();
    let mut access_tokens = std::collections::HashSet::new();
    for result in &results {
        assert!(
            result.redirect.starts_with(REDIRECT_URI),
            "{}",
            result.redirect
        );
        assert_eq!(
            query_param(&result.redirect, "state").as_deref(),
            Some(result.state.as_str()),
            "each redirect carries its own session's state"
        );
        let code = query_param(&result.redirect, "code").expect("a code");
        assert!(codes.insert(code.clone()), "every code is unique");
        // The code is bound to this session's PKCE challenge: its own verifier redeems it.
        let response = provider
            .token_request(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", &result.verifier),
            ])
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{}", result.state);
        let tokens: TokenResponse = response.json().await.expect("tokens");
        assert_eq!(
            tokens.scope, result.scope,
            "the tokens carry the scope this session asked for"
        );
        let (access, _) = token_pair(&tokens);
        assert!(access_tokens.insert(access), "every access token is unique");
    }

    // A session cannot decide, or even see, another session's pending request.
    let (first, second) = (&results[0], &results[1]);
    let intruder = new_browser();
    let consent_html = provider
        .reach_consent(&intruder, &AuthorizationRequest::default())
        .await;
    let own_csrf = hidden_input(&consent_html, "csrf_token").expect("a csrf token");
    for victim in [first, second] {
        let (status, html) = provider
            .page(
                &intruder,
                &format!("/oauth/authorize?request_id={}", victim.request_id),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{html}");
        assert!(!html.contains(&victim.state) && !html.contains("name=\"decision\""));
        for csrf in [own_csrf.as_str(), victim.csrf.as_str()] {
            let stolen = intruder
                .post(provider.url("/oauth/authorize"))
                .form(&[
                    ("csrf_token", csrf),
                    ("request_id", victim.request_id.as_str()),
                    ("decision", "approve"),
                ])
                .send()
                .await
                .expect("the provider answers");
            let status = stolen.status();
            let target = stolen
                .headers()
                .get("location")
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            assert!(
                !target.contains("code=") && !target.contains(&victim.state),
                "another session's request was decided: {status} {target}"
            );
        }
    }
    println!(
        "{SESSIONS} browsers logging in and consenting at once: {} distinct codes, {} distinct \
         access tokens, each with its own state and scope",
        codes.len(),
        access_tokens.len()
    );
}
