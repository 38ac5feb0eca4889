//! `cargo run -p provider`: the provider alone. Everything it does is in [`provider::run`],
//! which `cargo run` in the workspace root calls too (in a process of its own).

fn main() -> std::process::ExitCode {
    provider::run()
}
