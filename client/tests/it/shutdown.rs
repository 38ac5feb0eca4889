//! Graceful shutdown of the client binary: on SIGTERM and on SIGINT (Ctrl-C), a request in
//! flight is answered in full, then the process exits 0.
//!
//! The in-flight request is a form POST whose body is half sent when the signal arrives, on
//! a connection that already served one request (so a worker surely owns it).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The client binary on 127.0.0.1:0 (its provider need not run), and its address.
struct ClientProcess {
    child: Child,
    address: String,
    output: mpsc::Receiver<String>,
}

impl ClientProcess {
    fn start() -> ClientProcess {
        // Nothing listens at the provider's address: the client starts anyway.
        let nowhere = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let provider = format!("http://{}", nowhere.local_addr().expect("bound"));
        drop(nowhere);
        let mut child = Command::new(env!("CARGO_BIN_EXE_client"))
            // Only these settings: a `.env` in the checkout is not read.
            .env("DOTENV", "off")
            .env("CLIENT_BIND", "127.0.0.1:0")
            .env("AUTH_SERVER", &provider)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the client binary starts");
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
        let marker = "client listening on http://";
        let address = loop {
            let line = output
                .recv_timeout(Duration::from_secs(60))
                .expect("the client announces its address");
            if let Some(rest) = line.split(marker).nth(1) {
                break rest
                    .split(|c: char| c == ';' || c.is_whitespace())
                    .next()
                    .expect("an address")
                    .to_owned();
            }
        };
        ClientProcess {
            child,
            address,
            output,
        }
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} worked");
    }

    /// Waits for the exit; the bound only catches a hang.
    fn wait_for_exit(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("the child can be polled") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the client did not exit after the signal"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for ClientProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads one HTTP/1.1 response with a Content-Length body.
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
    let home = read_response(&mut stream);
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
    let answer = read_response(&mut stream);
    // The form was read and judged (a CSRF refusal page): the request ran to its end.
    assert!(
        answer.starts_with("HTTP/1.1 403"),
        "the in-flight request is answered after SIG{signal}: {answer}"
    );
    assert!(answer.contains("CSRF"), "{answer}");

    let status = client.wait_for_exit();
    let printed: Vec<String> = client.output.try_iter().collect();
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
