//! Parsing of single values from market-data files: exact decimals and timestamps.
//!
//! Both parsers are strict: anything they do not fully understand is an error, never a guess.

use rust_decimal::Decimal;
use std::str::FromStr;

use crate::model::{NANOS_PER_DAY, NANOS_PER_SECOND, Timestamp};

/// Parses a decimal number exactly (`16541.77000000`, `-1.5`, `2.5e-3`), with trailing zeros removed so that
/// arithmetic on it stays cheap.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let text = text.trim();
    if let Some(value) = parse_plain_decimal(text.as_bytes()) {
        return Some(value);
    }
    // rust_decimal's parser reads `1_000` as 1000 and rounds digits past its 28 decimals away (to 0 for a tiny
    // value): neither is what the file says, so only digits, one point, a sign and an exponent are read, and a
    // value it cannot hold exactly is no number.
    if !text.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E')) {
        return None;
    }
    if let Some((mantissa, exponent)) = text.split_once(['e', 'E']) {
        return parse_scientific(mantissa, exponent);
    }
    let value = Decimal::from_str(text).ok()?.normalize();
    (value.to_string() == canonical(text)).then_some(value)
}

/// `mantissa × 10^exponent`, exactly: the mantissa read as any plain number is, then its scale moved; `None` when
/// the result needs more than 28 decimals or does not fit.
fn parse_scientific(mantissa: &str, exponent: &str) -> Option<Decimal> {
    if mantissa.contains(['e', 'E']) {
        return None;
    }
    let mantissa = parse_decimal(mantissa)?;
    let exponent: i64 = exponent.parse().ok()?;
    let scale = i64::from(mantissa.scale()) - exponent;
    let value = if scale >= 0 {
        Decimal::try_from_i128_with_scale(mantissa.mantissa(), u32::try_from(scale).ok()?).ok()?
    } else {
        let factor = 10_i128.checked_pow(u32::try_from(-scale).ok()?)?;
        Decimal::try_from_i128_with_scale(mantissa.mantissa().checked_mul(factor)?, 0).ok()?
    };
    Some(value.normalize())
}

/// A plain decimal `[+-]digits[.digits]` written as a normalized `Decimal` prints: no `+`, no leading zeros, no
/// trailing fractional zeros, no `-0`. A parsed value that prints otherwise was rounded.
fn canonical(text: &str) -> String {
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (whole, fraction) = body.split_once('.').unwrap_or((body, ""));
    let whole = match whole.trim_start_matches('0') {
        "" => "0",
        digits => digits,
    };
    let fraction = fraction.trim_end_matches('0');
    let number = if fraction.is_empty() { whole.to_string() } else { format!("{whole}.{fraction}") };
    if negative && number != "0" { format!("-{number}") } else { number }
}

/// The common case, fast: `[+-]digits[.digits]` with at most 28 significant digits, trailing fractional zeros
/// dropped. Anything else (exponents, more digits, stray characters) returns `None` for the general parser.
fn parse_plain_decimal(text: &[u8]) -> Option<Decimal> {
    let (negative, digits) = match text.split_first()? {
        (b'-', rest) => (true, rest),
        (b'+', rest) => (false, rest),
        _ => (false, text),
    };
    let (mut mantissa, mut significant, mut scale, mut seen_point, mut seen_digit) =
        (0_u128, 0_u32, 0_u32, false, false);
    for &byte in digits {
        match byte {
            b'0'..=b'9' => {
                if mantissa != 0 || byte != b'0' {
                    significant += 1;
                    if significant > 28 {
                        return None;
                    }
                }
                mantissa = mantissa * 10 + u128::from(byte - b'0');
                scale += u32::from(seen_point);
                seen_digit = true;
            }
            b'.' if !seen_point => seen_point = true,
            _ => return None,
        }
    }
    if !seen_digit || scale > 28 {
        return None;
    }
    while scale > 0 && mantissa % 10 == 0 {
        mantissa /= 10;
        scale -= 1;
    }
    let signed = i128::try_from(mantissa).ok()?;
    Decimal::try_from_i128_with_scale(if negative { -signed } else { signed }, scale).ok()
}

/// How a timestamp column writes its integers, when it writes integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EpochUnit {
    /// Milliseconds since the epoch.
    Millis,
    /// Microseconds since the epoch.
    Micros,
}

/// Epoch integers at or above this are microseconds (Binance spot files since 2025-01-01), below it milliseconds:
/// 10^15 ms is the year 33658, 10^15 µs is 2001.
const MICROS_THRESHOLD: i64 = 1_000_000_000_000_000;

impl EpochUnit {
    /// The unit an epoch integer of a market-data file is written in, told apart by size: microseconds from
    /// 10^15 up (any time after 2001 written in µs), milliseconds below (any time before the year 33658 in ms).
    pub fn of(value: i64) -> Self {
        if value >= MICROS_THRESHOLD { EpochUnit::Micros } else { EpochUnit::Millis }
    }

    /// Converts an epoch integer in this unit to a timestamp; `None` on overflow.
    pub fn to_timestamp(self, value: i64) -> Option<Timestamp> {
        match self {
            EpochUnit::Millis => Timestamp::from_millis(value),
            EpochUnit::Micros => Timestamp::from_micros(value),
        }
    }
}

/// Parses a generic-CSV timestamp: epoch milliseconds (`1672531200000`), or ISO-8601 / RFC 3339 date-time
/// (`2020-01-01T00:00:00Z`, `2020-01-01 00:00:00`, `2020-01-01T02:00:00+02:00`, fractional seconds allowed), or a
/// date (`2020-01-01`). A date-time without offset is UTC.
pub fn parse_timestamp(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let digits = text.strip_prefix('-').unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<i64>().ok().and_then(Timestamp::from_millis);
    }
    parse_iso8601(text)
}

/// Parses `YYYY-MM-DD[(T| )HH:MM[:SS[.fraction]]][Z|±HH[:MM]]`.
fn parse_iso8601(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    // Summed in 128 bits, then checked: an instant outside 1677-09-21T00:12:43.145224192Z …
    // 2262-04-11T23:47:16.854775807Z does not fit 64-bit nanoseconds and is no timestamp (it must not wrap into
    // another century), while every instant inside does, on the edge days and with any offset.
    let mut nanos = i128::from(days_from_civil(year, month, day)) * i128::from(NANOS_PER_DAY);
    let mut rest = &b[10..];
    if rest.is_empty() {
        return i64::try_from(nanos).ok().map(Timestamp);
    }
    if rest[0] != b'T' && rest[0] != b' ' {
        return None;
    }
    rest = &rest[1..];
    if rest.len() < 5 || rest[2] != b':' {
        return None;
    }
    let hour = digits(&rest[0..2])?;
    let minute = digits(&rest[3..5])?;
    let mut second = 0;
    rest = &rest[5..];
    if rest.first() == Some(&b':') {
        second = digits(rest.get(1..3)?)?;
        rest = &rest[3..];
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    nanos += i128::from((hour * 3600 + minute * 60 + second) * NANOS_PER_SECOND);
    if rest.first() == Some(&b'.') {
        let frac_len = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if frac_len == 0 || frac_len > 9 {
            return None;
        }
        nanos += i128::from(digits(&rest[1..=frac_len])? * 10_i64.pow(9 - frac_len as u32));
        rest = &rest[1 + frac_len..];
    }
    nanos -= i128::from(parse_offset_seconds(rest)? * NANOS_PER_SECOND);
    i64::try_from(nanos).ok().map(Timestamp)
}

/// The UTC offset in seconds of a suffix: empty or `Z` is 0; `+HH`, `+HHMM`, `+HH:MM` and the `-` forms.
fn parse_offset_seconds(suffix: &[u8]) -> Option<i64> {
    match suffix {
        [] | [b'Z'] | [b'z'] => Some(0),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (h, m) = match rest {
                [h1, h2] => (digits(&[*h1, *h2])?, 0),
                [h1, h2, m1, m2] | [h1, h2, b':', m1, m2] => (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let seconds = h * 3600 + m * 60;
            Some(if *sign == b'-' { -seconds } else { seconds })
        }
        _ => None,
    }
}

/// The value of a run of ASCII digits; `None` if any byte is not a digit.
fn digits(bytes: &[u8]) -> Option<i64> {
    bytes.iter().try_fold(0_i64, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0')))
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;
    use rust_decimal::dec;

    #[rstest]
    #[case("2020-01-01T00:00:00Z", 1_577_836_800_000)]
    #[case("2020-01-01 00:00:00", 1_577_836_800_000)]
    #[case("2020-01-01T00:00:00", 1_577_836_800_000)]
    #[case("2020-01-01", 1_577_836_800_000)]
    #[case("2020-01-01T02:00:00+02:00", 1_577_836_800_000)]
    #[case("2019-12-31T19:00:00-0500", 1_577_836_800_000)]
    #[case("2021-12-31 23:01:00.000000", 1_640_991_660_000)]
    #[case("2021-12-31T23:01:00.250Z", 1_640_991_660_250)]
    #[case("2020-01-01T00:00", 1_577_836_800_000)]
    #[case("1577836800000", 1_577_836_800_000)]
    fn timestamps_parse_to_utc_millis(#[case] text: &str, #[case] millis: i64) {
        assert_eq!(parse_timestamp(text), Timestamp::from_millis(millis));
    }

    #[rstest]
    #[case("2020-13-01T00:00:00Z")]
    #[case("2021-02-29")]
    #[case("2020-01-01T24:00:00")]
    #[case("2020-01-01X00:00:00")]
    #[case("2020-01-01T00:00:00+25:00")]
    #[case("yesterday")]
    #[case("")]
    #[case("2020-01-01T00:00:00.1234567890")]
    #[case::past_2262_would_wrap_to_1816("9999-01-01T00:00:00Z")]
    #[case::before_1677("1000-01-01")]
    #[case::just_past_the_last_nanosecond("2262-04-11T23:47:16.854775808Z")]
    fn malformed_timestamps_are_refused(#[case] text: &str) {
        assert_eq!(parse_timestamp(text), None);
    }

    #[rstest]
    #[case::the_first_nanosecond("1677-09-21T00:12:43.145224192Z", i64::MIN)]
    #[case::the_last_nanosecond("2262-04-11T23:47:16.854775807Z", i64::MAX)]
    // 2262-04-11T00:00Z is 9,223,286,400 s; the offset puts the time at 23:30 that day (84,600 s later).
    #[case::the_last_day_written_with_an_offset("2262-04-12T00:30:00+01:00", 9_223_286_400_000_000_000 + 84_600_000_000_000)]
    fn every_instant_64_bit_nanoseconds_hold_reads(#[case] text: &str, #[case] nanos: i64) {
        assert_eq!(parse_timestamp(text), Some(Timestamp(nanos)));
    }

    #[test]
    fn decimals_parse_exactly_and_normalize() {
        assert_eq!(parse_decimal("16541.77000000"), Some(dec!(16541.77)));
        assert_eq!(parse_decimal("2.5e-3"), Some(dec!(0.0025)));
        assert_eq!(parse_decimal(" 7 "), Some(dec!(7)));
        assert_eq!(parse_decimal("0.1").map(|d| d.scale()), Some(1));
        assert_eq!(parse_decimal("1,5"), None);
        assert_eq!(parse_decimal("NaN"), None);
        assert_eq!(parse_decimal("-0.000"), Some(dec!(0)));
        assert_eq!(parse_decimal("."), None);
        assert_eq!(parse_decimal("1.2.3"), None);
        assert_eq!(parse_decimal("12345678901234567890123456789012"), None, "too many digits for a Decimal");
    }

    #[rstest]
    #[case::underscores_are_no_digit_separators("1_000")]
    #[case::twenty_nine_decimals_would_round_to_0("0.00000000000000000000000000001")]
    #[case::the_same_with_an_exponent("0.00000000000000000000000000001e0")]
    #[case::an_exponent_past_28_decimals("1e-30")]
    #[case::twenty_nine_decimals_would_round("1.00000000000000000000000000001")]
    #[case::more_than_a_decimal_holds("79228162514264337593543950336")]
    fn a_number_a_decimal_cannot_hold_exactly_is_refused(#[case] text: &str) {
        assert_eq!(parse_decimal(text), None);
    }

    #[rstest]
    #[case("1.50000000000000000000000000000000", dec!(1.5))]
    #[case("+000000000000000000000000000000012.25", dec!(12.25))]
    #[case("-0.0000000000000000000000000001", dec!(-0.0000000000000000000000000001))]
    #[case("1.5E+3", dec!(1500))]
    #[case("2.5e-3", dec!(0.0025))]
    #[case("1e-28", dec!(0.0000000000000000000000000001))]
    fn long_spellings_of_exact_numbers_still_read(#[case] text: &str, #[case] value: rust_decimal::Decimal) {
        assert_eq!(parse_decimal(text), Some(value));
    }

    proptest! {
        #[test]
        fn fast_decimal_parser_agrees_with_rust_decimal(mantissa in any::<i64>(), scale in 0u32..12, zeros in 0usize..4) {
            let value = Decimal::new(mantissa, scale);
            let mut text = value.to_string();
            if text.contains('.') {
                text.push_str(&"0".repeat(zeros));
            }
            let parsed = parse_decimal(&text).unwrap();
            prop_assert_eq!(parsed, value);
            prop_assert_eq!(parsed.to_string(), value.normalize().to_string());
        }

        #[test]
        fn iso_parser_agrees_with_chrono(secs in -2_000_000_000_i64..8_000_000_000, millis in 0_i64..1000) {
            let ns = secs * NANOS_PER_SECOND + millis * 1_000_000;
            let dt = chrono::DateTime::from_timestamp_nanos(ns);
            let text = dt.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
            prop_assert_eq!(parse_timestamp(&text), Some(Timestamp(ns)));
            prop_assert_eq!(Timestamp(ns).to_string().len() >= 20, true);
            prop_assert_eq!(parse_timestamp(&Timestamp(ns).to_string()), Some(Timestamp(ns)));
        }
    }
}
