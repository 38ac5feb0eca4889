//! Logging, the same in both binaries: `tracing` to stdout, one line per event, filtered by
//! `RUST_LOG` (default `info`), and a line per request with its request id.
//!
//! Nothing secret is ever logged: tokens and codes appear only as fingerprints (the first 8
//! hex digits of their SHA-256, [`crate::fingerprint`]), and the request line has the path
//! but never the query string (it may carry a code, a `state` or a token).
//!
//! In the default configuration every request writes a line, so the request log is the
//! hottest code both apps have: it is built to cost little (docs/performance.md, "The
//! default configuration"). A `tracing` span per request did the job before and cost more
//! than the line itself (a slab entry, a formatted copy of its fields on the heap, and
//! reference counting at every poll of the request's future). Instead, [`log_requests`]
//! keeps the request's id in a task-local ([`with_request_id`]): setting it is a swap of
//! a thread-local at each poll. The formatter, [`Lines`] (its time and fields written by
//! [`log_format`](super::log_format)), prints `request{id=…}:` ahead
//! of every line written while a request is being answered, so a handler's own line ("client
//! token issued", "login succeeded") carries the same id as the request line and as the
//! `X-Request-Id` the response announced. The lines read exactly as the span's did:
//!
//! ```text
//! 2026-11-29T23:41:07.123456Z  INFO request{id=Xq3…}: client token issued client_id=… access_token=1f2e3d4c scope=profile:read
//! 2026-11-29T23:41:07.123499Z  INFO request{id=Xq3…}: request method=POST path=/oauth/token status=200 micros=41
//! ```

use std::fmt;
use std::io::IsTerminal;
use std::time::Instant;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use super::log_format::{Fields, write_timestamp};
use crate::env::{EnvSource, SettingError};

/// Installs the global subscriber. Call once, from `run`, before anything logs. `RUST_LOG`
/// is read like every other setting (the environment over `.env`), so the filter in `.env`
/// is the one used; a bad one stops start-up naming the key and `example`, a filter that
/// would work.
pub fn init(env: &EnvSource, example: &str) -> Result<(), SettingError> {
    let filter = EnvFilter::try_new(env.string("RUST_LOG", "info"))
        .map_err(|_| env.error("RUST_LOG", &format!("a log filter such as {example}")))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal())
        // When stdout is gone (`just dev`'s log prefixer ended on Ctrl-C, `| head`), drop the
        // line: the default reports it on stderr, and printing to a closed stderr panics,
        // in whichever task was logging (the graceful shutdown, say).
        .log_internal_errors(false)
        .event_format(Lines)
        .with_writer(super::log_writer::Batched)
        .init();
    Ok(())
}

/// A request's id: 128 random bits, base64url (22 characters, on the stack), unique enough
/// to find one request in the logs. Not a secret, so it comes from the thread's own CSPRNG
/// (seeded from the operating system) rather than a `getrandom` system call per request,
/// which cost more than the rest of the request's middleware together.
#[derive(Clone, Copy)]
pub struct RequestId {
    text: [u8; 22],
}

impl RequestId {
    pub fn new() -> RequestId {
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        let mut text = [b'-'; 22];
        // 16 bytes are always 22 base64url characters: the slice fits.
        let _ = URL_SAFE_NO_PAD.encode_slice(bytes, &mut text);
        RequestId { text }
    }

    pub fn as_str(&self) -> &str {
        // base64url is ASCII.
        std::str::from_utf8(&self.text).unwrap_or("-")
    }
}

impl Default for RequestId {
    fn default() -> Self {
        Self::new()
    }
}

tokio::task_local! {
    /// The id of the request whose future is running, for [`Lines`] to print.
    static REQUEST_ID: RequestId;
}

/// Runs `work` with `id` as its request id: every line logged while it runs carries it.
pub async fn with_request_id<F: Future>(id: RequestId, work: F) -> F::Output {
    REQUEST_ID.scope(id, work).await
}

/// The id of the request being answered on this task, if any.
pub fn current_request_id() -> Option<RequestId> {
    REQUEST_ID.try_with(|id| *id).ok()
}

/// One line per request: its id, the method, the *path* (never the query string: it may
/// carry a code, a `state` or, where enabled, a bearer token), the status and the time taken
/// in microseconds. The id is returned in `X-Request-Id` to match a response to its line.
pub async fn log_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let id = RequestId::new();
    with_request_id(id, async move {
        let mut response = next.call(req).await?;
        response.headers_mut().insert(
            HeaderName::from_static("x-request-id"),
            HeaderValue::from_bytes(id.as_str().as_bytes())
                .unwrap_or_else(|_| HeaderValue::from_static("-")),
        );
        // Method and path are read back from the request the response carries: no copy of
        // either is made for the log.
        let request = response.request();
        let status = response.status().as_u16();
        let micros = started.elapsed().as_micros() as u64;
        tracing::info!(
            method = %request.method(),
            path = %request.path(),
            status,
            micros,
            "request"
        );
        Ok(response)
    })
    .await
}

/// The shape of every line: `<time> <LEVEL> [request{id=…}: ]<message> <fields>`.
///
/// What `tracing_subscriber`'s default format writes with targets off, except that the
/// request id comes from the task-local [`REQUEST_ID`] rather than from a span (spans,
/// if any code opens one, are still printed, after it).
pub struct Lines;

impl<S, N> FormatEvent<S, N> for Lines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let ansi = writer.has_ansi_escapes();
        if ansi {
            writer.write_str("\x1b[2m")?;
        }
        if write_timestamp(&mut writer).is_err() {
            writer.write_str("<unknown time>")?;
        }
        writer.write_str(if ansi { "\x1b[0m " } else { " " })?;
        let level = *event.metadata().level();
        let (name, colour) = match level {
            Level::TRACE => ("TRACE", "35"),
            Level::DEBUG => ("DEBUG", "34"),
            Level::INFO => (" INFO", "32"),
            Level::WARN => (" WARN", "33"),
            Level::ERROR => ("ERROR", "31"),
        };
        if ansi {
            write!(writer, "\x1b[{colour}m{name}\x1b[0m ")?;
        } else {
            write!(writer, "{name} ")?;
        }
        if let Ok(written) =
            REQUEST_ID.try_with(|id| write!(writer, "request{{id={}}}: ", id.as_str()))
        {
            written?;
        }
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                writer.write_str(span.metadata().name())?;
                let extensions = span.extensions();
                if let Some(fields) =
                    extensions.get::<tracing_subscriber::fmt::FormattedFields<N>>()
                    && !fields.is_empty()
                {
                    write!(writer, "{{{fields}}}")?;
                }
                writer.write_str(": ")?;
            }
        }
        let mut fields = Fields::new(&mut writer, ansi);
        event.record(&mut fields);
        fields.finish()?;
        writeln!(writer)
    }
}
