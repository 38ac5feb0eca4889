//! `/lab`: every card performs its attack for real against the provider and shows the
//! refusal (the exact RFC error code or the client's check); the client-side defences'
//! naive half succeeds; nothing secret reaches the page.

use reqwest::StatusCode;

use testkit::{Browser, Page, TestApps, spawn_provider_and_client, spawn_with};

/// Opens `/lab`, presses card `id`'s button, answers the page and the card's own part.
pub async fn run_card(apps: &TestApps, id: &str) -> (Page, String) {
    let browser = Browser::new();
    let lab = browser.get(&apps.client_url("/lab")).await;
    assert_eq!(lab.status, StatusCode::OK, "{}", lab.body);
    let page = apps
        .submit(&browser, &lab, &format!("/lab/{id}"), &[])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let card = card_text(&page, id);
    assert!(
        !card.contains("could not run this attack"),
        "card {id} failed to run:\n{card}"
    );
    assert_no_secret_on(&page);
    (page, card)
}

/// The text (escapes undone) of the `<article>` of card or entry `id`.
pub fn card_text(page: &Page, id: &str) -> String {
    let text = page.text();
    let start = text
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no card {id}:\n{text}"));
    let end = text[start..]
        .find("</article>")
        .map_or(text.len(), |end| start + end);
    text[start..end].to_owned()
}

/// No client secret, and every value of a secret parameter or field masked (at most four
/// characters, then `…`).
pub fn assert_no_secret_on(page: &Page) {
    let text = page.text();
    assert!(!text.contains("testsecret"), "the client secret leaked");
    for pattern in [
        "code=",
        "code_verifier=",
        "access_token=",
        "refresh_token=",
        "token=",
        "\"access_token\": \"",
        "\"refresh_token\": \"",
    ] {
        for (at, _) in text.match_indices(pattern) {
            let value: String = text[at + pattern.len()..]
                .chars()
                .take_while(|c| !matches!(c, '&' | '"' | '\'' | '<' | ' ' | '\n' | ')' | ','))
                .collect();
            assert!(
                value.chars().count() <= 5 || value.ends_with('…'),
                "{pattern}{value} is not masked"
            );
        }
    }
}

#[tokio::test]
async fn the_lab_lists_every_card_with_a_post_form_carrying_the_csrf_token() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    let lab = browser.get(&apps.client_url("/lab")).await;
    assert_eq!(lab.status, StatusCode::OK);
    lab.assert_contains("You are on the CLIENT app");
    lab.assert_contains("href=\"/lab\"");
    lab.assert_contains("href=\"/errors\"");
    let csrf = lab.hidden("csrf_token");
    assert!(!csrf.is_empty());
    for card in client::lab::cards::cards() {
        lab.assert_contains(&format!(
            "<form method=\"post\" action=\"/lab/{}#{}\">",
            card.id, card.id
        ));
        lab.assert_contains(card.title);
    }
    assert!(client::lab::cards::cards().len() >= 8);
}

#[tokio::test]
async fn a_lab_form_without_the_csrf_token_runs_nothing_and_an_unknown_card_is_404() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    let lab = browser.get(&apps.client_url("/lab")).await;
    let forged = browser
        .post(
            &apps.client_url("/lab/code-replay"),
            &[("csrf_token", "forged")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let unknown = apps
        .submit(&browser, &lab, "/lab/no-such-attack", &[])
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn replaying_a_code_is_invalid_grant_and_the_first_codes_tokens_die_too() {
    let apps = spawn_provider_and_client().await;
    let (_, card) = run_card(&apps, "code-replay").await;
    assert!(card.contains("Refused by the provider"), "{card}");
    assert!(card.contains("invalid_grant"), "{card}");
    assert!(
        card.contains(
            "the authorization code was already used; every token it produced is now revoked"
        ),
        "{card}"
    );
    assert!(
        card.contains("active before the replay = true, after = false"),
        "{card}"
    );
    assert!(
        card.contains("The first refresh token") && card.contains("HTTP 400 invalid_grant"),
        "{card}"
    );
    assert!(card.contains("provider/src/oauth/token/authorization_code.rs"));
}

#[tokio::test]
async fn login_csrf_is_refused_as_state_mismatch_and_succeeds_against_the_naive_callback() {
    let apps = spawn_provider_and_client().await;
    let (_, card) = run_card(&apps, "login-csrf").await;
    assert!(card.contains("Refused by the client"), "{card}");
    assert!(card.contains("state mismatch"), "{card}");
    assert!(
        card.contains("State mismatch: this login was not started here"),
        "{card}"
    );
    assert!(
        card.contains("The attack SUCCEEDED against the naive handler"),
        "{card}"
    );
    assert!(card.contains("DELIBERATELY NAIVE"), "{card}");
    assert!(card.contains("username demo"), "{card}");
    assert!(card.contains("client/src/lab/naive_callback.rs"), "{card}");
}

#[tokio::test]
async fn a_stolen_code_without_or_with_a_wrong_verifier_is_invalid_grant_and_stays_usable() {
    let apps = spawn_provider_and_client().await;
    let (_, card) = run_card(&apps, "stolen-code").await;
    assert!(card.contains("Refused by the provider"), "{card}");
    assert!(
        card.contains(
            "HTTP 400 invalid_grant: code_verifier is required: this code was issued with a PKCE challenge"
        ),
        "{card}"
    );
    assert!(
        card.contains(
            "HTTP 400 invalid_grant: the code_verifier does not match the code_challenge"
        ),
        "{card}"
    );
    assert!(
        card.contains("The legitimate client, with the real verifier: HTTP 200: accepted"),
        "{card}"
    );
    assert!(card.contains("The attacker's attempts did not burn the code"));
    assert!(
        card.contains(
            "An authorization request without a code_challenge gets no code: error=invalid_request: code_challenge is required"
        ),
        "{card}"
    );
}

#[tokio::test]
async fn a_rotated_refresh_token_reused_is_invalid_grant_and_the_whole_grant_dies() {
    let apps = spawn_provider_and_client().await;
    let (_, card) = run_card(&apps, "refresh-reuse").await;
    assert!(card.contains("Refused by the provider"), "{card}");
    assert!(
        card.contains(
            "HTTP 400 invalid_grant: the refresh token was already used; the whole grant is now revoked"
        ),
        "{card}"
    );
    assert!(
        card.contains("The new refresh token (the legitimate client's)"),
        "{card}"
    );
    assert!(
        card.contains(": HTTP 400 invalid_grant: the refresh token is not valid."),
        "the new refresh token is refused too: {card}"
    );
    assert!(card.contains("active = false"), "{card}");
}

#[tokio::test]
async fn an_unregistered_redirect_uri_gets_an_error_page_and_no_redirect() {
    let apps = spawn_provider_and_client().await;
    let (_, card) = run_card(&apps, "open-redirect").await;
    assert!(card.contains("Refused by the provider"), "{card}");
    assert!(
        card.contains("HTTP 400, no Location header: no redirect"),
        "{card}"
    );
    assert!(
        card.contains("is not one registered for this application"),
        "{card}"
    );
    assert!(card.contains("redirect_uri = https://attacker.example/steal"));
    assert!(card.contains("@attacker.example/callback"), "{card}");
    assert!(!card.contains("with a Location header: the provider redirected"));
}

#[tokio::test]
async fn widening_the_scope_on_refresh_is_invalid_scope_and_the_refresh_token_survives() {
    let apps = spawn_provider_and_client().await;
    let (_, card) = run_card(&apps, "scope-widening").await;
    assert!(card.contains("Refused by the provider"), "{card}");
    assert!(
        card.contains("HTTP 400 invalid_scope: the requested scope exceeds what was granted"),
        "{card}"
    );
    assert!(
        card.contains("The refresh token still works for what was granted: HTTP 200"),
        "{card}"
    );
}

#[tokio::test]
async fn a_token_in_the_query_string_is_refused_by_default_with_a_bare_401_challenge() {
    let apps = spawn_provider_and_client().await;
    let (_, card) = run_card(&apps, "token-in-query").await;
    assert!(card.contains("Refused by the provider"), "{card}");
    assert!(
        card.contains("HTTP 401 invalid_token: access_token in the query string is disabled (ALLOW_BEARER_IN_QUERY=false)"),
        "{card}"
    );
    // RFC 6750 §3.1: the request "lacks any authentication information", so the challenge
    // names the realm and no error code.
    let challenge = card
        .split("WWW-Authenticate: ")
        .nth(1)
        .map(|rest| rest.split(['<', '\n']).next().unwrap_or_default());
    assert_eq!(challenge, Some("Bearer realm=\"oauth-flow-rs\""), "{card}");
    assert!(card.contains("ALLOW_BEARER_IN_QUERY"), "{card}");
    assert!(card.contains("history") && card.contains("Referer"));
}

#[tokio::test]
async fn with_allow_bearer_in_query_on_the_query_string_attack_succeeds_and_the_card_says_so() {
    let apps = spawn_with(&[("ALLOW_BEARER_IN_QUERY", "true")], &[]).await;
    let (_, card) = run_card(&apps, "token-in-query").await;
    assert!(
        card.contains("NOT refused: the defence did not hold"),
        "{card}"
    );
    assert!(card.contains("ALLOW_BEARER_IN_QUERY=true"), "{card}");
}

#[tokio::test]
async fn a_mix_up_is_refused_as_iss_mismatch_and_succeeds_against_the_naive_callback() {
    let apps = spawn_provider_and_client().await;
    let (_, card) = run_card(&apps, "mix-up").await;
    assert!(card.contains("Refused by the client"), "{card}");
    assert!(card.contains("iss mismatch"), "{card}");
    assert!(
        card.contains("Issuer mismatch: the answer is not from the expected provider"),
        "{card}"
    );
    assert!(card.contains("iss as it arrives: https://attacker.example"));
    assert!(
        card.contains("The attack SUCCEEDED against the naive handler"),
        "{card}"
    );
}

#[tokio::test]
async fn a_plain_members_teams_write_token_cannot_add_an_admin_but_a_scope_only_handler_lets_it() {
    let apps = spawn_provider_and_client().await;
    let (_, card) = run_card(&apps, "scope-not-permission").await;
    assert!(card.contains("Refused by the provider"), "{card}");
    assert!(
        card.contains("HTTP 403 forbidden: only an admin of this team may add members"),
        "{card}"
    );
    assert!(card.contains("The team is unchanged: no mallory"), "{card}");
    assert!(
        card.contains("The attack SUCCEEDED against the naive handler"),
        "{card}"
    );
    assert!(card.contains("mallory (admin)"), "{card}");
    assert!(card.contains("client/src/lab/naive_team_api.rs"), "{card}");
}

#[test]
fn every_file_and_function_a_lab_card_or_gallery_entry_names_exists() {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the client sits in the workspace");
    let mut named = Vec::new();
    for card in client::lab::cards::cards() {
        named.extend(
            card.refused_by
                .iter()
                .map(|c| (card.id, c.file, c.function)),
        );
        named.extend(card.naive.iter().map(|c| (card.id, c.file, c.function)));
    }
    for entry in client::lab::gallery::entries() {
        named.extend(
            entry
                .raised_by
                .iter()
                .map(|c| (entry.id, c.file, c.function)),
        );
    }
    assert!(named.len() > 20);
    for (id, file, function) in named {
        let source = std::fs::read_to_string(workspace.join(file))
            .unwrap_or_else(|_| panic!("{file} exists ({id})"));
        assert!(
            source.contains(&format!("fn {function}("))
                || source.contains(&format!("fn {function}<")),
            "{file} defines {function} ({id})"
        );
    }
}

#[tokio::test]
async fn with_the_provider_down_a_card_says_so_instead_of_failing() {
    let apps = spawn_provider_and_client().await;
    run_card(&apps, "open-redirect").await;
    apps.provider_handle.stop(true).await;
    let browser = Browser::new();
    let lab = browser.get(&apps.client_url("/lab")).await;
    let page = apps.submit(&browser, &lab, "/lab/code-replay", &[]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let card = card_text(&page, "code-replay");
    assert!(
        card.contains("The lab could not run this attack to its end: Cannot connect to"),
        "{card}"
    );
}
