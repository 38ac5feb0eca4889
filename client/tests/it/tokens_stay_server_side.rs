//! Tokens never reach the browser (RFC 9700 §2.1, and the README's "Security choices"): no access token, refresh token,
//! code verifier or client secret in any body, header or cookie the browser gets.

use base64::Engine;
use sha2::{Digest, Sha256};

use testkit::{Browser, CLIENT_SECRET, code_after, query_param, spawn_provider_and_client};

/// Every run of base64url characters in `text`, and every substring of it long enough to
/// be a token or a verifier (so a secret glued to other characters is still found).
fn candidates(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut start = 0;
    while start < chars.len() {
        if !is_b64url(chars[start]) {
            start += 1;
            continue;
        }
        let mut end = start;
        while end < chars.len() && is_b64url(chars[end]) {
            end += 1;
        }
        let run: String = chars[start..end].iter().collect();
        if run.len() >= 20 {
            for from in 0..=run.len() - 20 {
                for to in from + 20..=run.len().min(from + 160) {
                    found.push(run[from..to].to_owned());
                }
            }
        }
        start = end;
    }
    found
}

fn is_b64url(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[tokio::test]
async fn no_token_verifier_or_client_secret_appears_in_anything_the_browser_gets() {
    let apps = spawn_provider_and_client().await;
    let browser = Browser::new();

    // A full flow, and every page after it: home, inspector, refresh, logout.
    let hops = apps.authorize(&browser, "/login", "approve").await;
    let challenge = query_param(&hops.authorization_url, "code_challenge").expect("a challenge");
    let home = apps.finish(&browser, &hops.callback_url).await;
    let mut fingerprints = vec![
        code_after(&home.body, "Access token fingerprint").expect("shown"),
        code_after(&home.body, "Refresh token</th><td>yes (fingerprint").expect("shown"),
    ];
    browser.get(&apps.client_url("/flow")).await;
    let refreshed = apps.submit(&browser, &home, "/refresh", &[]).await;
    assert_eq!(refreshed.status, reqwest::StatusCode::SEE_OTHER);
    let home = apps.home(&browser).await;
    fingerprints.push(code_after(&home.body, "Access token fingerprint").expect("shown"));
    fingerprints
        .push(code_after(&home.body, "Refresh token</th><td>yes (fingerprint").expect("shown"));
    browser.get(&apps.client_url("/flow")).await;
    apps.submit(&browser, &home, "/logout", &[]).await;
    apps.home(&browser).await;
    browser.get(&apps.client_url("/flow")).await;
    assert_eq!(fingerprints.len(), 4);
    assert!(
        fingerprints.iter().all(|fp| fp.len() == 8),
        "{fingerprints:?}"
    );

    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("testclient:{CLIENT_SECRET}"));
    let mut everything = Vec::new();
    for page in browser.seen() {
        let headers: String = page
            .headers
            .iter()
            .map(|(name, value)| format!("{name}: {}\n", value.to_str().unwrap_or_default()))
            .collect();
        everything.push((page.url.clone(), format!("{headers}\n{}", page.body)));
    }
    everything.push((
        "cookies (client)".into(),
        browser.cookies_for(&apps.client_url("/")),
    ));
    everything.push((
        "cookies (provider)".into(),
        browser.cookies_for(&apps.provider_url("/")),
    ));

    for (source, text) in &everything {
        assert!(
            !text.contains(CLIENT_SECRET),
            "the client secret in {source}"
        );
        assert!(!text.contains(&basic), "the Basic credentials in {source}");
        for candidate in candidates(text) {
            let fingerprint = shared::fingerprint(&candidate);
            assert!(
                !fingerprints.contains(&fingerprint),
                "a token (fingerprint {fingerprint}) in {source}"
            );
            assert_ne!(
                s256(&candidate),
                challenge,
                "the PKCE code verifier in {source}"
            );
        }
    }
}
