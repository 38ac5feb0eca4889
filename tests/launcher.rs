//! `cargo run` in the workspace root (src/main.rs): both programs start, their lines come
//! prefixed, Ctrl-C stops both with exit 0, a bad setting in one stops all with the key
//! named; and `cp .env.example .env` changes nothing (a flow runs with that file in place).
//!
//! Each test runs the launcher binary in a directory of its own, on free ports.

use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The launcher as a child process, every line it prints (stdout and stderr) on a channel.
struct Launcher {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Launcher {
    /// Starts `cargo run`'s binary in `dir` with `settings`. `DOTENV=off` unless `dotenv`.
    fn start(dir: &Path, settings: &[(&str, String)], dotenv: bool) -> Launcher {
        let mut command = Command::new(env!("CARGO_BIN_EXE_oauth-flow-rs"));
        command
            .current_dir(dir)
            .env("RATE_LIMIT", "off")
            .env("WORKERS", "1")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if !dotenv {
            command.env("DOTENV", "off");
        }
        for (key, value) in settings {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("the launcher starts");
        let (sender, lines) = mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let sender = sender.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = sender.send(line);
                }
            });
        }
        Launcher {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a line starting with `prefix` and containing `marker`; returns the word
    /// right after the marker (an address, say).
    fn wait_for(&mut self, prefix: &str, marker: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        // The programs start side by side: the line may have come already.
        let mut unread = std::mem::take(&mut self.seen).into_iter();
        loop {
            let line = match unread.next() {
                Some(line) => line,
                None => self.receive(deadline, prefix, marker),
            };
            self.seen.push(line.clone());
            if line.starts_with(prefix)
                && let Some(rest) = line.split(marker).nth(1)
            {
                self.seen.extend(unread);
                return rest
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_owned();
            }
        }
    }

    fn receive(&self, deadline: Instant, prefix: &str, marker: &str) -> String {
        let left = deadline.saturating_duration_since(Instant::now());
        self.lines.recv_timeout(left).unwrap_or_else(|error| {
            panic!(
                "no `{prefix}...{marker}` line ({error}); printed: {:#?}",
                self.seen
            )
        })
    }

    fn interrupt(&self) {
        let status = Command::new("kill")
            .arg("-INT")
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for the launcher to exit (generously: a hang is the failure looked for), and
    /// returns its status and everything it printed.
    fn wait_for_exit(&mut self) -> (ExitStatus, Vec<String>) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("the child can be polled") {
                break status;
            }
            assert!(Instant::now() < deadline, "the launcher did not exit");
            std::thread::sleep(Duration::from_millis(50));
        };
        // The reader threads end with the pipes; give them a moment to pass the last lines.
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.seen.push(line);
        }
        (status, self.seen.clone())
    }
}

impl Drop for Launcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An empty directory of its own (no `.env` in it or, in practice, above it).
fn empty_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oauth-flow-rs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("bound").port()
}

#[test]
fn cargo_run_starts_both_programs_with_prefixed_logs_and_ctrl_c_stops_both_with_exit_0() {
    let dir = empty_dir("ctrl-c");
    let mut launcher = Launcher::start(
        &dir,
        &[
            ("PROVIDER_BIND", "127.0.0.1:0".into()),
            ("CLIENT_BIND", "127.0.0.1:0".into()),
        ],
        false,
    );
    let provider = launcher.wait_for("provider | ", "provider listening on http://");
    let client = launcher.wait_for("client   | ", "client listening on http://");
    for address in [&provider, &client] {
        TcpStream::connect(address).expect("both programs listen");
    }

    launcher.interrupt();
    let (status, printed) = launcher.wait_for_exit();
    assert_eq!(status.code(), Some(0), "{printed:#?}");
    for address in [&provider, &client] {
        assert!(
            TcpStream::connect(address).is_err(),
            "{address} still listens: {printed:#?}"
        );
    }
    for program in ["provider | ", "client   | "] {
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
            ("CLIENT_BIND", "127.0.0.1:0".into()),
            ("ACCESS_TOKEN_TTL", "soon".into()),
        ],
        false,
    );
    let (status, printed) = launcher.wait_for_exit();
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

/// The form field `name`'s value in `html` (the login and consent pages' hidden inputs).
fn hidden_input(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    let end = html[start..].find('"').expect("a closing quote") + start;
    html[start..end]
        .replace("&#x2F;", "/")
        .replace("&amp;", "&")
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_else(|| panic!("a redirect, got {}", response.status()))
        .to_owned()
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
            ("CLIENT_BIND", format!("127.0.0.1:{client_port}")),
            ("REDIRECT_URI", format!("{origin}/callback")),
        ],
        true,
    );
    launcher.wait_for("provider | ", "provider listening on http://");
    launcher.wait_for("client   | ", "client listening on http://");

    // A browser: one cookie jar (the provider on 127.0.0.1, the client on localhost, so
    // their cookies stay apart), redirects followed by hand.
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
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
        .form(&[
            ("username", "demo".to_owned()),
            ("password", "demo".to_owned()),
            ("csrf_token", hidden_input(&page, "csrf_token")),
            ("request_id", hidden_input(&page, "request_id")),
        ])
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
        .form(&[
            ("csrf_token", hidden_input(&consent, "csrf_token")),
            ("request_id", hidden_input(&consent, "request_id")),
            ("decision", "approve".to_owned()),
        ])
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
    let spa_request = format!(
        "{issuer}/oauth/authorize?response_type=code&client_id=spa-client&redirect_uri={}\
         &scope=profile%3Aread&state=s&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
         &code_challenge_method=S256",
        url_encode(&format!("{origin}/spa/callback"))
    );
    let spa = browser.get(spa_request).send().await.expect("the provider");
    assert_eq!(spa.status(), reqwest::StatusCode::OK);
}

fn url_encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}
