//! [`Num`]: the numbers a rule expression computes with. Prices, exact averages and decimal literals stay exact
//! rationals (`num / den`), so comparisons that decide a trade on them are exact; everything an `f64` indicator
//! gives, and an exact result whose integers would overflow, is an `f64`.

use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;
use std::cmp::Ordering;

use crate::model::exact::POW10;

/// An exact rational `num / den` (`den > 0`) or an `f64`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Num {
    /// `num / den`, `den > 0`.
    Exact {
        /// Numerator.
        num: i128,
        /// Denominator, positive.
        den: i128,
    },
    /// A finite `f64`.
    Float(f64),
}

impl Num {
    /// `value` exactly: its mantissa over `10^scale`.
    pub(super) fn from_decimal(value: Decimal) -> Num {
        Num::Exact { num: value.mantissa(), den: POW10[value.scale() as usize] }
    }

    /// A fixed-point value in units of `10^-scale` (`scale` ≤ 28).
    #[inline]
    pub(super) fn fixed(value: i128, scale: u32) -> Num {
        Num::Exact { num: value, den: POW10[scale as usize] }
    }

    /// An `f64`, or `None` when it is not finite.
    #[inline]
    pub(super) fn float(value: f64) -> Option<Num> {
        value.is_finite().then_some(Num::Float(value))
    }

    /// The nearest `f64`.
    #[inline]
    pub(super) fn to_f64(self) -> f64 {
        match self {
            Num::Exact { num, den } => num as f64 / den as f64,
            Num::Float(x) => x,
        }
    }

    /// The value as a `Decimal` (exact when the division terminates within 28 digits); `None` out of range.
    pub(super) fn to_decimal(self) -> Option<Decimal> {
        match self {
            Num::Exact { num, den } => {
                let num = Decimal::try_from_i128_with_scale(num, 0).ok()?;
                let den = Decimal::try_from_i128_with_scale(den, 0).ok()?;
                num.checked_div(den)
            }
            Num::Float(x) => Decimal::from_f64(x),
        }
    }

    /// `self + other`.
    #[inline]
    pub(super) fn add(self, other: Num) -> Option<Num> {
        match (self, other) {
            (Num::Exact { num: a, den: b }, Num::Exact { num: c, den: d }) => {
                let exact = if b == d {
                    a.checked_add(c).map(|num| Num::Exact { num, den: b })
                } else {
                    let num = a.checked_mul(d).zip(c.checked_mul(b)).and_then(|(x, y)| x.checked_add(y));
                    num.zip(b.checked_mul(d)).map(|(num, den)| Num::Exact { num, den })
                };
                exact.or_else(|| Num::float(self.to_f64() + other.to_f64()))
            }
            _ => Num::float(self.to_f64() + other.to_f64()),
        }
    }

    /// `self − other`.
    #[inline]
    pub(super) fn sub(self, other: Num) -> Option<Num> {
        self.add(other.neg())
    }

    /// `self × other`.
    #[inline]
    pub(super) fn mul(self, other: Num) -> Option<Num> {
        match (self, other) {
            (Num::Exact { num: a, den: b }, Num::Exact { num: c, den: d }) => {
                let exact = a.checked_mul(c).zip(b.checked_mul(d)).map(|(num, den)| Num::Exact { num, den });
                exact.or_else(|| Num::float(self.to_f64() * other.to_f64()))
            }
            _ => Num::float(self.to_f64() * other.to_f64()),
        }
    }

    /// `self ÷ other`; `None` when `other` is zero.
    #[inline]
    pub(super) fn div(self, other: Num) -> Option<Num> {
        match (self, other) {
            (_, Num::Exact { num: 0, .. }) => None,
            (Num::Exact { num: a, den: b }, Num::Exact { num: c, den: d }) => {
                let (c, d) = if c < 0 { (c.checked_neg(), d.checked_neg()) } else { (Some(c), Some(d)) };
                let exact = (c.zip(d))
                    .and_then(|(c, d)| a.checked_mul(d).zip(b.checked_mul(c)))
                    .map(|(num, den)| Num::Exact { num, den });
                exact.or_else(|| Num::float(self.to_f64() / other.to_f64()))
            }
            _ => Num::float(self.to_f64() / other.to_f64()),
        }
    }

    /// `−self`.
    #[inline]
    pub(super) fn neg(self) -> Num {
        match self {
            Num::Exact { num, den } => match num.checked_neg() {
                Some(num) => Num::Exact { num, den },
                None => Num::Float(-self.to_f64()),
            },
            Num::Float(x) => Num::Float(-x),
        }
    }

    /// `|self|`.
    #[inline]
    pub(super) fn abs(self) -> Num {
        if self.compare(Num::Exact { num: 0, den: 1 }) == Some(Ordering::Less) { self.neg() } else { self }
    }

    /// How `self` compares with `other`: exactly when both are exact (cross-multiplied; by `f64` only where the
    /// products overflow `i128`).
    #[inline]
    pub(super) fn compare(self, other: Num) -> Option<Ordering> {
        if let (Num::Exact { num: a, den: b }, Num::Exact { num: c, den: d }) = (self, other) {
            if b == d {
                return Some(a.cmp(&c));
            }
            // the common case, all four within i64: widening products that cannot overflow
            if let (Ok(a), Ok(b), Ok(c), Ok(d)) =
                (i64::try_from(a), i64::try_from(b), i64::try_from(c), i64::try_from(d))
            {
                return Some((i128::from(a) * i128::from(d)).cmp(&(i128::from(c) * i128::from(b))));
            }
            if let (Some(ad), Some(cb)) = (a.checked_mul(d), c.checked_mul(b)) {
                return Some(ad.cmp(&cb));
            }
        }
        self.to_f64().partial_cmp(&other.to_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn d(x: Decimal) -> Num {
        Num::from_decimal(x)
    }

    #[test]
    fn exact_arithmetic_compares_without_rounding() {
        // 0.1 + 0.2 = 0.3 exactly (as f64 it is 0.30000000000000004)
        let sum = d(dec!(0.1)).add(d(dec!(0.2))).unwrap();
        assert_eq!(sum.compare(d(dec!(0.3))), Some(Ordering::Equal));
        // a third of 1 times 3 is 1
        let third = d(dec!(1)).div(d(dec!(3))).unwrap();
        assert_eq!(third.mul(d(dec!(3))).unwrap().compare(d(dec!(1))), Some(Ordering::Equal));
        assert_eq!(d(dec!(-2)).div(d(dec!(-4))).unwrap().compare(d(dec!(0.5))), Some(Ordering::Equal));
        assert_eq!(d(dec!(1.5)).sub(d(dec!(2))).unwrap().abs().to_decimal(), Some(dec!(0.5)));
    }

    #[test]
    fn division_by_zero_has_no_value_and_floats_mix_with_exact_values() {
        assert_eq!(d(dec!(1)).div(d(dec!(0))), None);
        assert_eq!(Num::Float(1.0).div(Num::Float(0.0)), None, "not finite");
        assert_eq!(d(dec!(30)).compare(Num::Float(29.5)), Some(Ordering::Greater));
        assert_eq!(Num::fixed(1_654_177, 2).to_decimal(), Some(dec!(16541.77)));
    }

    #[test]
    fn overflowing_exact_results_fall_back_to_floats() {
        let huge = Num::Exact { num: i128::MAX / 2, den: 1 };
        let product = huge.mul(huge).unwrap();
        assert!(matches!(product, Num::Float(_)));
        assert_eq!(product.compare(huge), Some(Ordering::Greater));
    }
}
