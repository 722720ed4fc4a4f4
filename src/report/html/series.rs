//! The series the HTML report draws besides the equity curve, computed from plain marks and bars: returns per
//! calendar period (month, year, UTC day), the rolling Sharpe ratio of daily returns, a histogram, the worst
//! drawdown episodes, buy-and-hold of the traded symbols, and each trade's adverse and favourable excursion.
//!
//! A mark at time `t` is the close of the bar that ended at `t`, so it belongs to the period of the instant just
//! before `t`: a close at midnight on the 1st ends the previous month. Statistics are `f64` (they decide nothing);
//! excursions are exact decimals, like the prices they come from.

use chrono::{DateTime, Datelike, Utc};
use rust_decimal::Decimal;

use crate::model::exact::to_f64;
use crate::model::{BarSeries, Timestamp};

/// A mark of a curve: time and value.
pub type Point = (Timestamp, f64);

/// The UTC date-time of the instant just before `t` (the period a mark at `t` closes).
fn closing(t: Timestamp) -> DateTime<Utc> {
    Timestamp(t.0.saturating_sub(1)).to_datetime()
}

/// `(year, month 1..=12)` a mark at `t` closes.
pub fn month_of(t: Timestamp) -> (i32, u32) {
    let d = closing(t);
    (d.year(), d.month())
}

/// `(year, day of year)` a mark at `t` closes.
fn day_of(t: Timestamp) -> (i32, u32) {
    let d = closing(t);
    (d.year(), d.ordinal())
}

/// The return of each period that holds a mark, in time order: the last mark's value in the period over the last
/// value before it (the starting value for the first period), minus one. `period` maps a mark's time to its key.
fn period_returns<K: PartialEq + Copy>(start: f64, marks: &[Point], period: impl Fn(Timestamp) -> K) -> Vec<(K, f64)> {
    let mut out: Vec<(K, f64)> = Vec::new();
    let (mut before, mut last) = (start, start);
    let mut current: Option<K> = None;
    for &(t, value) in marks {
        let key = period(t);
        if current.is_some_and(|c| c != key) {
            if let Some(c) = current {
                out.push((c, last / before - 1.0));
            }
            before = last;
        }
        current = Some(key);
        last = value;
    }
    if let Some(c) = current {
        out.push((c, last / before - 1.0));
    }
    out
}

/// Monthly returns `((year, month), return)` of a curve that started at `start`.
pub fn monthly_returns(start: f64, marks: &[Point]) -> Vec<((i32, u32), f64)> {
    period_returns(start, marks, month_of)
}

/// Yearly returns `(year, return)` of a curve that started at `start`.
pub fn yearly_returns(start: f64, marks: &[Point]) -> Vec<(i32, f64)> {
    period_returns(start, marks, |t| month_of(t).0)
}

/// Daily (UTC) returns of a curve that started at `start`, each with the time of its day's last mark.
pub fn daily_returns(start: f64, marks: &[Point]) -> Vec<Point> {
    let mut ends: Vec<Timestamp> = Vec::new();
    let mut previous = None;
    for &(t, _) in marks {
        let day = day_of(t);
        if previous == Some(day) {
            if let Some(last) = ends.last_mut() {
                *last = t;
            }
        } else {
            ends.push(t);
            previous = Some(day);
        }
    }
    ends.into_iter().zip(period_returns(start, marks, day_of)).map(|(t, (_, r))| (t, r)).collect()
}

/// Days in the rolling window of [`rolling_sharpe`].
pub const SHARPE_WINDOW_DAYS: usize = 30;

/// The Sharpe ratio of each window of `window` consecutive daily returns, annualized with √365 (sample standard
/// deviation, risk-free rate 0), at the time of the window's last day; windows without variance are skipped.
pub fn rolling_sharpe(daily: &[Point], window: usize) -> Vec<Point> {
    if window < 2 {
        return Vec::new();
    }
    daily
        .windows(window)
        .filter_map(|w| {
            let n = w.len() as f64;
            let mean = w.iter().map(|p| p.1).sum::<f64>() / n;
            let variance = w.iter().map(|p| (p.1 - mean) * (p.1 - mean)).sum::<f64>() / (n - 1.0);
            let last = w.last()?.0;
            (variance > 0.0).then(|| (last, mean / variance.sqrt() * 365_f64.sqrt()))
        })
        .collect()
}

/// A histogram: the lower edge of the first bin, the bin width and the count in each bin.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    /// Lower edge of the first bin.
    pub low: f64,
    /// Width of every bin.
    pub width: f64,
    /// Values in each bin; the last bin includes its upper edge.
    pub counts: Vec<usize>,
}

/// Counts `values` in `bins` equal bins from their minimum to their maximum; `None` without values.
pub fn histogram(values: &[f64], bins: usize) -> Option<Histogram> {
    let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    if values.is_empty() || bins == 0 || !lo.is_finite() || !hi.is_finite() {
        return None;
    }
    let width = if hi > lo { (hi - lo) / bins as f64 } else { lo.abs().max(1e-9) * 1e-3 };
    let mut counts = vec![0; bins];
    for &v in values {
        let bin = (((v - lo) / width) as usize).min(bins - 1);
        counts[bin] += 1;
    }
    Some(Histogram { low: lo, width, counts })
}

/// One drawdown episode: from a peak to the first mark back at it (or the last mark).
#[derive(Clone, Debug, PartialEq)]
pub struct Episode {
    /// Time of the peak (the start for the starting value).
    pub peak: Timestamp,
    /// Time of the deepest mark.
    pub trough: Timestamp,
    /// First mark back at the peak, if the curve recovered.
    pub recovery: Option<Timestamp>,
    /// Depth as a fraction of the peak.
    pub depth: f64,
}

/// The `count` deepest drawdown episodes of a curve that started at `start` with `start_value`, deepest first.
pub fn worst_drawdowns(start: Timestamp, start_value: f64, marks: &[Point], count: usize) -> Vec<Episode> {
    let mut episodes = Vec::new();
    let (mut peak, mut peak_time) = (start_value, start);
    let mut open: Option<Episode> = None;
    for &(t, value) in marks {
        if value >= peak {
            if let Some(mut e) = open.take() {
                e.recovery = Some(t);
                episodes.push(e);
            }
            peak = value;
            peak_time = t;
            continue;
        }
        let depth = if peak > 0.0 { 1.0 - value / peak } else { 0.0 };
        let e = open.get_or_insert(Episode { peak: peak_time, trough: t, recovery: None, depth });
        if depth > e.depth {
            e.depth = depth;
            e.trough = t;
        }
    }
    episodes.extend(open);
    // Deepest first; equal depths in time order (the sort is stable).
    episodes.sort_by(|a, b| b.depth.total_cmp(&a.depth));
    episodes.truncate(count);
    episodes
}

/// The value at each of `times` of `cash` split equally over the symbols of `bars`, each part bought at its
/// series' first open and held (no fees): each symbol counts at its last close at or before the time, or at its
/// first open before its first close. Empty without bars.
pub fn buy_and_hold(cash: f64, bars: &[BarSeries], times: &[Timestamp]) -> Vec<f64> {
    let held: Vec<&BarSeries> = bars.iter().filter(|s| s.open.first().is_some_and(|o| to_f64(*o) > 0.0)).collect();
    if held.is_empty() {
        return Vec::new();
    }
    let part = cash / held.len() as f64;
    let units: Vec<f64> = held.iter().map(|s| part / s.open.first().map_or(1.0, |o| to_f64(*o))).collect();
    let mut next = vec![0_usize; held.len()];
    let mut price: Vec<f64> = held.iter().map(|s| s.open.first().map_or(0.0, |o| to_f64(*o))).collect();
    times
        .iter()
        .map(|&t| {
            for (i, s) in held.iter().enumerate() {
                while next[i] < s.len() && s.close_time(next[i]) <= t {
                    price[i] = to_f64(s.close[next[i]]);
                    next[i] += 1;
                }
            }
            units.iter().zip(&price).map(|(u, p)| u * p).sum()
        })
        .collect()
}

/// How far a trade went against and for the position, in percent of its entry price (two decimals): over the
/// bars from the entry bar up to the bar before the exit fill's bar, and the exit price itself. The adverse
/// excursion is ≤ 0, the favourable one ≥ 0. `None` for a zero entry price or arithmetic out of range.
pub fn excursions(
    series: &BarSeries,
    long: bool,
    entry: (Timestamp, Decimal),
    exit: (Timestamp, Decimal),
) -> Option<(Decimal, Decimal)> {
    let (entry_time, entry_price) = entry;
    let (exit_time, exit_price) = exit;
    if entry_price.is_zero() {
        return None;
    }
    let first = series.open_time.partition_point(|&t| t < entry_time);
    let last = series.open_time.partition_point(|&t| t < exit_time).max(first);
    let low = series.low[first..last].iter().fold(exit_price.min(entry_price), |a, &b| a.min(b));
    let high = series.high[first..last].iter().fold(exit_price.max(entry_price), |a, &b| a.max(b));
    let pct = |from: Decimal, to: Decimal| {
        to.checked_sub(from)?.checked_mul(Decimal::ONE_HUNDRED)?.checked_div(entry_price).map(|d| d.round_dp(2))
    };
    if long {
        Some((pct(entry_price, low)?, pct(entry_price, high)?))
    } else {
        Some((pct(high, entry_price)?, pct(low, entry_price)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000_000_000;

    #[test]
    fn a_close_at_midnight_ends_the_previous_day_and_month() {
        let feb_first = Timestamp(1_675_209_600_000_000_000); // 2023-02-01T00:00:00Z
        assert_eq!(month_of(feb_first), (2023, 1));
        assert_eq!(month_of(Timestamp(feb_first.0 + HOUR)), (2023, 2));
    }

    #[test]
    fn daily_returns_chain_from_the_start_value() {
        let day = 24 * HOUR;
        let marks = [(Timestamp(day / 2), 110.0), (Timestamp(day), 121.0), (Timestamp(day + HOUR), 108.9)];
        let d = daily_returns(100.0, &marks);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].0, Timestamp(day));
        assert!((d[0].1 - 0.21).abs() < 1e-12 && (d[1].1 + 0.1).abs() < 1e-12);
    }

    #[test]
    fn episodes_end_at_recovery_and_rank_by_depth() {
        let p = |t: i64, v: f64| (Timestamp(t), v);
        let marks = [p(1, 90.0), p(2, 100.0), p(3, 120.0), p(4, 60.0), p(5, 130.0), p(6, 117.0)];
        let e = worst_drawdowns(Timestamp(0), 100.0, &marks, 5);
        assert_eq!(e.len(), 3);
        assert_eq!(
            (e[0].peak, e[0].trough, e[0].recovery, e[0].depth),
            (Timestamp(3), Timestamp(4), Some(Timestamp(5)), 0.5)
        );
        assert_eq!((e[1].peak, e[1].recovery), (Timestamp(0), Some(Timestamp(2))));
        assert_eq!((e[2].peak, e[2].recovery), (Timestamp(5), None));
    }

    #[test]
    fn histogram_puts_the_maximum_in_the_last_bin() {
        let h = histogram(&[0.0, 1.0, 2.0, 3.0, 4.0], 4).unwrap();
        assert_eq!((h.low, h.width, h.counts), (0.0, 1.0, vec![1, 1, 1, 2]));
    }
}
