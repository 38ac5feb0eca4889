//! The API's own data: each user's notes, keyed by the access token's `sub` (RFC 9068 §2.2:
//! the subject "identifies the resource owner"), in memory and bounded.
//!
//! Framework-free: the handlers in [`crate::notes`] parse, call this, render.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// The most characters a note may have.
pub const MAX_NOTE_CHARS: usize = 1_000;

/// One note, as the API answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub id: u64,
    pub text: String,
}

/// Why a note was not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteRefused {
    /// Empty, or longer than [`MAX_NOTE_CHARS`].
    BadLength,
    /// This user already keeps `NOTES_PER_USER` notes.
    UserFull(usize),
    /// The API already keeps `NOTES_TOTAL` notes over all users.
    AllFull(usize),
}

/// Everyone's notes.
pub struct Notebook {
    per_user: usize,
    total: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    by_subject: HashMap<String, Vec<Note>>,
    count: usize,
    next_id: u64,
}

impl Notebook {
    pub fn new(per_user: usize, total: usize) -> Self {
        Self {
            per_user,
            total,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Each operation below leaves the maps consistent before it can panic.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `subject`'s notes, oldest first; nobody else's.
    pub fn list(&self, subject: &str) -> Vec<Note> {
        self.lock()
            .by_subject
            .get(subject)
            .cloned()
            .unwrap_or_default()
    }

    /// Keeps `text` as a new note of `subject`'s, within both bounds.
    pub fn add(&self, subject: &str, text: &str) -> Result<Note, NoteRefused> {
        let length = text.chars().count();
        if length == 0 || length > MAX_NOTE_CHARS {
            return Err(NoteRefused::BadLength);
        }
        let mut inner = self.lock();
        if inner.count >= self.total {
            return Err(NoteRefused::AllFull(self.total));
        }
        if inner.by_subject.get(subject).map_or(0, Vec::len) >= self.per_user {
            return Err(NoteRefused::UserFull(self.per_user));
        }
        inner.next_id += 1;
        let note = Note {
            id: inner.next_id,
            text: text.to_owned(),
        };
        inner.count += 1;
        inner
            .by_subject
            .entry(subject.to_owned())
            .or_default()
            .push(note.clone());
        Ok(note)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_sees_only_their_own_notes() {
        let notebook = Notebook::new(10, 10);
        notebook.add("alice", "hers").expect("kept");
        notebook.add("bob", "his").expect("kept");
        assert_eq!(notebook.list("alice").len(), 1);
        assert_eq!(notebook.list("alice")[0].text, "hers");
    }

    #[test]
    fn both_bounds_hold_and_length_is_counted_in_characters() {
        let notebook = Notebook::new(2, 3);
        assert_eq!(notebook.add("a", ""), Err(NoteRefused::BadLength));
        assert!(notebook.add("a", &"é".repeat(MAX_NOTE_CHARS)).is_ok());
        assert_eq!(
            notebook.add("a", &"x".repeat(MAX_NOTE_CHARS + 1)),
            Err(NoteRefused::BadLength)
        );
        notebook.add("a", "2").expect("second");
        assert_eq!(notebook.add("a", "3"), Err(NoteRefused::UserFull(2)));
        notebook.add("b", "3").expect("third");
        assert_eq!(notebook.add("c", "4"), Err(NoteRefused::AllFull(3)));
    }
}
