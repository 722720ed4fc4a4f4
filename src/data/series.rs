//! Joining the files of one symbol into a [`BarSeries`], and measuring the time grid's quality.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

use super::csv_loader::{read_binance_klines, read_generic_csv};
use super::file_bars::FileBars;
use super::parquet_loader::read_parquet;
use crate::error::{Error, Result};
use crate::model::exact::to_fixed;
use crate::model::{BarSeries, Symbol, Timestamp, format_duration};

/// The layouts a data file can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataFormat {
    /// data.binance.vision kline CSV (12 columns, optional header, open time in ms or µs).
    BinanceKlines,
    /// Generic `timestamp,open,high,low,close,volume` CSV.
    Csv,
    /// Parquet with the generic columns.
    Parquet,
    /// A recorded Binance level-2 capture (snapshots, depth diffs and trades; see [`crate::data::load_binance_capture`]).
    BinanceL2,
}

/// One file to load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataFile {
    /// Where it is.
    pub path: PathBuf,
    /// Its layout.
    pub format: DataFormat,
}

/// What the loader found about a series' time grid. Gaps are normal in real data (exchange halts); they are
/// reported, never filled in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SeriesQuality {
    /// Symbol.
    pub symbol: Symbol,
    /// Number of bars.
    pub bars: usize,
    /// Bar interval in nanoseconds (the most common spacing).
    pub interval_ns: i64,
    /// Places where consecutive bars are further apart than one interval.
    pub gaps: usize,
    /// Bars the grid expected but the data does not have.
    pub missing_bars: i64,
    /// The longest gap, as (last bar before, first bar after).
    pub largest_gap: Option<(Timestamp, Timestamp)>,
    /// Spacings that are not a whole number of intervals.
    pub irregular_spacings: usize,
}

impl SeriesQuality {
    /// Human-readable warnings; empty when the grid is complete.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.gaps > 0 {
            let largest = self.largest_gap.map(|(a, b)| format!(" (largest: {a} to {b})")).unwrap_or_default();
            out.push(format!(
                "{}: {} gap(s) in the {} grid, {} bar(s) missing{largest}",
                self.symbol,
                self.gaps,
                format_duration(self.interval_ns),
                self.missing_bars
            ));
        }
        if self.irregular_spacings > 0 {
            out.push(format!(
                "{}: {} spacing(s) are not a whole number of {} intervals",
                self.symbol,
                self.irregular_spacings,
                format_duration(self.interval_ns)
            ));
        }
        out
    }
}

/// Loads every file of `symbol`, joins them in time order and validates the result.
///
/// # Errors
/// [`Error::Io`] / [`Error::Data`] from reading; [`Error::Data`] when files overlap in time, when there are fewer than
/// two bars (the interval cannot be known), or naming the file, line and column of any bad value.
pub fn load_bar_series(symbol: Symbol, files: &[DataFile]) -> Result<(BarSeries, SeriesQuality)> {
    let mut parts = files
        .iter()
        .map(|file| match file.format {
            DataFormat::BinanceKlines => read_binance_klines(&file.path, symbol),
            DataFormat::Csv => read_generic_csv(&file.path, symbol),
            DataFormat::Parquet => read_parquet(&file.path, symbol),
            DataFormat::BinanceL2 => Err(Error::Config(format!(
                "{}: binance_l2 is level-2 data, not bars (a scenario replays either)",
                file.path.display()
            ))),
        })
        .collect::<Result<Vec<FileBars>>>()?;
    if let Some(empty) = parts.iter().find(|p| p.len() == 0) {
        return Err(Error::Data(format!("{}: the file has no bars", empty.path.display())));
    }
    parts.sort_by_key(|p| p.bars.open_time[0]);
    for pair in parts.windows(2) {
        let (before, after) = (&pair[0], &pair[1]);
        let (end, start) = (before.bars.open_time[before.len() - 1], after.bars.open_time[0]);
        if start <= end {
            return Err(Error::data_at(
                &after.path,
                &after.numbering.describe(0),
                "timestamp",
                format!("{start} overlaps {}, which runs until {end}", before.path.display()),
            ));
        }
    }
    check_fixed_point_closes(&parts)?;
    let series = concatenate(symbol, parts)?;
    let quality = measure_grid(&series);
    Ok((series, quality))
}

/// Every close must be exact in 64-bit fixed point at the series' largest number of decimals, the form in which the
/// exact indicators (and `sma_cross`) compare closes: a close with many more decimals than the rest, or a price
/// near 10^19, is refused here, naming its line, rather than skipped by a strategy later.
///
/// # Errors
/// [`Error::Data`] naming the file, the row and the close.
fn check_fixed_point_closes(parts: &[FileBars]) -> Result<()> {
    let scale = parts.iter().map(|p| p.bars.close_scale()).max().unwrap_or(0);
    for part in parts {
        if let Some(row) = part.bars.close.iter().position(|&close| to_fixed(close, scale).is_none()) {
            // The close that sets the scale, to say where the decimals come from.
            let widest = parts.iter().find_map(|p| {
                let at = p.bars.close.iter().position(|c| c.scale() == scale)?;
                Some(format!("{}, {}: {}", p.path.display(), p.numbering.describe(at), p.bars.close[at]))
            });
            return Err(Error::data_at(
                &part.path,
                &part.numbering.describe(row),
                "close",
                format!(
                    "{} does not fit 64-bit fixed point at {scale} decimals, the most a close of the series has \
                     ({}): round the closes to fewer decimals",
                    part.bars.close[row],
                    widest.unwrap_or_default()
                ),
            ));
        }
    }
    Ok(())
}

/// Appends the files' columns in order and sets the interval to the most common spacing.
fn concatenate(symbol: Symbol, parts: Vec<FileBars>) -> Result<BarSeries> {
    let first_path = parts.first().map(|p| p.path.display().to_string()).unwrap_or_default();
    let mut s = if parts.len() == 1 {
        // One file: its columns become the series as they are.
        parts.into_iter().next().map(|p| p.bars).unwrap_or_else(|| append_all(symbol, Vec::new()))
    } else {
        append_all(symbol, parts)
    };
    if s.len() < 2 {
        return Err(Error::Data(format!(
            "{symbol}: {first_path}: at least two bars are needed to know the bar interval, found {}",
            s.len()
        )));
    }
    // Times increase (each file was checked), so every spacing fits once the whole span does; and the last bar
    // must close within what 64-bit nanoseconds hold (2262-04-11), or its period would wrap.
    let (first, last) = (s.open_time[0], s.open_time[s.len() - 1]);
    if last.0.checked_sub(first.0).is_none() {
        return Err(Error::Data(format!(
            "{symbol}: {first_path}: the bars run from {first} to {last}, a span 64-bit nanoseconds cannot measure"
        )));
    }
    s.interval = most_common_spacing(&s.open_time);
    if last.0.checked_add(s.interval).is_none() {
        return Err(Error::Data(format!(
            "{symbol}: {first_path}: the last bar opens at {last} and would close after 2262-04-11, past what 64-bit nanoseconds hold"
        )));
    }
    Ok(s)
}

/// The files' columns appended in order.
fn append_all(symbol: Symbol, parts: Vec<FileBars>) -> BarSeries {
    let total = parts.iter().map(FileBars::len).sum();
    let mut s = BarSeries {
        symbol,
        interval: 0,
        open_time: Vec::with_capacity(total),
        open: Vec::with_capacity(total),
        high: Vec::with_capacity(total),
        low: Vec::with_capacity(total),
        close: Vec::with_capacity(total),
        volume: Vec::with_capacity(total),
    };
    for p in parts {
        let b = p.bars;
        s.open_time.extend(b.open_time);
        s.open.extend(b.open);
        s.high.extend(b.high);
        s.low.extend(b.low);
        s.close.extend(b.close);
        s.volume.extend(b.volume);
    }
    s
}

/// The most frequent difference between consecutive times (the smaller one on a tie). Bar series have a handful of
/// distinct spacings, counted in a short list; irregular series fall back to sorting all spacings.
fn most_common_spacing(times: &[Timestamp]) -> i64 {
    const SHORT_LIST: usize = 64;
    let mut counts: Vec<(i64, usize)> = Vec::new();
    for pair in times.windows(2) {
        let spacing = pair[1].0 - pair[0].0;
        let known = counts.len();
        match counts.iter_mut().find(|(s, _)| *s == spacing) {
            Some((_, n)) => *n += 1,
            None if known < SHORT_LIST => counts.push((spacing, 1)),
            None => {
                let mut all: Vec<i64> = times.windows(2).map(|w| w[1].0 - w[0].0).collect();
                all.sort_unstable();
                counts = all.chunk_by(|a, b| a == b).map(|run| (run[0], run.len())).collect();
                break;
            }
        }
    }
    counts.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0))).map_or(0, |(spacing, _)| spacing)
}

/// Counts gaps, missing bars and irregular spacings against the series' interval.
fn measure_grid(s: &BarSeries) -> SeriesQuality {
    let mut q = SeriesQuality {
        symbol: s.symbol,
        bars: s.len(),
        interval_ns: s.interval,
        gaps: 0,
        missing_bars: 0,
        largest_gap: None,
        irregular_spacings: 0,
    };
    let mut largest = 0;
    for pair in s.open_time.windows(2) {
        let spacing = pair[1].0 - pair[0].0;
        if spacing % s.interval != 0 {
            q.irregular_spacings += 1;
        } else if spacing > s.interval {
            q.gaps += 1;
            q.missing_bars += spacing / s.interval - 1;
            if spacing > largest {
                largest = spacing;
                q.largest_gap = Some((pair[0], pair[1]));
            }
        }
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    fn times(nanos: &[i64]) -> Vec<Timestamp> {
        nanos.iter().map(|&n| Timestamp(n)).collect()
    }

    #[test]
    fn the_interval_is_the_most_common_spacing_and_ties_take_the_smaller() {
        assert_eq!(most_common_spacing(&times(&[0, 10, 20, 40, 50])), 10);
        assert_eq!(most_common_spacing(&times(&[0, 10, 30, 40, 60])), 10, "two of 10, two of 20");
    }

    #[test]
    fn irregular_series_with_many_spacings_still_find_the_mode() {
        let mut t: Vec<i64> = (0..200).map(|i| i * i).collect(); // 199 distinct spacings
        let last = *t.last().unwrap();
        t.extend((1..=300).map(|i| last + i * 7)); // then 300 spacings of 7
        assert_eq!(most_common_spacing(&times(&t)), 7);
    }
}
