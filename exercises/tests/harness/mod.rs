//! The provider's own test harness, shared by every exercise check.

#[path = "../../../provider/tests/it/helpers.rs"]
pub mod helpers;
