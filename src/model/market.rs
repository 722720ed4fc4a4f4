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

impl BookLevel {
    /// Levels from `(price, quantity)` pairs, in their order.
    pub fn from_pairs(pairs: Vec<(Decimal, Decimal)>) -> Vec<BookLevel> {
        pairs.into_iter().map(|(price, quantity)| BookLevel { price, quantity }).collect()
    }
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

/// A market-data event: the one model every kind of data arrives in, whether a venue streams it or a backtest
/// replays it. Each carries the venue's time of the event and the local time it was received (in a replay of bars,
/// the bar's close). Sources are merged in receive order, ties broken by the order the sources were given
/// ([`crate::market::ReplayFeed`] for recorded data), so the sequence depends on nothing but the inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MarketEvent {
    /// A bar of `symbol` closed.
    Bar {
        /// Symbol of the bar.
        symbol: Symbol,
        /// The closed bar (its venue time is its close time).
        bar: Bar,
        /// Local time the closed bar arrived.
        received: Timestamp,
    },
    /// A trade printed.
    Trade(TradePrint),
    /// Levels of a book changed, or a whole book (snapshot).
    Book(BookUpdate),
    /// Best bid, best ask and last price.
    Quote(Quote),
}

impl MarketEvent {
    /// A closed bar of `symbol` received the moment it closed, as a replay sees it.
    pub fn bar(symbol: Symbol, bar: Bar) -> MarketEvent {
        MarketEvent::Bar { symbol, bar, received: bar.close_time }
    }

    /// Symbol of the event.
    pub fn symbol(&self) -> Symbol {
        match self {
            MarketEvent::Bar { symbol, .. } => *symbol,
            MarketEvent::Trade(trade) => trade.symbol,
            MarketEvent::Book(update) => update.symbol,
            MarketEvent::Quote(quote) => quote.ticker.symbol,
        }
    }

    /// The venue's time of the event: a bar's close, a trade's or update's time, a quote's time.
    pub fn time(&self) -> Timestamp {
        match self {
            MarketEvent::Bar { bar, .. } => bar.close_time,
            MarketEvent::Trade(trade) => trade.time,
            MarketEvent::Book(update) => update.time,
            MarketEvent::Quote(quote) => quote.ticker.time,
        }
    }

    /// Local time the event arrived: the order events of several sources are merged in.
    pub fn received(&self) -> Timestamp {
        match self {
            MarketEvent::Bar { received, .. } => *received,
            MarketEvent::Trade(trade) => trade.received,
            MarketEvent::Book(update) => update.received,
            MarketEvent::Quote(quote) => quote.received,
        }
    }
}

/// A venue's best prices as its stream quotes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quote {
    /// Best bid, best ask and last price, with the venue's time (the receive time where the venue gives none).
    pub ticker: Ticker,
    /// Local time the message arrived.
    pub received: Timestamp,
}

/// One trade printed by a venue, as its stream reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TradePrint {
    /// Symbol.
    pub symbol: Symbol,
    /// The venue's trade id (increasing per symbol at Binance and Coinbase).
    pub trade_id: u64,
    /// Price.
    pub price: Decimal,
    /// Base quantity.
    pub quantity: Decimal,
    /// Side of the taker (the order that crossed the spread).
    pub aggressor: super::Side,
    /// Venue time of the trade.
    pub time: Timestamp,
    /// Local time the message arrived.
    pub received: Timestamp,
}

/// Levels of one symbol's book that changed (quantity zero: the level is gone), or the whole book when `snapshot`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookUpdate {
    /// Symbol.
    pub symbol: Symbol,
    /// The levels replace the whole book.
    pub snapshot: bool,
    /// The venue's first and last update ids in this message (Binance `U`, `u`), where the venue numbers them.
    pub update_ids: Option<(u64, u64)>,
    /// Changed bid levels.
    pub bids: Vec<BookLevel>,
    /// Changed ask levels.
    pub asks: Vec<BookLevel>,
    /// Venue time of the update.
    pub time: Timestamp,
    /// Local time the message arrived.
    pub received: Timestamp,
}

/// A venue's stream lost messages and resumed: after a dropped connection (reconnected and resubscribed) or a
/// break in the venue's update sequence. A book kept from the stream must be rebuilt from a fresh snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamGap {
    /// Symbol of the stream.
    pub symbol: Symbol,
    /// Local time of the last message before the gap.
    pub since: Timestamp,
    /// Local time the stream resumed.
    pub resumed: Timestamp,
    /// What happened.
    pub reason: String,
}

/// What a venue's market stream delivers (the seed's `start_websocket_stream` callback, typed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamEvent {
    /// A market event.
    Market(MarketEvent),
    /// Messages were lost; see [`StreamGap`].
    Gap(StreamGap),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Side;
    use rust_decimal::Decimal;

    #[test]
    fn every_market_event_tells_its_symbol_its_venue_time_and_when_it_arrived() {
        let btc = Symbol::new("BTCUSDT").unwrap();
        let (venue, arrived) = (Timestamp(10), Timestamp(12));
        let bar = Bar {
            open_time: Timestamp(0),
            close_time: venue,
            open: Decimal::ONE,
            high: Decimal::ONE,
            low: Decimal::ONE,
            close: Decimal::ONE,
            volume: Decimal::ONE,
        };
        let trade = TradePrint {
            symbol: btc,
            trade_id: 1,
            price: Decimal::ONE,
            quantity: Decimal::ONE,
            aggressor: Side::Buy,
            time: venue,
            received: arrived,
        };
        let update = BookUpdate {
            symbol: btc,
            snapshot: true,
            update_ids: None,
            bids: Vec::new(),
            asks: Vec::new(),
            time: venue,
            received: arrived,
        };
        let ticker = Ticker { symbol: btc, bid: Decimal::ONE, ask: Decimal::ONE, last: Decimal::ONE, time: venue };
        let events = [
            MarketEvent::Bar { symbol: btc, bar, received: arrived },
            MarketEvent::Trade(trade),
            MarketEvent::Book(update),
            MarketEvent::Quote(Quote { ticker, received: arrived }),
        ];
        for event in &events {
            assert_eq!((event.symbol(), event.time(), event.received()), (btc, venue, arrived), "{event:?}");
        }
        assert_eq!(MarketEvent::bar(btc, bar).received(), venue, "a replayed bar arrives as it closes");
    }
}
