//! A slow peer ("Slowloris"): it announces a form body and sends it one byte a second, to
//! hold a connection, and a worker, for as long as it likes. Anything anonymous traffic can
//! make a server keep needs a bound; here the bound is time (`REQUEST_BODY_TIMEOUT`), and a
//! test holds hundreds of such peers open while a real user completes the OAuth flow.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What became of one slow connection.
pub struct Outcome {
    /// The status line the server answered with, if any, before it closed.
    pub status_line: Option<String>,
}

/// Opens a connection to `address`, announces an `announced`-byte form body for `path`,
/// says so on `connected`, and sends one byte of the body about every second; answers once
/// the server has closed the connection.
pub async fn slow_post(
    address: SocketAddr,
    path: &str,
    announced: usize,
    connected: tokio::sync::mpsc::Sender<()>,
) -> Outcome {
    let mut stream = TcpStream::connect(address).await.expect("connects");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {announced}\r\n\r\na"
    );
    stream
        .write_all(head.as_bytes())
        .await
        .expect("sends the headers");
    let _ = connected.send(()).await;
    let (mut reader, mut writer) = stream.into_split();
    let trickle = async {
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if writer.write_all(b"a").await.is_err() {
                // Closed: wait for the reader to see the end.
                std::future::pending::<()>().await;
            }
        }
    };
    let answer = async {
        let mut received = Vec::new();
        let _ = reader.read_to_end(&mut received).await;
        received
    };
    let received = tokio::select! {
        received = answer => received,
        () = trickle => unreachable!("the trickle never ends by itself"),
    };
    let text = String::from_utf8_lossy(&received);
    Outcome {
        status_line: text
            .lines()
            .next()
            .filter(|line| !line.is_empty())
            .map(str::to_owned),
    }
}
