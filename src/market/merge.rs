//! [`ReplayFeed`]: recorded market data — bar series and level-2 streams — merged into one deterministic,
//! time-ordered event sequence.

use crate::model::{BarSeries, L2Row, Timestamp};

/// One replayed event of stream `stream`: for a bar series (streams `0..series`), bar `index` closed at `time`;
/// for a level-2 stream (the streams after the series), the message of rows `index..end` arrived at `time`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeedEvent {
    /// Index of the stream in the feed: the bar series first, then the level-2 streams.
    pub stream: usize,
    /// A bar's index within its series, or a message's first row within its stream.
    pub index: usize,
    /// One past a message's last row (for a bar, `index + 1`).
    pub end: usize,
    /// When the event becomes visible: a bar's close time, a message's receive time.
    pub time: Timestamp,
}

/// Merges streams by `(time, stream index)`: a bar counts at its close time, a level-2 message at the receive
/// time of its first row, and events at the same time come in the order the streams were given (bar series before
/// level-2 streams), so the order never depends on anything but the inputs. Iterating allocates nothing. A feed
/// can be paused at a time ([`ReplayFeed::pause_at`]): it ends before the first event at or after it until it is
/// resumed, so that a run can do something between two times (a walk-forward window takes over its holdings when
/// trading starts).
pub struct ReplayFeed<'a> {
    series: &'a [BarSeries],
    books: Vec<&'a [L2Row]>,
    /// Per stream, the next bar or the next message's first row.
    cursors: Vec<usize>,
    /// Per stream, the first bar or row the feed does not yield yet (its length unless paused).
    ends: Vec<usize>,
    upcoming: Option<(usize, Timestamp)>,
    /// Events yielded so far.
    yielded: usize,
}

impl<'a> ReplayFeed<'a> {
    /// A feed over bar `series`, starting at the first bar of each.
    pub fn new(series: &'a [BarSeries]) -> Self {
        Self::with_books(series, Vec::new())
    }

    /// A feed over bar `series` and level-2 streams `books` (each a stream's rows in receive order), starting at
    /// the first event of each.
    pub fn with_books(series: &'a [BarSeries], books: Vec<&'a [L2Row]>) -> Self {
        let ends: Vec<usize> = series.iter().map(BarSeries::len).chain(books.iter().map(|rows| rows.len())).collect();
        let cursors = vec![0; ends.len()];
        let mut feed = ReplayFeed { series, books, cursors, ends, upcoming: None, yielded: 0 };
        feed.upcoming = feed.next_stream();
        feed
    }

    /// Holds back every event at or after `time`: the feed ends before the first of them until
    /// [`ReplayFeed::resume`] (or a later pause) lets them through. Level-2 rows are in receive order.
    pub fn pause_at(&mut self, time: Timestamp) {
        let bars = self.series.len();
        for (stream, end) in self.ends.iter_mut().enumerate() {
            let before = match self.series.get(stream) {
                Some(series) => series.open_time.partition_point(|t| t.0.saturating_add(series.interval) < time.0),
                None => self.books[stream - bars].partition_point(|row| row.received < time),
            };
            *end = before.max(self.cursors[stream]);
        }
        self.upcoming = self.next_stream();
    }

    /// Lets every event through again after [`ReplayFeed::pause_at`].
    pub fn resume(&mut self) {
        let lengths = self.series.iter().map(BarSeries::len).chain(self.books.iter().map(|rows| rows.len()));
        for (end, length) in self.ends.iter_mut().zip(lengths) {
            *end = length;
        }
        self.upcoming = self.next_stream();
    }

    /// Number of bars the feed yields (level-2 messages are not counted: that would read every row).
    pub fn total_bars(&self) -> usize {
        self.series.iter().map(BarSeries::len).sum()
    }

    /// Number of events yielded so far.
    pub fn consumed(&self) -> usize {
        self.yielded
    }

    /// Time of the next event without consuming it.
    #[inline]
    pub fn peek_time(&self) -> Option<Timestamp> {
        self.upcoming.map(|(_, t)| t)
    }

    /// Whether the next event is a bar closing at `time` (one more bar of the same time slice).
    #[inline]
    pub fn next_is_bar_at(&self, time: Timestamp) -> bool {
        self.upcoming.is_some_and(|(stream, t)| t == time && stream < self.series.len())
    }

    /// The stream holding the earliest pending event and that event's time.
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
        let bars = self.series.len();
        for (book, rows) in self.books.iter().enumerate() {
            let stream = bars + book;
            let (cursor, end) = (self.cursors[stream], self.ends[stream]);
            if cursor < end {
                let time = rows[cursor].received;
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
        let end = match stream.checked_sub(self.series.len()) {
            None => index + 1,
            Some(book) => {
                let rows = &self.books[book][index..];
                index + rows.iter().position(|row| row.ends_message).map_or(rows.len(), |last| last + 1)
            }
        };
        self.cursors[stream] = end;
        self.yielded += 1;
        self.upcoming = self.next_stream();
        Some(FeedEvent { stream, index, end, time })
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

    /// A level-2 row received at `time`, ending its message or not.
    fn row(time: i64, ends_message: bool) -> L2Row {
        L2Row {
            exchange_time: Timestamp(time),
            received: Timestamp(time),
            price: 1,
            quantity: 1,
            first_id: 0,
            last_id: 0,
            line: 0,
            kind: crate::model::RowKind::Bid,
            ends_message,
        }
    }

    #[test]
    fn book_messages_merge_with_bars_by_time_with_the_bars_first_at_a_tie() {
        let data = [series("A", 10, &[0, 10])]; // closes 10, 20
        // Messages: rows 0..2 at 5, row 2 at 10, rows 3..5 at 20 (the last one unfinished: it ends the file).
        let rows = [row(5, false), row(5, true), row(10, true), row(20, false), row(20, false)];
        let mut feed = ReplayFeed::with_books(&data, vec![&rows]);
        assert_eq!(feed.total_bars(), 2);
        let order: Vec<(usize, usize, usize, i64)> =
            feed.by_ref().map(|e| (e.stream, e.index, e.end, e.time.0)).collect();
        assert_eq!(feed.consumed(), 5);
        assert_eq!(order, [(1, 0, 2, 5), (0, 0, 1, 10), (1, 2, 3, 10), (0, 1, 2, 20), (1, 3, 5, 20)]);
    }

    #[test]
    fn a_paused_feed_holds_back_book_messages_at_and_after_the_pause() {
        let data = [series("A", 10, &[0])]; // closes 10
        let rows = [row(5, true), row(10, true), row(15, true)];
        let mut feed = ReplayFeed::with_books(&data, vec![&rows]);
        feed.pause_at(Timestamp(10));
        assert_eq!(feed.by_ref().map(|e| (e.stream, e.time.0)).collect::<Vec<_>>(), [(1, 5)]);
        feed.resume();
        assert_eq!(feed.map(|e| (e.stream, e.time.0)).collect::<Vec<_>>(), [(0, 10), (1, 10), (1, 15)]);
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
