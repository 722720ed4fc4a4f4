//! Coinbase Exchange market feed (`ws-feed`): a subscription to the `ticker`, `level2` and `matches` channels of one
//! product, decoded into tickers, book snapshots and changes, trades, and bars built from the trades (1 minute, or a bar session's interval).
//! Trade ids of a product are consecutive; a jump is a sequence break, reported as a gap.

use rust_decimal::Decimal;
use serde::Deserialize;

use super::venue_time;
use crate::model::{
    Bar, BookLevel, BookUpdate, MarketEvent, Quote, Side, StreamEvent, Symbol, Ticker, Timestamp, TradePrint,
};
use crate::venue::ws::StreamDecoder;

/// Decoder of one product's feed.
#[derive(Debug)]
pub struct CoinbaseDecoder {
    symbol: Symbol,
    product: String,
    last_trade_id: Option<u64>,
    bars: TradeBars,
    /// A reconnect happened: the next trade id jump is the one the connection already reported.
    reconnected: bool,
    /// Only the `matches` channel (a bar session builds its bars from the trades).
    trades_only: bool,
}

impl CoinbaseDecoder {
    /// A decoder for `symbol`, which Coinbase calls `product` (`BTC-USD`), with 1-minute bars from the trades.
    pub fn new(symbol: Symbol, product: String) -> Self {
        CoinbaseDecoder {
            symbol,
            product,
            last_trade_id: None,
            bars: TradeBars::new(60_000_000_000, false),
            reconnected: false,
            trades_only: false,
        }
    }

    /// A decoder subscribing to `symbol`'s trades only, building bars of `interval_ns` from them (the feed has no
    /// candle channel).
    pub fn trade_bars(symbol: Symbol, product: String, interval_ns: i64) -> Self {
        CoinbaseDecoder {
            bars: TradeBars::new(interval_ns, true),
            trades_only: true,
            ..CoinbaseDecoder::new(symbol, product)
        }
    }
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Message {
    Ticker { product_id: String, price: Decimal, best_bid: Decimal, best_ask: Decimal, time: Option<String> },
    Snapshot { product_id: String, bids: Vec<(Decimal, Decimal)>, asks: Vec<(Decimal, Decimal)> },
    L2update { product_id: String, time: Option<String>, changes: Vec<(String, Decimal, Decimal)> },
    Match(Match),
    LastMatch(Match),
}

#[derive(Deserialize)]
struct Match {
    product_id: String,
    trade_id: u64,
    /// The maker's side.
    side: String,
    price: Decimal,
    size: Decimal,
    time: String,
}

impl StreamDecoder for CoinbaseDecoder {
    type Event = StreamEvent;

    fn gap(gap: crate::model::StreamGap) -> StreamEvent {
        StreamEvent::Gap(gap)
    }

    fn subscriptions(&self) -> Vec<String> {
        let product = &self.product;
        let channels: &[&str] = if self.trades_only { &["matches"] } else { &["ticker", "level2", "matches"] };
        vec![serde_json::json!({ "type": "subscribe", "product_ids": [product], "channels": channels }).to_string()]
    }

    fn decode(&mut self, text: &str, received: Timestamp, out: &mut Vec<StreamEvent>) -> Option<String> {
        let symbol = self.symbol;
        let message = serde_json::from_str::<Message>(text).ok()?;
        match message {
            Message::Ticker { product_id, price, best_bid, best_ask, time } if product_id == self.product => {
                let time = venue_time(time.as_deref(), received);
                let ticker = Ticker { symbol, bid: best_bid, ask: best_ask, last: price, time };
                out.push(StreamEvent::Market(MarketEvent::Quote(Quote { ticker, received })));
                None
            }
            Message::Snapshot { product_id, bids, asks } if product_id == self.product => {
                let (bids, asks) = (BookLevel::from_pairs(bids), BookLevel::from_pairs(asks));
                let update =
                    BookUpdate { symbol, snapshot: true, update_ids: None, bids, asks, time: received, received };
                out.push(StreamEvent::Market(MarketEvent::Book(update)));
                None
            }
            Message::L2update { product_id, time, changes } if product_id == self.product => {
                let mut update = BookUpdate {
                    symbol,
                    snapshot: false,
                    update_ids: None,
                    bids: Vec::new(),
                    asks: Vec::new(),
                    time: venue_time(time.as_deref(), received),
                    received,
                };
                for (side, price, quantity) in changes {
                    let levels = if side == "buy" { &mut update.bids } else { &mut update.asks };
                    levels.push(BookLevel { price, quantity });
                }
                out.push(StreamEvent::Market(MarketEvent::Book(update)));
                None
            }
            Message::Match(trade) | Message::LastMatch(trade) if trade.product_id == self.product => {
                self.on_trade(trade, received, out)
            }
            _ => None,
        }
    }

    /// After a reconnect the trade ids jump (the gap is reported by the connection); the last id is kept, so a
    /// trade sent again is still taken once, and a bar built from trades is restarted (it missed some).
    fn reset(&mut self) {
        self.reconnected = true;
        self.bars.restart();
    }
}

impl CoinbaseDecoder {
    fn on_trade(&mut self, trade: Match, received: Timestamp, out: &mut Vec<StreamEvent>) -> Option<String> {
        let symbol = self.symbol;
        let time = venue_time(Some(&trade.time), received);
        // A trade sent again (the `last_match` after a resubscription, a duplicated message) is taken once.
        if self.last_trade_id.is_some_and(|last| trade.trade_id <= last) {
            return None;
        }
        let previous = self.last_trade_id.replace(trade.trade_id);
        let print = TradePrint {
            symbol,
            trade_id: trade.trade_id,
            price: trade.price,
            quantity: trade.size,
            // `side` is the maker's: a resting sell was hit by a buyer.
            aggressor: if trade.side == "sell" { Side::Buy } else { Side::Sell },
            time,
            received,
        };
        if let Some(bar) = self.bars.on_trade(time, trade.price, trade.size) {
            out.push(StreamEvent::Market(MarketEvent::Bar { symbol, bar, received }));
        }
        out.push(StreamEvent::Market(MarketEvent::Trade(print)));
        match previous {
            Some(last) if trade.trade_id - last > 1 && !std::mem::take(&mut self.reconnected) => {
                Some(format!("trade ids jump from {last} to {}: trades were lost", trade.trade_id))
            }
            _ => None,
        }
    }
}

/// Bars of a fixed interval from trades: an interval's bar is closed once a trade of a later interval arrives.
/// Trades of intervals already closed are ignored.
/// Strict bars (what a bar session trades) never include a partial one: the first bar after a start or a restart
/// is built from the trades seen since then only, so it is dropped, not closed.
#[derive(Debug)]
pub struct TradeBars {
    interval_ns: i64,
    current: Option<Bar>,
    strict: bool,
    partial: bool,
}

impl TradeBars {
    /// Bars of `interval_ns` (at least one nanosecond); `strict`: drop the partial first bar of each start.
    pub fn new(interval_ns: i64, strict: bool) -> Self {
        TradeBars { interval_ns: interval_ns.max(1), current: None, strict, partial: strict }
    }

    /// Trades were missed: the bar in progress is dropped (and, strict, the next one is partial).
    pub fn restart(&mut self) {
        self.current = None;
        self.partial = self.strict;
    }

    /// The bar a trade at `time` closes, if it closes one.
    pub fn on_trade(&mut self, time: Timestamp, price: Decimal, size: Decimal) -> Option<Bar> {
        let interval = self.interval_ns;
        let open_time = Timestamp(time.0.div_euclid(interval) * interval);
        let closed = match &mut self.current {
            Some(bar) if bar.open_time == open_time => {
                bar.high = bar.high.max(price);
                bar.low = bar.low.min(price);
                bar.close = price;
                bar.volume += size;
                None
            }
            Some(bar) if bar.open_time > open_time => None,
            current => {
                let fresh = Bar {
                    open_time,
                    close_time: Timestamp(open_time.0 + interval),
                    open: price,
                    high: price,
                    low: price,
                    close: price,
                    volume: size,
                };
                current.replace(fresh)
            }
        };
        if closed.is_some() && std::mem::take(&mut self.partial) {
            return None;
        }
        closed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn trade(id: u64, time: &str, price: &str, size: &str) -> String {
        format!(
            r#"{{"type":"match","trade_id":{id},"sequence":50,"maker_order_id":"ac928c66-ca53-498f-9c13-a110027a60e8","taker_order_id":"132fb6ae-456b-4654-b4e0-d681ac05cea1","time":"{time}","product_id":"BTC-USD","size":"{size}","price":"{price}","side":"sell"}}"#
        )
    }

    fn bars(events: &[StreamEvent]) -> Vec<Bar> {
        events
            .iter()
            .filter_map(|e| if let StreamEvent::Market(MarketEvent::Bar { bar, .. }) = e { Some(*bar) } else { None })
            .collect()
    }

    #[test]
    fn trades_make_minute_bars_closed_by_the_next_minute_and_a_skipped_trade_id_is_a_gap() {
        let mut decoder = CoinbaseDecoder::new(Symbol::new("BTCUSD").unwrap(), "BTC-USD".into());
        let mut out = Vec::new();
        let mut feed = |text: &str| decoder.decode(text, Timestamp(0), &mut out);
        assert_eq!(feed(&trade(1, "2024-08-08T23:59:05.100000Z", "61600.10", "0.5")), None);
        assert_eq!(feed(&trade(2, "2024-08-08T23:59:40.000000Z", "61610.00", "0.25")), None);
        assert_eq!(feed(&trade(3, "2024-08-08T23:59:59.000000Z", "61590.01", "1")), None);
        let gap = feed(&trade(5, "2024-08-09T00:00:00.500000Z", "61595.00", "2"));
        assert_eq!(gap.as_deref(), Some("trade ids jump from 3 to 5: trades were lost"));
        let closed = bars(&out);
        assert_eq!(closed.len(), 1);
        let bar = closed[0];
        assert_eq!((bar.open_time.millis(), bar.close_time.millis()), (1_723_161_540_000, 1_723_161_600_000));
        assert_eq!(
            (bar.open, bar.high, bar.low, bar.close, bar.volume),
            (dec!(61600.10), dec!(61610.00), dec!(61590.01), dec!(61590.01), dec!(1.75))
        );
        let StreamEvent::Market(MarketEvent::Trade(first)) = out[0] else { panic!("{:?}", out[0]) };
        assert_eq!(
            (first.trade_id, first.aggressor, first.price),
            (1, Side::Buy, dec!(61600.10)),
            "a sell maker was hit"
        );
    }
}
