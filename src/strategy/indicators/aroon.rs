//! Aroon: how long ago the window's highest high and lowest low were.

use super::extremes::Extremum;
use super::{Candle, Indicator};

/// Aroon up, down and oscillator, in percent.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AroonValue {
    /// `100 × (period − bars since the highest high) / period`.
    pub up: f64,
    /// `100 × (period − bars since the lowest low) / period`.
    pub down: f64,
    /// `up − down` (TA-Lib `AROONOSC`).
    pub oscillator: f64,
}

/// Aroon (TA-Lib `AROON`, `AROONOSC`) over the last `period + 1` bars; among equal extremes the newest counts.
/// Monotonic queues: amortised O(1) per bar, O(`period`) worst case. Warm-up: `period`.
#[derive(Clone, Debug)]
pub struct Aroon {
    high: Extremum<f64, true>,
    low: Extremum<f64, false>,
}

impl Aroon {
    /// Aroon over `period` bars (at least one).
    pub fn new(period: usize) -> Self {
        let window = period.max(1) + 1;
        Aroon { high: Extremum::new(window), low: Extremum::new(window) }
    }
}

impl Indicator for Aroon {
    type Input = Candle;
    type Output = AroonValue;

    #[inline]
    fn update(&mut self, bar: Candle) -> Option<AroonValue> {
        let high = self.high.push(bar.high);
        let low = self.low.push(bar.low);
        let ((_, high_age), (_, low_age)) = (high?, low?);
        let period = self.warm_up();
        let factor = 100.0 / period as f64;
        Some(AroonValue {
            up: factor * (period - high_age) as f64,
            down: factor * (period - low_age) as f64,
            oscillator: factor * (low_age as f64 - high_age as f64),
        })
    }

    fn warm_up(&self) -> usize {
        self.high.window() - 1
    }

    fn reset(&mut self) {
        self.high.clear();
        self.low.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::candle;
    use super::*;

    #[test]
    fn aroon_by_hand() {
        // period 4, highs 5, 9, 7, 9, 6 (the newest 9 counts, 1 bar ago), lows 4, 2, 6, 5, 5 (2, 3 bars ago)
        let mut aroon = Aroon::new(4);
        let got = [(5.0, 4.0), (9.0, 2.0), (7.0, 6.0), (9.0, 5.0), (6.0, 5.0)]
            .into_iter()
            .map(|(high, low)| aroon.update(candle(high, low, low)))
            .collect::<Vec<_>>();
        assert_eq!(got[..4], [None; 4]);
        assert_eq!(got[4], Some(AroonValue { up: 75.0, down: 25.0, oscillator: 50.0 }));
    }
}
