//! Binance's rules for keeping a local book from a REST snapshot plus the `@depth` diff stream: diffs that arrive
//! before the snapshot are buffered; a diff with `u <= lastUpdateId` is dropped; the first diff applied must have
//! `U <= lastUpdateId + 1 <= u`; every later diff's `U` must be the previous `u` + 1. Anything else is a gap — an
//! error in a backtest (it must not trade on a book it knows is wrong); with [`BinanceBookSync::resyncing`] (a live
//! session) the book is dropped instead and rebuilt from the next snapshot, buffering the diffs until then.

use super::book::{L2Book, messages};
use crate::error::{Error, Result};
use crate::model::{L2Row, RowKind};

/// Counts of a sync.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncStats {
    /// Snapshots taken.
    pub snapshots: usize,
    /// Diffs applied.
    pub applied: usize,
    /// Diffs dropped as older than the snapshot.
    pub dropped: usize,
    /// Diffs held until the snapshot arrived.
    pub buffered: usize,
    /// Gaps after which the book was dropped to wait for a new snapshot (resyncing mode).
    pub resyncs: usize,
    /// Level rows written into the book (snapshot and diffs).
    pub level_updates: usize,
    /// Trade rows seen.
    pub trades: usize,
}

/// A book kept by Binance's rules.
#[derive(Clone, Debug, Default)]
pub struct BinanceBookSync {
    book: L2Book,
    snapshot_id: Option<u64>,
    last_applied: Option<u64>,
    waiting: Vec<L2Row>,
    stats: SyncStats,
    resync_on_gap: bool,
}

impl BinanceBookSync {
    /// A sync waiting for its snapshot.
    pub fn new() -> Self {
        BinanceBookSync::default()
    }

    /// A sync that, on a gap, drops its book and waits for a new snapshot instead of failing (a live session, which
    /// then fetches one).
    pub fn resyncing() -> Self {
        BinanceBookSync { resync_on_gap: true, ..BinanceBookSync::default() }
    }

    /// The book as synced so far.
    pub fn book(&self) -> &L2Book {
        &self.book
    }

    /// The counts so far.
    pub fn stats(&self) -> SyncStats {
        self.stats
    }

    /// Whether a snapshot has been applied (the book can be trusted).
    pub fn is_synced(&self) -> bool {
        self.snapshot_id.is_some()
    }

    /// Takes one message: a snapshot, a depth diff, or a trade (counted; the diffs carry its effect on the book).
    ///
    /// # Errors
    /// [`Error::Data`] naming the line and the update ids when a diff does not follow the book: a gap.
    pub fn on_message(&mut self, message: &[L2Row]) -> Result<()> {
        let Some(first) = message.first() else { return Ok(()) };
        match first.kind {
            RowKind::TradeBuy | RowKind::TradeSell => self.stats.trades += message.len(),
            RowKind::SnapshotBid | RowKind::SnapshotAsk => self.snapshot(message)?,
            RowKind::Bid | RowKind::Ask | RowKind::NoLevels if self.snapshot_id.is_none() => {
                self.stats.buffered += 1;
                self.waiting.extend_from_slice(message);
            }
            RowKind::Bid | RowKind::Ask | RowKind::NoLevels => self.take_diff(message)?,
        }
        Ok(())
    }

    /// Applies a diff; on a gap, fails — or, resyncing, drops the book and keeps the diff for the next snapshot.
    fn take_diff(&mut self, message: &[L2Row]) -> Result<()> {
        match self.diff(message) {
            Err(gap) if self.resync_on_gap => {
                tracing::warn!(%gap, "order book out of sequence; waiting for a new snapshot");
                self.book.clear();
                self.snapshot_id = None;
                self.last_applied = None;
                self.stats.resyncs += 1;
                self.stats.buffered += 1;
                self.waiting.extend_from_slice(message);
                Ok(())
            }
            other => other,
        }
    }

    /// Replays every message of `rows`.
    ///
    /// # Errors
    /// As [`BinanceBookSync::on_message`].
    pub fn replay(&mut self, rows: &[L2Row]) -> Result<()> {
        messages(rows).try_for_each(|message| self.on_message(message))
    }

    fn snapshot(&mut self, levels: &[L2Row]) -> Result<()> {
        self.book.clear();
        for row in levels {
            self.book.apply(row);
        }
        self.stats.snapshots += 1;
        self.stats.level_updates += levels.len();
        self.snapshot_id = Some(levels[0].first_id);
        self.last_applied = None;
        let waiting = std::mem::take(&mut self.waiting);
        for message in messages(&waiting) {
            if self.snapshot_id.is_none() {
                // A gap among the buffered diffs dropped this snapshot too: keep the rest for the next one.
                self.waiting.extend_from_slice(message);
            } else {
                self.take_diff(message)?;
            }
        }
        Ok(())
    }

    fn diff(&mut self, message: &[L2Row]) -> Result<()> {
        let (first, last, line) = (message[0].first_id, message[0].last_id, message[0].line);
        let snapshot = self.snapshot_id.unwrap_or_default();
        if last <= snapshot {
            self.stats.dropped += 1;
            return Ok(());
        }
        let follows = match self.last_applied {
            None => first <= snapshot + 1,
            Some(previous) => first == previous + 1,
        };
        if !follows {
            let expected = self.last_applied.map_or(snapshot + 1, |p| p + 1);
            return Err(Error::Data(format!(
                "line {line}: depth diff U={first} u={last} does not follow the book (expected U={expected}{}): a sequence gap",
                if self.last_applied.is_none() {
                    format!(" or less, after snapshot {snapshot}")
                } else {
                    String::new()
                }
            )));
        }
        for row in message {
            self.book.apply(row);
        }
        self.last_applied = Some(last);
        self.stats.applied += 1;
        self.stats.level_updates += message.iter().filter(|row| row.kind != RowKind::NoLevels).count();
        Ok(())
    }
}
