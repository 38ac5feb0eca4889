//! A program as a child process: the real binaries, as a service manager or a terminal runs
//! them. Some promises can only be checked there: a bad setting stops start-up with one line
//! naming the key, SIGTERM and Ctrl-C finish the request in flight and exit 0, no secret
//! (code, token, password, client secret) is ever in what the program prints, and several
//! provider processes can share one store.
//!
//! [`Program::spawn`] starts a configured [`Command`] with both output streams read line by
//! line on threads of their own (so the child never blocks on a full pipe), and keeps every
//! line; [`Program::wait_for`] reads until a line announces something, such as the address
//! a program bound on port 0. Dropping a [`Program`] kills it, even when a test panics.

use std::io::{BufRead, BufReader, Read};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a program may take to print an expected line, or to exit after a signal: only a
/// hang should reach it.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// A running child process and every line it printed (stdout and stderr, interleaved).
pub struct Program {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Program {
    /// Starts `command` with stdin closed and stdout and stderr piped into the line record.
    pub fn spawn(mut command: Command) -> Program {
        let program = format!("{:?}", command.get_program());
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("{program} starts: {error}"));
        let (sender, lines) = mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().expect("stdout is piped")) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().expect("stderr is piped")),
        ] {
            let sender = sender.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = sender.send(line);
                }
            });
        }
        Program {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Starts `command`, a server that binds port 0 and prints `marker` followed by its
    /// address (`provider listening on http://`), and waits for that line.
    pub fn spawn_server(command: Command, marker: &str) -> Server {
        let mut program = Program::spawn(command);
        let address = program.wait_for("", marker);
        Server { address, program }
    }

    /// The process id (for `/proc` or `kill`).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits for a line starting with `prefix` and containing `marker`, among the lines seen
    /// so far and those still to come; answers the word right after the marker (up to a
    /// space or `;`: an address, say). Panics with everything printed when none comes.
    pub fn wait_for(&mut self, prefix: &str, marker: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        let mut index = 0;
        loop {
            while index < self.seen.len() {
                let line = &self.seen[index];
                index += 1;
                if line.starts_with(prefix)
                    && let Some(rest) = line.split(marker).nth(1)
                {
                    return rest
                        .split(|c: char| c == ';' || c.is_whitespace())
                        .next()
                        .unwrap_or("")
                        .to_owned();
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(error) => panic!(
                    "no `{prefix}...{marker}` line ({error}); printed: {:#?}",
                    self.seen
                ),
            }
        }
    }

    /// Sends `signal` (`TERM`, `INT`, …) with the system's `kill`.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} worked");
    }

    /// Waits for the process to exit (a generous bound: a hang is the failure looked for).
    pub fn wait_for_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("the child can be polled") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the program did not exit; printed: {:#?}",
                self.printed()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Every line printed so far. After an exit the reader threads may still be passing
    /// the last lines: [`Program::printed_until_closed`] waits for them.
    pub fn printed(&mut self) -> Vec<String> {
        self.seen.extend(self.lines.try_iter());
        self.seen.clone()
    }

    /// Every line the program printed, once both pipes have closed (after it exited).
    pub fn printed_until_closed(&mut self) -> Vec<String> {
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.seen.push(line);
        }
        self.seen.clone()
    }

    /// Stops the process at once (SIGKILL), as in a crash.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A [`Program`] that announced the address it listens on; everything else is the program's.
pub struct Server {
    /// `127.0.0.1:PORT`, as the program printed it.
    pub address: String,
    program: Program,
}

impl std::ops::Deref for Server {
    type Target = Program;

    fn deref(&self) -> &Program {
        &self.program
    }
}

impl std::ops::DerefMut for Server {
    fn deref_mut(&mut self) -> &mut Program {
        &mut self.program
    }
}

/// A port nobody listens on now: bind 127.0.0.1:0, read the port, let it go. (Only for a
/// program that must be told a port; an in-process app takes the bound listener instead.)
pub fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free port on loopback");
    listener.local_addr().expect("bound").port()
}

/// Whether something accepts connections on `127.0.0.1:port` within `limit`.
pub fn wait_for_port(port: u16, limit: Duration) -> bool {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let start = Instant::now();
    while start.elapsed() < limit {
        if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Reads one HTTP/1.1 response (head and a `Content-Length` body) from `stream`: for tests
/// that write a request by hand, such as one cut in half by a signal.
pub fn read_http_response(stream: &mut TcpStream) -> String {
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

/// This test process's resident memory (`VmRSS`) in KiB, 0 where `/proc` is not there: for
/// the tests that bound what anonymous requests can make an in-process app keep.
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Whether `redis-server` (Debian package `redis-server`) is on the `PATH`.
pub fn redis_installed() -> bool {
    Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}
