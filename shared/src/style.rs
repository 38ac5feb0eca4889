//! The one stylesheet both binaries serve at `/static/style.css`, and their icon, so their
//! pages share a plain look without any CDN (a workshop room may be offline).

/// The stylesheet's text.
pub const STYLESHEET: &str = include_str!("../assets/style.css");

/// The icon both binaries serve at `/favicon.ico` and `/static/favicon.svg` (a key), so a
/// browser's console shows no 404 on every page.
pub const FAVICON_SVG: &str = include_str!("../assets/favicon.svg");
