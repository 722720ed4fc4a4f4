//! Incremental indicators in exact integer fixed-point, so that comparisons that decide trades have no float error.

use rust_decimal::Decimal;

use crate::model::exact::POW10;
use std::cmp::Ordering;

/// `value` as an integer count of `10^-scale` units, when that is exact and fits in an `i64`.
#[inline]
pub fn to_fixed(value: Decimal, scale: u32) -> Option<i64> {
    let shift = scale.checked_sub(value.scale())?;
    let mantissa = i64::try_from(value.mantissa()).ok()?;
    let factor = i64::try_from(*POW10.get(shift as usize)?).ok()?;
    mantissa.checked_mul(factor)
}

/// Two simple moving averages of one series, a fast one inside a slow one, kept as exact running integer sums over
/// one ring buffer of the last `slow` values: O(1) per value, one write, and ties compare equal.
#[derive(Clone, Debug)]
pub struct SmaPair {
    ring: Vec<i64>,
    fast: usize,
    next: usize,
    fast_out: usize,
    warmup: usize,
    fast_sum: i128,
    slow_sum: i128,
}

impl SmaPair {
    /// Averages over the last `fast` and the last `slow` values (`1 <= fast <= slow`).
    pub fn new(fast: usize, slow: usize) -> Self {
        let slow = slow.max(1);
        let fast = fast.clamp(1, slow);
        SmaPair { ring: vec![0; slow], fast, next: 0, fast_out: slow - fast, warmup: slow, fast_sum: 0, slow_sum: 0 }
    }

    /// Adds `value`. Once `slow` values have been seen, returns how the fast average compares with the slow one,
    /// by cross-multiplying the sums (`fast_sum × slow` against `slow_sum × fast`), exactly.
    #[inline]
    pub fn push(&mut self, value: i64) -> Option<Ordering> {
        let slow = self.ring.len();
        // The value leaving the slow window is the one in the slot about to be overwritten; the one leaving the
        // fast window was pushed `fast` values ago. Slots not yet written hold 0, so warm-up needs no special case.
        let leaving_slow = self.ring[self.next];
        let leaving_fast = self.ring[self.fast_out];
        self.ring[self.next] = value;
        self.slow_sum += i128::from(value) - i128::from(leaving_slow);
        self.fast_sum += i128::from(value) - i128::from(leaving_fast);
        self.next = if self.next + 1 == slow { 0 } else { self.next + 1 };
        self.fast_out = if self.fast_out + 1 == slow { 0 } else { self.fast_out + 1 };
        if self.warmup > 0 {
            self.warmup -= 1;
            if self.warmup > 0 {
                return None;
            }
        }
        Some((self.fast_sum * slow as i128).cmp(&(self.slow_sum * self.fast as i128)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal::dec;

    #[test]
    fn fixed_point_is_exact_or_refused() {
        assert_eq!(to_fixed(dec!(16541.77), 2), Some(1_654_177));
        assert_eq!(to_fixed(dec!(16541.7), 2), Some(1_654_170));
        assert_eq!(to_fixed(dec!(1.234), 2), None, "more decimals than the scale cannot be exact");
        assert_eq!(to_fixed(dec!(1e20), 2), None, "too large for i64");
    }

    proptest! {
        #[test]
        fn sma_pair_compares_like_averages_computed_directly(
            values in proptest::collection::vec(-1_000_000_i64..1_000_000, 1..200), fast in 1usize..10, extra in 0usize..10,
        ) {
            let slow = fast + extra;
            let mut pair = SmaPair::new(fast, slow);
            for (i, &v) in values.iter().enumerate() {
                let got = pair.push(v);
                let expected = (i + 1 >= slow).then(|| {
                    let sum = |n: usize| values[i + 1 - n..=i].iter().map(|&x| i128::from(x)).sum::<i128>();
                    (sum(fast) * slow as i128).cmp(&(sum(slow) * fast as i128))
                });
                prop_assert_eq!(got, expected, "after value {}", i);
            }
        }
    }

    #[test]
    fn equal_averages_compare_equal() {
        // closes 95, 92, 98: SMA2 of the last two = 95, SMA3 = 95
        let mut pair = SmaPair::new(2, 3);
        assert_eq!(pair.push(9500), None);
        assert_eq!(pair.push(9200), None);
        assert_eq!(pair.push(9800), Some(Ordering::Equal));
    }
}
