//! Graceful shutdown of the provider binary: on SIGTERM (how a service manager or a container
//! runtime stops it) and on SIGINT (Ctrl-C in a terminal), a request already in flight is
//! answered in full, then the process exits 0.
//!
//! The in-flight request is a token request whose body is only half sent when the signal
//! arrives (on a connection that already served one request, so a worker surely owns it);
//! the rest of the body follows the signal.

use std::io::Write;
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use testkit::process::{Program, Server, read_http_response};
use testkit::{CLIENT_ID, CLIENT_SECRET};

/// The provider binary on 127.0.0.1:0 (also used by `hostile_input` and `request_log` to
/// read what the binary logs).
pub(crate) struct Provider;

impl Provider {
    /// Starts the binary with only these settings (a `.env` in the checkout is not read)
    /// and waits for the address it announces.
    pub(crate) fn start() -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_provider"));
        command
            .env("DOTENV", "off")
            .env("PROVIDER_BIND", "127.0.0.1:0")
            .env("RUST_LOG", "info")
            .env("RATE_LIMIT", "off")
            .env("WORKERS", "2");
        Program::spawn_server(command, "provider listening on http://")
    }
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
    let first = read_http_response(&mut stream);
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
    let second = read_http_response(&mut stream);
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
