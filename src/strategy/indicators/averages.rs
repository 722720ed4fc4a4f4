//! The basic moving averages of an `f64` series: simple ([`Sma`]), exponential ([`Ema`]) and linearly weighted
//! ([`Wma`]), each as TA-Lib computes it. (The exact average of prices is [`super::ExactSma`].)

use super::Indicator;
use super::window::{Ring, RollingSum};

/// Simple moving average of the last `period` values (TA-Lib `SMA`). Warm-up: `period − 1`.
#[derive(Clone, Debug)]
pub struct Sma {
    sum: RollingSum,
}

impl Sma {
    /// An average over `period` values (at least one).
    pub fn new(period: usize) -> Self {
        Sma { sum: RollingSum::new(period) }
    }
}

impl Indicator for Sma {
    type Input = f64;
    type Output = f64;

    #[inline]
    fn update(&mut self, x: f64) -> Option<f64> {
        self.sum.push(x).map(|total| total / self.sum.len() as f64)
    }

    fn warm_up(&self) -> usize {
        self.sum.len() - 1
    }

    fn reset(&mut self) {
        self.sum.clear();
    }
}

/// Exponential moving average (TA-Lib `EMA`): seeded with the simple average of the first `period` values, then
/// `previous + (x − previous) × 2 / (period + 1)`. Warm-up: `period − 1`.
#[derive(Clone, Debug)]
pub struct Ema {
    period: usize,
    k: f64,
    seen: usize,
    value: f64,
}

impl Ema {
    /// An average over `period` values (at least one).
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Ema { period, k: 2.0 / (period + 1) as f64, seen: 0, value: 0.0 }
    }
}

impl Indicator for Ema {
    type Input = f64;
    type Output = f64;

    #[inline]
    fn update(&mut self, x: f64) -> Option<f64> {
        if self.seen >= self.period {
            self.value += (x - self.value) * self.k;
            return Some(self.value);
        }
        self.seen += 1;
        self.value += x;
        if self.seen < self.period {
            return None;
        }
        self.value /= self.period as f64;
        Some(self.value)
    }

    fn warm_up(&self) -> usize {
        self.period - 1
    }

    fn reset(&mut self) {
        self.seen = 0;
        self.value = 0.0;
    }
}

/// Linearly weighted moving average (TA-Lib `WMA`): weights `1, 2, …, period`, the newest heaviest, kept as a
/// running weighted sum and a running plain sum. Warm-up: `period − 1`.
#[derive(Clone, Debug)]
pub struct Wma {
    window: Ring<f64>,
    /// Σ weight × value over the window (weights one lower between updates).
    weighted: f64,
    /// Σ value over the newest values (the one about to leave is subtracted at the next update).
    plain: f64,
    /// The value that leaves the plain sum at the next update.
    trailing: f64,
}

impl Wma {
    /// An average over `period` values (at least one).
    pub fn new(period: usize) -> Self {
        Wma { window: Ring::new(period), weighted: 0.0, plain: 0.0, trailing: 0.0 }
    }
}

impl Indicator for Wma {
    type Input = f64;
    type Output = f64;

    #[inline]
    fn update(&mut self, x: f64) -> Option<f64> {
        let n = self.window.capacity();
        self.window.push(x);
        self.plain += x;
        if !self.window.is_full() {
            self.weighted += x * self.window.len() as f64;
            return None;
        }
        self.plain -= self.trailing;
        self.weighted += x * n as f64;
        self.trailing = self.window.oldest().unwrap_or(0.0);
        let value = self.weighted / (n * (n + 1) / 2) as f64;
        self.weighted -= self.plain;
        Some(value)
    }

    fn warm_up(&self) -> usize {
        self.window.capacity() - 1
    }

    fn reset(&mut self) {
        self.window.clear();
        self.weighted = 0.0;
        self.plain = 0.0;
        self.trailing = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::feed;
    use super::*;

    fn run<I: Indicator<Input = f64>>(indicator: I, xs: &[f64]) -> Vec<Option<I::Output>> {
        feed(indicator, xs.iter().copied())
    }

    #[test]
    fn sma_is_the_mean_of_the_last_period_values() {
        assert_eq!(run(Sma::new(3), &[1.0, 2.0, 3.0, 7.0]), vec![None, None, Some(2.0), Some(4.0)]);
    }

    #[test]
    fn ema_seeds_with_the_simple_mean() {
        // period 3: k = 0.5; seed (1+2+3)/3 = 2; then 2 + (6 − 2)/2 = 4
        assert_eq!(run(Ema::new(3), &[1.0, 2.0, 3.0, 6.0]), vec![None, None, Some(2.0), Some(4.0)]);
    }

    #[test]
    fn wma_weighs_the_newest_value_most() {
        // (1·1 + 2·2 + 3·3)/6 = 14/6; then (1·2 + 2·3 + 3·9)/6 = 35/6
        assert_eq!(run(Wma::new(3), &[1.0, 2.0, 3.0, 9.0]), vec![None, None, Some(14.0 / 6.0), Some(35.0 / 6.0)]);
    }
}
