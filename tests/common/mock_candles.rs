//! Loopback candle streams: the shipped BTCUSDT 1-hour bars of January and February 2023 sent as a venue's live
//! kline messages, each closed candle preceded by an update of the still-open one (as the venue sends them while
//! the hour runs).

use std::sync::{Arc, Mutex};

use super::mock_ws::{Connection, serve, serve_paced};

/// A loopback venue's `ws://` URL and the connections it saw (path and subscription messages).
pub type Served = (String, Arc<Mutex<Vec<Connection>>>);

/// One shipped bar: open time (ms) and the open, high, low, close and volume as the file spells them.
pub struct ShippedBar {
    pub open_ms: i64,
    pub ohlcv: [String; 5],
}

/// The bars of the shipped January and February files, in order.
pub fn shipped_bars() -> Vec<ShippedBar> {
    let mut bars = Vec::new();
    for month in ["01", "02"] {
        let text = std::fs::read_to_string(super::repo(&format!("data/binance/BTCUSDT-1h-2023-{month}.csv"))).unwrap();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            bars.push(ShippedBar {
                open_ms: f[0].parse().unwrap(),
                ohlcv: [f[1].into(), f[2].into(), f[3].into(), f[4].into(), f[5].into()],
            });
        }
    }
    bars
}

/// Binance's combined-stream kline message of `bar` (`closed`: the final one, else an update of the open candle
/// that has so far traded at its open only).
pub fn binance_kline(bar: &ShippedBar, closed: bool) -> String {
    let [o, h, l, c, v] = &bar.ohlcv;
    let (h, l, c, v) = if closed {
        (h.as_str(), l.as_str(), c.as_str(), v.as_str())
    } else {
        (o.as_str(), o.as_str(), o.as_str(), "1.5")
    };
    let (t, close) = (bar.open_ms, bar.open_ms + 3_599_999);
    format!(
        r#"{{"stream":"btcusdt@kline_1h","data":{{"e":"kline","E":{close},"s":"BTCUSDT","k":{{"t":{t},"T":{close},"s":"BTCUSDT","i":"1h","f":100,"L":200,"o":"{o}","c":"{c}","h":"{h}","l":"{l}","v":"{v}","n":100,"x":{closed},"q":"0","V":"0","Q":"0","B":"0"}}}}}}"#
    )
}

/// Kraken's WebSocket v2 `ohlc` update of `bar` (`complete`: with the candle's final values, else as it stood
/// after its first trade). Kraken never marks a candle closed: the next candle's first update closes it.
pub fn kraken_ohlc(bar: &ShippedBar, complete: bool) -> String {
    let [o, h, l, c, v] = &bar.ohlcv;
    let (h, l, c, v) = if complete {
        (h.as_str(), l.as_str(), c.as_str(), v.as_str())
    } else {
        (o.as_str(), o.as_str(), o.as_str(), "1.5")
    };
    let begin =
        cryptotradebot::model::Timestamp::from_millis(bar.open_ms).unwrap().to_string().replace('Z', ".000000000Z");
    format!(
        r#"{{"channel":"ohlc","type":"update","timestamp":"{begin}","data":[{{"symbol":"BTC/USDT","open":{o},"high":{h},"low":{l},"close":{c},"trades":10,"volume":{v},"vwap":{o},"interval_begin":"{begin}","interval":60,"timestamp":"{begin}"}}]}}"#
    )
}

/// Kraken's script of `bars`: `ohlc` updates (two per candle), then the first update of the hour after the last,
/// which closes it.
fn kraken_script(bars: &[ShippedBar]) -> Vec<String> {
    let mut script: Vec<String> = bars.iter().flat_map(|b| [kraken_ohlc(b, false), kraken_ohlc(b, true)]).collect();
    if let Some(last) = bars.last() {
        let next = ShippedBar { open_ms: last.open_ms + 3_600_000, ohlcv: last.ohlcv.clone() };
        script.push(kraken_ohlc(&next, false));
    }
    script
}

/// A loopback Kraken streaming `bars` as [`kraken_script`] does, after the client's subscription.
pub async fn serve_kraken_ohlc(bars: &[ShippedBar]) -> Served {
    serve(vec![kraken_script(bars)], 1).await
}

/// Coinbase Exchange `match` messages that build `bar` (Coinbase's feed has no candles): trades at the open, the
/// high, the low and the close, one second apart, whose sizes add up to the bar's volume exactly. Trade ids go on
/// from `first_id`.
pub fn coinbase_matches(bar: &ShippedBar, first_id: u64) -> Vec<String> {
    let [o, h, l, c, v] = &bar.ohlcv;
    let volume: rust_decimal::Decimal = v.parse().unwrap();
    let part = (volume / rust_decimal::Decimal::from(4)).trunc_with_scale(8);
    let sizes = [part, part, part, volume - part * rust_decimal::Decimal::from(3)];
    [o, h, l, c]
        .into_iter()
        .zip(sizes)
        .enumerate()
        .map(|(k, (price, size))| {
            let time = cryptotradebot::model::Timestamp::from_millis(bar.open_ms + 1000 * (k as i64 + 1)).unwrap();
            let time = time.to_string().replace('Z', ".000000Z");
            let id = first_id + k as u64;
            format!(
                r#"{{"type":"match","trade_id":{id},"sequence":{id},"maker_order_id":"ac928c66-ca53-498f-9c13-a110027a60e8","taker_order_id":"132fb6ae-456b-4654-b4e0-d681ac05cea1","time":"{time}","product_id":"BTC-USDT","size":"{size}","price":"{price}","side":"sell"}}"#
            )
        })
        .collect()
}

/// A loopback Coinbase streaming [`coinbase_script`] after the client's subscription.
pub async fn serve_coinbase_matches(bars: &[ShippedBar]) -> Served {
    serve(vec![coinbase_script(bars)], 1).await
}

/// Coinbase's script of `bars`, as the feed sends it after a subscription: a trade of the hour before the first bar
/// (the session joined mid-hour: that hour's bar is partial and must not be traded), then the trades of `bars` with
/// the first one sent twice (taken once), then one trade of the hour after the last (which closes it).
fn coinbase_script(bars: &[ShippedBar]) -> Vec<String> {
    let first = bars.first().expect("bars to stream");
    let before = ShippedBar { open_ms: first.open_ms - 3_600_000, ohlcv: first.ohlcv.clone() };
    let mut script: Vec<String> = coinbase_matches(&before, 1).into_iter().take(1).collect();
    for (i, bar) in bars.iter().enumerate() {
        let trades = coinbase_matches(bar, 2 + 4 * i as u64);
        if i == 0 {
            script.push(trades[0].clone());
        }
        script.extend(trades);
    }
    let last = bars.last().expect("bars to stream");
    let next = ShippedBar { open_ms: last.open_ms + 3_600_000, ohlcv: last.ohlcv.clone() };
    script.extend(coinbase_matches(&next, 2 + 4 * bars.len() as u64).into_iter().take(1));
    script
}

/// A loopback venue streaming `bars` in `venue`'s candle format.
pub async fn serve_candles(venue: &str, bars: &[ShippedBar]) -> Served {
    match venue {
        "binance" => serve_binance_klines(bars).await,
        "kraken" => serve_kraken_ohlc(bars).await,
        "coinbase" => serve_coinbase_matches(bars).await,
        other => panic!("no candle mock for {other}"),
    }
}

/// A loopback Binance streaming `bars` (an open-candle update, then the closed candle, for each) on one connection
/// that stays open.
pub async fn serve_binance_klines(bars: &[ShippedBar]) -> Served {
    let script = bars.iter().flat_map(|b| [binance_kline(b, false), binance_kline(b, true)]).collect();
    serve(vec![script], 0).await
}

/// [`serve_candles`] sending one message every `pause`, as a market that moves in real time.
pub async fn serve_candles_paced(venue: &str, bars: &[ShippedBar], pause: std::time::Duration) -> Served {
    match venue {
        "binance" => {
            let script = bars.iter().flat_map(|b| [binance_kline(b, false), binance_kline(b, true)]).collect();
            serve_paced(vec![script], 0, pause).await
        }
        "kraken" => serve_paced(vec![kraken_script(bars)], 1, pause).await,
        "coinbase" => serve_paced(vec![coinbase_script(bars)], 1, pause).await,
        other => panic!("no candle mock for {other}"),
    }
}

/// A config folder whose `exchanges.yaml` points `venue`'s stream at `ws`.
pub fn config_for(dir: &std::path::Path, venue: &str, ws: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let yaml = format!("exchanges:\n  {venue}:\n    ws_url: '{ws}'\n    base_url: 'http://127.0.0.1:9'\n");
    std::fs::write(dir.join("exchanges.yaml"), yaml).unwrap();
}
