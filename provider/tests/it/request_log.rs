//! The request log of the real binary, in its default shape (a line per request): none is
//! lost, each carries the id the response's `X-Request-Id` announced (and so do the lines a
//! handler writes while answering it), and a graceful stop writes the last of them.

use std::collections::HashMap;
use std::time::Duration;

use crate::shutdown::Provider;

#[tokio::test]
async fn after_a_burst_and_sigterm_the_log_has_exactly_one_line_per_request_with_its_request_id() {
    let mut binary = Provider::start();
    let base = format!("http://{}", binary.address);
    let http = reqwest::Client::new();
    // A burst from 16 connections at once, so lines pile up faster than they are written.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (http, url) = (http.clone(), format!("{base}/public"));
        tasks.spawn(async move {
            let mut ids = Vec::new();
            for _ in 0..100 {
                let response = http.get(&url).send().await.expect("answers");
                assert_eq!(response.status(), 200);
                let id = response
                    .headers()
                    .get("x-request-id")
                    .and_then(|value| value.to_str().ok())
                    .expect("an X-Request-Id")
                    .to_owned();
                ids.push(id);
            }
            ids
        });
    }
    let mut ids = Vec::new();
    while let Some(batch) = tasks.join_next().await {
        ids.extend(batch.expect("a request task"));
    }
    // Stop at once: the last lines may still be waiting for the writer thread.
    binary.signal("TERM");
    assert!(binary.wait_for_exit().success(), "exit code 0");
    // The reader threads may still be draining the pipes.
    std::thread::sleep(Duration::from_millis(200));
    let lines = binary.printed();

    let mut lines_per_id: HashMap<&str, usize> = HashMap::new();
    for line in lines.iter().filter(|line| line.contains("path=/public")) {
        assert!(line.contains("status=200"), "{line}");
        let id = line
            .split("request{id=")
            .nth(1)
            .and_then(|rest| rest.split('}').next())
            .unwrap_or_else(|| panic!("a request line without its id: {line}"));
        *lines_per_id.entry(id).or_default() += 1;
    }
    let missing = ids
        .iter()
        .filter(|id| !lines_per_id.contains_key(id.as_str()))
        .count();
    assert_eq!(
        missing,
        0,
        "{missing} of {} requests have no line in the log",
        ids.len()
    );
    assert!(
        lines_per_id.values().all(|count| *count == 1),
        "a request logged twice"
    );
    assert!(
        lines.iter().any(|line| line.contains("stopping")),
        "the graceful stop's own line is written too: {:?}",
        lines.last()
    );
}

#[tokio::test]
async fn a_handlers_own_line_carries_the_id_of_its_request_and_nothing_secret() {
    let mut binary = Provider::start();
    let base = format!("http://{}", binary.address);
    let response = reqwest::Client::new()
        .post(format!("{base}/oauth/token"))
        .basic_auth("testclient", Some("testsecret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    let id = response
        .headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .expect("an X-Request-Id")
        .to_owned();
    let body: serde_json::Value = response.json().await.expect("a JSON body");
    let token = body["access_token"].as_str().expect("a token").to_owned();
    binary.signal("TERM");
    assert!(binary.wait_for_exit().success(), "exit code 0");
    std::thread::sleep(Duration::from_millis(200));
    let lines = binary.printed();

    let tagged = format!("request{{id={id}}}: ");
    let issued = lines
        .iter()
        .find(|line| line.contains("client token issued"))
        .unwrap_or_else(|| panic!("no \"client token issued\" line in {lines:#?}"));
    assert!(issued.contains(&tagged), "{issued}");
    let request_line = lines
        .iter()
        .find(|line| line.contains("path=/oauth/token"))
        .unwrap_or_else(|| panic!("no request line in {lines:#?}"));
    assert!(request_line.contains(&tagged), "{request_line}");
    assert!(
        request_line.contains(" INFO ")
            && request_line.contains("method=POST")
            && request_line.contains("status=200"),
        "{request_line}"
    );
    assert!(
        lines.iter().all(|line| !line.contains(&token)),
        "the token itself is never logged"
    );
    // Lines written outside any request carry no request id.
    let stopping = lines
        .iter()
        .find(|line| line.contains("stopping"))
        .expect("the graceful stop's line");
    assert!(!stopping.contains("request{"), "{stopping}");
}
