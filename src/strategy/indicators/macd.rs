//! Spreads between a fast and a slow exponential average: [`Macd`] (the spread, its signal line and histogram) and
//! [`Ppo`] (the spread in percent of the slow average).

use super::Indicator;
use super::averages::Ema;

/// MACD line, signal and histogram.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MacdValue {
    /// Fast EMA − slow EMA.
    pub line: f64,
    /// EMA of the line over the signal period.
    pub signal: f64,
    /// Line − signal.
    pub histogram: f64,
}

/// Moving average convergence/divergence (TA-Lib `MACD`, defaults 12, 26, 9). As in TA-Lib, both EMAs start so that
/// their first values fall on the same input: the fast EMA skips the first `slow − fast` inputs and is seeded with
/// the plain mean of the `fast` inputs ending where the slow EMA's seed ends; the signal EMA is seeded with the mean
/// of the first `signal` MACD values. A fast period above the slow one is swapped, as TA-Lib does. Warm-up:
/// `(slow − 1) + (signal − 1)`.
#[derive(Clone, Debug)]
pub struct Macd {
    fast: Ema,
    slow: Ema,
    signal: Ema,
    /// Inputs the fast EMA skips (`slow − fast`).
    offset: usize,
    /// Of those, how many are still to come.
    skip: usize,
}

impl Macd {
    /// MACD of EMAs over `fast` and `slow` inputs with a signal EMA over `signal` values (each at least one).
    pub fn new(fast: usize, slow: usize, signal: usize) -> Self {
        let (fast, slow) = (fast.max(1).min(slow.max(1)), fast.max(slow).max(1));
        let offset = slow - fast;
        Macd { fast: Ema::new(fast), slow: Ema::new(slow), signal: Ema::new(signal), offset, skip: offset }
    }
}

impl Indicator for Macd {
    type Input = f64;
    type Output = MacdValue;

    #[inline]
    fn update(&mut self, x: f64) -> Option<MacdValue> {
        let slow = self.slow.update(x);
        let fast = if self.skip > 0 {
            self.skip -= 1;
            None
        } else {
            self.fast.update(x)
        };
        let line = fast? - slow?;
        let signal = self.signal.update(line)?;
        Some(MacdValue { line, signal, histogram: line - signal })
    }

    fn warm_up(&self) -> usize {
        self.slow.warm_up() + self.signal.warm_up()
    }

    fn reset(&mut self) {
        self.fast.reset();
        self.slow.reset();
        self.signal.reset();
        self.skip = self.offset;
    }
}

/// TA-Lib's `TA_EPSILON` (C library 0.8.1; 0.4's was 1e-8): the band around 0 inside which its `PPO` treats the
/// slow average as 0.
const TA_EPSILON: f64 = 1e-14;

/// Percentage price oscillator (TA-Lib `PPO` with EMAs): `100 × (EMA(fast) − EMA(slow)) / EMA(slow)` (0 while the
/// slow EMA is within 1e-14 of 0, TA-Lib's own `TA_IS_ZERO` band — far below any traded price, where 1e-8 was
/// not), each EMA over the whole series from its first input. Warm-up: `max(fast, slow) − 1`.
#[derive(Clone, Debug)]
pub struct Ppo {
    fast: Ema,
    slow: Ema,
}

impl Ppo {
    /// PPO of EMAs over `fast` and `slow` inputs (each at least one; the longer is the slow one).
    pub fn new(fast: usize, slow: usize) -> Self {
        Ppo { fast: Ema::new(fast.min(slow)), slow: Ema::new(fast.max(slow)) }
    }
}

impl Indicator for Ppo {
    type Input = f64;
    type Output = f64;

    #[inline]
    fn update(&mut self, x: f64) -> Option<f64> {
        let fast = self.fast.update(x);
        let slow = self.slow.update(x)?;
        let fast = fast?;
        Some(if -TA_EPSILON < slow && slow < TA_EPSILON { 0.0 } else { ((fast - slow) / slow) * 100.0 })
    }

    fn warm_up(&self) -> usize {
        self.slow.warm_up()
    }

    fn reset(&mut self) {
        self.fast.reset();
        self.slow.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macd_seeds_the_fast_ema_where_the_slow_one_starts() {
        // fast 1, slow 3, signal 2. The fast EMA(1) is the input itself; the slow EMA(3), k = 1/2, is seeded at
        // input 2 with (1 + 2 + 6)/3 = 3, then 3 + (8 − 3)/2 = 5.5. Lines: 6 − 3 = 3, 8 − 5.5 = 2.5.
        // Signal EMA(2) seeded with (3 + 2.5)/2 = 2.75.
        let mut macd = Macd::new(1, 3, 2);
        assert_eq!(macd.warm_up(), 3);
        let got: Vec<_> = [1.0, 2.0, 6.0, 8.0].into_iter().map(|x| macd.update(x)).collect();
        assert_eq!(got[..3], [None; 3]);
        assert_eq!(got[3], Some(MacdValue { line: 2.5, signal: 2.75, histogram: -0.25 }));
    }

    #[test]
    fn macd_fast_ema_ignores_inputs_before_its_window() {
        // fast 2, slow 3: the fast EMA sees only inputs 1.. so a huge first input leaves its seed untouched
        // (its seed is (2 + 4)/2 = 3; the slow seed is (x0 + 2 + 4)/3)
        for x0 in [1.0, 1000.0] {
            let mut macd = Macd::new(2, 3, 1);
            let line = [x0, 2.0, 4.0].into_iter().filter_map(|x| macd.update(x)).map(|v| v.line).last();
            assert_eq!(line, Some(3.0 - (x0 + 6.0) / 3.0));
        }
    }

    #[test]
    fn ppo_by_hand() {
        // fast 1 (the input), slow 2 (k = 2/3): seed (2 + 4)/2 = 3 → 100·(4 − 3)/3
        let mut ppo = Ppo::new(1, 2);
        assert_eq!(ppo.update(2.0), None);
        assert_eq!(ppo.update(4.0), Some(((4.0 - 3.0) / 3.0) * 100.0));
        // a slow average of 3e-10 is a price (1e-8 read it as 0); one inside TA-Lib's 1e-14 band is not
        let mut small = Ppo::new(1, 2);
        small.update(2e-10);
        assert!((small.update(4e-10).expect("warm") - 100.0 / 3.0).abs() < 1e-9);
        let mut tiny = Ppo::new(1, 2);
        tiny.update(2e-15);
        assert_eq!(tiny.update(4e-15), Some(0.0));
    }
}
