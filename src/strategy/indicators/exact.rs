//! The exact simple moving average of prices in fixed point ([`ExactSma`]) and the exact rational it answers
//! ([`Mean`]), which compares without rounding.

use rust_decimal::Decimal;
use std::cmp::Ordering;

use super::Indicator;
use super::window::Ring;

/// Largest window of an exact average: with `i64` values, `sum × count` products stay within `i128`.
const MAX_LEN: usize = 1 << 31;

/// An exact mean `sum / count` of fixed-point values (units of `10^-scale`, as [`super::to_fixed`] makes them).
/// Means compare exactly, by cross-multiplying (and, where a product would overflow `i128`, by integer quotient and
/// remainder): equal averages of different windows are equal, for any `sum` and `count`. Compare only means of
/// values at one scale.
#[derive(Clone, Copy, Debug)]
pub struct Mean {
    sum: i128,
    count: u32,
}

impl Mean {
    /// The mean of `count` values summing to `sum` (`count` at least one).
    pub fn new(sum: i128, count: u32) -> Self {
        Mean { sum, count: count.max(1) }
    }

    /// Sum of the values, in fixed-point units.
    pub fn sum(&self) -> i128 {
        self.sum
    }

    /// Number of values averaged.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// How the mean compares with one fixed-point value (a close against its average), exactly.
    pub fn cmp_value(&self, value: i64) -> Ordering {
        self.sum.cmp(&(i128::from(value) * i128::from(self.count)))
    }

    /// The mean as an `f64`, for values in units of `10^-scale` (`scale` ≤ 22): the sum over `count × 10^scale`,
    /// correctly rounded while both are below 2⁵³ (a view for statistics and charts; compare `Mean`s themselves).
    pub fn to_f64(&self, scale: u32) -> f64 {
        self.sum as f64 / (f64::from(self.count) * 10f64.powi(scale as i32))
    }

    /// The mean as a `Decimal`, for values in units of `10^-scale`: exact when the division terminates within
    /// `Decimal`'s 28 digits, else rounded there; `None` when the sum does not fit a `Decimal`.
    pub fn to_decimal(&self, scale: u32) -> Option<Decimal> {
        Decimal::try_from_i128_with_scale(self.sum, scale).ok()?.checked_div(Decimal::from(self.count))
    }
}

impl PartialEq for Mean {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Mean {}

impl PartialOrd for Mean {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Mean {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (self.sum, i128::from(self.count));
        let (c, d) = (other.sum, i128::from(other.count));
        match (a.checked_mul(d), c.checked_mul(b)) {
            (Some(ad), Some(cb)) => ad.cmp(&cb),
            // a/b against c/d as q + r/b with 0 ≤ r < b (counts are positive, so floor division keeps the
            // order): the quotients decide, or else r_a/b against r_c/d, whose products stay below 2⁶⁴
            _ => a.div_euclid(b).cmp(&c.div_euclid(d)).then_with(|| (a.rem_euclid(b) * d).cmp(&(c.rem_euclid(d) * b))),
        }
    }
}

/// Exact simple moving average of fixed-point values (prices through [`super::to_fixed`]): a running `i128` sum
/// over a ring of the last `period` values, answered as a [`Mean`]. Warm-up: `period − 1`.
#[derive(Clone, Debug)]
pub struct ExactSma {
    window: Ring<i64>,
    sum: i128,
}

impl ExactSma {
    /// An average over `period` values (at least one, at most 2³¹).
    pub fn new(period: usize) -> Self {
        ExactSma { window: Ring::new(period.clamp(1, MAX_LEN)), sum: 0 }
    }
}

impl Indicator for ExactSma {
    type Input = i64;
    type Output = Mean;

    #[inline]
    fn update(&mut self, x: i64) -> Option<Mean> {
        self.sum += i128::from(x);
        if let Some(leaving) = self.window.push(x) {
            self.sum -= i128::from(leaving);
        }
        let count = u32::try_from(self.window.capacity()).ok()?;
        self.window.is_full().then(|| Mean::new(self.sum, count))
    }

    fn warm_up(&self) -> usize {
        self.window.capacity() - 1
    }

    fn reset(&mut self) {
        self.window.clear();
        self.sum = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn equal_averages_of_different_windows_compare_equal() {
        // 95, 92, 98: the mean of the last two (95) equals the mean of all three (95), with no rounding
        let (mut two, mut three) = (ExactSma::new(2), ExactSma::new(3));
        let mut last = None;
        for x in [9500, 9200, 9800] {
            last = two.update(x).zip(three.update(x));
        }
        let (a, b) = last.expect("both warm");
        assert_eq!(a, b);
        assert_eq!((a.sum(), a.count(), b.sum(), b.count()), (19_000, 2, 28_500, 3));
        assert_eq!(a.cmp_value(9500), Ordering::Equal);
        assert_eq!(a.cmp_value(9501), Ordering::Less);
    }

    #[test]
    fn a_third_compares_exactly_where_floats_round() {
        // 1/3 of a cent against 0.0033…: 1, 0, 0 at scale 2 is 1/3 unit
        let mut sma = ExactSma::new(3);
        sma.update(1);
        sma.update(0);
        let third = sma.update(0).expect("warm");
        assert!(third > Mean::new(3_333, 10_000) && third < Mean::new(3_334, 10_000));
        assert_eq!(third.to_decimal(2), Some(dec!(0.0033333333333333333333333333)));
        assert!((third.to_f64(2) - 1.0 / 300.0).abs() < 1e-18);
    }

    #[test]
    fn extreme_means_compare_without_overflow() {
        // sums near i128's ends with counts near u32::MAX: the cross products would overflow (a panic in debug,
        // a wrong order in release)
        let (max, min, big) = (i128::MAX, i128::MIN, u32::MAX);
        assert!(Mean::new(max, big) < Mean::new(max, big - 1));
        assert!(Mean::new(min, big) > Mean::new(min, big - 1));
        assert!(Mean::new(min, 1) < Mean::new(max, big) && Mean::new(max, 1) > Mean::new(min, big));
        assert_eq!(Mean::new(max, 1).cmp(&Mean::new(max, 1)), Ordering::Equal);
        assert_eq!(Mean::new(min, 1), Mean::new(min, 1));
        // equal rationals far beyond the products' range: (2¹²⁶ − 1) / 3 and its quotient over 1
        let third = (1_i128 << 126) - 1;
        assert!(third % 3 == 0);
        assert_eq!(Mean::new(third, 3), Mean::new(third / 3, 1));
        assert!(Mean::new(third + 1, 3) > Mean::new(third / 3, 1));
        assert!(Mean::new(-third - 1, 3) < Mean::new(-third / 3, 1));
        // where the quotients tie, the remainders decide: (q + 1/3) against (q + 1/2), q = 2¹²⁴
        let q = 1_i128 << 124;
        assert!(Mean::new(3 * q + 1, 3) < Mean::new(2 * q + 1, 2));
        assert!(Mean::new(-3 * q - 1, 3) > Mean::new(-2 * q - 1, 2), "floor quotients of negatives keep the order");
        assert_eq!(Mean::new(max, big).cmp_value(i64::MAX), Ordering::Greater);
    }

    #[test]
    fn the_window_slides() {
        let mut sma = ExactSma::new(2);
        let got: Vec<_> = [1, 2, 3, 10].into_iter().map(|x| sma.update(x).map(|m| m.sum())).collect();
        assert_eq!(got, vec![None, Some(3), Some(5), Some(13)]);
        assert_eq!(sma.warm_up(), 1);
    }
}
