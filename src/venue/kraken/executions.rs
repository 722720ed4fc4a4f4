//! Kraken's private stream: the account's `executions` channel on WebSocket v2 (`wss://ws-auth.kraken.com/v2`),
//! subscribed with a token from `GetWebSocketsToken` (fetched at `connect` and kept fresh by the chores' clock, so
//! that a reconnect subscribes with a valid one). Each `trade` execution becomes a fill with its trade id and its fee
//! as charged in the quote asset; an order's end becomes its end.
//!
//! REST stays the reconciler, and it books an order's fills as the increments of its status (Kraken lists no trades
//! per order here). So the adapter keeps, per order, what the stream reported (trade id → quantity) and what the
//! last status said was executed: a trade the status already counted (`cum_qty` at or below it) was booked by REST
//! and is not booked again; an order ends from the stream only when the stream's own trades add up to what Kraken
//! executed (`cum_qty`), so a report lost on the way leaves the order to the next question. A trade whose fee was
//! taken in another asset than the quote is left to REST, as are reports of orders the session did not place.

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::KrakenAdapter;
use crate::error::{Error, Result};
use crate::model::{
    ExecutionEvent, Fill, Instrument, Liquidity, OrderId, OrderStatus, Side, StreamGap, Symbol, Timestamp, TradeId,
};
use crate::venue::private_stream::{PrivateEvent, TradesSeen};
use crate::venue::ws::StreamDecoder;
use crate::venue::{ClientTag, Secret, VenueConfig};

/// Kraken's authenticated WebSocket v2 endpoint.
pub const AUTH_WS_URL: &str = "wss://ws-auth.kraken.com/v2";

/// How old a token may get before the chores fetch another (Kraken's are valid 15 minutes for subscribing).
const TOKEN_REFRESH: std::time::Duration = std::time::Duration::from_secs(600);
/// How old it may get while the stream does not deliver (its subscription may have been refused for it).
const TOKEN_RETRY: std::time::Duration = std::time::Duration::from_secs(60);

/// What the private stream delivers to the adapter.
type ExecutionsEvent = PrivateEvent<KrakenExecution>;

/// The fields of one execution the engine books from.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct KrakenExecution {
    exec_type: String,
    cl_ord_id: Option<String>,
    symbol: Option<String>,
    side: Option<String>,
    last_qty: Option<Decimal>,
    last_price: Option<Decimal>,
    cum_qty: Option<Decimal>,
    order_status: Option<String>,
    trade_id: Option<u64>,
    maker: bool,
    /// Fees charged: (asset, amount).
    fees: Vec<(String, Decimal)>,
    timestamp: Option<String>,
}

/// One execution as it comes: numbers read from their text, never through `f64`.
#[derive(Deserialize)]
struct RawExecution<'a> {
    exec_type: String,
    #[serde(default)]
    cl_ord_id: Option<String>,
    #[serde(default)]
    symbol: Option<String>,
    #[serde(default)]
    side: Option<String>,
    #[serde(borrow, default)]
    last_qty: Option<&'a RawValue>,
    #[serde(borrow, default)]
    last_price: Option<&'a RawValue>,
    #[serde(borrow, default)]
    cum_qty: Option<&'a RawValue>,
    #[serde(default)]
    order_status: Option<String>,
    #[serde(default)]
    trade_id: Option<u64>,
    #[serde(default)]
    liquidity_ind: Option<String>,
    #[serde(borrow, default)]
    fees: Vec<RawFee<'a>>,
    #[serde(default)]
    timestamp: Option<String>,
}

#[derive(Deserialize)]
struct RawFee<'a> {
    asset: String,
    #[serde(borrow)]
    qty: &'a RawValue,
}

/// A number's text as a `Decimal` (`0.0005`, or `5e-4` as JSON may write it).
fn exact(raw: &RawValue) -> Option<Decimal> {
    let text = raw.get().trim_matches('"');
    text.parse().ok().or_else(|| Decimal::from_scientific(text).ok())
}

impl RawExecution<'_> {
    /// The execution, its numbers exact; `None` when one does not parse.
    fn owned(self) -> Option<KrakenExecution> {
        let number = |raw: Option<&RawValue>| raw.map(exact).map_or(Some(None), |n| n.map(Some));
        Some(KrakenExecution {
            last_qty: number(self.last_qty)?,
            last_price: number(self.last_price)?,
            cum_qty: number(self.cum_qty)?,
            fees: self.fees.iter().map(|f| Some((f.asset.clone(), exact(f.qty)?))).collect::<Option<_>>()?,
            exec_type: self.exec_type,
            cl_ord_id: self.cl_ord_id,
            symbol: self.symbol,
            side: self.side,
            order_status: self.order_status,
            trade_id: self.trade_id,
            maker: self.liquidity_ind.as_deref() == Some("m"),
            timestamp: self.timestamp,
        })
    }
}

/// The decoder of the `executions` channel.
pub(super) struct ExecutionsDecoder {
    /// The token to subscribe with, kept fresh by the adapter (it reads the account's trades: never printed).
    token: Arc<Mutex<Option<Secret>>>,
    /// Why the connection is to be made again (a refused subscription).
    resubscribe: Option<String>,
}

impl StreamDecoder for ExecutionsDecoder {
    type Event = ExecutionsEvent;

    fn gap(gap: StreamGap) -> ExecutionsEvent {
        PrivateEvent::Lost(gap.reason)
    }

    fn subscriptions(&self) -> Vec<String> {
        let token = self.token.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let Some(token) = token else {
            tracing::error!("kraken private stream: no token to subscribe with");
            return Vec::new();
        };
        let params = serde_json::json!({ "channel": "executions", "token": token.expose(), "snap_orders": false, "snap_trades": false });
        vec![serde_json::json!({ "method": "subscribe", "params": params }).to_string()]
    }

    fn decode(&mut self, text: &str, _received: Timestamp, out: &mut Vec<ExecutionsEvent>) -> Option<String> {
        #[derive(Deserialize)]
        struct Message<'a> {
            #[serde(default)]
            method: Option<String>,
            #[serde(default)]
            success: Option<bool>,
            #[serde(default)]
            error: Option<String>,
            #[serde(default)]
            channel: Option<String>,
            /// Read as executions only on their channel (`status` and `heartbeat` carry other things).
            #[serde(borrow, default)]
            data: Vec<&'a RawValue>,
        }
        let Ok(message) = serde_json::from_str::<Message>(text) else {
            tracing::warn!("kraken private stream: a message that does not parse skipped");
            return None;
        };
        match (message.method.as_deref(), message.channel.as_deref()) {
            (Some("subscribe"), _) if message.success == Some(true) => out.push(PrivateEvent::Subscribed),
            (Some("subscribe"), _) => {
                let error = message.error.unwrap_or_default();
                tracing::error!(error, "kraken private stream: the subscription was refused");
                let reason = format!("the subscription was refused: {error}");
                out.push(PrivateEvent::Lost(reason.clone()));
                self.resubscribe = Some(reason);
            }
            (_, Some("executions")) => {
                for raw in message.data {
                    match serde_json::from_str::<RawExecution>(raw.get()).ok().and_then(RawExecution::owned) {
                        Some(execution) => out.push(PrivateEvent::Report(Box::new(execution))),
                        None => {
                            // One execution the adapter cannot read: REST books what it said.
                            tracing::warn!("kraken private stream: an execution that does not parse; left to REST");
                            out.push(PrivateEvent::Lost("an execution that does not parse".into()));
                        }
                    }
                }
            }
            _ => {}
        }
        None
    }

    fn reset(&mut self) {}

    fn lost(cause: &str) -> Option<ExecutionsEvent> {
        Some(PrivateEvent::Lost(cause.to_string()))
    }

    fn reconnect_reason(&mut self) -> Option<String> {
        self.resubscribe.take()
    }
}

/// Per order, what the stream reported of it (trade id → quantity) and what its last status said was executed.
#[derive(Debug, Default)]
pub(super) struct OrderExecutions {
    streamed: TradesSeen,
    status: Mutex<BTreeMap<OrderId, Decimal>>,
}

impl OrderExecutions {
    /// A status of `order` that the engine books (a question's answer, a cancel's) said `executed`. Kept after the
    /// order ended too: a report of a trade it counted may still be on its way, and must not be booked again.
    pub(super) fn status_said(&self, order: OrderId, executed: Decimal) {
        let mut status = self.status.lock().unwrap_or_else(PoisonError::into_inner);
        let known = status.entry(order).or_default();
        *known = (*known).max(executed);
    }

    fn status_executed(&self, order: OrderId) -> Decimal {
        self.status.lock().unwrap_or_else(PoisonError::into_inner).get(&order).copied().unwrap_or_default()
    }

    fn streamed_executed(&self, order: OrderId) -> Decimal {
        self.streamed.executed(order)
    }

    fn forget(&mut self, order: OrderId) {
        self.streamed.forget(order);
        self.status.lock().unwrap_or_else(PoisonError::into_inner).remove(&order);
    }
}

/// The engine's execution for one report of the stream, if it has one to book (see the module's rules).
fn execution_event(
    report: &KrakenExecution,
    tag: ClientTag,
    instruments: &BTreeMap<Symbol, Instrument>,
    orders: &mut OrderExecutions,
    now: Timestamp,
) -> Option<ExecutionEvent> {
    let Some(order_id) = report.cl_ord_id.as_deref().and_then(|id| tag.parse_uuid(id)) else {
        tracing::info!(kind = report.exec_type, "kraken private stream: not an order of this session");
        return None;
    };
    let time = report.timestamp.as_deref().and_then(crate::data::parse_timestamp).unwrap_or(now);
    let Some(cum_qty) = report.cum_qty else {
        tracing::info!(order = %order_id, kind = report.exec_type, "kraken private stream: no cum_qty; left to REST");
        return None;
    };
    match report.exec_type.as_str() {
        "trade" => {
            let fill = trade_fill(report, order_id, instruments, time)?;
            let trade_id = report.trade_id?;
            if cum_qty <= orders.status_executed(order_id) {
                // The status counted it already, and REST booked it as part of an increment.
                return None;
            }
            let fresh = orders.streamed.record(order_id, trade_id, fill.quantity);
            let filled =
                report.order_status.as_deref() == Some("filled") && orders.streamed_executed(order_id) == cum_qty;
            if filled {
                orders.forget(order_id);
            }
            let order_status = if filled { OrderStatus::Filled } else { OrderStatus::PartiallyFilled };
            fresh.then_some(ExecutionEvent::Fill { fill, order_status })
        }
        // Only the stream's own trades count here: a status noted may not be booked yet (a cancel's answer is
        // booked after the stream is drained), and an end booked first would leave its increment unbooked.
        "canceled" | "expired" if orders.streamed_executed(order_id) >= cum_qty => {
            let status = if report.exec_type == "canceled" { OrderStatus::Canceled } else { OrderStatus::Expired };
            orders.forget(order_id);
            let reason = format!("{} at the venue (its private stream)", report.exec_type);
            Some(ExecutionEvent::Ended { order_id, time, status, reason })
        }
        _ => None,
    }
}

/// The fill of trade report `report` of order `order_id` at `time`; `None` (logged) when the stream cannot book
/// it — a pair not looked up yet, a fee in another asset than the quote, missing or impossible values — and REST is
/// to book it.
fn trade_fill(
    report: &KrakenExecution,
    order_id: OrderId,
    instruments: &BTreeMap<Symbol, Instrument>,
    time: Timestamp,
) -> Option<Fill> {
    let symbol = report.symbol.as_deref().and_then(|s| Symbol::new(&s.replace('/', "")).ok());
    let instrument = symbol.and_then(|s| instruments.get(&s));
    let side = match report.side.as_deref() {
        Some("buy") => Some(Side::Buy),
        Some("sell") => Some(Side::Sell),
        _ => None,
    };
    let fee = report.fees.iter().try_fold(Decimal::ZERO, |sum, (asset, amount)| {
        instrument.filter(|i| *asset == i.quote && !amount.is_sign_negative()).and_then(|_| sum.checked_add(*amount))
    });
    let (Some(instrument), Some(side), Some(quantity), Some(price), Some(fee), Some(trade_id)) =
        (instrument, side, report.last_qty, report.last_price, fee, report.trade_id)
    else {
        tracing::warn!(order = %order_id, "kraken private stream: a trade left to REST");
        return None;
    };
    if quantity <= Decimal::ZERO || price <= Decimal::ZERO {
        tracing::warn!(order = %order_id, %quantity, %price, "kraken private stream: a trade left to REST");
        return None;
    }
    Some(Fill {
        order_id,
        time,
        symbol: instrument.symbol,
        side,
        quantity,
        price,
        fee,
        liquidity: if report.maker { Liquidity::Maker } else { Liquidity::Taker },
        trade_id: Some(TradeId::number(trade_id)),
    })
}

/// The private stream's endpoint for `config`: `user_stream_url`, else Kraken's when the REST endpoint is Kraken's
/// own; `None` for a `base_url` of its own without one.
pub(super) fn endpoint(config: &VenueConfig) -> Option<String> {
    match (&config.user_stream_url, &config.base_url) {
        (Some(url), _) => Some(url.clone()),
        (None, Some(_)) => None,
        (None, None) => Some(AUTH_WS_URL.to_string()),
    }
}

impl KrakenAdapter {
    /// Fetches a token and opens the private stream, when the adapter has credentials and an endpoint for it (see
    /// [`PrivateStream::open`](crate::venue::private_stream::PrivateStream::open)).
    pub(super) async fn open_executions_stream(&mut self) {
        let Some(url) = self.user_stream_url.clone() else { return };
        if let Err(failure) = self.refresh_stream_token().await {
            tracing::warn!(%failure, "kraken private stream not open (no token): fills are learned by asking");
            return;
        }
        let decoder = ExecutionsDecoder { token: Arc::clone(&self.stream_token), resubscribe: None };
        self.private.open("kraken", &url, decoder).await;
    }

    /// Fetches a new token for the private stream (`GetWebSocketsToken`) when it has none or an old one.
    ///
    /// # Errors
    /// The venue's errors.
    pub(super) async fn refresh_stream_token(&mut self) -> Result<()> {
        if self.user_stream_url.is_none() || self.credentials.is_none() {
            return Ok(());
        }
        // A stream that is open but not delivering may have been refused for its token: a fresh one after a minute.
        let fresh_for = if self.private.is_open() && !self.private.is_live() { TOKEN_RETRY } else { TOKEN_REFRESH };
        if self.token_fetched.is_some_and(|at| at.elapsed() < fresh_for) {
            return Ok(());
        }
        #[derive(Deserialize)]
        struct Token {
            token: String,
        }
        // The answer holds the token: an error quoting it is replaced by one that does not.
        let fetched: Token = self.private("GetWebSocketsToken", &[]).await.map_err(|failure| match failure {
            Error::Exchange(_) => Error::Exchange("kraken GetWebSocketsToken: no token in the answer".into()),
            other => other,
        })?;
        *self.stream_token.lock().unwrap_or_else(PoisonError::into_inner) = Some(Secret::new(fetched.token));
        self.token_fetched = Some(std::time::Instant::now());
        Ok(())
    }

    /// Moves what the private stream reported since the last call into `out`, as the engine's executions.
    pub(super) fn drain_executions_stream(&mut self, out: &mut Vec<ExecutionEvent>) {
        let now = crate::venue::wall_clock::wall_clock_now();
        let (tag, instruments, orders) = (self.tag, &self.instruments, &mut self.executed);
        self.private.drain("kraken", |report| out.extend(execution_event(report, tag, instruments, orders, now)));
    }
}
