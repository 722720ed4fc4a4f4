//! [`ExchangeAdapter`]: the one interface every venue implements, simulated or live (the seed's common interface).

use async_trait::async_trait;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

use crate::error::Result;
use crate::model::{
    ExecutionEvent, Fill, MarketEvent, OrderBook, OrderId, OrderReport, OrderRequest, StreamEvent, Symbol, Ticker,
};

/// Typed events a venue streams to a subscriber (the seed's `start_websocket_stream` callback, as a channel).
pub type MarketStream = tokio::sync::mpsc::Receiver<StreamEvent>;

/// One trade a venue lists for an order, as the fill the engine books: the venue's trade id, price, and commission
/// as charged (one taken in the base asset nets the quantity, as in an order's answer).
#[derive(Clone, Debug, PartialEq)]
pub struct ListedTrade {
    /// What the engine books.
    pub fill: Fill,
    /// The base quantity traded, before any commission: what the venue's order status counts as executed.
    pub executed: Decimal,
}

/// The trades a venue lists for one order, in the venue's trade order, and the base quantity they executed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OrderTrades {
    /// Each trade.
    pub trades: Vec<ListedTrade>,
    /// Their executed quantities summed.
    pub executed: Decimal,
}

/// A trading venue. The engine talks to the simulated exchange and to the live adapters only through this trait, so
/// that switching between backtest, paper and live changes which adapter sits behind the router and nothing else.
///
/// Methods are async because live venues are network services; the simulated exchange answers at once. `Debug`
/// output never shows a credential.
#[async_trait]
pub trait ExchangeAdapter: Send + Sync + std::fmt::Debug {
    /// The venue's name as configured (`binance`, `sim`, ...).
    fn name(&self) -> &str;

    /// Opens the connection (checks connectivity and, with credentials, the account). Returns whether it is usable.
    ///
    /// # Errors
    /// [`crate::Error::Exchange`] or [`crate::Error::Authentication`] when the venue cannot be used.
    async fn connect(&mut self) -> Result<bool>;

    /// Closes the connection. Orders resting at the venue stay there.
    ///
    /// # Errors
    /// [`crate::Error::Exchange`] when the venue reports a failure.
    async fn disconnect(&mut self) -> Result<()>;

    /// Best bid, best ask and last price of `symbol`.
    ///
    /// # Errors
    /// [`crate::Error::Exchange`] when the venue has no price for the symbol.
    async fn get_ticker(&self, symbol: Symbol) -> Result<Ticker>;

    /// The top `limit` levels of each side of `symbol`'s book.
    ///
    /// # Errors
    /// [`crate::Error::Exchange`] when the venue has no book for the symbol.
    async fn get_orderbook(&self, symbol: Symbol, limit: usize) -> Result<OrderBook>;

    /// Submits an order. The report says whether it rests (`NEW`) or already filled.
    ///
    /// # Errors
    /// [`crate::Error::Order`] when the venue refuses it (filters, balance, unknown symbol), with the reason.
    async fn place_order(&mut self, order: OrderRequest) -> Result<OrderReport>;

    /// The venue's trading rules for `symbol` (tick, lot, minimum notional), as it publishes them.
    ///
    /// # Errors
    /// [`crate::Error::Exchange`] from a venue that publishes none (the default); the venue's errors.
    async fn instrument_rules(&mut self, symbol: Symbol) -> Result<crate::model::Instrument> {
        Err(crate::Error::Exchange(format!("{}: no published trading rules for {symbol}", self.name())))
    }

    /// Sends client order ids under `tag` from now on (a session's tag, kept across its restarts). A live adapter
    /// starts with a fresh tag of its own; the simulated venue needs none.
    fn set_client_tag(&mut self, _tag: super::ClientTag) {}

    /// Cancels an open order.
    ///
    /// # Errors
    /// [`crate::Error::Order`] when the order is unknown or no longer open.
    async fn cancel_order(&mut self, symbol: Symbol, order_id: OrderId) -> Result<OrderReport>;

    /// Changes the quantity and/or price of an open order (the simulated venue; live adapters refuse it for now).
    ///
    /// # Errors
    /// [`crate::Error::Order`] when the venue cannot amend the order, with the reason.
    async fn amend_order(
        &mut self,
        _symbol: Symbol,
        order_id: OrderId,
        _quantity: Option<Decimal>,
        _price: Option<Decimal>,
    ) -> Result<OrderReport> {
        Err(crate::Error::Order(format!(
            "{}: amending order {order_id} is not supported; cancel and place it again",
            self.name()
        )))
    }

    /// The venue's current view of an order.
    ///
    /// # Errors
    /// [`crate::Error::Order`] when the order is unknown.
    async fn get_order_status(&self, symbol: Symbol, order_id: OrderId) -> Result<OrderReport>;

    /// The trades of order `order_id` as the venue lists them, or `None` from a venue that does not list an order's
    /// trades (the default): the engine then books what the order's status reports changed, without trade ids.
    ///
    /// # Errors
    /// [`crate::Error::Order`] when the order is unknown; the venue's errors.
    async fn order_trades(&mut self, _symbol: Symbol, _order_id: OrderId) -> Result<Option<OrderTrades>> {
        Ok(None)
    }

    /// Arms or renews the venue's dead man's switch, when it has one (Kraken's `CancelAllOrdersAfter`): unless it
    /// is renewed within the configured timeout, the venue cancels every open order of the account — so a session
    /// that dies or loses its connection leaves nothing resting for long. Returns whether the venue has one (the
    /// default has none).
    ///
    /// # Errors
    /// The venue's errors.
    async fn renew_dead_mans_switch(&mut self) -> Result<bool> {
        Ok(false)
    }

    /// Disarms the venue's dead man's switch (orders kept at the end of a session stay). Returns whether the venue
    /// has one.
    ///
    /// # Errors
    /// The venue's errors.
    async fn disarm_dead_mans_switch(&mut self) -> Result<bool> {
        Ok(false)
    }

    /// Free balance of every asset the account holds, by asset name.
    ///
    /// # Errors
    /// [`crate::Error::Exchange`] or [`crate::Error::Authentication`] from the venue.
    async fn get_account_balance(&self) -> Result<BTreeMap<String, Decimal>>;

    /// Subscribes to `symbol`'s market events: trades, book updates, tickers and closed bars as the venue streams
    /// them, and a [`crate::model::StreamGap`] whenever messages were lost (live venues reconnect on their own).
    ///
    /// # Errors
    /// [`crate::Error::Exchange`] when the subscription fails.
    async fn start_websocket_stream(&mut self, symbol: Symbol) -> Result<MarketStream>;

    /// Market data for the venue to match resting orders against. A simulated venue fills orders here; a live venue
    /// matches on its own servers and ignores this. Returns whether executions are waiting to be drained.
    fn on_market_event(&mut self, _event: &MarketEvent) -> bool {
        false
    }

    /// Moves the fills and fill-time rejections that happened since the last call into `out`, in the order they
    /// happened.
    fn drain_executions(&mut self, _out: &mut Vec<ExecutionEvent>) {}

    /// Whether the venue's private stream delivers this account's executions right now — subscribed, and nothing
    /// lost since (as of the last [`ExchangeAdapter::drain_executions`]): the engine then need not ask about working
    /// orders as often. False by default (a venue without one).
    fn streams_executions(&self) -> bool {
        false
    }
}
