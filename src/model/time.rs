//! Engine time: nanoseconds since the Unix epoch, UTC.
//!
//! The engine never reads the wall clock; every [`Timestamp`] comes from market data (backtest) or from the venue's feed.

use std::fmt;

/// A point in time, nanoseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

/// Nanoseconds per millisecond.
pub const NANOS_PER_MILLI: i64 = 1_000_000;
/// Nanoseconds per second.
pub const NANOS_PER_SECOND: i64 = 1_000_000_000;
/// Nanoseconds per day.
pub const NANOS_PER_DAY: i64 = 86_400 * NANOS_PER_SECOND;

impl Timestamp {
    /// From milliseconds since the epoch; `None` when out of the representable range (years 1677..2262).
    pub fn from_millis(ms: i64) -> Option<Self> {
        ms.checked_mul(NANOS_PER_MILLI).map(Timestamp)
    }

    /// From microseconds since the epoch; `None` when out of range.
    pub fn from_micros(us: i64) -> Option<Self> {
        us.checked_mul(1_000).map(Timestamp)
    }

    /// Nanoseconds since the epoch.
    pub fn nanos(self) -> i64 {
        self.0
    }

    /// Whole milliseconds since the epoch (floor).
    pub fn millis(self) -> i64 {
        self.0.div_euclid(NANOS_PER_MILLI)
    }

    /// As a chrono UTC date-time (for charts and parsing round trips).
    pub fn to_datetime(self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp_nanos(self.0)
    }
}

impl serde::Serialize for Timestamp {
    /// As RFC 3339 text, the form reports use.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl Timestamp {
    /// Appends the RFC 3339 form (as [`Display`](fmt::Display) writes it) to `out`, without the formatting
    /// machinery: reports write a million of these.
    pub fn write_rfc3339(self, out: &mut Vec<u8>) {
        let days = self.0.div_euclid(NANOS_PER_DAY);
        let nanos_of_day = self.0.rem_euclid(NANOS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let secs = nanos_of_day / NANOS_PER_SECOND;
        let sub = nanos_of_day % NANOS_PER_SECOND;
        if (0..=9999).contains(&year) {
            push_digits(out, year as u64, 4);
        } else {
            out.extend_from_slice(year.to_string().as_bytes());
        }
        out.push(b'-');
        push_digits(out, u64::from(month), 2);
        out.push(b'-');
        push_digits(out, u64::from(day), 2);
        out.push(b'T');
        push_digits(out, (secs / 3600) as u64, 2);
        out.push(b':');
        push_digits(out, (secs / 60 % 60) as u64, 2);
        out.push(b':');
        push_digits(out, (secs % 60) as u64, 2);
        if sub != 0 {
            out.push(b'.');
            if sub % NANOS_PER_MILLI == 0 {
                push_digits(out, (sub / NANOS_PER_MILLI) as u64, 3);
            } else {
                push_digits(out, sub as u64, 9);
            }
        }
        out.push(b'Z');
    }
}

/// Appends `value` as exactly `width` decimal digits (zero-padded; `value` must fit).
fn push_digits(out: &mut Vec<u8>, mut value: u64, width: usize) {
    let start = out.len();
    out.resize(start + width, b'0');
    for slot in out[start..].iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC with a `Z` suffix; sub-second digits only when present (`2023-01-01T01:00:00Z`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = Vec::with_capacity(32);
        self.write_rfc3339(&mut text);
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

/// Proleptic Gregorian (year, month, day) of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A human-readable duration such as `3d 4h 5m` (seconds only when under a minute).
pub fn format_duration(nanos: i64) -> String {
    let secs = nanos / NANOS_PER_SECOND;
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(format!("{d}d"));
    }
    if h > 0 {
        parts.push(format!("{h}h"));
    }
    if m > 0 {
        parts.push(format!("{m}m"));
    }
    if parts.is_empty() {
        parts.push(format!("{s}s"));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_matches_chrono_for_dates_across_eras() {
        for &ns in
            &[0_i64, 1_672_531_200_000_000_000, 951_782_400_000_000_000, -86_400_000_000_000, 4_102_444_800_123_000_000]
        {
            let expected = chrono::DateTime::from_timestamp_nanos(ns).format("%Y-%m-%dT%H:%M:%S%.3f").to_string();
            let ours = Timestamp(ns).to_string();
            assert_eq!(ours.trim_end_matches('Z'), expected.trim_end_matches(".000"), "at {ns}");
        }
    }

    #[test]
    fn durations_read_as_days_hours_minutes() {
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(90 * NANOS_PER_SECOND), "1m");
        assert_eq!(format_duration((3 * 86_400 + 4 * 3600) * NANOS_PER_SECOND), "3d 4h");
    }
}
