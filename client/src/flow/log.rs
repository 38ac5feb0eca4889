//! One browser's flow log, as the inspector (`/flow`) shows it: the login's steps, then the
//! latest later ones, each part bounded so anonymous traffic cannot grow a session (the
//! inspector's memory rule; the steps themselves narrate RFC 6749 §4.1 and what follows).

use std::collections::VecDeque;

use super::Step;

/// How many steps after the login itself are kept (API calls, refreshes, revocations).
const LATER_STEPS_KEPT: usize = 40;

/// How many steps of the login itself are kept. A login has five or so; the rest are
/// refused callbacks, which anyone can send on one cookie (before this bound, 1,000 forged
/// callbacks grew one session by 19 MB and `/flow` to 31 MB).
const LOGIN_STEPS_KEPT: usize = 16;

/// One browser's most recent flow: the login steps, then the latest calls made with its
/// tokens (older ones are counted, not kept, so memory stays bounded).
#[derive(Debug, Default)]
pub struct FlowLog {
    login: Vec<Step>,
    later: VecDeque<Step>,
    dropped: usize,
}

impl FlowLog {
    /// Starts a new flow (at `/login`): the previous one is forgotten.
    pub fn begin(&mut self, steps: impl IntoIterator<Item = Step>) {
        self.login = steps.into_iter().collect();
        self.later.clear();
        self.dropped = 0;
    }

    /// Adds a step of the login itself (response, token exchange). When the log is full,
    /// the oldest after the first (the authorization request) goes, and is counted.
    pub fn push_login(&mut self, step: Step) {
        if self.login.len() >= LOGIN_STEPS_KEPT {
            self.login.remove(1);
            self.dropped += 1;
        }
        self.login.push(step);
    }

    /// Adds a later step (API call, refresh, revocation). When the log is full, the oldest
    /// routine call goes first; refreshes and revocations stay while there are others.
    pub fn push(&mut self, step: Step) {
        if self.later.len() == LATER_STEPS_KEPT {
            match self.later.iter().position(|kept| !kept.milestone) {
                Some(index) => {
                    self.later.remove(index);
                }
                None => {
                    self.later.pop_front();
                }
            }
            self.dropped += 1;
        }
        self.later.push_back(step);
    }

    /// The steps to show, and how many later ones were dropped in between.
    pub fn snapshot(&self) -> (Vec<Step>, usize, Vec<Step>) {
        (
            self.login.clone(),
            self.dropped,
            self.later.iter().cloned().collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.login.is_empty() && self.later.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_the_login_and_a_bounded_tail_where_refreshes_outlive_routine_calls() {
        let mut log = FlowLog::default();
        log.begin([Step::authorization_request(false)]);
        for _ in 0..LATER_STEPS_KEPT + 5 {
            log.push(Step::introspection());
        }
        log.push(Step::refresh("expired"));
        for _ in 0..LATER_STEPS_KEPT {
            log.push(Step::introspection());
        }
        let (login, dropped, later) = log.snapshot();
        assert_eq!(login.len(), 1);
        assert_eq!(dropped, LATER_STEPS_KEPT + 6);
        assert_eq!(later.len(), LATER_STEPS_KEPT);
        assert!(later[0].milestone, "the refresh outlives the routine calls");
    }
}
