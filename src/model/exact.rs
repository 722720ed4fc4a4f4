//! Exact decimal arithmetic for the hot path: integer fast paths for the few operations a replay does on every bar
//! (`acc + a × b`) and on every fill (a floored quotient), with `Decimal` arithmetic as the fallback when a value
//! does not fit in 128 bits. The fast paths give the same values, at the same scale, as `Decimal` would.

use rust_decimal::Decimal;

/// 10^0 ..= 10^28.
pub(crate) const POW10: [i128; 29] = {
    let mut table = [1_i128; 29];
    let mut i = 1;
    while i < 29 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// 10^0 ..= 10^28 as `f64` (exact up to 10^22).
const POW10_F64: [f64; 29] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22, 1e23, 1e24, 1e25, 1e26, 1e27, 1e28,
];

/// A `Decimal` as the nearest `f64` the way [`PackedDecimal::to_f64`] converts, so that a value and an equal mark
/// convert alike.
#[inline]
pub fn to_f64(value: Decimal) -> f64 {
    PackedDecimal::from_decimal(value).to_f64()
}

/// Largest scale a `Decimal` can have.
const MAX_SCALE: u32 = 28;

/// Largest magnitude of a `Decimal` mantissa (96 bits).
const MAX_MANTISSA: u128 = (1 << 96) - 1;

/// `MAX_MANTISSA / 10^k`: a mantissa at most this large can be scaled up by `k` digits and still fit.
const SCALE_UP_LIMIT: [u128; 29] = {
    let mut table = [0_u128; 29];
    let mut i = 0;
    while i < 29 {
        table[i] = MAX_MANTISSA / (POW10[i] as u128);
        i += 1;
    }
    table
};

/// `x · 10^k` when the result still fits a `Decimal` mantissa. One compare instead of an overflow-checked
/// 128-bit multiplication.
#[inline]
fn scale_up(x: i128, k: u32) -> Option<i128> {
    let k = k as usize;
    (x.unsigned_abs() <= SCALE_UP_LIMIT[k]).then(|| x * POW10[k])
}

/// `value` as an integer count of `10^-scale` units, when that is exact and fits in an `i64`: the fixed point the
/// exact indicators compare prices in.
#[inline]
pub fn to_fixed(value: Decimal, scale: u32) -> Option<i64> {
    let shift = scale.checked_sub(value.scale())?;
    let mantissa = i64::try_from(value.mantissa()).ok()?;
    let factor = i64::try_from(*POW10.get(shift as usize)?).ok()?;
    mantissa.checked_mul(factor)
}

/// True when `d > 0`, by the sign bit instead of a general comparison (which rescales).
#[inline(always)]
pub fn positive(d: Decimal) -> bool {
    !d.is_zero() && d.is_sign_positive()
}

/// True when `d < 0`.
#[inline(always)]
pub fn negative(d: Decimal) -> bool {
    !d.is_zero() && d.is_sign_negative()
}

/// Appends `value` as `Decimal`'s `Display` writes it (all `scale` digits after the point, `-` when negative) to
/// `out`, from the mantissa's digits: reports write millions of these.
pub fn write_decimal(out: &mut Vec<u8>, value: Decimal) {
    let mut digits = [0u8; 40];
    let mut len = 0;
    // Digits come out least significant first, 64 bits at a time: one 128-bit division per 19 digits instead of
    // one per digit.
    let mut magnitude = value.mantissa().unsigned_abs();
    loop {
        let (mut chunk, rest) = if magnitude >> 64 == 0 {
            (magnitude as u64, 0)
        } else {
            ((magnitude % 10_000_000_000_000_000_000) as u64, magnitude / 10_000_000_000_000_000_000)
        };
        let chunk_start = len;
        loop {
            digits[len] = b'0' + (chunk % 10) as u8;
            chunk /= 10;
            len += 1;
            if chunk == 0 {
                break;
            }
        }
        magnitude = rest;
        if magnitude == 0 {
            break;
        }
        // A chunk below the top one always stands for 19 digits, leading zeros included.
        while len < chunk_start + 19 {
            digits[len] = b'0';
            len += 1;
        }
    }
    let scale = value.scale() as usize;
    while len <= scale {
        digits[len] = b'0';
        len += 1;
    }
    if value.is_sign_negative() && !value.is_zero() {
        out.push(b'-');
    }
    for (i, &digit) in digits[..len].iter().enumerate().rev() {
        out.push(digit);
        if i == scale && scale > 0 {
            out.push(b'.');
        }
    }
}

/// An exact decimal kept as two 64-bit words: the low 64 bits of the 96-bit magnitude, then the high 32 bits,
/// the scale and the sign. A value computed in registers is stored with two word writes; a `Decimal` is written as
/// four 32-bit fields and read back as one 16-byte load, which stalls the store buffer on every bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PackedDecimal {
    low: u64,
    high: u64,
}

impl PackedDecimal {
    const SIGN: u64 = 1 << 63;

    /// Packs `mantissa × 10^-scale`; `None` unless `|mantissa| < 2^96` and `scale <= 28`.
    #[inline(always)]
    pub fn from_parts(mantissa: i128, scale: u32) -> Option<Self> {
        let magnitude = mantissa.unsigned_abs();
        if magnitude > MAX_MANTISSA || scale > MAX_SCALE {
            return None;
        }
        let sign = if mantissa < 0 { Self::SIGN } else { 0 };
        Some(PackedDecimal { low: magnitude as u64, high: (magnitude >> 64) as u64 | u64::from(scale) << 32 | sign })
    }

    /// Packs a `Decimal`.
    #[inline]
    pub fn from_decimal(value: Decimal) -> Self {
        let magnitude = value.mantissa().unsigned_abs();
        let sign = if value.is_sign_negative() { Self::SIGN } else { 0 };
        PackedDecimal { low: magnitude as u64, high: (magnitude >> 64) as u64 | u64::from(value.scale()) << 32 | sign }
    }

    /// Mantissa and scale.
    #[inline]
    pub fn parts(self) -> (i128, u32) {
        let magnitude = i128::from(self.low) | (i128::from(self.high as u32) << 64);
        let scale = ((self.high >> 32) & 0xff) as u32;
        (if self.high & Self::SIGN != 0 { -magnitude } else { magnitude }, scale)
    }

    /// The nearest `f64`, as the mantissa divided by the power of ten (one division of exactly represented
    /// numbers for mantissas below 2^53): the same `f64` for equal values at any scale, and far cheaper than
    /// `Decimal`'s own conversion, which reports convert a million equity marks with.
    #[inline]
    pub fn to_f64(self) -> f64 {
        let magnitude = if self.high as u32 == 0 {
            self.low as f64
        } else {
            (u128::from(self.low) | u128::from(self.high as u32) << 64) as f64
        };
        let value = magnitude / POW10_F64[((self.high >> 32) & 0xff) as usize];
        if self.high & Self::SIGN != 0 { -value } else { value }
    }

    /// The value as a `Decimal` (same scale).
    #[inline]
    pub fn to_decimal(self) -> Decimal {
        let (lo, mid, hi) = (self.low as u32, (self.low >> 32) as u32, self.high as u32);
        Decimal::from_parts(lo, mid, hi, self.high & Self::SIGN != 0, ((self.high >> 32) & 0xff) as u32)
    }
}

/// Compares two exact values given as (mantissa, scale), by aligning scales in integers; `None` when aligning
/// would overflow (compare as `Decimal` then).
#[inline]
pub fn cmp_parts(a: (i128, u32), b: (i128, u32)) -> Option<std::cmp::Ordering> {
    let scale = a.1.max(b.1);
    Some(scale_up(a.0, scale - a.1)?.cmp(&scale_up(b.0, scale - b.1)?))
}

/// `acc + a × b`, exactly, packed: the per-bar mark of a portfolio. Same value and scale as [`mul_add`].
#[inline(always)]
pub fn mul_add_packed(acc: Decimal, a: Decimal, b: Decimal) -> PackedDecimal {
    match fast_mul_add_parts(acc, a, b).and_then(|(m, s)| PackedDecimal::from_parts(m, s)) {
        Some(packed) => packed,
        None => PackedDecimal::from_decimal(decimal_mul_add(acc, a, b)),
    }
}

/// `acc + a × b`, exactly, at the scale `Decimal` arithmetic would give (the larger of `acc`'s and `a × b`'s).
#[inline(always)]
pub fn mul_add(acc: Decimal, a: Decimal, b: Decimal) -> Decimal {
    match fast_mul_add(acc, a, b) {
        Some(sum) => sum,
        None => decimal_mul_add(acc, a, b),
    }
}

/// The general case, kept out of line so that the fast path inlines small.
#[cold]
#[inline(never)]
fn decimal_mul_add(acc: Decimal, a: Decimal, b: Decimal) -> Decimal {
    acc + a * b
}

#[inline(always)]
fn fast_mul_add(acc: Decimal, a: Decimal, b: Decimal) -> Option<Decimal> {
    let (mantissa, scale) = fast_mul_add_parts(acc, a, b)?;
    Decimal::try_from_i128_with_scale(mantissa, scale).ok()
}

/// Mantissa and scale of `acc + a × b` when they fit a `Decimal`.
#[inline(always)]
fn fast_mul_add_parts(acc: Decimal, a: Decimal, b: Decimal) -> Option<(i128, u32)> {
    let product_scale = a.scale() + b.scale();
    let scale = product_scale.max(acc.scale());
    if scale > MAX_SCALE {
        return None;
    }
    // Mantissas below 2^63 multiply exactly in 128 bits; larger ones take the Decimal path.
    let product = i128::from(i64::try_from(a.mantissa()).ok()?) * i128::from(i64::try_from(b.mantissa()).ok()?);
    let product = scale_up(product, scale - product_scale)?;
    let base = scale_up(acc.mantissa(), scale - acc.scale())?;
    let sum = base + product;
    (sum.unsigned_abs() <= MAX_MANTISSA).then_some((sum, scale))
}

/// `floor(a / b)` to `scale` decimal places, exactly, for `a ≥ 0` and `b > 0`: the largest multiple of `10^-scale`
/// whose product with `b` does not exceed `a`. `None` when `b ≤ 0`, `a < 0` or `scale > 28`.
pub fn div_floor(a: Decimal, b: Decimal, scale: u32) -> Option<Decimal> {
    if !positive(b) || negative(a) || scale > MAX_SCALE {
        return None;
    }
    fast_div_floor(a, b, scale).or_else(|| long_div_floor(a, b, scale))
}

/// [`div_floor`] where the scaled numerator does not fit 128 bits: long division, one decimal digit at a time, so
/// the quotient is the true floor (a `Decimal` division rounds to 28 digits first, which can land one unit above
/// it, and panics where the quotient overflows). `None` when the quotient does not fit a `Decimal` at `scale`.
fn long_div_floor(a: Decimal, b: Decimal, scale: u32) -> Option<Decimal> {
    let shift = i64::from(b.scale()) + i64::from(scale) - i64::from(a.scale());
    let (numerator, denominator) = (a.mantissa().unsigned_abs(), b.mantissa().unsigned_abs());
    let mut quotient = numerator / denominator;
    if shift >= 0 {
        // remainder < denominator < 2^96, so ten times it fits
        let mut remainder = numerator % denominator;
        for _ in 0..shift {
            remainder *= 10;
            quotient = quotient.checked_mul(10)?.checked_add(remainder / denominator)?;
            remainder %= denominator;
        }
    } else {
        // ⌊⌊n / d⌋ / 10^k⌋ = ⌊n / (d · 10^k)⌋ for positive integers
        for _ in 0..shift.unsigned_abs() {
            quotient /= 10;
        }
    }
    Decimal::try_from_i128_with_scale(i128::try_from(quotient).ok()?, scale).ok()
}

fn fast_div_floor(a: Decimal, b: Decimal, scale: u32) -> Option<Decimal> {
    // a / b = (ma · 10^-sa) / (mb · 10^-sb); in units of 10^-scale: ma · 10^(sb + scale - sa) / mb.
    let shift = i64::from(b.scale()) + i64::from(scale) - i64::from(a.scale());
    let power = |n: i64| POW10.get(usize::try_from(n).ok()?).copied();
    let (numerator, denominator) = if shift >= 0 {
        (a.mantissa().checked_mul(power(shift)?)?, b.mantissa())
    } else {
        (a.mantissa(), b.mantissa().checked_mul(power(-shift)?)?)
    };
    Decimal::try_from_i128_with_scale(numerator / denominator, scale).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal::dec;
    use rust_decimal::prelude::ToPrimitive;

    fn decimal(mantissa: i64, scale: u32) -> Decimal {
        Decimal::new(mantissa, scale)
    }

    #[test]
    fn mul_add_matches_hand_values() {
        assert_eq!(mul_add(dec!(0.013012), dec!(9.794), dec!(105)), dec!(1028.383012));
        assert_eq!(mul_add(dec!(10000), dec!(0.5), dec!(2)).to_string(), "10001.0");
    }

    #[test]
    fn decimals_are_written_as_display_writes_them() {
        for d in [
            dec!(0),
            dec!(0.00),
            dec!(-0.5),
            dec!(10000),
            dec!(12020.6012990251068),
            dec!(-79228162514264337593543950335),
        ] {
            let mut out = Vec::new();
            write_decimal(&mut out, d);
            assert_eq!(String::from_utf8(out).unwrap(), d.to_string());
        }
    }

    #[test]
    fn conversion_to_f64_is_the_same_at_any_scale_and_close_to_decimals() {
        for (a, b) in
            [(dec!(10000), dec!(10000.0000)), (dec!(-0.5), dec!(-0.50)), (dec!(12020.6013), dec!(12020.601300))]
        {
            assert_eq!(to_f64(a), to_f64(b));
        }
        for d in [dec!(0.1), dec!(12020.6012990251068), dec!(-79228162514264337593543950335), dec!(1e-28)] {
            let (fast, reference) = (to_f64(d), d.to_f64().unwrap());
            assert!((fast - reference).abs() <= reference.abs() * 4.0 * f64::EPSILON, "{d}: {fast} vs {reference}");
        }
        assert_eq!(to_f64(dec!(0.1)), 0.1);
    }

    #[test]
    fn packing_round_trips_sign_scale_and_magnitude() {
        for d in [dec!(0), dec!(-0.00000001), dec!(79228162514264337593543950335), dec!(-12020.6012990251068)] {
            let packed = PackedDecimal::from_decimal(d);
            assert_eq!(packed.to_decimal().to_string(), d.to_string());
            assert_eq!(PackedDecimal::from_parts(d.mantissa(), d.scale()), Some(packed));
        }
        assert_eq!(PackedDecimal::from_parts(1 << 96, 0), None);
    }

    #[test]
    fn parts_compare_across_scales() {
        let parts = |d: Decimal| PackedDecimal::from_decimal(d).parts();
        assert_eq!(parts(dec!(-12.50)), (-1250, 2));
        assert_eq!(cmp_parts(parts(dec!(1.5)), parts(dec!(1.50))), Some(std::cmp::Ordering::Equal));
        assert_eq!(cmp_parts(parts(dec!(-2)), parts(dec!(-1.999))), Some(std::cmp::Ordering::Less));
        assert_eq!(cmp_parts(parts(dec!(79228162514264337593543950335)), parts(dec!(0.1))), None);
    }

    #[test]
    fn div_floor_truncates_instead_of_rounding_up() {
        assert_eq!(div_floor(dec!(1000), dec!(102.102), 3), Some(dec!(9.794)));
        assert_eq!(div_floor(dec!(2), dec!(3), 8), Some(dec!(0.66666666)));
        // the exact quotient is just below 1: Decimal division would round it up to 1 first
        assert_eq!(div_floor(dec!(0.9999999999999999999999999999), dec!(1), 8), Some(dec!(0.99999999)));
        assert_eq!(div_floor(dec!(1), dec!(0), 8), None);
    }

    #[test]
    fn div_floor_is_the_true_floor_where_the_scaled_numerator_overflows_128_bits() {
        // 2 / 3 at 28 decimals: 2 · 10^41 / (3 · 10^13) does not fit 128 bits. Decimal division gives
        // 0.666…667 (rounded at the 28th digit); the floor ends in 6.
        assert_eq!(div_floor(dec!(2), dec!(3.0000000000000), 28), Some(dec!(0.6666666666666666666666666666)));
        // a quotient no Decimal holds is None, not a panic
        assert_eq!(div_floor(Decimal::MAX, dec!(0.0000000003), 0), None);
        // an exact quotient through the long path, and a negative shift
        assert_eq!(div_floor(dec!(6), dec!(3.00000000000000000000), 20), Some(dec!(2)));
        assert_eq!(div_floor(dec!(123456789.123456789), dec!(1), 0), Some(dec!(123456789)));
    }

    proptest! {
        #[test]
        fn mul_add_equals_decimal_arithmetic_value_and_scale(
            acc in any::<i64>(), sa in 0u32..20, a in any::<i64>(), s1 in 0u32..12, b in any::<i32>(), s2 in 0u32..12,
        ) {
            let (acc, x, y) = (decimal(acc, sa), decimal(a, s1), decimal(i64::from(b), s2));
            if let Some(expected) = x.checked_mul(y).and_then(|product| acc.checked_add(product)) {
                let got = mul_add(acc, x, y);
                prop_assert_eq!(got, expected);
                prop_assert_eq!(got.to_string(), expected.to_string());
                prop_assert_eq!(mul_add_packed(acc, x, y).to_decimal().to_string(), expected.to_string());
            }
        }

        #[test]
        fn written_decimals_equal_display(mantissa in any::<i64>(), hi in any::<u32>(), scale in 0u32..29, neg in any::<bool>()) {
            let d = Decimal::from_parts(mantissa as u32, (mantissa >> 32) as u32, hi, neg, scale);
            let mut out = Vec::new();
            write_decimal(&mut out, d);
            prop_assert_eq!(String::from_utf8(out).unwrap(), d.to_string());
        }

        #[test]
        fn div_floor_is_the_largest_multiple_that_fits(
            a in 0i64..i64::MAX, sa in 0u32..12, b in 1i64..i64::MAX, sb in 0u32..12, scale in 0u32..10,
        ) {
            let (a, b) = (decimal(a, sa), decimal(b, sb));
            let q = div_floor(a, b, scale).unwrap();
            let ulp = Decimal::new(1, scale);
            prop_assert!(q.scale() <= scale);
            if let Some(used) = q.checked_mul(b) {
                prop_assert!(used <= a, "{q} × {b} = {used} exceeds {a}");
            }
            if let Some(next) = (q + ulp).checked_mul(b) {
                prop_assert!(next > a, "{} × {b} = {next} still fits in {a}", q + ulp);
            }
        }
    }
}
