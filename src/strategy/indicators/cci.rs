//! The commodity channel index: how far the typical price is from its mean, in mean absolute deviations.

use super::window::{Ring, RollingSum};
use super::{Candle, Indicator};

/// Commodity channel index (TA-Lib `CCI`): `(tp − mean) / (0.015 × mean |tp − mean|)` over the last `period`
/// typical prices `tp = (high + low + close) / 3` (0 when either is 0). The mean is a running sum; the mean
/// deviation around it needs every value in the window, so an update is O(`period`) (no allocation). Warm-up:
/// `period − 1`.
#[derive(Clone, Debug)]
pub struct Cci {
    window: Ring<f64>,
    sum: RollingSum,
}

impl Cci {
    /// CCI over `period` bars (at least one).
    pub fn new(period: usize) -> Self {
        Cci { window: Ring::new(period), sum: RollingSum::new(period) }
    }
}

impl Indicator for Cci {
    type Input = Candle;
    type Output = f64;

    #[inline]
    fn update(&mut self, bar: Candle) -> Option<f64> {
        let typical = bar.typical();
        self.window.push(typical);
        let n = self.window.capacity() as f64;
        let mean = self.sum.push(typical)? / n;
        let deviation = self.window.iter().map(|x| (x - mean).abs()).sum::<f64>() / n;
        let distance = typical - mean;
        Some(if distance != 0.0 && deviation != 0.0 { distance / (0.015 * deviation) } else { 0.0 })
    }

    fn warm_up(&self) -> usize {
        self.window.capacity() - 1
    }

    fn reset(&mut self) {
        self.window.clear();
        self.sum.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::candle;
    use super::*;

    #[test]
    fn cci_by_hand() {
        // typical prices 1, 2, 6 (high = low = close): mean 3, mean deviation (2 + 1 + 3)/3 = 2, CCI = 3/0.03
        let mut cci = Cci::new(3);
        let got: Vec<_> = [1.0, 2.0, 6.0, 6.0].into_iter().map(|p| cci.update(candle(p, p, p))).collect();
        assert_eq!(got[..2], [None, None]);
        assert!((got[2].expect("warm") - 3.0 / 0.03).abs() < 1e-9);
        // 2, 6, 6: mean 14/3, deviations 8/3, 4/3, 4/3 → 16/9; (6 − 14/3) / (0.015 · 16/9) = 50
        assert!((got[3].expect("warm") - 50.0).abs() < 1e-9);
    }
}
