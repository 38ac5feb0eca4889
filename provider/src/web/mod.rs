//! The provider's browser-facing side: where the resource owner logs in, approves, reviews
//! and revokes. Every state-changing form here carries a CSRF token ([`csrf`]).

pub mod account;
pub mod csrf;
pub mod login;
pub mod logout;
pub mod pages;
pub mod session;
pub mod session_store;
