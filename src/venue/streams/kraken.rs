//! Kraken spot WebSocket v2 (`wss://ws.kraken.com/v2`): subscriptions to the `ticker`, `book`, `trade` and `ohlc`
//! channels of one symbol (`BTC/USD`), decoded into tickers, book snapshots and changes, trades, and closed
//! 1-minute bars. Kraken v2 sends numbers as JSON numbers; they are read from their text, never through `f64`.
//! The book's CRC32 checksum is not verified.

use rust_decimal::Decimal;
use serde::Deserialize;

use super::{exact_number, venue_time};
use crate::model::{
    Bar, BookLevel, BookUpdate, MarketEvent, Quote, Side, StreamEvent, Symbol, Ticker, Timestamp, TradePrint,
};
use crate::venue::ws::StreamDecoder;

/// Levels of the book subscription.
const BOOK_DEPTH: u32 = 10;

/// Decoder of one symbol's channels.
#[derive(Debug)]
pub struct KrakenDecoder {
    symbol: Symbol,
    ws_symbol: String,
    candles: CandleCloser,
    /// Only the `ohlc` channel at this many minutes (a bar session), instead of every channel with 1-minute bars.
    candles_only: Option<u32>,
}

impl KrakenDecoder {
    /// A decoder for `symbol`, which Kraken's WebSocket v2 calls `ws_symbol` (`BTC/USD`).
    pub fn new(symbol: Symbol, ws_symbol: String) -> Self {
        KrakenDecoder { symbol, ws_symbol, candles: CandleCloser::default(), candles_only: None }
    }

    /// A decoder subscribing to `symbol`'s candles of `interval_ns` only.
    ///
    /// # Errors
    /// [`crate::error::Error::Config`] for an interval Kraken has no candles of (1, 5, 15, 30, 60, 240, 1440,
    /// 10080 or 21600 minutes).
    pub fn candles(symbol: Symbol, ws_symbol: String, interval_ns: i64) -> crate::error::Result<Self> {
        const MINUTES: [u32; 9] = [1, 5, 15, 30, 60, 240, 1440, 10080, 21600];
        let minutes = MINUTES.into_iter().find(|m| i64::from(*m) * 60_000_000_000 == interval_ns).ok_or_else(|| {
            crate::error::Error::Config(format!(
                "kraken has no candles of {} s (1, 5, 15, 30, 60, 240, 1440, 10080, 21600 minutes)",
                interval_ns / 1_000_000_000
            ))
        })?;
        Ok(KrakenDecoder { candles_only: Some(minutes), ..KrakenDecoder::new(symbol, ws_symbol) })
    }
}

/// A v2 message: its channel and type, its data read once the channel is known.
#[derive(Deserialize)]
struct Envelope<'a> {
    channel: &'a str,
    #[serde(rename = "type", default)]
    kind: &'a str,
    #[serde(borrow)]
    data: Option<&'a serde_json::value::RawValue>,
}

#[derive(Deserialize)]
struct TickerData {
    symbol: String,
    #[serde(deserialize_with = "exact_number")]
    bid: Decimal,
    #[serde(deserialize_with = "exact_number")]
    ask: Decimal,
    #[serde(deserialize_with = "exact_number")]
    last: Decimal,
}

#[derive(Deserialize)]
struct BookData {
    symbol: String,
    bids: Vec<Level>,
    asks: Vec<Level>,
    timestamp: Option<String>,
}

#[derive(Deserialize)]
struct Level {
    #[serde(deserialize_with = "exact_number")]
    price: Decimal,
    #[serde(deserialize_with = "exact_number")]
    qty: Decimal,
}

#[derive(Deserialize)]
struct TradeData {
    symbol: String,
    /// The taker's side.
    side: String,
    #[serde(deserialize_with = "exact_number")]
    price: Decimal,
    #[serde(deserialize_with = "exact_number")]
    qty: Decimal,
    trade_id: u64,
    timestamp: String,
}

/// One candle of an `ohlc` message.
#[derive(Deserialize)]
struct Candle {
    symbol: String,
    #[serde(deserialize_with = "exact_number")]
    open: Decimal,
    #[serde(deserialize_with = "exact_number")]
    high: Decimal,
    #[serde(deserialize_with = "exact_number")]
    low: Decimal,
    #[serde(deserialize_with = "exact_number")]
    close: Decimal,
    #[serde(deserialize_with = "exact_number")]
    volume: Decimal,
    interval_begin: String,
    interval: i64,
}

/// The entries of a `data` array (none when it is not an array of `T`).
fn parse<'a, T: Deserialize<'a>>(data: &'a str) -> impl Iterator<Item = T> {
    serde_json::from_str::<Vec<T>>(data).unwrap_or_default().into_iter()
}

fn book_levels(levels: Vec<Level>) -> Vec<BookLevel> {
    levels.into_iter().map(|l| BookLevel { price: l.price, quantity: l.qty }).collect()
}

impl StreamDecoder for KrakenDecoder {
    type Event = StreamEvent;

    fn gap(gap: crate::model::StreamGap) -> StreamEvent {
        StreamEvent::Gap(gap)
    }

    fn subscriptions(&self) -> Vec<String> {
        let symbol = [&self.ws_symbol];
        if let Some(interval) = self.candles_only {
            let params = serde_json::json!({ "channel": "ohlc", "symbol": symbol, "interval": interval });
            return vec![serde_json::json!({ "method": "subscribe", "params": params }).to_string()];
        }
        [
            serde_json::json!({ "channel": "ticker", "symbol": symbol }),
            serde_json::json!({ "channel": "book", "symbol": symbol, "depth": BOOK_DEPTH }),
            serde_json::json!({ "channel": "trade", "symbol": symbol }),
            serde_json::json!({ "channel": "ohlc", "symbol": symbol, "interval": 1 }),
        ]
        .into_iter()
        .map(|params| serde_json::json!({ "method": "subscribe", "params": params }).to_string())
        .collect()
    }

    fn decode(&mut self, text: &str, received: Timestamp, out: &mut Vec<StreamEvent>) -> Option<String> {
        let symbol = self.symbol;
        let ours = |s: &str| s == self.ws_symbol;
        let envelope = serde_json::from_str::<Envelope>(text).ok()?;
        let data = envelope.data?.get();
        match envelope.channel {
            "ticker" => out.extend(parse::<TickerData>(data).filter(|t| ours(&t.symbol)).map(|t| {
                let ticker = Ticker { symbol, bid: t.bid, ask: t.ask, last: t.last, time: received };
                StreamEvent::Market(MarketEvent::Quote(Quote { ticker, received }))
            })),
            "book" => out.extend(parse::<BookData>(data).filter(|b| ours(&b.symbol)).map(|b| {
                StreamEvent::Market(MarketEvent::Book(BookUpdate {
                    symbol,
                    snapshot: envelope.kind == "snapshot",
                    update_ids: None,
                    bids: book_levels(b.bids),
                    asks: book_levels(b.asks),
                    time: venue_time(b.timestamp.as_deref(), received),
                    received,
                }))
            })),
            "trade" => out.extend(parse::<TradeData>(data).filter(|t| ours(&t.symbol)).map(|t| {
                StreamEvent::Market(MarketEvent::Trade(TradePrint {
                    symbol,
                    trade_id: t.trade_id,
                    price: t.price,
                    quantity: t.qty,
                    aggressor: if t.side == "sell" { Side::Sell } else { Side::Buy },
                    time: venue_time(Some(&t.timestamp), received),
                    received,
                }))
            })),
            "ohlc" => {
                let wanted = |c: &Candle| self.candles_only.is_none_or(|minutes| c.interval == i64::from(minutes));
                for candle in parse::<Candle>(data).filter(|c| ours(&c.symbol) && wanted(c)) {
                    if let Some(bar) = self.candles.on_candle(candle) {
                        out.push(StreamEvent::Market(MarketEvent::Bar { symbol, bar, received }));
                    }
                }
            }
            _ => {}
        }
        None
    }

    /// A candle held from before a reconnect is not known to be complete: it is dropped, not closed.
    fn reset(&mut self) {
        self.candles.current = None;
    }
}

/// Turns Kraken's `ohlc` updates (the candle in progress, sent again on every trade) into closed bars: a candle is
/// closed once one with a later `interval_begin` arrives.
#[derive(Debug, Default)]
struct CandleCloser {
    current: Option<Bar>,
}

impl CandleCloser {
    /// The bar `candle` closes, if it closes one.
    fn on_candle(&mut self, candle: Candle) -> Option<Bar> {
        let open_time = crate::data::parse_timestamp(&candle.interval_begin)?;
        let bar = Bar {
            open_time,
            close_time: Timestamp(
                candle.interval.checked_mul(60_000_000_000).and_then(|ns| open_time.0.checked_add(ns))?,
            ),
            open: candle.open,
            high: candle.high,
            low: candle.low,
            close: candle.close,
            volume: candle.volume,
        };
        match self.current {
            Some(previous) if previous.open_time < bar.open_time => {
                self.current = Some(bar);
                Some(previous)
            }
            Some(previous) if previous.open_time > bar.open_time => None,
            _ => {
                self.current = Some(bar);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn decoder() -> KrakenDecoder {
        KrakenDecoder::new(Symbol::new("BTCUSD").unwrap(), "BTC/USD".into())
    }

    fn decode(decoder: &mut KrakenDecoder, text: &str) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        assert_eq!(decoder.decode(text, Timestamp(5), &mut out), None);
        out
    }

    /// An `ohlc` message in Kraken's WebSocket v2 format (docs.kraken.com), numbers as JSON numbers.
    fn ohlc(kind: &str, begin: &str, close: &str) -> String {
        format!(
            r#"{{"channel":"ohlc","type":"{kind}","timestamp":"2024-08-09T00:00:10.000000Z","data":[{{"symbol":"BTC/USD","open":61601.5,"high":61610.1,"low":61590.0,"close":{close},"trades":12,"volume":0.73512001,"vwap":61600.2,"interval_begin":"{begin}","interval":1,"timestamp":"2024-08-09T00:00:10.000000Z"}}]}}"#
        )
    }

    #[test]
    fn a_candle_closes_when_the_next_one_begins_and_keeps_its_numbers_exact() {
        let mut d = decoder();
        assert!(decode(&mut d, &ohlc("snapshot", "2024-08-08T23:59:00.000000000Z", "61600.3")).is_empty());
        assert!(decode(&mut d, &ohlc("update", "2024-08-08T23:59:00.000000000Z", "61605.7")).is_empty());
        let eth = ohlc("update", "2024-08-09T00:00:00.000000000Z", "1").replace("BTC/USD", "ETH/USD");
        assert!(decode(&mut d, &eth).is_empty());
        assert!(decode(&mut d, r#"{"channel":"heartbeat"}"#).is_empty());
        let closed = decode(&mut d, &ohlc("update", "2024-08-09T00:00:00.000000000Z", "61590.2"));
        let [StreamEvent::Market(MarketEvent::Bar { bar, .. })] = closed.as_slice() else { panic!("{closed:?}") };
        assert_eq!((bar.open_time.millis(), bar.close_time.millis()), (1_723_161_540_000, 1_723_161_600_000));
        assert_eq!(
            (bar.open, bar.high, bar.low, bar.close, bar.volume),
            (dec!(61601.5), dec!(61610.1), dec!(61590.0), dec!(61605.7), dec!(0.73512001))
        );
    }

    #[test]
    fn ticker_book_and_trade_messages_in_the_documented_v2_format_become_typed_events() {
        // Message shapes from docs.kraken.com (WebSocket v2: ticker, book, trade), for BTC/USD.
        let mut d = decoder();
        let ticker = r#"{"channel":"ticker","type":"snapshot","data":[{"symbol":"BTC/USD","bid":61601.1,"bid_qty":0.5,"ask":61601.2,"ask_qty":1.25,"last":61601.1,"volume":1234.5,"vwap":61500.0,"low":60000.0,"high":62000.0,"change":10.0,"change_pct":0.02}]}"#;
        let [StreamEvent::Market(MarketEvent::Quote(Quote { ticker: t, .. }))] = decode(&mut d, ticker)[..] else {
            panic!("ticker")
        };
        assert_eq!((t.bid, t.ask, t.last, t.time), (dec!(61601.1), dec!(61601.2), dec!(61601.1), Timestamp(5)));
        let book = r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":61600.0,"qty":0}],"asks":[{"price":61601.2,"qty":0.00012345}],"checksum":2114181697,"timestamp":"2024-08-09T00:00:01.500000Z"}]}"#;
        let events = decode(&mut d, book);
        let [StreamEvent::Market(MarketEvent::Book(update))] = events.as_slice() else { panic!("{events:?}") };
        assert_eq!(
            (update.snapshot, update.bids[0].quantity, update.asks[0].quantity),
            (false, dec!(0), dec!(0.00012345))
        );
        assert_eq!(update.time.millis(), 1_723_161_601_500);
        let trade = r#"{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"sell","price":61600.9,"qty":0.02,"ord_type":"market","trade_id":74265118,"timestamp":"2024-08-09T00:00:02.000000Z"}]}"#;
        let [StreamEvent::Market(MarketEvent::Trade(print))] = decode(&mut d, trade)[..] else { panic!("trade") };
        assert_eq!(
            (print.trade_id, print.aggressor, print.price, print.quantity),
            (74_265_118, Side::Sell, dec!(61600.9), dec!(0.02))
        );
    }
}
