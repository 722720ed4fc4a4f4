//! A venue's live closed candles as a bar session records and trades them: the kline stream of the scenario's
//! symbol at the scenario's interval, only closed candles (the open candle's updates are skipped), each bar once
//! and in time order (a closed candle sent again after a reconnect is dropped). Every bar is recorded as a row of a
//! data.binance.vision kline CSV (`<SYMBOL>.csv` in the session's folder), so a recording replays through the
//! backtest's own loader.

use tokio::sync::mpsc::Receiver;

use crate::data::parse_decimal;
use crate::error::{Error, Result};
use crate::model::{Bar, MarketEvent, StreamEvent, Symbol, Timestamp};
use crate::venue::VenueConfig;
use crate::venue::binance::BinanceAdapter;
use crate::venue::coinbase::CoinbaseAdapter;
use crate::venue::kraken::KrakenAdapter;

/// The header row of a bar recording: data.binance.vision's kline columns.
pub const BAR_RECORDING_HEADER: &str = "open_time,open,high,low,close,volume,close_time,quote_volume,count,\
taker_buy_volume,taker_buy_quote_volume,ignore";

/// The live closed bars of one symbol at one venue.
pub struct BarFeed {
    symbol: Symbol,
    stream: Receiver<StreamEvent>,
    interval_ns: i64,
    last_open: Option<Timestamp>,
    gaps: u64,
}

impl std::fmt::Debug for BarFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BarFeed").field("symbol", &self.symbol).field("gaps", &self.gaps).finish()
    }
}

impl BarFeed {
    /// Connects `venue`'s candle stream of `symbol` at `interval_ns` (public data: no credentials needed).
    ///
    /// # Errors
    /// [`Error::Config`] for a venue without a candle stream here or an interval it has no candles of;
    /// [`Error::Exchange`] when the stream cannot be opened.
    pub async fn open(venue: &str, config: &VenueConfig, symbol: Symbol, interval_ns: i64) -> Result<Self> {
        let stream = match venue {
            "binance" => BinanceAdapter::new(config, None)?.kline_stream(symbol, interval_ns).await?,
            "kraken" => KrakenAdapter::new(config, None)?.candle_stream(symbol, interval_ns).await?,
            "coinbase" => CoinbaseAdapter::new(config, None)?.trade_bar_stream(symbol, interval_ns).await?,
            other => {
                return Err(Error::Config(format!(
                    "venue '{other}': bar sessions read candles from binance, coinbase and kraken"
                )));
            }
        };
        Ok(BarFeed { symbol, stream, interval_ns, last_open: None, gaps: 0 })
    }

    /// Bars opening at or before `open_time` were taken already (a resumed session's recording holds them).
    pub fn taken_up_to(&mut self, open_time: Timestamp) {
        self.last_open = Some(open_time);
    }

    /// Reconnects and holes between candles so far.
    pub fn gaps(&self) -> u64 {
        self.gaps
    }

    /// Stream events received and not taken yet.
    pub fn backlog(&self) -> usize {
        self.stream.len()
    }

    /// The next closed bar, after the last one given. `None` when the stream is gone.
    pub async fn next(&mut self) -> Option<Bar> {
        loop {
            match self.stream.recv().await? {
                StreamEvent::Market(MarketEvent::Bar { symbol, bar, .. }) if symbol == self.symbol => {
                    if let Some(last) = self.last_open {
                        if bar.open_time <= last {
                            tracing::warn!(symbol = %self.symbol, open = %bar.open_time, "candle sent again: skipped");
                            continue;
                        }
                        if bar.open_time.0 != last.0.saturating_add(self.interval_ns) {
                            // Candles were missed (the connection dropped, or the venue sent none): the session
                            // trades on, as a backtest of its recording would; the gap is counted and logged.
                            tracing::warn!(symbol = %self.symbol, after = %last, next = %bar.open_time, "candles missing");
                            self.gaps += 1;
                        }
                    }
                    self.last_open = Some(bar.open_time);
                    // The venue pads its numbers with zeros ("16529.67000000"); the backtest's loaders read the
                    // same values without them, and the strategies' exact indicators work at the data's scale.
                    return Some(Bar {
                        open: bar.open.normalize(),
                        high: bar.high.normalize(),
                        low: bar.low.normalize(),
                        close: bar.close.normalize(),
                        volume: bar.volume.normalize(),
                        ..bar
                    });
                }
                StreamEvent::Gap(gap) => {
                    tracing::warn!(symbol = %self.symbol, reason = gap.reason, "candle stream gap");
                    self.gaps += 1;
                }
                _ => {}
            }
        }
    }
}

/// `bar` as a row of a data.binance.vision kline CSV (times in milliseconds; the close time is the bar's last
/// millisecond, as Binance writes it; columns the engine does not read are zero).
pub fn bar_recording_line(bar: &Bar) -> String {
    format!(
        "{},{},{},{},{},{},{},0,0,0,0,0",
        bar.open_time.millis(),
        bar.open,
        bar.high,
        bar.low,
        bar.close,
        bar.volume,
        bar.close_time.millis() - 1
    )
}

/// The bars of a recording's `lines` (after its header; line numbers count from 2), each closing `interval_ns`
/// after it opens, as the session traded them: what a resumed session replays.
///
/// # Errors
/// [`Error::Data`] naming the file, line and column of a value that does not parse.
pub fn read_bar_recording(path: &std::path::Path, lines: &[String], interval_ns: i64) -> Result<Vec<Bar>> {
    let mut bars = Vec::with_capacity(lines.len());
    for (index, line) in lines.iter().enumerate() {
        let at = |column: &str| Error::Data(format!("{}: line {}, column '{column}'", path.display(), index + 2));
        let fields: Vec<&str> = line.split(',').collect();
        let field = |i: usize, name: &str| fields.get(i).copied().ok_or_else(|| at(name));
        let number = |i: usize, name: &str| field(i, name).and_then(|t| parse_decimal(t).ok_or_else(|| at(name)));
        let open_ms = field(0, "open_time")?.parse::<i64>().map_err(|_| at("open_time"))?;
        let open_time = Timestamp::from_millis(open_ms).ok_or_else(|| at("open_time"))?;
        let close_time = Timestamp(open_time.0.checked_add(interval_ns).ok_or_else(|| at("open_time"))?);
        bars.push(Bar {
            open_time,
            close_time,
            open: number(1, "open")?,
            high: number(2, "high")?,
            low: number(3, "low")?,
            close: number(4, "close")?,
            volume: number(5, "volume")?,
        });
    }
    Ok(bars)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn a_recorded_bar_reads_back_through_the_backtest_loader_as_the_same_bar() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("BTCUSDT.csv");
        let hour = 3_600_000_000_000;
        let bars: Vec<Bar> = (0..3)
            .map(|h| Bar {
                open_time: Timestamp(1_672_531_200_000_000_000 + h * hour),
                close_time: Timestamp(1_672_531_200_000_000_000 + (h + 1) * hour),
                open: dec!(16541.77),
                high: dec!(16545.7),
                low: dec!(16508.39),
                close: dec!(16529.67) + rust_decimal::Decimal::from(h),
                volume: dec!(4364.8357),
            })
            .collect();
        let mut text = format!("{BAR_RECORDING_HEADER}\n");
        for bar in &bars {
            text.push_str(&bar_recording_line(bar));
            text.push('\n');
        }
        std::fs::write(&path, text).unwrap();
        let file = crate::data::DataFile { path, format: crate::data::DataFormat::BinanceKlines };
        let (series, _) = crate::data::load_bar_series(Symbol::new("BTCUSDT").unwrap(), &[file]).unwrap();
        assert_eq!((0..series.len()).map(|i| series.bar(i)).collect::<Vec<_>>(), bars);
    }
}
