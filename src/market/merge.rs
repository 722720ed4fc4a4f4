//! [`ReplayFeed`]: several bar series merged into one deterministic, time-ordered event sequence.

use crate::model::{BarSeries, Timestamp};

/// One replayed event: bar `index` of stream `stream` closed at `time`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeedEvent {
    /// Index of the series in the feed.
    pub stream: usize,
    /// Index of the bar within its series.
    pub index: usize,
    /// When the bar closed: the moment it becomes visible.
    pub time: Timestamp,
}

/// Merges bar streams by `(close time, stream index)`: events at the same time come in the order the streams were
/// given, so the order never depends on anything but the inputs. Iterating allocates nothing. A feed can be paused
/// at a time ([`ReplayFeed::pause_at`]): it ends before the first event at or after it until it is resumed, so that
/// a run can do something between two times (a walk-forward window takes over its holdings when trading starts).
pub struct ReplayFeed<'a> {
    series: &'a [BarSeries],
    cursors: Vec<usize>,
    /// Per stream, the index of the first bar the feed does not yield yet (its length unless paused).
    ends: Vec<usize>,
    upcoming: Option<(usize, Timestamp)>,
}

impl<'a> ReplayFeed<'a> {
    /// A feed over `series`, starting at the first bar of each.
    pub fn new(series: &'a [BarSeries]) -> Self {
        let ends = series.iter().map(BarSeries::len).collect();
        let mut feed = ReplayFeed { series, cursors: vec![0; series.len()], ends, upcoming: None };
        feed.upcoming = feed.next_stream();
        feed
    }

    /// Holds back every event at or after `time`: the feed ends before the first of them until
    /// [`ReplayFeed::resume`] (or a later pause) lets them through.
    pub fn pause_at(&mut self, time: Timestamp) {
        for ((end, series), &cursor) in self.ends.iter_mut().zip(self.series).zip(&self.cursors) {
            let before = series.open_time.partition_point(|t| t.0.saturating_add(series.interval) < time.0);
            *end = before.max(cursor);
        }
        self.upcoming = self.next_stream();
    }

    /// Lets every event through again after [`ReplayFeed::pause_at`].
    pub fn resume(&mut self) {
        for (end, series) in self.ends.iter_mut().zip(self.series) {
            *end = series.len();
        }
        self.upcoming = self.next_stream();
    }

    /// Total number of events the feed yields.
    pub fn total_events(&self) -> usize {
        self.series.iter().map(BarSeries::len).sum()
    }

    /// Number of events yielded so far.
    pub fn consumed(&self) -> usize {
        self.cursors.iter().sum()
    }

    /// Time of the next event without consuming it.
    #[inline]
    pub fn peek_time(&self) -> Option<Timestamp> {
        self.upcoming.map(|(_, t)| t)
    }

    /// The stream holding the earliest pending bar and that bar's close time.
    #[inline]
    fn next_stream(&self) -> Option<(usize, Timestamp)> {
        let mut best: Option<(usize, Timestamp)> = None;
        for (stream, (series, (&cursor, &end))) in
            self.series.iter().zip(self.cursors.iter().zip(&self.ends)).enumerate()
        {
            if cursor < end {
                let time = series.close_time(cursor);
                if best.is_none_or(|(_, t)| time < t) {
                    best = Some((stream, time));
                }
            }
        }
        best
    }
}

impl Iterator for ReplayFeed<'_> {
    type Item = FeedEvent;

    #[inline]
    fn next(&mut self) -> Option<FeedEvent> {
        let (stream, time) = self.upcoming?;
        let index = self.cursors[stream];
        self.cursors[stream] += 1;
        self.upcoming = self.next_stream();
        Some(FeedEvent { stream, index, time })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Symbol;
    use rust_decimal::Decimal;

    fn series(name: &str, interval: i64, opens: &[i64]) -> BarSeries {
        let one = vec![Decimal::ONE; opens.len()];
        BarSeries {
            symbol: Symbol::new(name).unwrap(),
            interval,
            open_time: opens.iter().map(|&t| Timestamp(t)).collect(),
            open: one.clone(),
            high: one.clone(),
            low: one.clone(),
            close: one.clone(),
            volume: one,
        }
    }

    #[test]
    fn streams_merge_by_close_time_then_stream_order() {
        let data = [series("A", 10, &[0, 10, 20]), series("B", 5, &[5, 10, 25])];
        let order: Vec<(usize, usize, i64)> = ReplayFeed::new(&data).map(|e| (e.stream, e.index, e.time.0)).collect();
        // close times: A 10,20,30; B 10,15,30. Ties go to stream 0 first.
        assert_eq!(order, [(0, 0, 10), (1, 0, 10), (1, 1, 15), (0, 1, 20), (0, 2, 30), (1, 2, 30)]);
    }

    #[test]
    fn a_paused_feed_ends_before_the_pause_and_resumes_where_it_stopped() {
        let data = [series("A", 10, &[0, 10, 20]), series("B", 5, &[5, 10, 25])];
        let mut feed = ReplayFeed::new(&data);
        // close times: A 10,20,30; B 10,15,30.
        feed.pause_at(Timestamp(20));
        let before: Vec<(usize, i64)> = feed.by_ref().map(|e| (e.stream, e.time.0)).collect();
        assert_eq!(before, [(0, 10), (1, 10), (1, 15)]);
        feed.pause_at(Timestamp(21));
        assert_eq!(feed.by_ref().map(|e| (e.stream, e.time.0)).collect::<Vec<_>>(), [(0, 20)]);
        feed.resume();
        assert_eq!(feed.map(|e| (e.stream, e.time.0)).collect::<Vec<_>>(), [(0, 30), (1, 30)]);
    }

    #[test]
    fn peek_reports_the_next_time_without_consuming() {
        let data = [series("A", 10, &[0, 10])];
        let mut feed = ReplayFeed::new(&data);
        assert_eq!(feed.peek_time(), Some(Timestamp(10)));
        assert_eq!(feed.next().map(|e| e.index), Some(0));
        assert_eq!(feed.peek_time(), Some(Timestamp(20)));
        feed.next();
        assert_eq!(feed.peek_time(), None);
    }
}
