//! Limits on connections, shared by both servers: what a slow or greedy peer may hold.
//!
//! A server has three things an anonymous peer can tie up before it has said anything
//! useful: a connection (an open file), the time spent waiting for its request, and memory.
//! actix-web already cuts a peer that is slow to send its *headers* (`client_request_timeout`,
//! 5 s) but not one that sends a body one byte at a time (the "slow POST" or R.U.D.Y.
//! attack): each such connection stays open as long as the peer likes, and a thousand of
//! them use up the open-file limit, after which the server accepts nobody. So:
//!
//! 1. every request body must arrive whole within [`ConnectionLimits::body_timeout`]
//!    (`REQUEST_BODY_TIMEOUT`);
//! 2. at most [`ConnectionLimits::max_connections`] connections are open at once
//!    (`MAX_CONNECTIONS`), kept below the open-file limit so the server can still open
//!    what it needs itself (a socket to Redis, a template);
//! 3. the open-file soft limit is raised to the hard limit at start-up
//!    ([`raise_open_file_limit`]), as servers such as nginx and PostgreSQL do: the default
//!    soft limit of many systems (1024) was set for interactive shells.

use std::time::Duration;

use crate::env::{EnvSource, SettingError};

/// Open files kept back for the server's own use when bounding connections by the limit.
pub const RESERVED_FILES: u64 = 128;

/// The two settings both binaries read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// `REQUEST_BODY_TIMEOUT` (seconds, default 5): the time a request body has to arrive
    /// whole, counted from the end of its headers; a slower one gets
    /// `408 Request Timeout` and its connection is closed. Forms here are a few hundred
    /// bytes: a real browser sends them in one packet.
    pub body_timeout: Duration,
    /// `MAX_CONNECTIONS` (default 4096): open connections at once, over all workers. Past
    /// it the server stops accepting until one closes (new peers wait in the kernel's
    /// queue, they are not refused). Lowered at start-up to fit the open-file limit.
    pub max_connections: usize,
}

impl ConnectionLimits {
    pub fn from_source(env: &EnvSource) -> Result<Self, SettingError> {
        let seconds: u64 = env.parse(
            "REQUEST_BODY_TIMEOUT",
            5,
            "a whole number of seconds, at least 1, such as 5",
        )?;
        if seconds == 0 {
            return Err(env.error(
                "REQUEST_BODY_TIMEOUT",
                "a whole number of seconds, at least 1, such as 5",
            ));
        }
        let max_connections: usize = env.parse(
            "MAX_CONNECTIONS",
            4096,
            "a number of connections, at least 16, such as 4096",
        )?;
        if max_connections < 16 {
            return Err(env.error(
                "MAX_CONNECTIONS",
                "a number of connections, at least 16, such as 4096",
            ));
        }
        Ok(Self {
            body_timeout: Duration::from_secs(seconds),
            max_connections,
        })
    }

    /// Connections at once over all workers: `MAX_CONNECTIONS`, lowered to the open-file
    /// limit less [`RESERVED_FILES`] (but never under 16).
    pub fn total(&self, open_file_limit: Option<u64>) -> usize {
        match open_file_limit {
            Some(limit) => {
                let room =
                    usize::try_from(limit.saturating_sub(RESERVED_FILES)).unwrap_or(usize::MAX);
                self.max_connections.min(room.max(16))
            }
            None => self.max_connections,
        }
    }

    /// Connections per worker thread (actix counts them per worker): [`Self::total`]
    /// shared out over `workers`.
    pub fn per_worker(&self, workers: usize, open_file_limit: Option<u64>) -> usize {
        self.total(open_file_limit).div_ceil(workers.max(1)).max(1)
    }
}

/// Raises this process's open-file soft limit (`RLIMIT_NOFILE`) to its hard limit, and
/// answers the limit now in force (or `None` where there is no such limit to read).
///
/// Raising the soft limit up to the hard one needs no privilege: the hard limit is what the
/// administrator allowed, the soft one only a default. Called once, at start-up.
#[cfg(unix)]
pub fn raise_open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `getrlimit` writes one `rlimit` through a pointer to a live, aligned value.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return None;
    }
    // macOS refuses a soft limit above OPEN_MAX even when the hard limit is "unlimited".
    #[cfg(target_os = "macos")]
    let wanted = limit.rlim_max.min(libc::OPEN_MAX as libc::rlim_t);
    #[cfg(not(target_os = "macos"))]
    let wanted = limit.rlim_max;
    if limit.rlim_cur < wanted {
        let raised = libc::rlimit {
            rlim_cur: wanted,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: `setrlimit` reads one `rlimit` through a pointer to a live value.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit.rlim_cur = wanted;
        }
    }
    Some(as_u64(limit.rlim_cur))
}

/// `rlim_t` is `u64` on Linux and macOS, but not on every Unix.
#[cfg(unix)]
#[allow(clippy::useless_conversion)]
fn as_u64(value: libc::rlim_t) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

/// Elsewhere there is no `RLIMIT_NOFILE` to raise.
#[cfg(not(unix))]
pub fn raise_open_file_limit() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_five_seconds_and_4096_connections() {
        let limits = ConnectionLimits::from_source(&EnvSource::default()).expect("defaults");
        assert_eq!(limits.body_timeout, Duration::from_secs(5));
        assert_eq!(limits.max_connections, 4096);
    }

    #[test]
    fn a_zero_timeout_or_a_tiny_connection_bound_is_refused_naming_the_key() {
        let env = EnvSource::from_pairs([("REQUEST_BODY_TIMEOUT", "0")]);
        let error = ConnectionLimits::from_source(&env).expect_err("0 s");
        assert_eq!(error.key, "REQUEST_BODY_TIMEOUT");
        let env = EnvSource::from_pairs([("MAX_CONNECTIONS", "3")]);
        let error = ConnectionLimits::from_source(&env).expect_err("3");
        assert_eq!(error.key, "MAX_CONNECTIONS");
    }

    #[test]
    fn the_connection_bound_stays_under_the_open_file_limit_and_is_shared_by_workers() {
        let limits = ConnectionLimits::from_source(&EnvSource::default()).expect("defaults");
        assert_eq!(limits.per_worker(2, None), 2048);
        assert_eq!(limits.per_worker(2, Some(1024)), 448);
        assert_eq!(limits.per_worker(4, Some(1_048_576)), 1024);
    }

    #[test]
    fn the_open_file_limit_is_raised_to_the_hard_limit() {
        let Some(now) = raise_open_file_limit() else {
            return;
        };
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: as in `raise_open_file_limit`.
        assert_eq!(
            unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
            0
        );
        assert_eq!(as_u64(limit.rlim_cur), now);
    }
}
