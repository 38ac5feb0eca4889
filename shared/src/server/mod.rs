//! What both web apps do the same way around the protocol: the program's life (start-up
//! line, graceful stop), the log, the middleware every request passes, and where browser
//! sessions live. Behind the `server` feature, so the wire types above stay free of any web
//! framework for whoever only needs them.
//!
//! Read in this order: [`program`] (start, stop), [`telemetry`] (the log and its request
//! id, [`log_format`] its time and fields, [`log_writer`] where its lines go), [`middleware`] (`HEAD` as `GET`, the body deadline), [`session_store`].

pub mod log_format;
pub mod log_writer;
pub mod middleware;
pub mod program;
pub mod session_store;
pub mod telemetry;

pub use session_store::MemorySessionStore;
