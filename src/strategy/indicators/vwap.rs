//! Volume-weighted average price of the typical price: per UTC day ([`SessionVwap`]) and over the last `period`
//! bars ([`RollingVwap`]).

use super::window::RollingSum;
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
/// the window has traded no volume).
#[derive(Clone, Debug)]
pub struct RollingVwap {
    value: RollingSum,
    volume: RollingSum,
}

impl RollingVwap {
    /// VWAP over `period` bars (at least one).
    pub fn new(period: usize) -> Self {
        RollingVwap { value: RollingSum::new(period), volume: RollingSum::new(period) }
    }
}

impl Indicator for RollingVwap {
    type Input = Candle;
    type Output = f64;

    #[inline]
    fn update(&mut self, bar: Candle) -> Option<f64> {
        let value = self.value.push(bar.typical() * bar.volume);
        let volume = self.volume.push(bar.volume)?;
        (volume > 0.0).then(|| value.unwrap_or(0.0) / volume)
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
}
