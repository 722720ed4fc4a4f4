//! Incremental indicators in exact integer fixed-point, so that comparisons that decide trades have no float error.

use rust_decimal::Decimal;

/// Powers of ten that fit in an `i128`-safe scaling of a Decimal mantissa.
const POW10: [i128; 29] = {
    let mut table = [1_i128; 29];
    let mut i = 1;
    while i < 29 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// `value` as an integer count of `10^-scale` units, when that is exact and fits in an `i64`.
#[inline]
pub fn to_fixed(value: Decimal, scale: u32) -> Option<i64> {
    let shift = scale.checked_sub(value.scale())?;
    let units = value.mantissa().checked_mul(*POW10.get(shift as usize)?)?;
    i64::try_from(units).ok()
}

/// A simple moving average kept as a running integer sum over a ring buffer: O(1) per value, exact.
#[derive(Clone, Debug)]
pub struct RollingSum {
    window: Vec<i64>,
    next: usize,
    filled: usize,
    sum: i128,
}

impl RollingSum {
    /// A sum over the last `length` values (`length` ≥ 1).
    pub fn new(length: usize) -> Self {
        RollingSum { window: vec![0; length.max(1)], next: 0, filled: 0, sum: 0 }
    }

    /// Number of values averaged.
    pub fn length(&self) -> usize {
        self.window.len()
    }

    /// Adds `value`, dropping the oldest once the window is full. Returns the sum once the window is full.
    #[inline]
    pub fn push(&mut self, value: i64) -> Option<i128> {
        self.sum += i128::from(value) - i128::from(self.window[self.next]);
        self.window[self.next] = value;
        self.next = if self.next + 1 == self.window.len() { 0 } else { self.next + 1 };
        self.filled = (self.filled + 1).min(self.window.len());
        (self.filled == self.window.len()).then_some(self.sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn fixed_point_is_exact_or_refused() {
        assert_eq!(to_fixed(dec!(16541.77), 2), Some(1_654_177));
        assert_eq!(to_fixed(dec!(16541.7), 2), Some(1_654_170));
        assert_eq!(to_fixed(dec!(1.234), 2), None, "more decimals than the scale cannot be exact");
        assert_eq!(to_fixed(dec!(1e20), 2), None, "too large for i64");
    }

    #[test]
    fn rolling_sum_matches_a_direct_sum() {
        let values = [5_i64, 3, 8, 1, 9, 2, 7];
        let mut rs = RollingSum::new(3);
        for (i, &v) in values.iter().enumerate() {
            let expected = (i >= 2).then(|| values[i - 2..=i].iter().map(|&x| i128::from(x)).sum::<i128>());
            assert_eq!(rs.push(v), expected, "after value {i}");
        }
    }
}
