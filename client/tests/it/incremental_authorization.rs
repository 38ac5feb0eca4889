//! Incremental authorization: `teams:write` asked for when needed, then team management.

use reqwest::StatusCode;

use testkit::{Browser, spawn_provider_and_client};

#[tokio::test]
async fn without_teams_write_the_client_offers_to_ask_for_it_instead_of_team_forms() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    let home = apps.log_in(&browser).await;
    home.assert_contains("href=\"/login?add_scope=teams%3Awrite\"");
    assert!(!home.body.contains("Add member"), "{}", home.body);
}

#[tokio::test]
async fn asking_for_teams_write_runs_a_new_authorization_then_members_can_be_added_and_removed() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();
    apps.log_in(&browser).await;

    let hops = apps
        .authorize(&browser, "/login?add_scope=teams%3Awrite", "approve")
        .await;
    let scope = testkit::query_param(&hops.authorization_url, "scope").expect("a scope");
    // What the grant has, OpenID Connect's scopes included, and the one scope added.
    assert_eq!(
        scope,
        "profile:read teams:read notes:read notes:write openid profile email teams:write"
    );
    let home = apps.finish(&browser, &hops.callback_url).await;
    home.assert_contains("Incremental authorization: done");
    home.assert_contains("Add member");

    // The first team's add form.
    let text = home.text();
    let add_path = text
        .split("action=\"")
        .skip(1)
        .map(|rest| rest.chars().take_while(|c| *c != '"').collect::<String>())
        .find(|action| action.starts_with("/teams/") && action.ends_with("/members"))
        .expect("a team's add-member form");
    assert!(add_path.ends_with("/members"), "{add_path}");

    let added = apps
        .submit(
            &browser,
            &home,
            &add_path,
            &[("username", "newcomer.1"), ("role", "member")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let home = apps.home(&browser).await;
    home.assert_contains("Member added");
    home.assert_contains("<td>newcomer.1</td>");

    // Adding the same member again: the provider's 409, shown as a notice.
    apps.submit(
        &browser,
        &home,
        &add_path,
        &[("username", "newcomer.1"), ("role", "member")],
    )
    .await;
    let home = apps.home(&browser).await;
    home.assert_contains("Could not add the member");
    home.assert_contains("409");

    let removed = apps
        .submit(
            &browser,
            &home,
            &format!("{add_path}/newcomer.1/remove"),
            &[],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let home = apps.home(&browser).await;
    home.assert_contains("Member removed");
    assert!(!home.body.contains("<td>newcomer.1</td>"), "{}", home.body);
}
