//! The binary: a bad setting, or an address in use, stops it with one line.

use std::net::TcpListener;
use std::process::Command;

fn run_client(envs: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_client"));
    // Only these settings: a `.env` in the checkout is not read.
    command.env("DOTENV", "off");
    for (key, value) in envs {
        command.env(key, value);
    }
    command.output().expect("the binary runs")
}

#[test]
fn a_bad_setting_stops_the_client_with_one_line_naming_key_and_value() {
    let output = run_client(&[("CLIENT_BIND", "127.0.0.1:0"), ("AUTH_SERVER", "not-a-url")]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stderr
        .lines()
        .find(|line| line.starts_with("error:"))
        .expect("an error line");
    assert!(
        line.contains("AUTH_SERVER") && line.contains("not-a-url"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn an_address_in_use_stops_the_client_naming_client_bind() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = taken.local_addr().expect("bound").to_string();
    let output = run_client(&[("CLIENT_BIND", address.as_str())]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stderr
        .lines()
        .find(|line| line.starts_with("error:"))
        .expect("an error line");
    assert!(
        line.contains("CLIENT_BIND") && line.contains(&address),
        "{stderr}"
    );
}
