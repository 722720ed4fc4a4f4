//! Statistics of the last `period` values: population standard deviation ([`StdDev`]), the z-score of the newest
//! value ([`ZScore`]) and the slope of the least-squares line through them ([`LinRegSlope`]).

use super::Indicator;
use super::window::{Moments, Shifted, std_dev_of};

/// Population standard deviation of the last `period` values (TA-Lib `STDDEV` with one deviation):
/// `√(E[x²] − E[x]²)` over values shifted near the window, 0 when the variance is not positive and exactly 0 for
/// `period` equal values; no absolute threshold, so it scales with the prices (TA-Lib 0.4 read a variance below
/// 1e-8 as 0). O(1) per input, and O(`period`) once every `period` inputs, when the sums are recomputed over the
/// window. Warm-up: `period − 1`.
#[derive(Clone, Debug)]
pub struct StdDev {
    moments: Moments,
}

impl StdDev {
    /// The deviation over `period` values (at least one).
    pub fn new(period: usize) -> Self {
        StdDev { moments: Moments::new(period) }
    }
}

impl Indicator for StdDev {
    type Input = f64;
    type Output = f64;

    #[inline]
    fn update(&mut self, x: f64) -> Option<f64> {
        self.moments.push(x).map(|(_, variance)| std_dev_of(variance))
    }

    fn warm_up(&self) -> usize {
        self.moments.len() - 1
    }

    fn reset(&mut self) {
        self.moments.clear();
    }
}

/// Z-score of the newest value: `(x − mean) / σ` over the last `period` values, σ the population deviation as
/// [`StdDev`] computes it; 0 when σ is 0. O(1) per input, O(`period`) once every `period` inputs. Warm-up:
/// `period − 1`.
#[derive(Clone, Debug)]
pub struct ZScore {
    moments: Moments,
}

impl ZScore {
    /// The z-score over `period` values (at least one).
    pub fn new(period: usize) -> Self {
        ZScore { moments: Moments::new(period) }
    }
}

impl Indicator for ZScore {
    type Input = f64;
    type Output = f64;

    #[inline]
    fn update(&mut self, x: f64) -> Option<f64> {
        let (mean, variance) = self.moments.push(x)?;
        let sigma = std_dev_of(variance);
        Some(if sigma > 0.0 { (x - mean) / sigma } else { 0.0 })
    }

    fn warm_up(&self) -> usize {
        self.moments.len() - 1
    }

    fn reset(&mut self) {
        self.moments.clear();
    }
}

/// Slope per input of the least-squares line through the last `period` values (TA-Lib `LINEARREG_SLOPE`), from a
/// running sum and a running position-weighted sum of the values minus a recent input (the slope does not change
/// with the shift), both recomputed once per `period` inputs so that rounding never accumulates: O(1) per input,
/// O(`period`) on that one. Warm-up: `period − 1`.
#[derive(Clone, Debug)]
pub struct LinRegSlope {
    window: Shifted,
    /// Σ d over the window (d = y − shift).
    sum: f64,
    /// Σ position × d, positions 0 (oldest) to `period − 1`.
    weighted: f64,
}

impl LinRegSlope {
    /// The slope over `period` values (at least two).
    pub fn new(period: usize) -> Self {
        LinRegSlope { window: Shifted::new(period.max(2)), sum: 0.0, weighted: 0.0 }
    }
}

impl Indicator for LinRegSlope {
    type Input = f64;
    type Output = f64;

    #[inline]
    fn update(&mut self, y: f64) -> Option<f64> {
        let n = self.window.capacity() as f64;
        let (d, leaving, rebased) = self.window.push(y);
        if rebased {
            (self.sum, self.weighted) =
                self.window.values().zip(0..).fold((0.0, 0.0), |(s, w), (d, i)| (s + d, w + f64::from(i) * d));
        } else if let Some(leaving) = leaving {
            self.weighted += (n - 1.0) * d - (self.sum - leaving);
            self.sum += d - leaving;
        } else {
            self.weighted += (self.window.len() - 1) as f64 * d;
            self.sum += d;
        }
        if !self.window.is_full() {
            return None;
        }
        let sum_x = n * (n - 1.0) / 2.0;
        let sum_xx = (n - 1.0) * n * (2.0 * n - 1.0) / 6.0;
        Some((n * self.weighted - sum_x * self.sum) / (n * sum_xx - sum_x * sum_x))
    }

    fn warm_up(&self) -> usize {
        self.window.capacity() - 1
    }

    fn reset(&mut self) {
        self.window.clear();
        self.sum = 0.0;
        self.weighted = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::feed;
    use super::*;

    fn last<I: Indicator<Input = f64>>(indicator: I, xs: &[f64]) -> Option<I::Output> {
        feed(indicator, xs.iter().copied()).pop().flatten()
    }

    #[test]
    fn std_dev_and_z_score_by_hand() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, σ 2; z of 9 = 2
        let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        assert_eq!(last(StdDev::new(8), &xs), Some(2.0));
        assert_eq!(last(ZScore::new(8), &xs), Some(2.0));
        assert_eq!(last(ZScore::new(3), &[1.0, 1.0, 1.0]), Some(0.0), "no spread, no score");
    }

    #[test]
    fn slope_of_a_line_is_its_slope_while_sliding() {
        let xs: Vec<f64> = (0..10).map(|i| 3.0 * f64::from(i) + 1.0).collect();
        let mut slope = LinRegSlope::new(4);
        let got: Vec<_> = xs.iter().map(|&x| slope.update(x)).collect();
        assert_eq!(got[..3], [None; 3]);
        assert!(got[3..].iter().all(|s| (s.expect("warm") - 3.0).abs() < 1e-12), "{got:?}");
    }

    #[test]
    fn slope_by_hand() {
        // 1, 3, 2 at x = 0, 1, 2: slope = (3·(0 + 3 + 4) − 3·6) / (3·5 − 9) = 0.5
        assert_eq!(last(LinRegSlope::new(3), &[1.0, 3.0, 2.0]), Some(0.5));
    }

    #[test]
    fn slope_keeps_its_digits_on_large_values_over_long_series() {
        // a zigzag around 1e9 whose windows of 4 (0, 1, 0, 1 or 1, 0, 1, 0) have slope ±0.2
        let mut slope = LinRegSlope::new(4);
        let got: Vec<_> = (0..10_001).filter_map(|i| slope.update(1e9 + f64::from(i % 2))).collect();
        assert!(got.iter().all(|s| (s.abs() - 0.2).abs() < 1e-12), "{:?}", &got[got.len() - 3..]);
    }
}
