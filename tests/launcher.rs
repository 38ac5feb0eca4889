//! `cargo run` in the workspace root (src/main.rs): the three programs start, their lines
//! come prefixed, the API answers with its RFC 9728 metadata, Ctrl-C stops all with exit 0, a bad setting in one stops all with the key
//! named; and `cp .env.example .env` changes nothing (a flow runs with that file in place).
//!
//! Each test runs the launcher binary in a directory of its own, on free ports.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;

use testkit::process::{Program, free_port};
use testkit::user_agent::{consent_form, login_form};
use testkit::{AuthorizationRequest, PASSWORD, PUBLIC_CLIENT_ID, USERNAME, location, new_browser};

/// The launcher as a child process; every line it prints (stdout and stderr) is kept.
struct Launcher;

impl Launcher {
    /// Starts `cargo run`'s binary in `dir` with `settings`. `DOTENV=off` unless `dotenv`.
    fn start(dir: &Path, settings: &[(&str, String)], dotenv: bool) -> Program {
        let mut command = Command::new(env!("CARGO_BIN_EXE_oauth-flow-rs"));
        command
            .current_dir(dir)
            .env("RATE_LIMIT", "off")
            .env("WORKERS", "1")
            .env_remove("RUST_LOG");
        if !dotenv {
            command.env("DOTENV", "off");
        }
        for (key, value) in settings {
            command.env(key, value);
        }
        Program::spawn(command)
    }
}

/// An empty directory of its own (no `.env` in it or, in practice, above it).
fn empty_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oauth-flow-rs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

#[tokio::test]
async fn cargo_run_starts_the_provider_the_api_and_the_client_with_prefixed_logs_and_ctrl_c_stops_all_with_exit_0()
 {
    let dir = empty_dir("ctrl-c");
    let mut launcher = Launcher::start(
        &dir,
        &[
            ("PROVIDER_BIND", "127.0.0.1:0".into()),
            ("API_BIND", "127.0.0.1:0".into()),
            ("CLIENT_BIND", "127.0.0.1:0".into()),
        ],
        false,
    );
    let provider = launcher.wait_for("provider | ", "provider listening on http://");
    let api = launcher.wait_for("api      | ", "api listening on http://");
    let client = launcher.wait_for("client   | ", "client listening on http://");
    for address in [&provider, &api, &client] {
        TcpStream::connect(address).expect("every program listens");
    }
    // The API answers as the API: its RFC 9728 protected resource metadata.
    let metadata = reqwest::get(format!("http://{api}/.well-known/oauth-protected-resource"))
        .await
        .expect("the API answers");
    assert_eq!(metadata.status(), reqwest::StatusCode::OK);
    let metadata = metadata.text().await.expect("a document");
    assert!(metadata.contains("\"authorization_servers\""), "{metadata}");

    launcher.signal("INT");
    let status = launcher.wait_for_exit();
    let printed = launcher.printed_until_closed();
    assert_eq!(status.code(), Some(0), "{printed:#?}");
    for address in [&provider, &api, &client] {
        assert!(
            TcpStream::connect(address).is_err(),
            "{address} still listens: {printed:#?}"
        );
    }
    for program in ["provider | ", "api      | ", "client   | "] {
        assert!(
            printed
                .iter()
                .any(|line| line.starts_with(program) && line.contains("stopping")),
            "{program}stopped gracefully: {printed:#?}"
        );
    }
}

#[test]
fn a_bad_setting_in_one_program_stops_all_of_them_with_the_key_named_and_a_failing_exit() {
    let dir = empty_dir("bad-setting");
    let mut launcher = Launcher::start(
        &dir,
        &[
            ("PROVIDER_BIND", "127.0.0.1:0".into()),
            ("API_BIND", "127.0.0.1:0".into()),
            ("CLIENT_BIND", "127.0.0.1:0".into()),
            ("ACCESS_TOKEN_TTL", "soon".into()),
        ],
        false,
    );
    let status = launcher.wait_for_exit();
    let printed = launcher.printed_until_closed();
    assert_ne!(status.code(), Some(0), "{printed:#?}");
    assert!(
        printed
            .iter()
            .any(|line| line
                .starts_with("provider | error: invalid setting ACCESS_TOKEN_TTL=\"soon\"")),
        "the provider's own error line: {printed:#?}"
    );
    // The client had started: it was stopped, not left running.
    if let Some(line) = printed
        .iter()
        .find(|line| line.contains("client listening on http://"))
    {
        let address = line
            .split("client listening on http://")
            .nth(1)
            .and_then(|rest| rest.split(';').next())
            .expect("an address");
        assert!(TcpStream::connect(address).is_err(), "{printed:#?}");
    }
}

#[tokio::test]
async fn a_copy_of_env_example_as_env_changes_nothing_and_a_user_logs_in_through_cargo_run() {
    let dir = empty_dir("env-example");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join(".env.example");
    std::fs::copy(&example, dir.join(".env")).expect("the example is copied");
    // Only the ports move (8080 and 3000 may be taken here): the keys the handout says
    // to change when a port is taken. Everything else comes from the copied file.
    let (provider_port, client_port) = (free_port(), free_port());
    let issuer = format!("http://127.0.0.1:{provider_port}");
    let origin = format!("http://localhost:{client_port}");
    let mut launcher = Launcher::start(
        &dir,
        &[
            ("PROVIDER_BIND", format!("127.0.0.1:{provider_port}")),
            ("ISSUER", issuer.clone()),
            ("AUTH_SERVER", issuer.clone()),
            ("API_BIND", "127.0.0.1:0".into()),
            ("CLIENT_BIND", format!("127.0.0.1:{client_port}")),
            ("REDIRECT_URI", format!("{origin}/callback")),
        ],
        true,
    );
    launcher.wait_for("provider | ", "provider listening on http://");
    launcher.wait_for("client   | ", "client listening on http://");

    // A browser: one cookie jar (the provider on 127.0.0.1, the client on localhost, so
    // their cookies stay apart), redirects followed by hand.
    let browser = new_browser();
    let login = browser
        .get(format!("{origin}/login"))
        .send()
        .await
        .expect("the client answers");
    assert_eq!(login.status(), reqwest::StatusCode::SEE_OTHER);
    let authorize = location(&login);
    assert!(authorize.starts_with(&issuer), "{authorize}");
    let page = browser.get(&authorize).send().await.expect("the provider");
    let page = page.text().await.expect("the login page");
    let logged_in = browser
        .post(format!("{issuer}/login"))
        .form(&login_form(&page, USERNAME, PASSWORD))
        .send()
        .await
        .expect("the provider");
    let consent = location(&logged_in);
    let consent = if consent.starts_with('/') {
        format!("{issuer}{consent}")
    } else {
        consent
    };
    let consent = browser.get(consent).send().await.expect("the provider");
    let consent = consent.text().await.expect("the consent page");
    let approved = browser
        .post(format!("{issuer}/oauth/authorize"))
        .form(&consent_form(&consent, "approve"))
        .send()
        .await
        .expect("the provider");
    let callback = location(&approved);
    assert!(
        callback.starts_with(&format!("{origin}/callback?code=")),
        "{callback}"
    );
    let finished = browser.get(&callback).send().await.expect("the client");
    assert_eq!(finished.status(), reqwest::StatusCode::SEE_OTHER);
    let home = browser
        .get(format!("{origin}/"))
        .send()
        .await
        .expect("the client")
        .text()
        .await
        .expect("the home page");
    assert!(home.contains("demo"), "signed in as demo: {home}");

    // The public client's redirect URI followed REDIRECT_URI on both sides: /spa's
    // authorization request is accepted by the provider (the login page, not a 400).
    let spa_request = AuthorizationRequest {
        client_id: Some(PUBLIC_CLIENT_ID.into()),
        redirect_uri: Some(format!("{origin}/spa/callback")),
        scope: Some("profile:read".into()),
        state: Some("s".into()),
        ..AuthorizationRequest::default()
    };
    let spa_request = format!("{issuer}/oauth/authorize?{}", spa_request.query());
    let spa = browser.get(spa_request).send().await.expect("the provider");
    assert_eq!(spa.status(), reqwest::StatusCode::OK);
}
