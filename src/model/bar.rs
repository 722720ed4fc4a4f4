//! OHLCV bars: one [`Bar`] as a value, and [`BarSeries`], a symbol's bars stored column by column for fast replay.

use rust_decimal::Decimal;

use super::{Symbol, Timestamp};

/// One OHLCV bar. `close_time` is when the bar became known: `open_time` + the series interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bar {
    /// Start of the bar's interval.
    pub open_time: Timestamp,
    /// End of the bar's interval; the bar is visible to strategies from this time.
    pub close_time: Timestamp,
    /// First trade price.
    pub open: Decimal,
    /// Highest trade price.
    pub high: Decimal,
    /// Lowest trade price.
    pub low: Decimal,
    /// Last trade price.
    pub close: Decimal,
    /// Traded base volume.
    pub volume: Decimal,
}

/// All bars of one symbol, in strictly increasing time, as parallel columns.
///
/// Built by the loaders in [`crate::data`], which validate every row; the replay loop reads it by index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BarSeries {
    /// Symbol the bars belong to.
    pub symbol: Symbol,
    /// Bar length in nanoseconds (the most common spacing of `open_time`).
    pub interval: i64,
    /// Open time of each bar.
    pub open_time: Vec<Timestamp>,
    /// Open prices.
    pub open: Vec<Decimal>,
    /// High prices.
    pub high: Vec<Decimal>,
    /// Low prices.
    pub low: Vec<Decimal>,
    /// Close prices.
    pub close: Vec<Decimal>,
    /// Volumes.
    pub volume: Vec<Decimal>,
}

impl BarSeries {
    /// A series of `symbol` with bars of `interval` nanoseconds, none yet.
    pub fn empty(symbol: Symbol, interval: i64) -> Self {
        BarSeries {
            symbol,
            interval,
            open_time: Vec::new(),
            open: Vec::new(),
            high: Vec::new(),
            low: Vec::new(),
            close: Vec::new(),
            volume: Vec::new(),
        }
    }

    /// Number of bars.
    pub fn len(&self) -> usize {
        self.open_time.len()
    }

    /// True when there are no bars.
    pub fn is_empty(&self) -> bool {
        self.open_time.is_empty()
    }

    /// The bar at `index`, assembled from the columns.
    ///
    /// # Panics
    /// When `index >= len()`; callers iterate within bounds.
    #[inline(always)]
    pub fn bar(&self, index: usize) -> Bar {
        let open_time = self.open_time[index];
        Bar {
            open_time,
            close_time: Timestamp(open_time.0 + self.interval),
            open: self.open[index],
            high: self.high[index],
            low: self.low[index],
            close: self.close[index],
            volume: self.volume[index],
        }
    }

    /// Close time of the bar at `index`: when it becomes visible.
    #[inline]
    pub fn close_time(&self, index: usize) -> Timestamp {
        Timestamp(self.open_time[index].0 + self.interval)
    }

    /// The bars that open in `[from, to)`, as a series of their own (a walk-forward window).
    pub fn between(&self, from: Timestamp, to: Timestamp) -> BarSeries {
        let (first, last) =
            (self.open_time.partition_point(|t| *t < from), self.open_time.partition_point(|t| *t < to));
        self.slice(first, last.max(first))
    }

    /// [`BarSeries::between`] and the first bar opening at or after `to`, when the series has one: a walk-forward
    /// test window and the bar a position still open at its end is closed in.
    pub fn between_and_next(&self, from: Timestamp, to: Timestamp) -> BarSeries {
        let (first, last) =
            (self.open_time.partition_point(|t| *t < from), self.open_time.partition_point(|t| *t < to));
        self.slice(first, (last + 1).min(self.len()).max(first))
    }

    /// The series without its first and last bar (those a recording's start and end cut short); empty when it has
    /// fewer than three.
    pub fn without_edges(&self) -> BarSeries {
        let end = self.len().saturating_sub(1);
        self.slice(1.min(end), end)
    }

    /// Bars `first..last` as a series of their own.
    fn slice(&self, first: usize, last: usize) -> BarSeries {
        BarSeries {
            symbol: self.symbol,
            interval: self.interval,
            open_time: self.open_time[first..last].to_vec(),
            open: self.open[first..last].to_vec(),
            high: self.high[first..last].to_vec(),
            low: self.low[first..last].to_vec(),
            close: self.close[first..last].to_vec(),
            volume: self.volume[first..last].to_vec(),
        }
    }

    /// The largest number of decimal places among the close prices: the scale at which integer fixed-point
    /// indicators represent every close exactly.
    pub fn close_scale(&self) -> u32 {
        self.close.iter().map(Decimal::scale).max().unwrap_or(0)
    }
}
