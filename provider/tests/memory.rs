//! Memory anonymous requests can grow, at the provider (docs/robustness.md; README, "Security choices"). A test binary of
//! its own: resident memory is the process's, so no other test may run beside it.

#[path = "memory/anonymous_memory.rs"]
mod anonymous_memory;
