//! `cargo run -p client`: the client alone. Everything it does is in [`client::run`], which
//! `cargo run` in the workspace root calls too (in a process of its own).

fn main() -> std::process::ExitCode {
    client::run()
}
