//! Joining the archives' rows into one time-ordered output as they are read: each archive contributes the rows of
//! its own month or day that lie in `[from, to)` (archives are taken in time order, so their rows never
//! interleave); rows wait in a window of [`REORDER_WINDOW`] rows that puts them in order by time (aggregate trades
//! by time, then id; rows with the same key keep their file order), and the earliest is written when the window is
//! full, so memory holds the window, never a whole file. A row with the key of the row written before it (klines
//! and funding: the same time; aggregate trades: the same id, the highest written) is a duplicate and dropped, the
//! first one kept; a row that comes after a later one was written (more than the window out of place; for aggregate
//! trades also an id below the highest written, however far apart in time: a repeat or a row out of place) is
//! dropped as out of order. Both are counted and the first [`NAMED_DROPS`] named. What is missing between the rows is counted as gaps — klines
//! against the interval, funding settlements against the interval each row states, aggregate trades by id.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::Write;

use super::rows::Row;
use super::{Gap, VisionKind};
use crate::model::Timestamp;

/// How many rows wait to be put in order before the earliest is written.
pub(super) const REORDER_WINDOW: usize = 50_000;
/// The most duplicates, and rows out of order, named in the summary (all are counted).
const NAMED_DROPS: usize = 20;

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
    /// The first [`NAMED_DROPS`] of them, as the summary names them.
    pub named_duplicates: Vec<String>,
    /// Rows dropped because a later row had been written before them.
    pub out_of_order: usize,
    /// The first [`NAMED_DROPS`] of them.
    pub named_out_of_order: Vec<String>,
    /// Rows of `[from, to)` that lay outside their own archive's month or day, dropped.
    pub outside_period: usize,
    /// Rows written whose time was converted from the other unit.
    pub converted: usize,
    /// What is missing, in time order.
    pub gaps: Vec<Gap>,
}

/// A row waiting in the window, ordered by its key, then by arrival.
#[derive(Debug)]
struct Waiting {
    key: (i64, i64),
    arrival: u64,
    row: Row,
}

impl PartialEq for Waiting {
    fn eq(&self, other: &Self) -> bool {
        (self.key, self.arrival) == (other.key, other.arrival)
    }
}

impl Eq for Waiting {}

impl PartialOrd for Waiting {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Waiting {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.key, self.arrival).cmp(&(other.key, other.arrival))
    }
}

/// The keys of the last row written.
#[derive(Clone, Copy, Debug)]
struct Written {
    time: i64,
    id: i64,
    hours: i64,
}

/// Writes rows in order to `out`, dropping duplicates and rows out of order and recording gaps.
pub(super) struct Merger<W: Write> {
    kind: VisionKind,
    /// The kline interval, ms (0 for the other kinds).
    step: i64,
    /// `[from, to)` in the output's time unit.
    from: i64,
    to: i64,
    out: W,
    window: BinaryHeap<Reverse<Waiting>>,
    arrivals: u64,
    previous: Option<Written>,
    merged: Merged,
}

impl<W: Write> Merger<W> {
    /// A merger for `kind` over `[from, to)` (in the output's unit; `step` the kline interval in ms).
    pub fn new(kind: VisionKind, step: i64, from: i64, to: i64, out: W) -> Self {
        Merger {
            kind,
            step,
            from,
            to,
            out,
            window: BinaryHeap::new(),
            arrivals: 0,
            previous: None,
            merged: Merged::default(),
        }
    }

    /// Adds a row of the archive whose month or day is `[start, end)` (the output's unit); archives must come in
    /// time order.
    ///
    /// # Errors
    /// What writing to the output fails with.
    pub fn push(&mut self, row: Row, start: i64, end: i64) -> std::io::Result<()> {
        let (lo, hi) = (self.from.max(start), self.to.min(end));
        if !(lo..hi).contains(&row.time) {
            if (self.from..self.to).contains(&row.time) {
                self.merged.outside_period += 1;
            }
            return Ok(());
        }
        self.arrivals += 1;
        let key = (row.time, if self.kind == VisionKind::AggTrades { row.id } else { 0 });
        self.window.push(Reverse(Waiting { key, arrival: self.arrivals, row }));
        if self.window.len() > REORDER_WINDOW
            && let Some(Reverse(earliest)) = self.window.pop()
        {
            self.write(earliest.row)?;
        }
        Ok(())
    }

    /// Rows waiting to be written.
    #[cfg(test)]
    fn waiting(&self) -> usize {
        self.window.len()
    }

    /// Writes the rows still waiting; what was written, with the gap after the last row up to `to`; and the
    /// output.
    ///
    /// # Errors
    /// What writing to the output fails with.
    pub fn finish(mut self) -> std::io::Result<(Merged, W)> {
        while let Some(Reverse(earliest)) = self.window.pop() {
            self.write(earliest.row)?;
        }
        match self.previous {
            Some(last) => {
                let spacing = self.spacing(last.hours);
                if spacing > 0 {
                    let missing = self.to.saturating_sub(last.time).saturating_sub(1) / spacing;
                    self.time_gap(last.time.saturating_add(spacing), self.to, missing);
                }
            }
            None if self.kind == VisionKind::Klines && self.step > 0 && self.to > self.from => {
                let missing = self.to.saturating_sub(self.from).saturating_sub(1) / self.step + 1;
                self.time_gap(self.from, self.to, missing);
            }
            None => {}
        }
        Ok((self.merged, self.out))
    }

    /// Writes `row` unless it is a duplicate or out of order.
    fn write(&mut self, row: Row) -> std::io::Result<()> {
        if let Some(previous) = self.previous {
            // Aggregate trade ids written only increase, so the previous one is the highest written.
            let (duplicate, out_of_order) = match self.kind {
                VisionKind::AggTrades => (row.id == previous.id, row.id < previous.id || row.time < previous.time),
                VisionKind::Klines | VisionKind::FundingRate => (row.time == previous.time, row.time < previous.time),
            };
            if duplicate {
                self.merged.duplicates += 1;
                if self.merged.named_duplicates.len() < NAMED_DROPS {
                    self.merged.named_duplicates.push(self.describe(&row));
                }
                return Ok(());
            }
            if out_of_order {
                self.merged.out_of_order += 1;
                if self.merged.named_out_of_order.len() < NAMED_DROPS {
                    self.merged.named_out_of_order.push(self.describe(&row));
                }
                return Ok(());
            }
            self.between(previous, &row);
        } else {
            self.leading(&row);
        }
        self.out.write_all(row.line.as_bytes())?;
        self.out.write_all(b"\n")?;
        self.merged.rows += 1;
        self.merged.converted += usize::from(row.converted);
        self.merged.first.get_or_insert(row.time);
        self.merged.last = Some(row.time);
        self.previous = Some(Written { time: row.time, id: row.id, hours: row.hours });
        Ok(())
    }

    /// The expected time between a row and the next (0 for aggregate trades, which are counted by id).
    fn spacing(&self, hours: i64) -> i64 {
        match self.kind {
            VisionKind::Klines => self.step,
            VisionKind::FundingRate => hours.saturating_mul(3_600_000),
            VisionKind::AggTrades => 0,
        }
    }

    /// Bars or settlements missing between `from` and the first row.
    fn leading(&mut self, first: &Row) {
        let spacing = self.spacing(first.hours);
        if spacing > 0 {
            self.time_gap(self.from, first.time, first.time.saturating_sub(self.from) / spacing);
        }
    }

    /// What is missing between two consecutive rows. Times are rounded to the nearest multiple of the spacing
    /// (funding settlements are stamped a few milliseconds late).
    fn between(&mut self, previous: Written, row: &Row) {
        if self.kind == VisionKind::AggTrades {
            if row.id > previous.id.saturating_add(1) {
                self.merged.gaps.push(Gap::TradeIds { first: previous.id + 1, last: row.id - 1 });
            }
            return;
        }
        let spacing = self.spacing(previous.hours);
        if spacing > 0 {
            let missing = row.time.saturating_sub(previous.time).saturating_add(spacing / 2) / spacing - 1;
            self.time_gap(previous.time.saturating_add(spacing), row.time, missing);
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

    /// A dropped row as the summary names it.
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

    /// A row of the given time and id, its line its time and a tag.
    fn row(time: i64, id: i64, tag: &str) -> Row {
        Row { time, id, hours: 8, converted: false, line: format!("{time},{tag}") }
    }

    /// Pushes rows of `(time, id, tag)` from the archive `[start, end)`.
    fn push_all<W: Write>(merger: &mut Merger<W>, rows: &[(i64, i64, &str)], start: i64, end: i64) {
        for (time, id, tag) in rows {
            merger.push(row(*time, *id, tag), start, end).unwrap();
        }
    }

    #[test]
    fn klines_are_sorted_the_first_duplicate_kept_and_missing_bars_counted() {
        let mut merger = Merger::new(VisionKind::Klines, HOUR, 0, 10 * HOUR, Vec::new());
        let day = [(3 * HOUR, 0, "c"), (HOUR, 0, "a"), (3 * HOUR, 0, "c2"), (2 * HOUR, 0, "b"), (7 * HOUR, 0, "d")];
        push_all(&mut merger, &day, 0, 24 * HOUR);
        let (merged, out) = merger.finish().unwrap();
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
        push_all(&mut merger, &[(0, 0, "a"), (30 * HOUR, 0, "stray")], 0, 24 * HOUR);
        let (merged, _) = merger.finish().unwrap();
        assert_eq!((merged.rows, merged.outside_period), (1, 1));
    }

    #[test]
    fn funding_gaps_follow_each_rows_interval_and_tolerate_late_stamps() {
        let h8 = 8 * HOUR;
        let mut merger = Merger::new(VisionKind::FundingRate, 0, 0, 5 * h8, Vec::new());
        push_all(&mut merger, &[(1, 0, "a"), (h8 + 3, 0, "b"), (4 * h8 + 2, 0, "c")], 0, 10 * h8);
        let (merged, _) = merger.finish().unwrap();
        assert_eq!(merged.gaps.len(), 1, "{:?}", merged.gaps);
        assert!(matches!(merged.gaps[0], Gap::Settlements { missing: 2, .. }));
    }

    #[test]
    fn aggregate_trades_are_deduplicated_and_gapped_by_id() {
        let mut merger = Merger::new(VisionKind::AggTrades, 0, 0, 100, Vec::new());
        push_all(&mut merger, &[(10, 1, "a"), (10, 2, "b"), (10, 2, "b"), (20, 6, "c")], 0, 100);
        let (merged, _) = merger.finish().unwrap();
        assert_eq!((merged.rows, merged.duplicates), (3, 1));
        assert_eq!(merged.named_duplicates, ["agg_trade_id 2"]);
        assert_eq!(merged.gaps, [Gap::TradeIds { first: 3, last: 5 }]);
    }

    #[test]
    fn an_aggregate_trade_id_at_or_below_the_highest_written_is_dropped_wherever_it_comes() {
        let mut merger = Merger::new(VisionKind::AggTrades, 0, 0, 100, Vec::new());
        push_all(&mut merger, &[(1, 10, "a"), (2, 11, "b"), (3, 10, "again"), (4, 11, "b2"), (5, 12, "c")], 0, 100);
        let (merged, out) = merger.finish().unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "1,a\n2,b\n5,c\n");
        assert_eq!((merged.rows, merged.duplicates, merged.out_of_order), (3, 1, 1));
        assert_eq!(
            (merged.named_duplicates, merged.named_out_of_order),
            (vec!["agg_trade_id 11".to_string()], vec!["agg_trade_id 10".to_string()])
        );
        assert!(merged.gaps.is_empty(), "{:?}", merged.gaps);
    }

    #[test]
    fn memory_holds_the_window_and_rows_further_out_of_place_are_dropped_as_out_of_order() {
        let mut merger = Merger::new(VisionKind::Klines, 1, 0, i64::MAX, Vec::new());
        let rows = REORDER_WINDOW as i64 + 10;
        for time in 1..=rows {
            merger.push(row(time, 0, "x"), 0, i64::MAX).unwrap();
            assert!(merger.waiting() <= REORDER_WINDOW);
        }
        assert_eq!(merger.merged.rows, 10, "the earliest rows were written as later ones came");
        merger.push(row(5, 0, "late"), 0, i64::MAX).unwrap(); // after 10 was written
        merger.push(row(0, 0, "later"), 0, i64::MAX).unwrap(); // before everything written
        let (merged, out) = merger.finish().unwrap();
        assert_eq!((merged.rows, merged.out_of_order), (rows as usize, 2));
        assert_eq!(merged.named_out_of_order, ["1970-01-01T00:00:00.005Z", "1970-01-01T00:00:00Z"]);
        assert!(
            String::from_utf8(out)
                .unwrap()
                .lines()
                .map(|l| l.split(',').next().unwrap())
                .eq((1..=rows).map(|t| t.to_string()))
        );
    }

    #[test]
    fn converted_counts_the_rows_written_only() {
        let mut merger = Merger::new(VisionKind::AggTrades, 0, 10, 100, Vec::new());
        for (time, id) in [(5, 1), (10, 2), (10, 2), (20, 3), (200, 4)] {
            merger.push(Row { converted: true, ..row(time, id, "t") }, 0, 1000).unwrap();
        }
        let (merged, _) = merger.finish().unwrap();
        assert_eq!((merged.rows, merged.duplicates, merged.converted), (2, 1, 2), "not the rows dropped");
    }
}
