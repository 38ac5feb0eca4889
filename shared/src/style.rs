//! The one stylesheet both binaries serve at `/static/style.css`, so their pages share a
//! plain look without any CDN (a workshop room may be offline).

/// The stylesheet's text.
pub const STYLESHEET: &str = include_str!("../assets/style.css");
