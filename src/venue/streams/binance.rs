//! Binance spot market streams: one combined-stream connection per symbol (`/stream?streams=<s>@trade/
//! <s>@depth@100ms/<s>@kline_1m`, messages `{"stream": …, "data": …}`), decoded into trades, depth diffs and closed
//! 1-minute bars. Depth diffs carry Binance's update ids (`U`, `u`); a diff whose `U` is not the previous `u` + 1
//! is a sequence break, reported as a gap so a book kept from the stream is rebuilt from a fresh snapshot.

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::model::{Bar, BookLevel, BookUpdate, MarketEvent, Side, StreamEvent, Symbol, Timestamp, TradePrint};
use crate::venue::ws::StreamDecoder;

/// The combined-stream URL of `symbol`'s trades, depth diffs and 1-minute klines at `ws_base`.
pub fn stream_url(ws_base: &str, symbol: Symbol) -> String {
    let s = symbol.as_str().to_ascii_lowercase();
    format!("{}/stream?streams={s}@trade/{s}@depth@100ms/{s}@kline_1m", ws_base.trim_end_matches('/'))
}

/// The combined-stream URL of `symbol`'s depth diffs (100 ms) and trades at `ws_base`: what a level-2 session
/// records and replays.
pub fn book_stream_url(ws_base: &str, symbol: Symbol) -> String {
    let s = symbol.as_str().to_ascii_lowercase();
    format!("{}/stream?streams={s}@depth@100ms/{s}@trade", ws_base.trim_end_matches('/'))
}

/// Binance's name of a kline interval of `interval_ns` nanoseconds (`1m` … `1d`, `1w`).
///
/// # Errors
/// [`crate::error::Error::Config`] for an interval Binance has no klines of.
pub fn kline_interval(interval_ns: i64) -> crate::error::Result<&'static str> {
    const MINUTE: i64 = 60_000_000_000;
    const NAMES: [(i64, &str); 14] = [
        (MINUTE, "1m"),
        (3 * MINUTE, "3m"),
        (5 * MINUTE, "5m"),
        (15 * MINUTE, "15m"),
        (30 * MINUTE, "30m"),
        (60 * MINUTE, "1h"),
        (120 * MINUTE, "2h"),
        (240 * MINUTE, "4h"),
        (360 * MINUTE, "6h"),
        (480 * MINUTE, "8h"),
        (720 * MINUTE, "12h"),
        (1440 * MINUTE, "1d"),
        (4320 * MINUTE, "3d"),
        (10080 * MINUTE, "1w"),
    ];
    NAMES.iter().find(|(ns, _)| *ns == interval_ns).map(|(_, name)| *name).ok_or_else(|| {
        crate::error::Error::Config(format!(
            "binance has no klines of {} s (1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h, 1d, 3d, 1w)",
            interval_ns / 1_000_000_000
        ))
    })
}

/// The stream URL of `symbol`'s klines of `interval` (Binance's name, such as `1h`) at `ws_base`: updates of the
/// open kline, and the closed one (`"x": true`) when its interval ends.
pub fn kline_stream_url(ws_base: &str, symbol: Symbol, interval: &str) -> String {
    let s = symbol.as_str().to_ascii_lowercase();
    format!("{}/stream?streams={s}@kline_{interval}", ws_base.trim_end_matches('/'))
}

/// Decoder of one symbol's combined stream.
#[derive(Debug)]
pub struct BinanceDecoder {
    symbol: Symbol,
    last_update_id: Option<u64>,
}

impl BinanceDecoder {
    /// A decoder for `symbol`'s messages (others are skipped).
    pub fn new(symbol: Symbol) -> Self {
        BinanceDecoder { symbol, last_update_id: None }
    }
}

#[derive(Deserialize)]
struct Combined<'a> {
    #[serde(borrow)]
    data: &'a RawValue,
}

#[derive(Deserialize)]
#[serde(tag = "e")]
enum Data {
    #[serde(rename = "trade")]
    Trade {
        s: String,
        t: u64,
        p: Decimal,
        q: Decimal,
        #[serde(rename = "T")]
        time: i64,
        /// The buyer was the maker: the seller took.
        m: bool,
    },
    #[serde(rename = "depthUpdate")]
    Depth {
        s: String,
        #[serde(rename = "E")]
        time: i64,
        #[serde(rename = "U")]
        first: u64,
        u: u64,
        b: Vec<(Decimal, Decimal)>,
        a: Vec<(Decimal, Decimal)>,
    },
    #[serde(rename = "kline")]
    Kline { k: Kline },
}

#[derive(Deserialize)]
struct Kline {
    t: i64,
    #[serde(rename = "T")]
    close: i64,
    o: Decimal,
    h: Decimal,
    l: Decimal,
    c: Decimal,
    v: Decimal,
    x: bool,
    s: String,
}

impl StreamDecoder for BinanceDecoder {
    type Event = StreamEvent;

    fn gap(gap: crate::model::StreamGap) -> StreamEvent {
        StreamEvent::Gap(gap)
    }

    fn subscriptions(&self) -> Vec<String> {
        Vec::new()
    }

    fn decode(&mut self, text: &str, received: Timestamp, out: &mut Vec<StreamEvent>) -> Option<String> {
        let data = serde_json::from_str::<Combined>(text).map_or(text, |c| c.data.get());
        let symbol = self.symbol;
        match serde_json::from_str::<Data>(data).ok()? {
            Data::Trade { s, t, p, q, time, m } if s == symbol.as_str() => {
                out.push(StreamEvent::Market(MarketEvent::Trade(TradePrint {
                    symbol,
                    trade_id: t,
                    price: p,
                    quantity: q,
                    aggressor: if m { Side::Sell } else { Side::Buy },
                    time: Timestamp::from_millis(time).unwrap_or(received),
                    received,
                })));
                None
            }
            Data::Depth { s, time, first, u, b, a } if s == symbol.as_str() => {
                let previous = self.last_update_id.replace(u);
                out.push(StreamEvent::Market(MarketEvent::Book(BookUpdate {
                    symbol,
                    snapshot: false,
                    update_ids: Some((first, u)),
                    bids: BookLevel::from_pairs(b),
                    asks: BookLevel::from_pairs(a),
                    time: Timestamp::from_millis(time).unwrap_or(received),
                    received,
                })));
                match previous {
                    Some(last) if first != last + 1 => {
                        Some(format!("depth update ids jump from {last} to {first}: diffs were lost"))
                    }
                    _ => None,
                }
            }
            Data::Kline { k } => {
                let bar = closed_kline(symbol, k)?;
                out.push(StreamEvent::Market(MarketEvent::Bar { symbol, bar, received }));
                None
            }
            _ => None,
        }
    }

    fn reset(&mut self) {
        self.last_update_id = None;
    }
}

/// The bar of a kline once it has closed (`"x": true`) and is `symbol`'s.
fn closed_kline(symbol: Symbol, k: Kline) -> Option<Bar> {
    if !k.x || k.s != symbol.as_str() {
        return None;
    }
    Some(Bar {
        open_time: Timestamp::from_millis(k.t)?,
        // Binance gives the last millisecond of the kline; the bar closes one millisecond later.
        close_time: Timestamp::from_millis(k.close.checked_add(1)?)?,
        open: k.o,
        high: k.h,
        low: k.l,
        close: k.c,
        volume: k.v,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn decode(decoder: &mut BinanceDecoder, text: &str) -> (Vec<StreamEvent>, Option<String>) {
        let mut out = Vec::new();
        let gap = decoder.decode(text, Timestamp(7), &mut out);
        (out, gap)
    }

    #[test]
    fn a_closed_kline_becomes_a_bar_and_an_open_one_or_another_symbols_does_not() {
        // Recorded from Binance (../shared/data/ws-recordings/cryptofeed/BINANCE.ws.1.0), the stream's event.
        let open = r#"{"stream":"nknusdt@kline_1m","data":{"e":"kline","E":1633998523963,"s":"NKNUSDT","k":{"t":1633998480000,"T":1633998539999,"s":"NKNUSDT","i":"1m","f":19862761,"L":19862790,"o":"0.35270000","c":"0.35280000","h":"0.35280000","l":"0.35220000","v":"25877.00000000","n":30,"x":false,"q":"9116.04600000","V":"58.00000000","Q":"20.46240000","B":"0"}}}"#;
        let closed = open.replace(r#""x":false"#, r#""x":true"#);
        let mut nkn = BinanceDecoder::new(Symbol::new("NKNUSDT").unwrap());
        assert!(decode(&mut nkn, open).0.is_empty(), "still open");
        let (events, _) = decode(&mut nkn, &closed);
        let [StreamEvent::Market(MarketEvent::Bar { bar, .. })] = events.as_slice() else { panic!("{events:?}") };
        assert_eq!((bar.open_time.millis(), bar.close_time.millis()), (1_633_998_480_000, 1_633_998_540_000));
        assert_eq!(
            (bar.open, bar.high, bar.low, bar.close, bar.volume),
            (dec!(0.3527), dec!(0.3528), dec!(0.3522), dec!(0.3528), dec!(25877))
        );
        let mut btc = BinanceDecoder::new(Symbol::new("BTCUSDT").unwrap());
        assert!(decode(&mut btc, &closed).0.is_empty(), "another symbol");
    }

    #[test]
    fn a_depth_diff_that_does_not_follow_the_previous_one_is_a_gap_until_reset() {
        let diff = |first: u64, last: u64| {
            format!(
                r#"{{"stream":"btcusdt@depth@100ms","data":{{"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":{first},"u":{last},"b":[["61737.63","0.0"]],"a":[]}}}}"#
            )
        };
        let mut decoder = BinanceDecoder::new(Symbol::new("BTCUSDT").unwrap());
        assert_eq!(decode(&mut decoder, &diff(10, 12)).1, None);
        assert_eq!(decode(&mut decoder, &diff(13, 20)).1, None);
        let (events, gap) = decode(&mut decoder, &diff(25, 30));
        assert_eq!(gap.as_deref(), Some("depth update ids jump from 20 to 25: diffs were lost"));
        let [StreamEvent::Market(MarketEvent::Book(update))] = events.as_slice() else { panic!("{events:?}") };
        assert_eq!((update.update_ids, update.bids[0].quantity, update.snapshot), (Some((25, 30)), dec!(0), false));
        decoder.reset();
        assert_eq!(decode(&mut decoder, &diff(40, 41)).1, None, "a new connection starts a new sequence");
    }
}
