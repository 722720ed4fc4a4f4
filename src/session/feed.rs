//! A venue's live level-2 feed as a session records and processes it: Binance's depth-diff and trade stream, and a
//! REST depth snapshot whenever the book must be (re)built — at the start, after a reconnect, after a sequence
//! gap. Every message comes out as a recording line, `<local receive ns> <json>`, in the order the session must
//! process it: a snapshot line before the diffs that arrived while it was fetched (they wait in the stream's
//! queue), so that replaying the recording applies Binance's sync rules exactly as the session did.

use tokio::sync::mpsc::Receiver;

use crate::data::parse_capture_line;
use crate::error::{Error, Result};
use crate::market::{BinanceBookSync, L2Book, messages};
use crate::model::{L2Row, Symbol};
use crate::venue::binance::BinanceAdapter;
use crate::venue::wall_clock::wall_clock_now;
use crate::venue::ws::RawMessage;

/// Levels a side of the REST snapshot (Binance's largest).
pub const SNAPSHOT_LEVELS: usize = 1000;

/// The live level-2 feed of one symbol at Binance.
pub struct BinanceBookFeed {
    adapter: BinanceAdapter,
    symbol: Symbol,
    stream: Receiver<RawMessage>,
    /// The book as the feed's own rules keep it (resyncing): it tells when a new snapshot is due, and is the book a
    /// live venue's strategy sees.
    sync: BinanceBookSync,
    needs_snapshot: bool,
    gaps: u64,
    /// The last receive time recorded: the wall clock may step back (an NTP correction), a recording may not.
    last_received: i64,
}

impl std::fmt::Debug for BinanceBookFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BinanceBookFeed").field("symbol", &self.symbol).field("gaps", &self.gaps).finish()
    }
}

/// One line of the feed and its rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedLine {
    /// The line to record: `<local receive ns> <json>`.
    pub text: String,
    /// Its rows (empty for messages of no interest).
    pub rows: Vec<L2Row>,
}

impl BinanceBookFeed {
    /// Connects `adapter`'s stream of `symbol` (public data: no credentials needed).
    ///
    /// # Errors
    /// [`Error::Exchange`] when the stream cannot be opened.
    pub async fn open(adapter: BinanceAdapter, symbol: Symbol) -> Result<Self> {
        let stream = adapter.raw_book_stream(symbol).await?;
        Ok(BinanceBookFeed {
            adapter,
            symbol,
            stream,
            sync: BinanceBookSync::resyncing(),
            needs_snapshot: true,
            gaps: 0,
            last_received: i64::MIN,
        })
    }

    /// The book as the feed keeps it.
    pub fn book(&self) -> &L2Book {
        self.sync.book()
    }

    /// Reconnects and sequence gaps so far.
    pub fn gaps(&self) -> u64 {
        self.gaps
    }

    /// Stream messages received and not taken yet.
    pub fn backlog(&self) -> usize {
        self.stream.len()
    }

    /// The next line: a snapshot when one is due, else the next stream message. `None` when the stream is gone.
    ///
    /// # Errors
    /// The venue's errors fetching a snapshot; [`Error::Data`] for a message that does not parse.
    pub async fn next(&mut self, number: u32) -> Result<Option<FeedLine>> {
        let snapshot_due = self.needs_snapshot || !self.sync.is_synced() && self.sync.stats().snapshots > 0;
        if !snapshot_due {
            match self.stream.recv().await {
                None => return Ok(None),
                Some(RawMessage::Text { received, text }) => {
                    if text.contains('\n') {
                        return Err(Error::Data(format!("{}: a stream message spans lines", self.symbol)));
                    }
                    let received = self.stamp(received.0);
                    return self.line(format!("{received} {text}"), number).map(Some);
                }
                Some(RawMessage::Gap(gap)) => {
                    tracing::warn!(symbol = %self.symbol, reason = gap.reason, "feed gap: fetching a new snapshot");
                    self.gaps += 1;
                }
            }
        }
        // Only once the snapshot is in: a wait cut short (the session's chores run meanwhile) asks again.
        let json = self.adapter.depth_snapshot_json(self.symbol, SNAPSHOT_LEVELS).await?;
        self.needs_snapshot = false;
        let received = self.stamp(wall_clock_now().0);
        self.line(format!("{received} {json}"), number).map(Some)
    }

    /// The receive time to record for a message the wall clock stamped `wall`: never before the last one, so that
    /// a recording stays in receive order (the loader refuses one that goes back) when the clock steps back.
    fn stamp(&mut self, wall: i64) -> i64 {
        self.last_received = wall.max(self.last_received);
        self.last_received
    }

    fn line(&mut self, text: String, number: u32) -> Result<FeedLine> {
        let mut rows = Vec::new();
        parse_capture_line(std::path::Path::new("live stream"), &text, number, self.symbol, &mut rows)?;
        let resyncs = self.sync.stats().resyncs;
        for message in messages(&rows) {
            self.sync.on_message(message)?;
        }
        if self.sync.stats().resyncs > resyncs {
            self.gaps += 1;
        }
        Ok(FeedLine { text, rows })
    }
}
