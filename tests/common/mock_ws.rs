//! A loopback WebSocket venue for stream tests: binds 127.0.0.1 on a free port and plays one script per
//! connection — it reads the subscriptions the client sends, replays the script's messages, then drops the TCP
//! connection without a close frame (every script but the last) or stays open until the client leaves.

use futures_util::{SinkExt, StreamExt};
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

/// What the venue saw of one connection: the request path and the text messages the client sent.
#[derive(Clone, Debug, Default)]
pub struct Connection {
    pub path: String,
    pub sent_by_client: Vec<String>,
}

/// Starts the venue; `subscriptions` messages are read before each script is played. Returns the `ws://` base URL
/// and the connections seen so far.
pub async fn serve(scripts: Vec<Vec<String>>, subscriptions: usize) -> (String, Arc<Mutex<Vec<Connection>>>) {
    serve_paced(scripts, subscriptions, std::time::Duration::ZERO).await
}

/// [`serve`] waiting `pause` before each message, as a venue whose market moves in real time.
pub async fn serve_paced(
    scripts: Vec<Vec<String>>,
    subscriptions: usize,
    pause: std::time::Duration,
) -> (String, Arc<Mutex<Vec<Connection>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
    let url = format!("ws://{}", listener.local_addr().expect("local address"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let count = scripts.len();
    tokio::spawn(async move {
        for (index, script) in scripts.into_iter().enumerate() {
            let Ok((tcp, _)) = listener.accept().await else { return };
            let path = Arc::new(Mutex::new(String::new()));
            let record = path.clone();
            // The handshake callback's signature is tungstenite's; its error type is not ours to shrink.
            #[allow(clippy::result_large_err)]
            let callback = move |request: &Request, response: Response| {
                *record.lock().unwrap() = request.uri().to_string();
                Ok(response)
            };
            let Ok(mut socket) = tokio_tungstenite::accept_hdr_async(tcp, callback).await else { return };
            let mut connection = Connection { path: path.lock().unwrap().clone(), sent_by_client: Vec::new() };
            while connection.sent_by_client.len() < subscriptions {
                match socket.next().await {
                    Some(Ok(Message::Text(text))) => connection.sent_by_client.push(text.to_string()),
                    Some(Ok(_)) => {}
                    _ => return,
                }
            }
            log.lock().unwrap().push(connection);
            for message in script {
                if !pause.is_zero() {
                    tokio::time::sleep(pause).await;
                }
                if socket.send(Message::text(message)).await.is_err() {
                    return;
                }
            }
            if index + 1 < count {
                // Not the last script: cut the connection as a network failure would.
                drop(socket);
            } else {
                while let Some(Ok(_)) = socket.next().await {}
            }
        }
    });
    (url, seen)
}
