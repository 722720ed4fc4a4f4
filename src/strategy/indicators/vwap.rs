//! Volume-weighted average price of the typical price: per UTC day ([`SessionVwap`]) and over the last `period`
//! bars ([`RollingVwap`]).

use super::window::WindowSum;
use super::{Candle, Indicator};
use crate::model::NANOS_PER_DAY;

/// VWAP of the current UTC day: Σ(typical price × volume) / Σ volume over the bars whose open time falls on the
/// same UTC day as this bar's, restarting at the first bar of each day. Warm-up: 0 (`None` while the day has traded
/// no volume).
#[derive(Clone, Debug, Default)]
pub struct SessionVwap {
    day: Option<i64>,
    value: f64,
    volume: f64,
}

impl SessionVwap {
    /// A session VWAP with no bar seen.
    pub fn new() -> Self {
        SessionVwap::default()
    }
}

impl Indicator for SessionVwap {
    type Input = Candle;
    type Output = f64;

    #[inline]
    fn update(&mut self, bar: Candle) -> Option<f64> {
        let day = bar.open_time.0.div_euclid(NANOS_PER_DAY);
        if self.day.replace(day) != Some(day) {
            self.value = 0.0;
            self.volume = 0.0;
        }
        self.value += bar.typical() * bar.volume;
        self.volume += bar.volume;
        (self.volume > 0.0).then(|| self.value / self.volume)
    }

    fn warm_up(&self) -> usize {
        0
    }

    fn reset(&mut self) {
        *self = SessionVwap::default();
    }
}

/// VWAP over the last `period` bars: Σ(typical price × volume) / Σ volume. Warm-up: `period − 1` (`None` while
/// no bar in the window has traded volume). Both sums are compensated, recomputed over the window once every
/// `period` bars and exactly 0 once no bar with volume is left in it, so neither drifts nor keeps leftovers of bars
/// gone: O(1) per bar, O(`period`) once every `period` bars.
#[derive(Clone, Debug)]
pub struct RollingVwap {
    value: WindowSum,
    volume: WindowSum,
}

impl RollingVwap {
    /// VWAP over `period` bars (at least one).
    pub fn new(period: usize) -> Self {
        RollingVwap { value: WindowSum::new(period), volume: WindowSum::new(period) }
    }
}

impl Indicator for RollingVwap {
    type Input = Candle;
    type Output = f64;

    #[inline]
    fn update(&mut self, bar: Candle) -> Option<f64> {
        let value = self.value.push(bar.typical() * bar.volume);
        let volume = self.volume.push(bar.volume)?;
        (self.volume.nonzero() > 0 && volume > 0.0).then(|| value.unwrap_or(0.0) / volume)
    }

    fn warm_up(&self) -> usize {
        self.volume.len() - 1
    }

    fn reset(&mut self) {
        self.value.clear();
        self.volume.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Timestamp;

    const HOUR: i64 = NANOS_PER_DAY / 24;

    fn bar(hour: i64, price: f64, volume: f64) -> Candle {
        Candle { open_time: Timestamp(hour * HOUR), high: price, low: price, close: price, volume }
    }

    #[test]
    fn session_vwap_restarts_at_each_utc_day() {
        let mut vwap = SessionVwap::new();
        // day 0: 10 × 1, 20 × 3 → 70/4; day 1 from 24:00: 30 × 2 → 30
        assert_eq!(vwap.update(bar(22, 10.0, 1.0)), Some(10.0));
        assert_eq!(vwap.update(bar(23, 20.0, 3.0)), Some(17.5));
        assert_eq!(vwap.update(bar(24, 30.0, 2.0)), Some(30.0), "a new day starts afresh");
        assert_eq!(vwap.update(bar(25, 0.0, 0.0)), Some(30.0));
        assert_eq!(vwap.update(bar(48, 5.0, 0.0)), None, "a new day with no volume has no VWAP yet");
    }

    #[test]
    fn session_days_before_1970_are_utc_days_too() {
        let mut vwap = SessionVwap::new();
        vwap.update(bar(-2, 10.0, 1.0));
        assert_eq!(vwap.update(bar(-1, 20.0, 1.0)), Some(15.0), "22:00 and 23:00 of 31 Dec 1969");
        assert_eq!(vwap.update(bar(0, 40.0, 1.0)), Some(40.0));
    }

    #[test]
    fn rolling_vwap_by_hand() {
        let mut vwap = RollingVwap::new(2);
        let got: Vec<_> =
            [bar(0, 10.0, 1.0), bar(1, 20.0, 3.0), bar(2, 40.0, 1.0)].into_iter().map(|b| vwap.update(b)).collect();
        assert_eq!(got, vec![None, Some(17.5), Some(25.0)]);
    }

    /// The first `n` shipped BTCUSDT hours (from the golden vectors' copy of them).
    fn shipped_bars(n: usize) -> Vec<Candle> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/indicators/goldens.csv");
        let text = std::fs::read_to_string(path).expect("goldens.csv");
        let number = |s: &str| s.parse::<f64>().expect("number");
        text.lines()
            .skip(1)
            .take(n)
            .map(|line| {
                let cells: Vec<&str> = line.split(',').collect();
                Candle {
                    open_time: Timestamp(cells[0].parse::<i64>().expect("ms") * 1_000_000),
                    high: number(cells[1]),
                    low: number(cells[2]),
                    close: number(cells[3]),
                    volume: number(cells[4]),
                }
            })
            .collect()
    }

    #[test]
    fn rolling_vwap_of_a_window_without_volume_is_none_after_real_bars() {
        // 60 real bars, then 45 bars without volume (more than a window of 20), then real bars again: a running
        // f64 volume sum keeps a leftover of ~1e-10 and answered leftover/leftover (±60,000) here
        let period = 20;
        let real = shipped_bars(80);
        let mut bars = real[..60].to_vec();
        bars.extend((0..45).map(|i| Candle { volume: 0.0, ..bar(100 + i, 16_600.0 + i as f64, 0.0) }));
        bars.extend_from_slice(&real[60..]);
        let mut vwap = RollingVwap::new(period);
        let (mut none, mut some) = (0, 0);
        for (i, b) in bars.iter().enumerate() {
            let got = vwap.update(*b);
            if i + 1 < period {
                assert_eq!(got, None, "warm-up at {i}");
                continue;
            }
            let window = &bars[i + 1 - period..=i];
            let volume: f64 = window.iter().map(|b| b.volume).sum();
            if window.iter().all(|b| b.volume == 0.0) {
                assert_eq!(got, None, "bar {i}: no volume in the window");
                none += 1;
            } else {
                let plain = window.iter().map(|b| b.typical() * b.volume).sum::<f64>() / volume;
                let got = got.unwrap_or_else(|| panic!("bar {i}: the window has volume {volume}"));
                assert!((got - plain).abs() <= 1e-9 * plain.abs(), "bar {i}: {got} against {plain}");
                some += 1;
            }
        }
        assert_eq!((none, some), (45 - period + 1, bars.len() - period + 1 - (45 - period + 1)));
    }
}
