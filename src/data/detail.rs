//! Sub-bar detail data: the check that finer bars of a symbol describe the same market as its main bars. The
//! detail bars inside each main bar (opening at or after its open, closing at or before its close) must aggregate
//! to it exactly: the first's open is its open, the last's close its close, their highest high and lowest low its
//! high and low, their volumes sum to its volume. Detail bars outside every main bar are ignored.

use crate::model::{Bar, BarSeries};

/// What is wrong between `main` and its `detail` bars (in time order), or `None` when every main bar is the
/// aggregate of the detail bars inside it.
pub fn detail_mismatch(main: &BarSeries, detail: &[Bar]) -> Option<String> {
    if let Some(b) = detail.first().filter(|b| b.close_time.0 - b.open_time.0 >= main.interval) {
        return Some(format!(
            "detail bars must be finer than the main bars: the one opening at {} is as long as a main bar",
            b.open_time
        ));
    }
    let mut from = 0;
    for i in 0..main.len() {
        let bar = main.bar(i);
        let start = from + detail[from..].partition_point(|d| d.open_time < bar.open_time);
        let end = start + detail[start..].partition_point(|d| d.close_time <= bar.close_time);
        from = end;
        let inside = &detail[start..end];
        let (Some(first), Some(last)) = (inside.first(), inside.last()) else {
            return Some(format!("no detail bars inside the main bar opening at {}", bar.open_time));
        };
        let high = inside.iter().map(|d| d.high).max().unwrap_or(first.high);
        let low = inside.iter().map(|d| d.low).min().unwrap_or(first.low);
        // Checked: volumes come from a file and a Decimal sum panics on overflow.
        let Some(volume) = inside.iter().try_fold(rust_decimal::Decimal::ZERO, |sum, d| sum.checked_add(d.volume))
        else {
            return Some(format!(
                "the volumes of the {} detail bars inside the main bar opening at {} overflow a sum",
                inside.len(),
                bar.open_time
            ));
        };
        let checks = [
            ("open", first.open, bar.open),
            ("high", high, bar.high),
            ("low", low, bar.low),
            ("close", last.close, bar.close),
            ("volume", volume, bar.volume),
        ];
        if let Some((what, theirs, ours)) = checks.iter().find(|(_, theirs, ours)| theirs != ours) {
            return Some(format!(
                "the {} detail bars inside the main bar opening at {} aggregate to {what} {}, the main bar has {}",
                inside.len(),
                bar.open_time,
                theirs.normalize(),
                ours.normalize()
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Symbol, Timestamp};
    use rust_decimal::{Decimal, dec};

    const MINUTE: i64 = 60_000_000_000;

    fn bar(open_time: i64, length: i64, [open, high, low, close]: [Decimal; 4], volume: Decimal) -> Bar {
        Bar {
            open_time: Timestamp(open_time),
            close_time: Timestamp(open_time + length),
            open,
            high,
            low,
            close,
            volume,
        }
    }

    /// Two 2-minute main bars, and the four minutes they aggregate.
    fn main_and_minutes() -> (BarSeries, Vec<Bar>) {
        let minutes = vec![
            bar(0, MINUTE, [dec!(10), dec!(12), dec!(9), dec!(11)], dec!(1)),
            bar(MINUTE, MINUTE, [dec!(11), dec!(11), dec!(8), dec!(10)], dec!(2)),
            bar(2 * MINUTE, MINUTE, [dec!(10), dec!(10), dec!(10), dec!(10)], dec!(0)),
            bar(3 * MINUTE, MINUTE, [dec!(10), dec!(13), dec!(10), dec!(13)], dec!(0.5)),
        ];
        let main = BarSeries {
            symbol: Symbol::new("BTCUSDT").unwrap(),
            interval: 2 * MINUTE,
            open_time: vec![Timestamp(0), Timestamp(2 * MINUTE)],
            open: vec![dec!(10), dec!(10)],
            high: vec![dec!(12), dec!(13)],
            low: vec![dec!(8), dec!(10)],
            close: vec![dec!(10), dec!(13)],
            volume: vec![dec!(3), dec!(0.5)],
        };
        (main, minutes)
    }

    #[test]
    fn detail_that_aggregates_to_every_main_bar_passes() {
        let (main, minutes) = main_and_minutes();
        assert_eq!(detail_mismatch(&main, &minutes), None);
    }

    #[test]
    fn a_field_that_differs_is_named_with_the_main_bar() {
        let (main, mut minutes) = main_and_minutes();
        minutes[1].volume = dec!(2.5);
        let problem = detail_mismatch(&main, &minutes).unwrap();
        assert!(
            problem.contains("volume 3.5, the main bar has 3") && problem.contains("1970-01-01T00:00:00Z"),
            "{problem}"
        );
    }

    #[test]
    fn volumes_whose_sum_overflows_are_a_mismatch_not_a_panic() {
        let (main, mut minutes) = main_and_minutes();
        minutes[0].volume = Decimal::MAX;
        minutes[1].volume = Decimal::MAX;
        let problem = detail_mismatch(&main, &minutes).unwrap();
        assert!(problem.contains("overflow a sum") && problem.contains("1970-01-01T00:00:00Z"), "{problem}");
    }

    #[test]
    fn a_main_bar_without_detail_or_detail_as_coarse_as_the_bars_is_refused() {
        let (main, minutes) = main_and_minutes();
        let problem = detail_mismatch(&main, &minutes[..2]).unwrap();
        assert!(problem.starts_with("no detail bars inside the main bar opening at 1970-01-01T00:02:00Z"), "{problem}");
        let coarse: Vec<Bar> = (0..2).map(|i| main.bar(i)).collect();
        assert!(detail_mismatch(&main, &coarse).unwrap().starts_with("detail bars must be finer"));
    }
}
