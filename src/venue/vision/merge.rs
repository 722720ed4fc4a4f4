//! Joining the archives' rows into one time-ordered output: each archive contributes the rows of its own month or
//! day that lie in `[from, to)` (archives are taken in time order, so their rows never interleave), sorted by time
//! (aggregate trades by time, then id; the sort is stable, so rows with the same key keep their file order); a row
//! with the key of the row before it (klines and funding: the same time; aggregate trades: the same id) is a
//! duplicate and dropped, the first one kept; and what is missing between the rows is counted as gaps — klines
//! against the interval, funding settlements against the interval each row states, aggregate trades by id.

use std::io::Write;

use super::rows::{Parsed, Row};
use super::{Gap, VisionKind};
use crate::model::Timestamp;

/// The most duplicates named in the summary (all are counted).
const NAMED_DUPLICATES: usize = 20;

/// Rows written so far and what was noticed on the way.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Merged {
    /// Rows written.
    pub rows: usize,
    /// Time of the first and the last row written (the output's unit).
    pub first: Option<i64>,
    /// See `first`.
    pub last: Option<i64>,
    /// Duplicates dropped.
    pub duplicates: usize,
    /// The first [`NAMED_DUPLICATES`] of them, as the summary names them.
    pub named_duplicates: Vec<String>,
    /// Rows of `[from, to)` that lay outside their own archive's month or day, dropped.
    pub outside_period: usize,
    /// Rows whose time was converted from the other unit.
    pub converted: usize,
    /// What is missing, in time order.
    pub gaps: Vec<Gap>,
}

/// Writes rows in order to `out`, dropping duplicates and recording gaps.
pub(super) struct Merger<W: Write> {
    kind: VisionKind,
    /// The kline interval, ms (0 for the other kinds).
    step: i64,
    /// `[from, to)` in the output's time unit.
    from: i64,
    to: i64,
    out: W,
    previous: Option<Row>,
    merged: Merged,
}

impl<W: Write> Merger<W> {
    /// A merger for `kind` over `[from, to)` (in the output's unit; `step` the kline interval in ms).
    pub fn new(kind: VisionKind, step: i64, from: i64, to: i64, out: W) -> Self {
        Merger { kind, step, from, to, out, previous: None, merged: Merged::default() }
    }

    /// Adds the rows of one archive whose month or day is `[start, end)` (the output's unit).
    ///
    /// # Errors
    /// What writing to the output fails with.
    pub fn add(&mut self, parsed: Parsed, start: i64, end: i64) -> std::io::Result<()> {
        let (lo, hi) = (self.from.max(start), self.to.min(end));
        let mut rows = Vec::with_capacity(parsed.rows.len());
        for row in parsed.rows {
            if (lo..hi).contains(&row.time) {
                rows.push(row);
            } else if (self.from..self.to).contains(&row.time) {
                self.merged.outside_period += 1;
            }
        }
        self.merged.converted += parsed.converted;
        rows.sort_by_key(|row| (row.time, row.id));
        for row in rows {
            self.push(row, &parsed.text[row.start..row.end])?;
        }
        Ok(())
    }

    fn push(&mut self, row: Row, line: &str) -> std::io::Result<()> {
        if let Some(previous) = self.previous {
            let duplicate = match self.kind {
                VisionKind::AggTrades => row.id == previous.id,
                VisionKind::Klines | VisionKind::FundingRate => row.time == previous.time,
            };
            if duplicate {
                self.merged.duplicates += 1;
                if self.merged.named_duplicates.len() < NAMED_DUPLICATES {
                    self.merged.named_duplicates.push(self.describe(&row));
                }
                return Ok(());
            }
            self.between(previous, row);
        } else {
            self.leading(row);
        }
        self.out.write_all(line.as_bytes())?;
        self.out.write_all(b"\n")?;
        self.merged.rows += 1;
        self.merged.first.get_or_insert(row.time);
        self.merged.last = Some(row.time);
        self.previous = Some(row);
        Ok(())
    }

    /// What was written, with the gap after the last row up to `to`; and the output.
    pub fn finish(mut self) -> (Merged, W) {
        match self.previous {
            Some(last) => {
                let spacing = self.spacing(&last);
                if spacing > 0 {
                    let missing = (self.to - last.time - 1) / spacing;
                    self.time_gap(last.time + spacing, self.to, missing);
                }
            }
            None if self.kind == VisionKind::Klines && self.step > 0 && self.to > self.from => {
                let missing = (self.to - self.from - 1) / self.step + 1;
                self.time_gap(self.from, self.to, missing);
            }
            None => {}
        }
        (self.merged, self.out)
    }

    /// The expected time between a row and the next (0 for aggregate trades, which are counted by id).
    fn spacing(&self, row: &Row) -> i64 {
        match self.kind {
            VisionKind::Klines => self.step,
            VisionKind::FundingRate => row.hours * 3_600_000,
            VisionKind::AggTrades => 0,
        }
    }

    /// Bars or settlements missing between `from` and the first row.
    fn leading(&mut self, first: Row) {
        let spacing = self.spacing(&first);
        if spacing > 0 {
            self.time_gap(self.from, first.time, (first.time - self.from) / spacing);
        }
    }

    /// What is missing between two consecutive rows. Times are rounded to the nearest multiple of the spacing
    /// (funding settlements are stamped a few milliseconds late).
    fn between(&mut self, previous: Row, row: Row) {
        if self.kind == VisionKind::AggTrades {
            if row.id > previous.id.saturating_add(1) {
                self.merged.gaps.push(Gap::TradeIds { first: previous.id + 1, last: row.id - 1 });
            }
            return;
        }
        let spacing = self.spacing(&previous);
        if spacing > 0 {
            let missing = (row.time - previous.time + spacing / 2) / spacing - 1;
            self.time_gap(previous.time + spacing, row.time, missing);
        }
    }

    fn time_gap(&mut self, from: i64, until: i64, missing: i64) {
        if missing <= 0 {
            return;
        }
        let (Some(from), Some(until)) = (Timestamp::from_millis(from), Timestamp::from_millis(until)) else {
            return;
        };
        let missing = missing.unsigned_abs();
        self.merged.gaps.push(match self.kind {
            VisionKind::FundingRate => Gap::Settlements { from, until, missing },
            _ => Gap::Bars { from, until, missing },
        });
    }

    /// A duplicate as the summary names it.
    fn describe(&self, row: &Row) -> String {
        match self.kind {
            VisionKind::AggTrades => format!("agg_trade_id {}", row.id),
            _ => Timestamp::from_millis(row.time).map_or_else(|| row.time.to_string(), |t| t.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    /// Rows of the given times (and ids), each line its time and a tag.
    fn parsed(rows: &[(i64, i64, &str)]) -> Parsed {
        let mut parsed = Parsed::default();
        for (time, id, tag) in rows {
            let start = parsed.text.len();
            parsed.text.push_str(&format!("{time},{tag}"));
            parsed.rows.push(Row { time: *time, id: *id, hours: 8, start, end: parsed.text.len() });
            parsed.text.push('\n');
        }
        parsed
    }

    #[test]
    fn klines_are_sorted_the_first_duplicate_kept_and_missing_bars_counted() {
        let mut merger = Merger::new(VisionKind::Klines, HOUR, 0, 10 * HOUR, Vec::new());
        let day =
            parsed(&[(3 * HOUR, 0, "c"), (HOUR, 0, "a"), (3 * HOUR, 0, "c2"), (2 * HOUR, 0, "b"), (7 * HOUR, 0, "d")]);
        merger.add(day, 0, 24 * HOUR).unwrap();
        let (merged, out) = merger.finish();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, format!("{},a\n{},b\n{},c\n{},d\n", HOUR, 2 * HOUR, 3 * HOUR, 7 * HOUR));
        assert_eq!((merged.rows, merged.duplicates), (4, 1));
        assert_eq!(merged.named_duplicates, ["1970-01-01T03:00:00Z"]);
        let missing: Vec<u64> = merged.gaps.iter().map(Gap::missing).collect();
        assert_eq!(missing, [1, 3, 2], "00:00 before the first; 04:00–06:00; 08:00 and 09:00 before --to");
    }

    #[test]
    fn rows_outside_their_archives_day_are_dropped_and_counted() {
        let mut merger = Merger::new(VisionKind::Klines, HOUR, 0, 48 * HOUR, Vec::new());
        merger.add(parsed(&[(0, 0, "a"), (30 * HOUR, 0, "stray")]), 0, 24 * HOUR).unwrap();
        let (merged, _) = merger.finish();
        assert_eq!((merged.rows, merged.outside_period), (1, 1));
    }

    #[test]
    fn funding_gaps_follow_each_rows_interval_and_tolerate_late_stamps() {
        let h8 = 8 * HOUR;
        let mut merger = Merger::new(VisionKind::FundingRate, 0, 0, 5 * h8, Vec::new());
        merger.add(parsed(&[(1, 0, "a"), (h8 + 3, 0, "b"), (4 * h8 + 2, 0, "c")]), 0, 10 * h8).unwrap();
        let (merged, _) = merger.finish();
        assert_eq!(merged.gaps.len(), 1, "{:?}", merged.gaps);
        assert!(matches!(merged.gaps[0], Gap::Settlements { missing: 2, .. }));
    }

    #[test]
    fn aggregate_trades_are_deduplicated_and_gapped_by_id() {
        let mut merger = Merger::new(VisionKind::AggTrades, 0, 0, 100, Vec::new());
        merger.add(parsed(&[(10, 1, "a"), (10, 2, "b"), (10, 2, "b"), (20, 6, "c")]), 0, 100).unwrap();
        let (merged, _) = merger.finish();
        assert_eq!((merged.rows, merged.duplicates), (3, 1));
        assert_eq!(merged.named_duplicates, ["agg_trade_id 2"]);
        assert_eq!(merged.gaps, [Gap::TradeIds { first: 3, last: 5 }]);
    }
}
