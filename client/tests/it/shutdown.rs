//! Graceful shutdown of the client binary: on SIGTERM and on SIGINT (Ctrl-C), a request in
//! flight is answered in full, then the process exits 0.
//!
//! The in-flight request is a form POST whose body is half sent when the signal arrives, on
//! a connection that already served one request (so a worker surely owns it).

use std::io::Write;
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use testkit::process::{Program, Server, free_port, read_http_response};

/// The client binary on 127.0.0.1:0 (its provider need not run).
struct ClientProcess;

impl ClientProcess {
    /// Starts the binary with only these settings (a `.env` in the checkout is not read)
    /// and waits for the address it announces.
    fn start() -> Server {
        // Nothing listens at the provider's address: the client starts anyway.
        let provider = format!("http://127.0.0.1:{}", free_port());
        let mut command = Command::new(env!("CARGO_BIN_EXE_client"));
        command
            .env("DOTENV", "off")
            .env("CLIENT_BIND", "127.0.0.1:0")
            .env("AUTH_SERVER", &provider)
            .env("RUST_LOG", "info");
        Program::spawn_server(command, "client listening on http://")
    }
}

fn in_flight_request_survives(signal: &str) {
    let mut client = ClientProcess::start();
    let mut stream = TcpStream::connect(&client.address).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("a timeout");
    // The Host of the default REDIRECT_URI, so the canonical-origin redirect stays out of it.
    let host = "localhost:3000";

    stream
        .write_all(format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes())
        .expect("sends");
    let home = read_http_response(&mut stream);
    assert!(home.starts_with("HTTP/1.1 200"), "{home}");

    let body = "csrf_token=not-this-sessions-token-but-a-complete-form";
    let (start, rest) = body.split_at(body.len() / 2);
    stream
        .write_all(
            format!(
                "POST /logout HTTP/1.1\r\nHost: {host}\r\n\
                 Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{start}",
                body.len()
            )
            .as_bytes(),
        )
        .expect("sends");
    stream.flush().expect("flushes");
    std::thread::sleep(Duration::from_millis(300));
    client.signal(signal);
    std::thread::sleep(Duration::from_millis(300));
    stream
        .write_all(rest.as_bytes())
        .expect("the connection is still open");
    let answer = read_http_response(&mut stream);
    // The form was read and judged (a CSRF refusal page): the request ran to its end.
    assert!(
        answer.starts_with("HTTP/1.1 403"),
        "the in-flight request is answered after SIG{signal}: {answer}"
    );
    assert!(answer.contains("CSRF"), "{answer}");

    let status = client.wait_for_exit();
    let printed = client.printed();
    assert_eq!(status.code(), Some(0), "after SIG{signal}: {printed:?}");
    assert!(
        TcpStream::connect(&client.address).is_err(),
        "nothing listens any more"
    );
}

#[test]
fn on_sigterm_the_client_answers_the_request_in_flight_then_exits_0() {
    in_flight_request_survives("TERM");
}

#[test]
fn on_ctrl_c_the_client_answers_the_request_in_flight_then_exits_0() {
    in_flight_request_survives("INT");
}
