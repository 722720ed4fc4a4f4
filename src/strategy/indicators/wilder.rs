//! Wilder's smoothing in the two forms TA-Lib uses: an average seeded with the mean of the first `n` values (RSI,
//! ATR, ADX), and a running sum seeded with the sum of the first `n − 1` (the directional movement and true range
//! sums behind ±DI).

/// Wilder's average: the mean of the first `n` values, then `(previous × (n − 1) + value) / n`.
#[derive(Clone, Debug)]
pub(super) struct WilderAverage {
    n: usize,
    seen: usize,
    value: f64,
}

impl WilderAverage {
    /// An average over `n` values (at least one).
    pub(super) fn new(n: usize) -> Self {
        WilderAverage { n: n.max(1), seen: 0, value: 0.0 }
    }

    /// Adds `x`; from the `n`-th value on, the average.
    #[inline]
    pub(super) fn push(&mut self, x: f64) -> Option<f64> {
        let n = self.n as f64;
        if self.seen >= self.n {
            self.value = (self.value * (n - 1.0) + x) / n;
            return Some(self.value);
        }
        self.seen += 1;
        self.value += x;
        if self.seen < self.n {
            return None;
        }
        self.value /= n;
        Some(self.value)
    }

    /// The average, once `n` values are in.
    #[inline]
    pub(super) fn value(&self) -> Option<f64> {
        (self.seen >= self.n).then_some(self.value)
    }

    /// Forgets every value.
    pub(super) fn clear(&mut self) {
        self.seen = 0;
        self.value = 0.0;
    }
}

/// Wilder's running sum: the sum of the first `n − 1` values, then `previous − previous / n + value` (TA-Lib's
/// `+DM`, `−DM` and true-range sums).
#[derive(Clone, Debug)]
pub(super) struct WilderSum {
    n: usize,
    seen: usize,
    value: f64,
}

impl WilderSum {
    /// A sum over `n` values (at least one).
    pub(super) fn new(n: usize) -> Self {
        WilderSum { n: n.max(1), seen: 0, value: 0.0 }
    }

    /// Adds `x`; from the `n`-th value on, the smoothed sum.
    #[inline]
    pub(super) fn push(&mut self, x: f64) -> Option<f64> {
        if self.seen + 1 < self.n {
            self.seen += 1;
            self.value += x;
            return None;
        }
        self.seen = self.n;
        self.value = self.value - self.value / self.n as f64 + x;
        Some(self.value)
    }

    /// Forgets every value.
    pub(super) fn clear(&mut self) {
        self.seen = 0;
        self.value = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilder_average_seeds_with_the_mean_then_smooths_by_one_nth() {
        let mut avg = WilderAverage::new(3);
        let got: Vec<_> = [3.0, 6.0, 9.0, 12.0].into_iter().map(|x| avg.push(x)).collect();
        // seed (3+6+9)/3 = 6; then (6·2 + 12)/3 = 8
        assert_eq!(got, vec![None, None, Some(6.0), Some(8.0)]);
        assert_eq!(avg.value(), Some(8.0));
        avg.clear();
        assert_eq!(avg.value(), None);
    }

    #[test]
    fn wilder_sum_seeds_with_n_minus_one_values() {
        let mut sum = WilderSum::new(3);
        let got: Vec<_> = [3.0, 6.0, 9.0, 12.0].into_iter().map(|x| sum.push(x)).collect();
        // seed 3+6 = 9; then 9 − 3 + 9 = 15; then 15 − 5 + 12 = 22
        assert_eq!(got, vec![None, None, Some(15.0), Some(22.0)]);
    }
}
