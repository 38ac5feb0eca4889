//! `/static/*`: the shared stylesheet, the client's additions and its one small script,
//! all compiled in (no CDN: a workshop room may be offline).

use actix_web::HttpResponse;

/// `GET /static/style.css`: the look both apps share.
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .body(shared::style::STYLESHEET)
}

/// `GET /static/favicon.svg` and `GET /favicon.ico`: the icon both apps share.
pub async fn favicon() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header(("Cache-Control", "public, max-age=86400"))
        .body(shared::style::FAVICON_SVG)
}

/// `GET /static/client.css`: the flow inspector's additions.
pub async fn client_stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .body(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/static/client.css"
        )))
}

/// `GET /static/client.js`: the expiry countdown and the "copy as curl" buttons.
pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/static/client.js"
        )))
}

/// `GET /static/spa.js`: the public client of `/spa`, the whole browser-side flow.
pub async fn spa_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/static/spa.js"
        )))
}
