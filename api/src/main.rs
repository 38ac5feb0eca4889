//! `cargo run -p api`: the notes API alone. Everything it does is in [`api::run`].

fn main() -> std::process::ExitCode {
    api::run()
}
