//! The floor the provider is measured against: a bare actix-web hello-world, built in the same
//! release run with the same actix-web as the provider, serving `GET /` (any path) with a
//! short text body. No middleware, no state.
//!
//! Settings: `BIND` (default `127.0.0.1:0`) and `WORKERS` (default: one per CPU). It prints
//! `listening on http://ADDRESS` once it accepts connections.

use std::net::TcpListener;

use actix_web::{App, HttpResponse, HttpServer, web};

async fn hello() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain")
        .body("Hello world!")
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:0".into());
    let listener =
        TcpListener::bind(&bind).map_err(|error| anyhow::anyhow!("BIND={bind}: {error}"))?;
    let workers = match std::env::var("WORKERS") {
        Ok(value) => value.parse::<usize>().map_err(|_| {
            anyhow::anyhow!("WORKERS={value:?}: expected a number of worker threads")
        })?,
        Err(_) => std::thread::available_parallelism().map_or(2, usize::from),
    };
    let address = listener.local_addr()?;
    let server = HttpServer::new(|| App::new().default_service(web::get().to(hello)))
        .workers(workers)
        .listen(listener)?
        .run();
    println!("listening on http://{address}");
    server.await?;
    Ok(())
}
