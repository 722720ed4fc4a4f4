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
        let volume: rust_decimal::Decimal = inside.iter().map(|d| d.volume).sum();
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
