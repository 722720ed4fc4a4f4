//! Change over a fixed lag: [`Momentum`] (the difference) and [`Roc`] (the rate of change in percent), on one
//! shared lag window.

use super::Indicator;
use super::window::Ring;

/// The input `period` updates ago, next to the newest.
#[derive(Clone, Debug)]
struct Lag {
    window: Ring<f64>,
}

impl Lag {
    fn new(period: usize) -> Self {
        Lag { window: Ring::new(period.max(1) + 1) }
    }

    /// Adds `x`; once `period + 1` inputs are in, `(x, x[period])`.
    #[inline]
    fn push(&mut self, x: f64) -> Option<(f64, f64)> {
        self.window.push(x);
        self.window.is_full().then(|| (x, self.window.oldest().unwrap_or(x)))
    }

    fn period(&self) -> usize {
        self.window.capacity() - 1
    }
}

/// Momentum (TA-Lib `MOM`): `x − x[period]`. Warm-up: `period`.
#[derive(Clone, Debug)]
pub struct Momentum {
    lag: Lag,
}

impl Momentum {
    /// Momentum over `period` updates (at least one).
    pub fn new(period: usize) -> Self {
        Momentum { lag: Lag::new(period) }
    }
}

impl Indicator for Momentum {
    type Input = f64;
    type Output = f64;

    #[inline]
    fn update(&mut self, x: f64) -> Option<f64> {
        self.lag.push(x).map(|(now, then)| now - then)
    }

    fn warm_up(&self) -> usize {
        self.lag.period()
    }

    fn reset(&mut self) {
        self.lag.window.clear();
    }
}

/// Rate of change in percent (TA-Lib `ROC`): `(x / x[period] − 1) × 100`, or 0 when `x[period]` is 0. Warm-up:
/// `period`.
#[derive(Clone, Debug)]
pub struct Roc {
    lag: Lag,
}

impl Roc {
    /// Rate of change over `period` updates (at least one).
    pub fn new(period: usize) -> Self {
        Roc { lag: Lag::new(period) }
    }
}

impl Indicator for Roc {
    type Input = f64;
    type Output = f64;

    #[inline]
    fn update(&mut self, x: f64) -> Option<f64> {
        self.lag.push(x).map(|(now, then)| if then != 0.0 { (now / then - 1.0) * 100.0 } else { 0.0 })
    }

    fn warm_up(&self) -> usize {
        self.lag.period()
    }

    fn reset(&mut self) {
        self.lag.window.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn momentum_and_roc_by_hand() {
        let (mut mom, mut roc) = (Momentum::new(2), Roc::new(2));
        let xs = [100.0, 50.0, 110.0, 0.0, 5.0];
        let moms: Vec<_> = xs.iter().map(|&x| mom.update(x)).collect();
        let rocs: Vec<_> = xs.iter().map(|&x| roc.update(x)).collect();
        assert_eq!(moms, vec![None, None, Some(10.0), Some(-50.0), Some(-105.0)]);
        assert_eq!(rocs[2], Some((110.0 / 100.0 - 1.0) * 100.0));
        assert_eq!(rocs[3], Some(-100.0));
        assert_eq!(rocs[4], Some((5.0 / 110.0 - 1.0) * 100.0));
        let mut zero = Roc::new(1);
        zero.update(0.0);
        assert_eq!(zero.update(3.0), Some(0.0), "no rate from zero, as TA-Lib");
    }
}
