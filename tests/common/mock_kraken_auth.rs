//! A loopback Kraken authenticated WebSocket v2 (`ws-auth`) serving the `executions` channel as Kraken documents it:
//! a client subscribes with `{"method":"subscribe","params":{"channel":"executions","token":…}}`; a token the REST
//! mock gave out (`GetWebSocketsToken`) is answered `success: true`, any other `success: false` with
//! `EAccess:Permission denied` (the connection stays open and gets nothing), and every execution the test pushes
//! reaches the subscribed connections as `{"channel":"executions","type":"update","data":[…]}`.

use futures_util::{SinkExt, StreamExt};
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::Message;

use super::mock_kraken::Venue;

/// The mock's endpoint and handles.
pub struct KrakenAuth {
    /// `ws://127.0.0.1:PORT/v2`.
    pub url: String,
    /// Subscriptions answered so far: whether each one was accepted.
    pub subscriptions: Arc<Mutex<Vec<bool>>>,
    push: broadcast::Sender<String>,
}

impl KrakenAuth {
    /// Delivers `execution` (one object of the channel's `data`) to every subscribed connection.
    pub fn send(&self, execution: &serde_json::Value) {
        let message = serde_json::json!({ "channel": "executions", "type": "update", "data": [execution] });
        let _ = self.push.send(message.to_string());
    }

    /// Waits (up to five seconds) until `count` subscriptions were accepted.
    pub async fn subscribed(&self, count: usize) {
        for _ in 0..500 {
            if self.subscriptions.lock().unwrap().iter().filter(|accepted| **accepted).count() >= count {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("{count} accepted subscription(s) expected, saw {:?}", self.subscriptions.lock().unwrap());
    }
}

/// Starts the mock; the tokens `venue` gave out are the valid ones.
pub async fn serve_kraken_auth(venue: Arc<Mutex<Venue>>) -> KrakenAuth {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
    let url = format!("ws://{}/v2", listener.local_addr().expect("local address"));
    let (push, _) = broadcast::channel(64);
    let subscriptions = Arc::new(Mutex::new(Vec::new()));
    let (sender, seen) = (push.clone(), subscriptions.clone());
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (mut events, seen, venue) = (sender.subscribe(), seen.clone(), venue.clone());
            tokio::spawn(async move {
                let Ok(mut socket) = tokio_tungstenite::accept_async(tcp).await else { return };
                let Some(Ok(Message::Text(request))) = socket.next().await else { return };
                let request: serde_json::Value = serde_json::from_str(&request).expect("a JSON request");
                let token = request["params"]["token"].as_str().unwrap_or_default().to_string();
                let accepted = request["method"] == "subscribe"
                    && request["params"]["channel"] == "executions"
                    && venue.lock().unwrap().tokens.contains(&token);
                seen.lock().unwrap().push(accepted);
                let times = r#""time_in":"2023-11-14T22:13:20.000000Z","time_out":"2023-11-14T22:13:20.000100Z""#;
                let answer = if accepted {
                    format!(
                        r#"{{"method":"subscribe","result":{{"channel":"executions","maxratecount":180,"snapshot":false,"warnings":[]}},"success":true,{times}}}"#
                    )
                } else {
                    format!(r#"{{"error":"EAccess:Permission denied","method":"subscribe","success":false,{times}}}"#)
                };
                if socket.send(Message::text(answer)).await.is_err() {
                    return;
                }
                if !accepted {
                    while let Some(Ok(_)) = socket.next().await {}
                    return;
                }
                while let Ok(message) = events.recv().await {
                    if socket.send(Message::text(message)).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    KrakenAuth { url, subscriptions, push }
}

/// Kraken's `trade` execution of the engine's order `cl_ord_id` (a limit buy): `quantity` at `price`, `fee` in USD,
/// trade `trade_id`, the order having executed `cumulative` with status `status`. Numbers as JSON numbers, as
/// Kraken sends them.
pub fn kraken_trade(
    cl_ord_id: &str,
    trade_id: u64,
    quantity: &str,
    price: &str,
    fee: &str,
    cumulative: &str,
    status: &str,
) -> serde_json::Value {
    let number = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap();
    serde_json::json!({
        "order_id": "OUF4EM-FRGI2-000000", "cl_ord_id": cl_ord_id, "exec_id": format!("TU3Z{trade_id}"),
        "exec_type": "trade", "trade_id": trade_id, "symbol": "BTC/USD", "side": "buy", "last_qty": number(quantity),
        "last_price": number(price), "liquidity_ind": "m", "cost": 0, "order_userref": 0, "order_status": status,
        "order_type": "limit", "fee_usd_equiv": number(fee), "fees": [{ "asset": "USD", "qty": number(fee) }],
        "timestamp": "2023-11-14T22:13:21.000000Z", "cum_qty": number(cumulative), "cum_cost": 0, "avg_price": 0
    })
}
