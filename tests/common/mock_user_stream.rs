//! A loopback Binance WebSocket API serving the account's private stream as Binance documents it: a client sends
//! `userDataStream.subscribe.signature` with `apiKey`, `timestamp` and the HMAC-SHA256 `signature` of
//! `apiKey=…&timestamp=…`; a valid subscription is answered `status: 200` with its `subscriptionId`, and from then
//! on every event the test pushes reaches it wrapped as `{"subscriptionId":0,"event":{…}}`. A wrong signature is
//! answered Binance's -1022, a timestamp used before -1021 (a replayed request), and such a connection gets no event
//! but stays open, as at Binance. The test can have subscriptions refused, and cut every connection as a network
//! failure would.

use futures_util::{SinkExt, StreamExt};
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::Message;

use super::mock_binance::{KEY, SECRET};
use cryptotradebot::venue::Secret;
use cryptotradebot::venue::signing::binance_signature;

/// What the test pushes to the connections: an event to deliver, or the order to cut them.
#[derive(Clone, Debug)]
enum Push {
    Event(String),
    Cut,
}

/// The mock's endpoint and handles.
pub struct UserStream {
    /// `ws://127.0.0.1:PORT`.
    pub url: String,
    /// Subscriptions answered so far: whether each one was accepted.
    pub subscriptions: Arc<Mutex<Vec<bool>>>,
    /// This many of the next valid subscriptions are refused anyway (-1021, as for a clock that drifted).
    pub refuse_next: Arc<std::sync::atomic::AtomicUsize>,
    push: broadcast::Sender<Push>,
}

impl UserStream {
    /// Delivers `event` (an `executionReport` object) to every subscribed connection.
    pub fn send(&self, event: &serde_json::Value) {
        let _ = self.push.send(Push::Event(event.to_string()));
    }

    /// Cuts every connection without a close frame.
    pub fn cut(&self) {
        let _ = self.push.send(Push::Cut);
    }

    /// Waits (up to five seconds) until `count` valid subscriptions were answered.
    pub async fn subscribed(&self, count: usize) {
        for _ in 0..500 {
            if self.subscriptions.lock().unwrap().iter().filter(|valid| **valid).count() >= count {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("{count} valid subscription(s) expected, saw {:?}", self.subscriptions.lock().unwrap());
    }
}

/// Starts the mock.
pub async fn serve_user_stream() -> UserStream {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
    let url = format!("ws://{}/ws-api/v3", listener.local_addr().expect("local address"));
    let (push, _) = broadcast::channel(64);
    let subscriptions = Arc::new(Mutex::new(Vec::new()));
    let refuse_next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (sender, seen, refusing) = (push.clone(), subscriptions.clone(), refuse_next.clone());
    let used_timestamps = Arc::new(Mutex::new(Vec::<String>::new()));
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (mut events, seen, refusing) = (sender.subscribe(), seen.clone(), refusing.clone());
            let used_timestamps = used_timestamps.clone();
            tokio::spawn(async move {
                let Ok(mut socket) = tokio_tungstenite::accept_async(tcp).await else { return };
                let Some(Ok(Message::Text(request))) = socket.next().await else { return };
                let request: serde_json::Value = serde_json::from_str(&request).expect("a JSON request");
                let params = &request["params"];
                let payload =
                    format!("apiKey={}&timestamp={}", params["apiKey"].as_str().unwrap_or(""), params["timestamp"]);
                let expected = binance_signature(&Secret::new(SECRET), &payload).unwrap();
                let signed = request["method"] == "userDataStream.subscribe.signature"
                    && params["apiKey"] == KEY
                    && params["signature"] == expected.as_str();
                let timestamp = params["timestamp"].to_string();
                let replayed = {
                    let mut used = used_timestamps.lock().unwrap();
                    let replayed = used.contains(&timestamp);
                    used.push(timestamp);
                    replayed
                };
                let refused =
                    signed && !replayed && refusing.fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1)).is_ok();
                let valid = signed && !replayed && !refused;
                seen.lock().unwrap().push(valid);
                let answer = if valid {
                    serde_json::json!({ "id": request["id"], "status": 200, "result": { "subscriptionId": 0 } })
                } else {
                    let error = if signed {
                        serde_json::json!({ "code": -1021, "msg": "Timestamp for this request is outside of the recvWindow." })
                    } else {
                        serde_json::json!({ "code": -1022, "msg": "Signature for this request is not valid." })
                    };
                    serde_json::json!({ "id": request["id"], "status": 400, "error": error })
                };
                if socket.send(Message::text(answer.to_string())).await.is_err() {
                    return;
                }
                if !valid {
                    // Binance keeps the connection; it just delivers nothing on it.
                    while let Some(Ok(_)) = socket.next().await {}
                    return;
                }
                while let Ok(push) = events.recv().await {
                    match push {
                        Push::Event(event) => {
                            let wrapped = format!("{{\"subscriptionId\":0,\"event\":{event}}}");
                            if socket.send(Message::text(wrapped)).await.is_err() {
                                return;
                            }
                        }
                        Push::Cut => return,
                    }
                }
            });
        }
    });
    UserStream { url, subscriptions, refuse_next, push }
}

/// Binance's `executionReport` of a trade of order `client_id` (a buy at the venue's order id 1): `quantity` at
/// `price`, `commission` in `asset`, trade `trade_id`, the order having executed `cumulative` with status `status`.
#[allow(clippy::too_many_arguments)]
pub fn trade_report(
    client_id: &str,
    trade_id: i64,
    quantity: &str,
    price: &str,
    commission: &str,
    asset: &str,
    cumulative: &str,
    status: &str,
) -> serde_json::Value {
    serde_json::json!({
        "e": "executionReport", "E": 1_700_000_000_100_i64, "s": "BTCUSDT", "c": client_id, "S": "BUY",
        "o": "LIMIT", "f": "GTC", "q": "0.00200000", "p": "60000.00", "P": "0.00", "F": "0.00", "g": -1, "C": "",
        "x": "TRADE", "X": status, "r": "NONE", "i": 1, "l": quantity, "z": cumulative, "L": price,
        "n": commission, "N": asset, "T": 1_700_000_000_000_i64 + trade_id, "t": trade_id, "I": 8641984, "w": false,
        "m": true, "M": true, "O": 1_700_000_000_000_i64, "Z": "0", "Y": "0", "Q": "0", "W": 1_700_000_000_000_i64,
        "V": "EXPIRE_MAKER"
    })
}
