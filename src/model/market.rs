//! Market data values other than bars: tickers, order books, and the events a venue streams.

use rust_decimal::Decimal;

use super::{Bar, Symbol, Timestamp};

/// Best prices of one symbol (the seed's `get_ticker`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticker {
    /// Symbol.
    pub symbol: Symbol,
    /// Best bid.
    pub bid: Decimal,
    /// Best ask.
    pub ask: Decimal,
    /// Last trade price.
    pub last: Decimal,
    /// Venue time of the quote.
    pub time: Timestamp,
}

/// One price level of a book side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BookLevel {
    /// Price of the level.
    pub price: Decimal,
    /// Base quantity resting at it.
    pub quantity: Decimal,
}

/// A snapshot of an order book (the seed's `get_orderbook`): bids best first (descending), asks best first (ascending).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderBook {
    /// Symbol.
    pub symbol: Symbol,
    /// Bid levels, highest price first.
    pub bids: Vec<BookLevel>,
    /// Ask levels, lowest price first.
    pub asks: Vec<BookLevel>,
    /// Venue time of the snapshot.
    pub time: Timestamp,
}

/// A market-data event, as replayed in a backtest or streamed by a venue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarketEvent {
    /// A bar of `symbol` closed.
    Bar {
        /// Symbol of the bar.
        symbol: Symbol,
        /// The closed bar.
        bar: Bar,
    },
}
