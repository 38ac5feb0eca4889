//! The two parts of a log line that cost the most to write, written cheaply: its time and
//! its fields. [`telemetry::Lines`](super::telemetry::Lines) puts the line together.
//!
//! In the default configuration every request writes a line (a token request two), so these
//! run as often as the handlers do. What they print is exactly what `tracing_subscriber`'s
//! own format prints (`SystemTime` for the time, `DefaultFields` for the fields): only the
//! way there is shorter. Measured in docs/performance.md, "The default configuration".

use std::cell::Cell;
use std::fmt::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};

/// `2026-11-29T23:41:07.`: the part of a timestamp that changes once a second.
type SecondPrefix = [u8; 20];

thread_local! {
    /// The second this thread last logged in, and its [`SecondPrefix`], already written.
    static SECOND: Cell<Option<(u64, SecondPrefix)>> = const { Cell::new(None) };
}

/// Writes the time now, in UTC with microseconds (RFC 3339): `2026-11-29T23:41:07.123456Z`.
///
/// Turning seconds since 1970 into a calendar date, and formatting its six numbers, took a
/// fifth of a line's time; the date and time up to the second are the same for every line
/// of a second, so each thread keeps them, written, and only the microseconds are new.
/// Fails (the caller writes `<unknown time>`) only for a clock set outside years 1970-9999.
pub fn write_timestamp(writer: &mut impl Write) -> fmt::Result {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| fmt::Error)?;
    let seconds = since_epoch.as_secs();
    let prefix = match SECOND.get() {
        Some((second, prefix)) if second == seconds => prefix,
        _ => {
            let prefix = second_prefix(seconds)?;
            SECOND.set(Some((seconds, prefix)));
            prefix
        }
    };
    // The prefix is ASCII: it was written from numbers and separators.
    writer.write_str(std::str::from_utf8(&prefix).map_err(|_| fmt::Error)?)?;
    write!(writer, "{:06}Z", since_epoch.subsec_micros())
}

/// The calendar date and time of `seconds` since 1970, up to the second's dot.
fn second_prefix(seconds: u64) -> Result<SecondPrefix, fmt::Error> {
    let seconds = i64::try_from(seconds).map_err(|_| fmt::Error)?;
    let at = time::OffsetDateTime::from_unix_timestamp(seconds).map_err(|_| fmt::Error)?;
    let mut prefix = [0u8; 20];
    let mut out = &mut prefix[..];
    // A year past 9999 would not fit: `write!` then fails, and so does the line's time.
    std::io::Write::write_fmt(
        &mut out,
        format_args!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute(),
            at.second()
        ),
    )
    .map_err(|_| fmt::Error)?;
    Ok(prefix)
}

/// Writes an event's fields: its message, then `name=value` for each field, a space
/// between them (`client token issued client_id=demo-client access_token=1f2e3d4c`).
/// Field names are in italics when the line goes to a terminal.
///
/// `DefaultFields` prints the same, but styles every name through a styling type even when
/// there is no style to print, which cost more than the value itself. Like it, the message
/// (and an error's text) has its terminal control characters escaped (`NoControls`).
/// Errors print their own text, without `DefaultFields`' list of their sources: the apps
/// log errors as text (`%error`), never as `&dyn Error`.
pub struct Fields<'a, W: Write> {
    writer: &'a mut W,
    ansi: bool,
    first: bool,
    result: fmt::Result,
}

impl<'a, W: Write> Fields<'a, W> {
    pub fn new(writer: &'a mut W, ansi: bool) -> Self {
        Fields {
            writer,
            ansi,
            first: true,
            result: Ok(()),
        }
    }

    /// Whether every field was written.
    pub fn finish(self) -> fmt::Result {
        self.result
    }
}

impl<W: Write> Visit for Fields<'_, W> {
    /// The message is the text itself; any other string field is quoted, as `Debug` does.
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.record_debug(field, &format_args!("{value}"));
        } else {
            self.record_debug(field, &value);
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.record_debug(field, &format_args!("{}", NoControls(value)));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let name = field.name();
        // `log.target`, `log.file`…: where a `log` crate record came from, not a field.
        if self.result.is_err() || name.starts_with("log.") {
            return;
        }
        let separator = if std::mem::take(&mut self.first) {
            ""
        } else {
            " "
        };
        let name = name.strip_prefix("r#").unwrap_or(name);
        self.result = match (name, self.ansi) {
            ("message", _) => write!(self.writer, "{separator}{:?}", NoControls(value)),
            (name, false) => write!(self.writer, "{separator}{name}={value:?}"),
            (name, true) => write!(
                self.writer,
                "{separator}\x1b[3m{name}\x1b[0m\x1b[2m=\x1b[0m{value:?}"
            ),
        };
    }
}

/// Text with the characters a terminal acts on written out as escapes (`\x1b`, `\u{9b}`),
/// so that a message carrying them cannot recolour, move or rewrite what a reader of the
/// log sees: the escaping `tracing_subscriber` applies to messages and errors.
struct NoControls<T>(T);

impl<T: fmt::Debug> fmt::Debug for NoControls<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(EscapeControls(f), "{:?}", self.0)
    }
}

impl<T: fmt::Display> fmt::Display for NoControls<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(EscapeControls(f), "{}", self.0)
    }
}

struct EscapeControls<'a, 'b>(&'a mut fmt::Formatter<'b>);

impl Write for EscapeControls<'_, '_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        // ESC, BEL, BS, FF, DEL, and the C1 controls (U+0080 to U+009F, whose UTF-8 starts
        // with 0xC2): text without any of them, nearly all text, goes through whole.
        if !text
            .bytes()
            .any(|byte| matches!(byte, 0x1b | 0x07 | 0x08 | 0x0c | 0x7f | 0xc2))
        {
            return self.0.write_str(text);
        }
        for character in text.chars() {
            match character {
                '\x1b' => self.0.write_str("\\x1b")?,
                '\x07' => self.0.write_str("\\x07")?,
                '\x08' => self.0.write_str("\\x08")?,
                '\x0c' => self.0.write_str("\\x0c")?,
                '\x7f' => self.0.write_str("\\x7f")?,
                '\u{80}'..='\u{9f}' => write!(self.0, "\\u{{{:x}}}", u32::from(character))?,
                other => self.0.write_char(other)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::fmt::FormatFields;
    use tracing_subscriber::fmt::format::{DefaultFields, Writer};
    use tracing_subscriber::fmt::time::{FormatTime, SystemTime as TracingTime};

    /// A timestamp and the one `tracing_subscriber` writes in the same microsecond range:
    /// same shape, same date and time to the second (allowing for a second ticking over
    /// between the two).
    #[test]
    fn the_timestamp_reads_as_tracing_subscribers_own() -> fmt::Result {
        for _ in 0..3 {
            let mut ours = String::new();
            write_timestamp(&mut ours)?;
            let mut theirs = String::new();
            TracingTime.format_time(&mut Writer::new(&mut theirs))?;
            assert_eq!(ours.len(), theirs.len(), "{ours} against {theirs}");
            assert_eq!(&ours[19..20], ".");
            assert!(ours.ends_with('Z'));
            if ours[..19] == theirs[..19] {
                return Ok(());
            }
        }
        panic!("the timestamps never agreed to the second");
    }

    #[test]
    fn a_second_boundary_and_the_calendar_are_written_right() -> fmt::Result {
        // 2024-02-29T23:59:59 UTC, a leap day's last second, then the next day's first.
        assert_eq!(&second_prefix(1_709_251_199)?, b"2024-02-29T23:59:59.");
        assert_eq!(&second_prefix(1_709_251_200)?, b"2024-03-01T00:00:00.");
        assert_eq!(&second_prefix(0)?, b"1970-01-01T00:00:00.");
        Ok(())
    }

    /// A subscriber that writes each event's fields with `format` and keeps the text.
    struct Captured {
        format: fn(&tracing::Event<'_>) -> Vec<String>,
        lines: Arc<Mutex<Vec<String>>>,
    }

    impl tracing::Subscriber for Captured {
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, event: &tracing::Event<'_>) {
            let written = (self.format)(event);
            self.lines
                .lock()
                .expect("no test panics while holding the lines")
                .extend(written);
        }
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }

    /// The text `format` writes for each event that `log` logs.
    fn capture(format: fn(&tracing::Event<'_>) -> Vec<String>, log: impl FnOnce()) -> Vec<String> {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let subscriber = Captured {
            format,
            lines: lines.clone(),
        };
        tracing::subscriber::with_default(subscriber, log);
        let lines = lines
            .lock()
            .expect("no test panics while holding the lines");
        lines.clone()
    }

    /// An event's fields as [`Fields`] writes them.
    fn ours(event: &tracing::Event<'_>, ansi: bool) -> String {
        let mut line = String::new();
        let mut fields = Fields::new(&mut line, ansi);
        event.record(&mut fields);
        fields.finish().expect("writing to a String cannot fail");
        line
    }

    /// Every kind of field the apps log, and a message carrying terminal controls, written
    /// by [`Fields`] and by `DefaultFields`: the same text.
    #[test]
    fn fields_are_written_as_tracing_subscriber_writes_them() {
        let lines = capture(
            |event| {
                let mut theirs = String::new();
                DefaultFields::new()
                    .format_fields(Writer::new(&mut theirs), event)
                    .expect("writing to a String cannot fail");
                vec![ours(event, false), theirs]
            },
            || {
                let id = "demo-client";
                tracing::info!(client_id = %id, access_token = %"1f2e3d4c", scope = "profile:read", "client token issued");
                tracing::info!(method = %"POST", path = %"/oauth/token", status = 200u16, micros = 41u64, "request");
                tracing::warn!(r#type = ?Some(3), ok = true, "raw name and debug value");
                tracing::info!("a message alone, with {} in it", "an argument");
                tracing::info!(only = -1i64);
                let hostile = "\x1b[2J\u{9b}31m\x07 cleared";
                tracing::warn!(value = %hostile, "message {hostile}");
            },
        );
        assert_eq!(lines.len(), 12);
        for pair in lines.chunks(2) {
            assert_eq!(pair[0], pair[1]);
        }
        assert_eq!(
            lines[0],
            "client token issued client_id=demo-client access_token=1f2e3d4c scope=\"profile:read\""
        );
        assert!(
            lines[10].starts_with("message \\x1b[2J\\u{9b}31m\\x07 cleared"),
            "{}",
            lines[10]
        );
    }

    /// With colours, names are in italics and the `=` dim, as `DefaultFields` writes them.
    #[test]
    fn field_names_are_styled_for_a_terminal() {
        let lines = capture(
            |event| vec![ours(event, true)],
            || tracing::info!(status = 200u16, "request"),
        );
        assert_eq!(lines, ["request \x1b[3mstatus\x1b[0m\x1b[2m=\x1b[0m200"]);
    }
}
