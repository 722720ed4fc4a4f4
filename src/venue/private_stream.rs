//! What the venues' private streams (an account's own executions) share: the events a decoder hands the adapter,
//! the open stream with whether it is delivering right now, and the trades seen of each order — by which a stream
//! ends an order only when every trade of it was seen, so that a report lost on the way leaves the order to REST.

use rust_decimal::Decimal;
use std::collections::BTreeMap;
use tokio::sync::mpsc::Receiver;

use super::ws::{self, StreamDecoder};
use crate::model::{OrderId, Symbol};

/// What a private stream's decoder delivers to its adapter.
#[derive(Clone, Debug, PartialEq)]
pub enum PrivateEvent<R> {
    /// The venue accepted the subscription: reports flow.
    Subscribed,
    /// One execution report, in the venue's terms.
    Report(Box<R>),
    /// The stream stopped delivering for a while (a dropped connection, a refused or ended subscription, a message
    /// that does not parse): reports may have been lost, and REST has to find what they said.
    Lost(String),
}

/// An adapter's private stream: closed until [`PrivateStream::open`] succeeds.
#[derive(Debug)]
pub struct PrivateStream<R> {
    events: Option<Receiver<PrivateEvent<R>>>,
    /// Subscribed, and not lost since.
    subscribed: bool,
    /// Whether the last drain met a loss (even one followed by a new subscription).
    lost_lately: bool,
}

impl<R> Default for PrivateStream<R> {
    fn default() -> Self {
        PrivateStream { events: None, subscribed: false, lost_lately: false }
    }
}

impl<R: Send + 'static> PrivateStream<R> {
    /// Connects `venue`'s private stream at `url` with `decoder` (which subscribes, and again at every reconnect). A
    /// stream that cannot be opened is reported and left closed: fills are then learned by asking.
    pub async fn open<D: StreamDecoder<Event = PrivateEvent<R>>>(
        &mut self,
        venue: &'static str,
        url: &str,
        decoder: D,
    ) {
        // The WebSocket layer names a stream by a symbol; a private stream has none of its own.
        let opened = match Symbol::new("PRIVATE") {
            Ok(label) => ws::open(venue, label, url.to_string(), decoder).await,
            Err(failure) => Err(failure),
        };
        match opened {
            Ok(events) => {
                tracing::info!(venue, url, "private stream connected and subscribing (a refusal is logged)");
                self.events = Some(events);
            }
            Err(failure) => tracing::warn!(venue, %failure, "private stream not open: fills are learned by asking"),
        }
    }

    /// Whether the stream is open.
    pub fn is_open(&self) -> bool {
        self.events.is_some()
    }

    /// Whether it is subscribed and the last [`PrivateStream::drain`] met no loss: a loss, even one the stream
    /// already recovered from, makes the engine ask the venue once before it counts on the stream again.
    pub fn is_live(&self) -> bool {
        self.events.is_some() && self.subscribed && !self.lost_lately
    }

    /// Hands each report delivered since the last call to `report`, in order; notes subscriptions and losses.
    pub fn drain(&mut self, venue: &'static str, mut report: impl FnMut(&R)) {
        let Some(events) = self.events.as_mut() else { return };
        self.lost_lately = false;
        while let Ok(event) = events.try_recv() {
            match event {
                PrivateEvent::Subscribed => self.subscribed = true,
                PrivateEvent::Report(r) => report(&r),
                PrivateEvent::Lost(reason) => {
                    (self.subscribed, self.lost_lately) = (false, true);
                    tracing::warn!(venue, reason, "private stream: reports may be lost; REST finds what they said");
                }
            }
        }
    }
}

/// Per order, the trades seen of it: trade id → quantity executed.
#[derive(Debug, Default)]
pub struct TradesSeen {
    orders: BTreeMap<OrderId, BTreeMap<u64, Decimal>>,
}

impl TradesSeen {
    /// Trade `trade_id` of `order` executed `quantity`; false when it was seen before.
    pub fn record(&mut self, order: OrderId, trade_id: u64, quantity: Decimal) -> bool {
        self.orders.entry(order).or_default().insert(trade_id, quantity).is_none()
    }

    /// What the trades seen of `order` executed.
    pub fn executed(&self, order: OrderId) -> Decimal {
        self.orders.get(&order).map(|t| t.values().copied().sum()).unwrap_or_default()
    }

    /// Forgets an order that ended.
    pub fn forget(&mut self, order: OrderId) {
        self.orders.remove(&order);
    }
}
