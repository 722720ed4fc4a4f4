//! Strategies on level-2 data: a [`BookStrategy`] sees the book after every message of the feed (a depth diff, a
//! snapshot or trades) and answers with orders to place and orders to cancel.

use rust_decimal::Decimal;

use super::{OrderIntent, StreamInfo};
use crate::error::Result;
use crate::model::VenueId;
use crate::model::{OrderId, Side, Symbol, Timestamp};

/// An order of the strategy still working at its venue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenOrder {
    /// The engine's id of the order (what a cancel names).
    pub id: OrderId,
    /// Buy or sell.
    pub side: Side,
    /// Limit price (for a market order: the price it was admitted at).
    pub price: Decimal,
    /// Base quantity not yet filled.
    pub remaining: Decimal,
}

/// What a strategy sees after a message of a level-2 feed. Prices and quantities of the book are in the feed's
/// exact units of 10⁻⁸ (no conversion per message); orders are placed in `Decimal`.
#[derive(Clone, Copy)]
pub struct BookContext<'a> {
    /// Index of the stream (as in the `on_start` list).
    pub stream: usize,
    /// Venue of the stream.
    pub venue: VenueId,
    /// Symbol of the stream.
    pub symbol: Symbol,
    /// Local receive time of the message: now, for the strategy.
    pub time: Timestamp,
    /// Best bid (price, quantity), units of 10⁻⁸.
    pub best_bid: Option<(i64, i64)>,
    /// Best ask (price, quantity), units of 10⁻⁸.
    pub best_ask: Option<(i64, i64)>,
    /// The instrument's tick, units of 10⁻⁸.
    pub tick: i64,
    /// Signed base quantity held in `symbol`.
    pub position: Decimal,
    /// Free cash in the portfolio's quote asset.
    pub cash: Decimal,
    /// The strategy's orders of `symbol` still working at the venue (a cancel on its way leaves them here until
    /// the venue confirms it).
    pub open_orders: &'a [OpenOrder],
}

/// What a book strategy asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BookAction {
    /// Place an order (it passes the risk manager first).
    Place(OrderIntent),
    /// Cancel a working order.
    Cancel {
        /// Its venue.
        venue: VenueId,
        /// Its instrument.
        symbol: Symbol,
        /// Its id.
        order_id: OrderId,
    },
}

/// A strategy on level-2 data.
pub trait BookStrategy: Send {
    /// The strategy's kind, as written in scenarios.
    fn name(&self) -> &str;

    /// Called once before the first message with the streams to be replayed.
    ///
    /// # Errors
    /// [`crate::error::Error::Validation`] when the strategy cannot trade these streams.
    fn on_start(&mut self, streams: &[StreamInfo]) -> Result<()>;

    /// Called after every message; pushes orders and cancels to `actions`.
    fn on_book(&mut self, ctx: &BookContext<'_>, actions: &mut Vec<BookAction>);
}
