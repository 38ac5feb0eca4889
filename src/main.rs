//! `cargo run` in the workspace root: every program of the workshop in one terminal.
//!
//! Not part of the OAuth flow itself: this is the launcher that starts the provider
//! (authorization and resource server, `:8080`), the notes API (a resource server that is
//! not the provider, `:8082`) and the client (the web app, `:3000`) together, the way
//! `just dev` used to, with nothing but the Rust toolchain.
//!
//! Each program runs exactly as its own binary does (`cargo run -p provider` calls the same
//! [`provider::run`]), in a process of its own: the launcher starts *itself* again with the
//! program's name as its one argument (`oauth-flow-rs provider`), reads what the child
//! prints and prefixes every line with the program's name (`provider | ...`). Then:
//!
//! 1. Ctrl-C (SIGINT) or SIGTERM: every program is asked to stop with SIGTERM (graceful,
//!    requests in flight are answered), the launcher waits for all and exits 0.
//! 2. One program stops on its own (a bad setting, a port in use): its last lines are
//!    printed, the others are stopped the same way, and the launcher exits with that
//!    program's exit code (1 when it had none), so a script or CI sees the failure.
//! 3. A second Ctrl-C while they stop: the stragglers are killed outright.

use std::io::Write;
use std::process::{ExitCode, ExitStatus, Stdio};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, watch};

/// One program the launcher runs: its name (the log prefix and the argument that selects
/// it) and its entry point.
struct Program {
    name: &'static str,
    run: fn() -> ExitCode,
}

/// Everything `cargo run` starts, in start order. Adding a program is one line here.
const PROGRAMS: &[Program] = &[
    Program {
        name: "provider",
        run: provider::run,
    },
    Program {
        name: "api",
        run: api::run,
    },
    Program {
        name: "client",
        run: client::run,
    },
];

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    match (args.next(), args.next()) {
        // `oauth-flow-rs`: all of them.
        (None, _) => launch(),
        // `oauth-flow-rs provider`: one of them, in this process (how the launcher starts
        // each child; handy by hand too: `cargo run -- client`).
        (Some(name), None) => match PROGRAMS.iter().find(|program| program.name == name) {
            Some(program) => (program.run)(),
            None => usage(&name),
        },
        (Some(name), Some(_)) => usage(&name),
    }
}

fn usage(given: &str) -> ExitCode {
    let names: Vec<_> = PROGRAMS.iter().map(|program| program.name).collect();
    eprintln!(
        "error: unknown program {given:?}: run `cargo run` for all of them, or `cargo run -- NAME` for one of: {}",
        names.join(", ")
    );
    ExitCode::from(2)
}

/// What the launcher asks of every child still running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// Keep running.
    No,
    /// SIGTERM: finish the requests in flight, then exit 0.
    Gracefully,
    /// SIGKILL: now.
    Now,
}

fn launch() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return launcher_error(format_args!("cannot start: {error}")),
    };
    runtime.block_on(supervise())
}

/// Starts every program, waits for a signal or for one of them to end, stops the rest.
async fn supervise() -> ExitCode {
    // Listen before starting anything, so an early Ctrl-C is not lost.
    let mut signals = match Signals::new() {
        Ok(signals) => signals,
        Err(error) => return launcher_error(format_args!("cannot listen for Ctrl-C: {error}")),
    };
    let executable = match std::env::current_exe() {
        Ok(path) => path,
        Err(error) => return launcher_error(format_args!("cannot find myself: {error}")),
    };
    let width = PROGRAMS.iter().map(|program| program.name.len()).max();
    let (stop, stop_requests) = watch::channel(Stop::No);
    let (exits_sender, mut exits) = mpsc::unbounded_channel();
    let mut printers = Vec::new();
    let mut running = 0;
    for (index, program) in PROGRAMS.iter().enumerate() {
        let spawned = Command::new(&executable)
            .arg(program.name)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(error) => {
                launcher_error(format_args!("cannot start {}: {error}", program.name));
                let _ = stop.send(Stop::Now);
                break;
            }
        };
        let prefix = format!("{:width$} | ", program.name, width = width.unwrap_or(0));
        if let Some(stdout) = child.stdout.take() {
            printers.push(tokio::spawn(prefix_lines(stdout, prefix.clone(), false)));
        }
        if let Some(stderr) = child.stderr.take() {
            printers.push(tokio::spawn(prefix_lines(stderr, prefix, true)));
        }
        let exits = exits_sender.clone();
        let stop_requests = stop_requests.clone();
        tokio::spawn(async move {
            let status = watch_child(child, stop_requests).await;
            let _ = exits.send((index, status));
        });
        running += 1;
    }
    drop(exits_sender);

    // 1. and 2.: whichever comes first.
    let mut failed: Option<(usize, Option<i32>)> = None;
    tokio::select! {
        () = signals.next() => {
            let _ = stop.send(Stop::Gracefully);
        }
        Some((index, status)) = exits.recv() => {
            running -= 1;
            failed = Some((index, status.as_ref().ok().and_then(ExitStatus::code)));
            launcher_error(format_args!(
                "{} stopped ({}); stopping the others",
                PROGRAMS[index].name,
                describe(&status)
            ));
            let _ = stop.send(Stop::Gracefully);
        }
    }

    // Wait for the rest; 3.: a second Ctrl-C kills whoever is left.
    let mut other_failure = None;
    while running > 0 {
        tokio::select! {
            Some((_, status)) = exits.recv() => {
                running -= 1;
                if !stopped_as_asked(&status) {
                    other_failure.get_or_insert(status.as_ref().ok().and_then(ExitStatus::code));
                }
            }
            () = signals.next() => {
                let _ = stop.send(Stop::Now);
            }
        }
    }
    // The children are gone, so their pipes are closed: the printers end after the last line.
    for printer in printers {
        let _ = printer.await;
    }
    match (failed, other_failure) {
        (Some((_, code)), _) | (None, Some(code)) => exit_code(code),
        (None, None) => ExitCode::SUCCESS,
    }
}

/// Waits for `child` to end, passing on the launcher's stop requests as signals. The child
/// is only ever signalled here, before it has been waited for, so its process id cannot
/// have been given to another process yet.
async fn watch_child(
    mut child: Child,
    mut stop_requests: watch::Receiver<Stop>,
) -> std::io::Result<ExitStatus> {
    loop {
        tokio::select! {
            status = child.wait() => return status,
            changed = stop_requests.changed() => {
                let request = *stop_requests.borrow_and_update();
                match (changed, request) {
                    (Ok(()), Stop::Gracefully) => ask_to_stop(&child),
                    (Ok(()), Stop::Now) | (Err(_), _) => {
                        let _ = child.start_kill();
                        return child.wait().await;
                    }
                    (Ok(()), Stop::No) => {}
                }
            }
        }
    }
}

/// Whether a program asked to stop ended well: exit 0, or killed by that very SIGTERM (it
/// came before the program had installed its handler, while it was still starting).
fn stopped_as_asked(status: &std::io::Result<ExitStatus>) -> bool {
    let Ok(status) = status else { return false };
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        status.success() || status.signal() == Some(libc::SIGTERM)
    }
    #[cfg(not(unix))]
    {
        status.success()
    }
}

/// SIGTERM, as a service manager would send: every program then answers the requests in
/// flight and exit 0.
#[cfg(unix)]
fn ask_to_stop(child: &Child) {
    let Some(pid) = child.id().and_then(|pid| libc::pid_t::try_from(pid).ok()) else {
        return;
    };
    // SAFETY: kill(2) reads no memory of ours; `pid` is our own child, not yet waited for
    // (`Child::id` is `None` once it has been), so it names no other process.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
}

/// Without Unix signals there is no graceful request to make: stop it outright.
#[cfg(not(unix))]
fn ask_to_stop(child: &Child) {
    let _ = child.start_kill();
}

/// Copies `stream` line by line to the launcher's stdout (or stderr), each line behind
/// `prefix`. A line that is not UTF-8 is printed with replacement characters; a closed
/// stdout (`cargo run | head`) drops the line rather than stopping the copy, so the child
/// never blocks on a full pipe.
async fn prefix_lines(stream: impl AsyncRead + Unpin, prefix: String, to_stderr: bool) {
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        let _ = if to_stderr {
            writeln!(std::io::stderr().lock(), "{prefix}{text}")
        } else {
            writeln!(std::io::stdout().lock(), "{prefix}{text}")
        };
    }
}

/// Ctrl-C and SIGTERM, as one stream of "stop" requests.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Self {})
        }
    }

    async fn next(&mut self) {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => {}
                _ = self.terminate.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

fn describe(status: &std::io::Result<ExitStatus>) -> String {
    match status {
        Ok(status) => match status.code() {
            Some(code) => format!("exit code {code}"),
            None => "ended by a signal".to_owned(),
        },
        Err(error) => format!("cannot tell how: {error}"),
    }
}

/// The exit code to pass on: the program's own, or 1 when it had none (or claimed success
/// while it was not asked to stop).
fn exit_code(code: Option<i32>) -> ExitCode {
    match code.and_then(|code| u8::try_from(code).ok()) {
        Some(code) if code != 0 => ExitCode::from(code),
        _ => ExitCode::FAILURE,
    }
}

fn launcher_error(message: std::fmt::Arguments<'_>) -> ExitCode {
    let width = PROGRAMS
        .iter()
        .map(|program| program.name.len())
        .max()
        .unwrap_or(0);
    let _ = writeln!(
        std::io::stderr().lock(),
        "{:width$} | {message}",
        "cargo run"
    );
    ExitCode::FAILURE
}
