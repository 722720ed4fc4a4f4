//! Where a value sits in its recent range: the stochastic oscillator ([`Stochastic`]), the stochastic of the RSI
//! ([`StochRsi`]) and Williams %R ([`WilliamsR`]), on one shared high/low window: monotonic queues, so each update
//! is amortised O(1) and O(period) in the worst case (a new extreme dropping every value queued).

use super::averages::Sma;
use super::extremes::Extremum;
use super::rsi::Rsi;
use super::{Candle, Indicator};

/// The highest high and the lowest low of the last `period` inputs.
#[derive(Clone, Debug)]
struct Range {
    high: Extremum<f64, true>,
    low: Extremum<f64, false>,
}

impl Range {
    fn new(period: usize) -> Self {
        Range { high: Extremum::new(period), low: Extremum::new(period) }
    }

    /// Adds one input's high and low; once `period` are in, `(highest, lowest)`.
    #[inline]
    fn push(&mut self, high: f64, low: f64) -> Option<(f64, f64)> {
        let highest = self.high.push(high);
        let lowest = self.low.push(low);
        Some((highest?.0, lowest?.0))
    }

    /// Where `x` sits in `[lowest, highest]`, in percent (TA-Lib's fast %K; 0 for an empty range).
    #[inline]
    fn percent_k(x: f64, (highest, lowest): (f64, f64)) -> f64 {
        let diff = (highest - lowest) / 100.0;
        if diff != 0.0 { (x - lowest) / diff } else { 0.0 }
    }

    fn period(&self) -> usize {
        self.high.window()
    }

    fn clear(&mut self) {
        self.high.clear();
        self.low.clear();
    }
}

/// A %K line and its %D signal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StochasticValue {
    /// %K.
    pub k: f64,
    /// %D: the simple average of the last %K values.
    pub d: f64,
}

/// Slow stochastic oscillator (TA-Lib `STOCH` with SMA smoothing, defaults 5, 3, 3): fast %K = where the close sits
/// between the lowest low and highest high of `fast_k` bars (0 for an empty range); %K = SMA(fast %K, `slow_k`);
/// %D = SMA(%K, `slow_d`). Amortised O(1) per bar, O(`fast_k`) worst case. Warm-up:
/// `(fast_k − 1) + (slow_k − 1) + (slow_d − 1)`.
#[derive(Clone, Debug)]
pub struct Stochastic {
    range: Range,
    slow_k: Sma,
    slow_d: Sma,
}

impl Stochastic {
    /// The oscillator over `fast_k` bars, %K smoothed over `slow_k`, %D over `slow_d` (each at least one).
    pub fn new(fast_k: usize, slow_k: usize, slow_d: usize) -> Self {
        Stochastic { range: Range::new(fast_k), slow_k: Sma::new(slow_k), slow_d: Sma::new(slow_d) }
    }
}

impl Indicator for Stochastic {
    type Input = Candle;
    type Output = StochasticValue;

    #[inline]
    fn update(&mut self, bar: Candle) -> Option<StochasticValue> {
        let range = self.range.push(bar.high, bar.low)?;
        let k = self.slow_k.update(Range::percent_k(bar.close, range))?;
        let d = self.slow_d.update(k)?;
        Some(StochasticValue { k, d })
    }

    fn warm_up(&self) -> usize {
        self.range.period() - 1 + self.slow_k.warm_up() + self.slow_d.warm_up()
    }

    fn reset(&mut self) {
        self.range.clear();
        self.slow_k.reset();
        self.slow_d.reset();
    }
}

/// Stochastic RSI (TA-Lib `STOCHRSI`, defaults 14, 5, 3 with SMA): the fast stochastic of the RSI values, %K =
/// where the RSI sits in its range over `fast_k` values, %D = SMA(%K, `fast_d`). Amortised O(1) per input,
/// O(`fast_k`) worst case. Warm-up: `period + (fast_k − 1) + (fast_d − 1)`.
#[derive(Clone, Debug)]
pub struct StochRsi {
    rsi: Rsi,
    range: Range,
    fast_d: Sma,
}

impl StochRsi {
    /// Stochastic of an RSI over `period` changes, its range over `fast_k` values, %D over `fast_d`.
    pub fn new(period: usize, fast_k: usize, fast_d: usize) -> Self {
        StochRsi { rsi: Rsi::new(period), range: Range::new(fast_k), fast_d: Sma::new(fast_d) }
    }
}

impl Indicator for StochRsi {
    type Input = f64;
    type Output = StochasticValue;

    #[inline]
    fn update(&mut self, x: f64) -> Option<StochasticValue> {
        let rsi = self.rsi.update(x)?;
        let k = Range::percent_k(rsi, self.range.push(rsi, rsi)?);
        let d = self.fast_d.update(k)?;
        Some(StochasticValue { k, d })
    }

    fn warm_up(&self) -> usize {
        self.rsi.warm_up() + self.range.period() - 1 + self.fast_d.warm_up()
    }

    fn reset(&mut self) {
        self.rsi.reset();
        self.range.clear();
        self.fast_d.reset();
    }
}

/// Williams %R (TA-Lib `WILLR`): `−100 × (highest high − close) / (highest high − lowest low)` over `period` bars,
/// in `[−100, 0]` (0 for an empty range). Amortised O(1) per bar, O(`period`) worst case. Warm-up: `period − 1`.
#[derive(Clone, Debug)]
pub struct WilliamsR {
    range: Range,
}

impl WilliamsR {
    /// %R over `period` bars (at least one).
    pub fn new(period: usize) -> Self {
        WilliamsR { range: Range::new(period) }
    }
}

impl Indicator for WilliamsR {
    type Input = Candle;
    type Output = f64;

    #[inline]
    fn update(&mut self, bar: Candle) -> Option<f64> {
        let (highest, lowest) = self.range.push(bar.high, bar.low)?;
        let diff = (highest - lowest) / -100.0;
        Some(if diff != 0.0 { (highest - bar.close) / diff } else { 0.0 })
    }

    fn warm_up(&self) -> usize {
        self.range.period() - 1
    }

    fn reset(&mut self) {
        self.range.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::candle;
    use super::*;

    #[test]
    fn stochastic_by_hand() {
        // fast %K over 2 bars, %K and %D over 2: bars (h, l, c)
        let bars = [candle(10.0, 8.0, 9.0), candle(12.0, 9.0, 11.0), candle(11.0, 10.0, 10.0), candle(13.0, 9.0, 13.0)];
        // fast %K: bar 1: range 8..12, close 11 → 75; bar 2: 9..12, 10 → 33.3…; bar 3: 9..13, 13 → 100
        // %K: (75 + 33.3…)/2 = 54.1…6, (33.3… + 100)/2 = 66.6…; %D = (54.16… + 66.6…)/2 = 60.41…6
        let mut stoch = Stochastic::new(2, 2, 2);
        assert_eq!(stoch.warm_up(), 3);
        let got: Vec<_> = bars.into_iter().map(|b| stoch.update(b)).collect();
        assert_eq!(got[..3], [None; 3]);
        let value = got[3].expect("warm");
        assert!((value.k - (100.0 / 3.0 + 100.0) / 2.0).abs() < 1e-12);
        assert!((value.d - ((75.0 + 100.0 / 3.0) / 2.0 + (100.0 / 3.0 + 100.0) / 2.0) / 2.0).abs() < 1e-12);
    }

    #[test]
    fn williams_r_by_hand() {
        let mut r = WilliamsR::new(2);
        assert_eq!(r.update(candle(10.0, 8.0, 9.0)), None);
        assert_eq!(r.update(candle(12.0, 9.0, 11.0)), Some(-25.0), "close 11 in 8..12: 1 below the top of 4");
        assert_eq!(r.update(candle(12.0, 12.0, 12.0)), Some(-0.0), "at the top of 9..12");
    }

    #[test]
    fn stoch_rsi_of_alternating_moves_by_hand() {
        // RSI(1) is 100 after a rise and 0 after a fall (0 for no move). fast %K over 2, %D over 1:
        // closes 1, 2, 1, 1: RSI 100, 0, 0 → %K: 0 (0 in 0..100), then 0 for an empty range
        let mut stoch = StochRsi::new(1, 2, 1);
        let got: Vec<_> = [1.0, 2.0, 1.0, 1.0, 3.0].into_iter().map(|x| stoch.update(x)).collect();
        assert_eq!(stoch.warm_up(), 2);
        assert_eq!(got[..2], [None, None]);
        assert_eq!(got[2].map(|v| v.k), Some(0.0));
        assert_eq!(got[3].map(|v| v.k), Some(0.0));
        assert_eq!(got[4], Some(StochasticValue { k: 100.0, d: 100.0 }), "RSI 100 at the top of 0..100");
    }
}
