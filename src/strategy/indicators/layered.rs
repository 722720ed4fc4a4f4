//! Moving averages built from averages of averages, to lag less: double and triple exponential ([`Dema`],
//! [`Tema`], as TA-Lib) and Hull's ([`Hma`]).

use super::Indicator;
use super::averages::{Ema, Wma};

/// Double exponential moving average (TA-Lib `DEMA`): `2·EMA(x) − EMA(EMA(x))`, each EMA seeded with the simple
/// mean of its first `period` inputs. Warm-up: `2 × (period − 1)`.
#[derive(Clone, Debug)]
pub struct Dema {
    first: Ema,
    second: Ema,
}

impl Dema {
    /// DEMA over `period` values (at least one).
    pub fn new(period: usize) -> Self {
        Dema { first: Ema::new(period), second: Ema::new(period) }
    }
}

impl Indicator for Dema {
    type Input = f64;
    type Output = f64;

    #[inline]
    fn update(&mut self, x: f64) -> Option<f64> {
        let e1 = self.first.update(x)?;
        let e2 = self.second.update(e1)?;
        Some(2.0 * e1 - e2)
    }

    fn warm_up(&self) -> usize {
        self.first.warm_up() + self.second.warm_up()
    }

    fn reset(&mut self) {
        self.first.reset();
        self.second.reset();
    }
}

/// Triple exponential moving average (TA-Lib `TEMA`): `3·EMA₁ − 3·EMA₂ + EMA₃`, where each EMA averages the one
/// before. Warm-up: `3 × (period − 1)`.
#[derive(Clone, Debug)]
pub struct Tema {
    first: Ema,
    second: Ema,
    third: Ema,
}

impl Tema {
    /// TEMA over `period` values (at least one).
    pub fn new(period: usize) -> Self {
        Tema { first: Ema::new(period), second: Ema::new(period), third: Ema::new(period) }
    }
}

impl Indicator for Tema {
    type Input = f64;
    type Output = f64;

    #[inline]
    fn update(&mut self, x: f64) -> Option<f64> {
        let e1 = self.first.update(x)?;
        let e2 = self.second.update(e1)?;
        let e3 = self.third.update(e2)?;
        Some(3.0 * e1 - 3.0 * e2 + e3)
    }

    fn warm_up(&self) -> usize {
        self.first.warm_up() + self.second.warm_up() + self.third.warm_up()
    }

    fn reset(&mut self) {
        self.first.reset();
        self.second.reset();
        self.third.reset();
    }
}

/// Hull moving average: `WMA(2·WMA(x, period/2) − WMA(x, period), ⌊√period⌋)` (integer halving and square root).
/// Warm-up: `(period − 1) + (⌊√period⌋ − 1)`.
#[derive(Clone, Debug)]
pub struct Hma {
    half: Wma,
    full: Wma,
    outer: Wma,
}

impl Hma {
    /// HMA over `period` values (at least two, for a half period of one).
    pub fn new(period: usize) -> Self {
        let period = period.max(2);
        Hma { half: Wma::new(period / 2), full: Wma::new(period), outer: Wma::new(period.isqrt()) }
    }
}

impl Indicator for Hma {
    type Input = f64;
    type Output = f64;

    #[inline]
    fn update(&mut self, x: f64) -> Option<f64> {
        let half = self.half.update(x);
        let full = self.full.update(x)?;
        self.outer.update(2.0 * half? - full)
    }

    fn warm_up(&self) -> usize {
        self.full.warm_up() + self.outer.warm_up()
    }

    fn reset(&mut self) {
        self.half.reset();
        self.full.reset();
        self.outer.reset();
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
    fn dema_and_tema_of_a_constant_are_the_constant() {
        assert_eq!(run(Dema::new(2), &[5.0; 4])[2..], [Some(5.0), Some(5.0)]);
        assert_eq!(run(Tema::new(2), &[5.0; 4])[3..], [Some(5.0)]);
    }

    #[test]
    fn dema_by_hand() {
        // period 2, k = 2/3. EMA₁: 1, 2 → seed 1.5; 4 → 1.5 + 2.5·2/3 = 19/6.
        // EMA₂ of (1.5, 19/6): seed 7/3. DEMA = 2·19/6 − 7/3 = 4
        let got = run(Dema::new(2), &[1.0, 2.0, 4.0]);
        assert_eq!(got[..2], [None, None]);
        assert!((got[2].expect("warm") - 4.0).abs() < 1e-12);
    }

    #[test]
    fn hma_by_hand() {
        // period 4: WMA2, WMA4, outer WMA2. Inputs 1, 2, 3, 4, 6:
        // at 4: WMA2 = (3 + 8)/3 = 11/3, WMA4 = (1 + 4 + 9 + 16)/10 = 3, raw = 22/3 − 3 = 13/3
        // at 6: WMA2 = (4 + 12)/3 = 16/3, WMA4 = (2 + 6 + 12 + 24)/10 = 4.4, raw = 32/3 − 4.4 = 6.2666…
        // HMA = (13/3 + 2·6.2666…)/3 = 5.6222…
        let hma = Hma::new(4);
        assert_eq!(hma.warm_up(), 4);
        let got = run(hma, &[1.0, 2.0, 3.0, 4.0, 6.0]);
        assert_eq!(got[..4], [None; 4]);
        let expected = (13.0 / 3.0 + 2.0 * (32.0 / 3.0 - 4.4)) / 3.0;
        assert!((got[4].expect("warm") - expected).abs() < 1e-12);
    }
}
