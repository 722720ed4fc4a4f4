//! Binance's private stream: the account's execution reports as they happen, over the WebSocket API
//! (`userDataStream.subscribe.signature`: the subscription is signed like a REST call, HMAC-SHA256 of
//! `apiKey=…&timestamp=…`, and signed again at every reconnect). Each `executionReport` of a trade becomes a fill
//! with its trade id and its commission as charged (`n` in asset `N`); an order's end becomes its end.
//!
//! The stream is the fast path, REST the reconciler: a fill is booked once whichever reports it first (the engine
//! keys trades by their id), and the stream ends an order only when the trades it has seen of that order (in the
//! order's answer, the trade list or the stream) add up to the quantity Binance says it executed (`z`). A report
//! lost on the way (a dropped connection, a message that never came) therefore leaves the order working, and the
//! engine's periodic question books the missing trade from `GET /api/v3/myTrades`. Reports of orders the session
//! did not place (a manual order, another session's) are not booked.

use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::BinanceAdapter;
use super::clock::ServerClock;
use crate::error::Result;
use crate::model::{ExecutionEvent, Instrument, Liquidity, OrderId, OrderStatus, Side, StreamGap, Symbol, Timestamp};
use crate::venue::ClientTag;
use crate::venue::VenueConfig;
use crate::venue::binance_fills::Execution;
use crate::venue::private_stream::{PrivateEvent, TradesSeen};
use crate::venue::secret::Credentials;
use crate::venue::signing::binance_signature;
use crate::venue::ws::StreamDecoder;

/// Binance's production WebSocket API.
pub const WS_API_URL: &str = "wss://ws-api.binance.com:443/ws-api/v3";
/// The spot testnet's WebSocket API.
pub const TESTNET_WS_API_URL: &str = "wss://ws-api.testnet.binance.vision/ws-api/v3";

/// What the private stream delivers to the adapter.
pub(super) type UserEvent = PrivateEvent<ExecutionReport>;

/// The fields of an `executionReport` the engine books from.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub(super) struct ExecutionReport {
    /// Symbol.
    #[serde(rename = "s")]
    symbol: String,
    /// The client order id of this execution (a cancel's own id when the report is of a cancel).
    #[serde(rename = "c")]
    client_id: String,
    /// The canceled order's client order id, when the report is of a cancel (empty otherwise).
    #[serde(rename = "C", default)]
    original_client_id: String,
    /// `BUY` or `SELL`.
    #[serde(rename = "S")]
    side: String,
    /// What happened: `NEW`, `TRADE`, `CANCELED`, `EXPIRED`, `REJECTED`, `TRADE_PREVENTION`, `REPLACED`.
    #[serde(rename = "x")]
    execution_type: String,
    /// The order's status after it.
    #[serde(rename = "X")]
    order_status: String,
    /// Quantity of this trade.
    #[serde(rename = "l")]
    last_quantity: Decimal,
    /// Quantity the order executed so far, this trade included.
    #[serde(rename = "z")]
    cumulative_quantity: Decimal,
    /// Price of this trade.
    #[serde(rename = "L")]
    last_price: Decimal,
    /// Commission of this trade.
    #[serde(rename = "n", default)]
    commission: Option<Decimal>,
    /// The asset it was charged in (`null` without a trade).
    #[serde(rename = "N", default)]
    commission_asset: Option<String>,
    /// Transaction time, milliseconds since the epoch.
    #[serde(rename = "T")]
    time: i64,
    /// The symbol's trade id (-1 without a trade).
    #[serde(rename = "t")]
    trade_id: i64,
    /// Whether the account's side was the maker.
    #[serde(rename = "m", default)]
    maker: bool,
}

/// The decoder of the WebSocket API's private stream: signs the subscription, turns messages into [`UserEvent`]s.
pub(super) struct UserStreamDecoder {
    credentials: Credentials,
    clock: Arc<ServerClock>,
    /// Why the connection is to be made again (Binance refused or ended the subscription but keeps the socket).
    resubscribe: Option<String>,
}

impl UserStreamDecoder {
    /// A decoder subscribing with `credentials`, its timestamps from Binance's `clock`.
    pub(super) fn new(credentials: Credentials, clock: Arc<ServerClock>) -> Self {
        UserStreamDecoder { credentials, clock, resubscribe: None }
    }

    /// The signed subscription request at Binance's time `now_ms`.
    ///
    /// # Errors
    /// As [`binance_signature`].
    fn subscription(&self, now_ms: i64) -> Result<String> {
        let api_key = self.credentials.api_key.expose();
        let payload = format!("apiKey={api_key}&timestamp={now_ms}");
        let signature = binance_signature(&self.credentials.api_secret, &payload)?;
        let request = serde_json::json!({
            "id": format!("ctb-user-{now_ms}"),
            "method": "userDataStream.subscribe.signature",
            "params": { "apiKey": api_key, "timestamp": now_ms, "signature": signature },
        });
        Ok(request.to_string())
    }
}

impl StreamDecoder for UserStreamDecoder {
    type Event = UserEvent;

    fn gap(gap: StreamGap) -> UserEvent {
        PrivateEvent::Lost(gap.reason)
    }

    fn subscriptions(&self) -> Vec<String> {
        match self.subscription(self.clock.now_ms()) {
            Ok(request) => vec![request],
            Err(failure) => {
                tracing::error!(%failure, "binance private stream: the subscription cannot be signed");
                Vec::new()
            }
        }
    }

    fn decode(&mut self, text: &str, _received: Timestamp, out: &mut Vec<UserEvent>) -> Option<String> {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(text) else {
            tracing::warn!(text, "binance private stream: a message that is not JSON skipped");
            return None;
        };
        if let Some(status) = message.get("status").and_then(serde_json::Value::as_i64) {
            // The answer to the subscription request.
            if status == 200 {
                out.push(PrivateEvent::Subscribed);
            } else {
                let error = message.get("error").map_or_else(|| "no error given".to_string(), |e| e.to_string());
                tracing::error!(status, error, "binance private stream: the subscription was refused");
                let reason = format!("the subscription was refused: HTTP {status} {error}");
                out.push(PrivateEvent::Lost(reason.clone()));
                self.resubscribe = Some(reason);
            }
            return None;
        }
        // The WebSocket API wraps each event ({"subscriptionId":0,"event":{…}}); a listen-key stream sends it bare.
        let event = message.get("event").unwrap_or(&message);
        match event.get("e").and_then(serde_json::Value::as_str) {
            Some("executionReport") => match ExecutionReport::deserialize(event) {
                Ok(report) => out.push(PrivateEvent::Report(Box::new(report))),
                Err(failure) => {
                    tracing::warn!(%failure, text, "binance private stream: an execution report that does not parse");
                    out.push(PrivateEvent::Lost(format!("an execution report that does not parse: {failure}")));
                }
            },
            Some("eventStreamTerminated") => {
                out.push(PrivateEvent::Lost("Binance ended the subscription".into()));
                self.resubscribe = Some("Binance ended the subscription (eventStreamTerminated)".into());
            }
            _ => {}
        }
        None
    }

    fn reset(&mut self) {}

    fn lost(cause: &str) -> Option<UserEvent> {
        Some(PrivateEvent::Lost(cause.to_string()))
    }

    fn reconnect_reason(&mut self) -> Option<String> {
        self.resubscribe.take()
    }
}

/// The engine's execution for one report of the private stream, if it has one to book: a trade of one of the
/// session's orders (tagged `tag`), or the end of one whose trades were all seen. `instruments`: the symbols'
/// rules (a trade of a symbol not looked up yet is left to REST).
pub(super) fn report_execution(
    report: &ExecutionReport,
    tag: ClientTag,
    instruments: &BTreeMap<Symbol, Instrument>,
    seen: &mut TradesSeen,
    now: Timestamp,
) -> Option<ExecutionEvent> {
    let client_id = if report.original_client_id.is_empty() { &report.client_id } else { &report.original_client_id };
    let Some(order_id) = tag.parse_short_id(client_id) else {
        tracing::info!(client_id, kind = report.execution_type, "binance private stream: not an order of this session");
        return None;
    };
    let time = Timestamp::from_millis(report.time).unwrap_or(now);
    match report.execution_type.as_str() {
        "TRADE" => {
            let fill = trade_fill(report, order_id, instruments, time)?;
            let trade_id = u64::try_from(report.trade_id).ok()?;
            // Seen once it is certain to reach the engine, which books each trade id once.
            let fresh = seen.record(order_id, trade_id, report.last_quantity);
            let filled = report.order_status == "FILLED" && seen.executed(order_id) == report.cumulative_quantity;
            if filled {
                seen.forget(order_id);
            }
            let order_status = if filled { OrderStatus::Filled } else { OrderStatus::PartiallyFilled };
            fresh.then_some(ExecutionEvent::Fill { fill, order_status })
        }
        "CANCELED" | "EXPIRED" | "REJECTED" | "TRADE_PREVENTION" => {
            if seen.executed(order_id) != report.cumulative_quantity {
                // A trade of it was not seen: the order is left working, and asking the venue books that trade.
                return None;
            }
            let status = match report.order_status.as_str() {
                "CANCELED" => OrderStatus::Canceled,
                "REJECTED" => OrderStatus::Rejected,
                _ => OrderStatus::Expired,
            };
            seen.forget(order_id);
            let reason = format!("{} at the venue (its private stream)", report.order_status);
            Some(ExecutionEvent::Ended { order_id, time, status, reason })
        }
        _ => None,
    }
}

/// The fill of trade report `report` of order `order_id` at `time`; `None` (logged) when it cannot be booked here —
/// a symbol not looked up yet, a side or trade id Binance never sends, values that do not make a trade — and REST
/// is to book it.
fn trade_fill(
    report: &ExecutionReport,
    order_id: OrderId,
    instruments: &BTreeMap<Symbol, Instrument>,
    time: Timestamp,
) -> Option<crate::model::Fill> {
    let instrument = Symbol::new(&report.symbol).ok().and_then(|s| instruments.get(&s));
    let side = match report.side.as_str() {
        "BUY" => Some(Side::Buy),
        "SELL" => Some(Side::Sell),
        _ => None,
    };
    let (Some(instrument), Some(side), Ok(trade_id)) = (instrument, side, u64::try_from(report.trade_id)) else {
        tracing::warn!(order = %order_id, symbol = report.symbol, "binance private stream: a trade left to REST");
        return None;
    };
    let execution = Execution {
        price: report.last_price,
        qty: report.last_quantity,
        commission: report.commission.unwrap_or_default(),
        commission_asset: report.commission_asset.as_deref().unwrap_or_default(),
        trade_id: Some(trade_id),
        liquidity: if report.maker { Liquidity::Maker } else { Liquidity::Taker },
    };
    execution
        .fill(instrument, order_id, side, time)
        .inspect_err(|failure| tracing::warn!(%failure, "binance private stream: a trade left to REST"))
        .ok()
}

/// The WebSocket API endpoint of `config`'s private stream: `user_stream_url`, else the venue's (testnet unless the
/// file says otherwise) when the REST endpoint is the venue's own; `None` for a `base_url` of its own without one.
pub(super) fn endpoint(config: &VenueConfig) -> Option<String> {
    match (&config.user_stream_url, &config.base_url) {
        (Some(url), _) => Some(url.clone()),
        (None, Some(_)) => None,
        (None, None) if config.uses_test_endpoints("binance") => Some(TESTNET_WS_API_URL.to_string()),
        (None, None) => Some(WS_API_URL.to_string()),
    }
}

impl BinanceAdapter {
    /// Opens the private stream, when the adapter has credentials and an endpoint for it (see
    /// [`PrivateStream::open`]).
    pub(super) async fn open_user_stream(&mut self) {
        let (Some(url), Some(credentials)) = (self.user_stream_url.clone(), self.credentials.clone()) else {
            return;
        };
        let decoder = UserStreamDecoder::new(credentials, Arc::clone(&self.clock));
        self.private.open("binance", &url, decoder).await;
    }

    /// Trade `trade_id` of order `order` (`quantity` executed) reached the engine by another way (the order's answer,
    /// its trade list): the stream's reports of the order count it. Nothing is kept without a stream.
    pub(super) fn seen_elsewhere(&mut self, order: OrderId, trade_id: u64, quantity: Decimal) {
        if self.private.is_open() {
            self.seen.record(order, trade_id, quantity);
        }
    }

    /// Moves what the private stream reported since the last call into `out`, as the engine's executions.
    pub(super) fn drain_user_stream(&mut self, out: &mut Vec<ExecutionEvent>) {
        let now = self.venue_now();
        let (tag, instruments, seen) = (self.tag, &self.instruments, &mut self.seen);
        self.private.drain("binance", |report| out.extend(report_execution(report, tag, instruments, seen, now)));
    }
}
