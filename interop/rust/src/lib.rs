//! Nothing here: the suite is `tests/openidconnect_vs_provider.rs` (cargo wants a target).
