//! Memory anonymous requests can grow, at the provider (issue 13, item 3). A test binary of
//! its own: resident memory is the process's, so no other test may run beside it.

#[path = "memory/anonymous_memory.rs"]
mod anonymous_memory;
