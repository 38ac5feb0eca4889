//! The authorization server's domain: plain Rust, no web framework.
//!
//! Handlers in `oauth/`, `web/` and `api/` parse HTTP, call into these modules and render.

pub mod client;
pub mod grant;
pub mod ids;
pub mod pkce;
pub mod scope;
pub mod teams;
pub mod token;
pub mod user;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The clock every expiry is measured on (codes, access and refresh tokens, a grant's
/// lifetime, a pending authorization's age), in milliseconds since the Unix epoch.
///
/// It lives in the app (`AppState::clock`) and every expiry decision asks it, never the
/// system directly, so a test can make a token expire by moving the clock instead of
/// waiting for it.
#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// The system's clock: what the provider runs on.
    #[default]
    System,
    /// The system's clock plus however far a test has moved it ([`ManualClock::advance`]).
    Manual(ManualClock),
}

impl Clock {
    /// Now, in milliseconds since the Unix epoch.
    pub fn now_millis(&self) -> u64 {
        let system = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis() as u64);
        match self {
            Clock::System => system,
            Clock::Manual(manual) => system + manual.ahead.load(Ordering::Relaxed),
        }
    }
}

/// The handle a test keeps to move a [`Clock::Manual`] forward.
///
/// It runs *with* the system clock rather than standing still, because other things the
/// provider relies on do: Redis expires keys in real time, and sessions age in real time.
/// A clock that only ever jumps forward keeps every "expired by now" decision on the same
/// side as theirs.
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    /// How far ahead of the system clock it is, in milliseconds.
    ahead: Arc<AtomicU64>,
}

impl ManualClock {
    pub fn new() -> Self {
        Self::default()
    }

    /// The clock to give the app: it reads the time this handle moves.
    pub fn clock(&self) -> Clock {
        Clock::Manual(self.clone())
    }

    /// Moves the clock `by` into the future, for every copy of it.
    pub fn advance(&self, by: Duration) {
        let millis = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.ahead.fetch_add(millis, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_forward_when_advanced_and_every_copy_sees_it() {
        let manual = ManualClock::new();
        let clock = manual.clock();
        let before = clock.now_millis();
        manual.advance(Duration::from_secs(3600));
        let after = clock.clone().now_millis();
        assert!(after >= before + 3_600_000, "{before} -> {after}");
        assert!(after < Clock::System.now_millis() + 3_660_000);
    }
}
