//! Graceful shutdown of the provider binary: on SIGTERM (how a service manager or a container
//! runtime stops it) and on SIGINT (Ctrl-C in a terminal), a request already in flight is
//! answered in full, then the process exits 0.
//!
//! The in-flight request is a token request whose body is only half sent when the signal
//! arrives (on a connection that already served one request, so a worker surely owns it);
//! the rest of the body follows the signal.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::helpers::{CLIENT_ID, CLIENT_SECRET};

/// The provider binary on 127.0.0.1:0, and the address it announced (also used by
/// `hostile_input` to read what the binary logs).
pub(crate) struct Provider {
    child: Child,
    pub(crate) address: String,
    output: mpsc::Receiver<String>,
}

impl Provider {
    pub(crate) fn start() -> Provider {
        let mut child = Command::new(env!("CARGO_BIN_EXE_provider"))
            // Only these settings: a `.env` in the checkout is not read.
            .env("DOTENV", "off")
            .env("PROVIDER_BIND", "127.0.0.1:0")
            .env("RUST_LOG", "info")
            .env("RATE_LIMIT", "off")
            .env("WORKERS", "2")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the provider binary starts");
        let (lines, output) = mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let lines = lines.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = lines.send(line);
                }
            });
        }
        let marker = "provider listening on http://";
        let address = loop {
            let line = output
                .recv_timeout(Duration::from_secs(60))
                .expect("the provider announces its address");
            if let Some(rest) = line.split(marker).nth(1) {
                break rest
                    .split_whitespace()
                    .next()
                    .expect("an address")
                    .to_owned();
            }
        };
        Provider {
            child,
            address,
            output,
        }
    }

    /// Sends `signal` (`TERM`, `INT`) with the system's `kill`.
    pub(crate) fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} worked");
    }

    /// Waits for the process to exit (a generous bound: a hang is the failure looked for).
    pub(crate) fn wait_for_exit(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("the child can be polled") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the provider did not exit after the signal"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Every line printed so far (stdout and stderr) not yet taken.
    pub(crate) fn printed(&self) -> Vec<String> {
        self.output.try_iter().collect()
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads one HTTP/1.1 response (head and a Content-Length body) from `stream`.
fn read_response(stream: &mut TcpStream) -> String {
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        let read = reader
            .read_line(&mut line)
            .expect("the response is readable");
        assert!(read > 0, "the connection closed mid-response: {head}");
        if let Some(value) = line
            .to_ascii_lowercase()
            .strip_prefix("content-length:")
            .map(|value| value.trim().to_owned())
        {
            length = value.parse().expect("a length");
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("the whole body");
    format!("{head}{}", String::from_utf8_lossy(&body))
}

/// Starts the provider, begins a token request, sends `signal` mid-body, finishes the
/// request: it must be answered with tokens, and the process must exit 0.
fn in_flight_request_survives(signal: &str) {
    let mut provider = Provider::start();
    let mut stream = TcpStream::connect(&provider.address).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("a timeout");
    let basic = STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    let body = "grant_type=client_credentials&scope=profile%3Aread";
    let head = |length: usize| {
        format!(
            "POST /oauth/token HTTP/1.1\r\nHost: {}\r\nAuthorization: Basic {basic}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\n",
            provider.address
        )
    };

    // A first request on the connection: a worker now holds it.
    stream
        .write_all(format!("{}{body}", head(body.len())).as_bytes())
        .expect("sends");
    let first = read_response(&mut stream);
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");

    // The second is half sent when the signal arrives.
    let (start, rest) = body.split_at(body.len() / 2);
    stream
        .write_all(format!("{}{start}", head(body.len())).as_bytes())
        .expect("sends");
    stream.flush().expect("flushes");
    std::thread::sleep(Duration::from_millis(300));
    provider.signal(signal);
    std::thread::sleep(Duration::from_millis(300));
    stream
        .write_all(rest.as_bytes())
        .expect("the connection is still open");
    let second = read_response(&mut stream);
    assert!(
        second.starts_with("HTTP/1.1 200"),
        "the in-flight request is answered after SIG{signal}: {second}"
    );
    assert!(second.contains("\"access_token\""), "{second}");

    let status = provider.wait_for_exit();
    assert_eq!(
        status.code(),
        Some(0),
        "exit code after SIG{signal}: {:?}",
        provider.printed()
    );
    assert!(
        TcpStream::connect(&provider.address).is_err(),
        "nothing listens any more"
    );
}

#[test]
fn on_sigterm_the_provider_answers_the_request_in_flight_then_exits_0() {
    in_flight_request_survives("TERM");
}

#[test]
fn on_ctrl_c_the_provider_answers_the_request_in_flight_then_exits_0() {
    in_flight_request_survives("INT");
}
