//! The [`TradingEngine`]'s replay of level-2 data: messages of every stream in the order they were received, each
//! through its venue's book (orders arriving, the book moving, resting orders meeting trades), then the strategy
//! sees the book and its orders and cancels go out through the same risk check and routing as bar strategies.
//! The portfolio is marked at the mid once per second of receive time (the equity curve and the risk limits follow
//! those marks) and when the strategy places orders.

use rust_decimal::Decimal;

use super::{StrategyRun, TradingEngine};
use crate::book::messages;
use crate::error::{Error, Result};
use crate::exchange::VenueId;
use crate::model::l2::{from_fixed, to_fixed};
use crate::model::{L2Row, NANOS_PER_SECOND, OrderReport, Symbol, Timestamp};
use crate::strategy::{BookAction, BookContext, BookStrategy, StreamInfo};

/// One level-2 feed: a symbol's rows, as recorded, and the venue it trades on.
#[derive(Clone, Debug)]
pub struct BookStream {
    /// The symbol.
    pub symbol: Symbol,
    /// Its venue.
    pub venue: VenueId,
    /// Its rows (snapshots, depth diffs, trades), in receive order.
    pub rows: Vec<L2Row>,
}

/// Where a stream's replay stands.
struct Cursor<'a> {
    messages: std::iter::Peekable<Box<dyn Iterator<Item = &'a [L2Row]> + 'a>>,
    slot: usize,
    tick: i64,
}

impl TradingEngine {
    /// Runs `strategy` over level-2 `streams` at simulated venues.
    ///
    /// # Errors
    /// [`Error::Validation`] if the engine was not started or exits are to be attached (level-2 venues take
    /// market and limit orders only); [`Error::Config`] for a stream whose symbol or venue the engine does not
    /// trade, or whose venue is not simulated; [`Error::Data`] for a sequence gap in a book.
    pub async fn run_book_strategy<S: BookStrategy>(
        &mut self,
        streams: &[BookStream],
        strategy: &mut S,
    ) -> Result<StrategyRun> {
        if !self.running {
            return Err(Error::Validation("the engine is not running: call start() first".into()));
        }
        if self.risk_manager.policy().exits.attach {
            return Err(Error::Validation(
                "risk_policy.exits.attach: level-2 venues take market and limit orders only; turn it off".into(),
            ));
        }
        let mut cursors = Vec::with_capacity(streams.len());
        let mut infos = Vec::with_capacity(streams.len());
        for stream in streams {
            let (symbol, venue) = (stream.symbol, stream.venue);
            let slot = self
                .portfolio
                .slot(symbol)
                .ok_or_else(|| Error::Config(format!("book data for {symbol} has no instrument in the portfolio")))?;
            let instrument =
                self.router.instrument(venue, symbol).filter(|_| self.router.answers_at_once(venue)).ok_or_else(
                    || Error::Config(format!("book data for {symbol} needs a simulated venue listing it")),
                )?;
            let tick = to_fixed(instrument.tick_size)
                .ok_or_else(|| Error::Config(format!("{symbol}: tick {} is finer than 10⁻⁸", instrument.tick_size)))?;
            let iter: Box<dyn Iterator<Item = &[L2Row]>> = Box::new(messages(&stream.rows));
            cursors.push(Cursor { messages: iter.peekable(), slot, tick });
            infos.push(StreamInfo { symbol, venue, close_scale: 8 });
            self.note_venue(symbol, venue);
        }
        strategy.on_start(&infos)?;
        let mut actions = Vec::new();
        let mut open = Vec::new();
        let mut events = 0;
        let mut next_mark = Timestamp(i64::MIN);
        while let Some(index) = next_stream(&mut cursors) {
            let Some(message) = cursors[index].messages.next() else { break };
            let (stream, cursor) = (&streams[index], &cursors[index]);
            let time = message[0].received;
            events += 1;
            self.clock.advance_to(time);
            if self.router.on_book_message(stream.venue, stream.symbol, message)? {
                self.collect_executions(stream.venue);
            }
            let top = self.router.book_top(stream.venue, stream.symbol).unwrap_or_default();
            if time >= next_mark {
                self.mark_books(streams, &cursors, time);
                next_mark = Timestamp((time.0.div_euclid(NANOS_PER_SECOND) + 1) * NANOS_PER_SECOND);
            }
            open.clear();
            if self.working.count(cursor.slot) > 0 {
                open.extend(self.working.trades_of(cursor.slot));
            }
            let ctx = BookContext {
                stream: index,
                venue: stream.venue,
                symbol: stream.symbol,
                time,
                best_bid: top.0,
                best_ask: top.1,
                tick: cursor.tick,
                position: self.portfolio.position(cursor.slot).quantity,
                cash: self.portfolio.cash(),
                open_orders: &open,
            };
            strategy.on_book(&ctx, &mut actions);
            if !actions.is_empty() {
                if let Some(mid) = mid(top) {
                    self.portfolio.mark(cursor.slot, mid);
                }
                self.act(&mut actions)?;
            }
        }
        self.mark_books(streams, &cursors, self.clock.now());
        Ok(self.replay_done(strategy.name(), events))
    }

    /// Marks every stream's position at its book's mid and records the equity at `time`.
    fn mark_books(&mut self, streams: &[BookStream], cursors: &[Cursor<'_>], time: Timestamp) {
        let mut last = None;
        for (stream, cursor) in streams.iter().zip(cursors) {
            if let Some(mid) = self.router.book_top(stream.venue, stream.symbol).and_then(mid) {
                self.portfolio.mark(cursor.slot, mid);
                last = Some((cursor.slot, mid));
            }
        }
        if let Some((slot, mid)) = last {
            self.mark(time, slot, mid);
        }
    }

    /// Sends the strategy's orders and cancels; refusals are recorded and the run goes on.
    fn act(&mut self, actions: &mut Vec<BookAction>) -> Result<()> {
        for action in actions.drain(..) {
            match action {
                BookAction::Place(intent) => {
                    self.intents.push(intent);
                    self.submit_intents_now()?;
                }
                BookAction::Cancel { venue, symbol, order_id } => {
                    match self.router.cancel_now(venue, symbol, order_id) {
                        Some(Ok(report)) => self.on_cancel_answer(venue, &report),
                        Some(Err(Error::Order(_))) | None => {}
                        Some(Err(other)) => return Err(other),
                    }
                }
            }
        }
        Ok(())
    }

    /// A venue answered a cancel: an order it ended at once is closed here; one whose cancel is on its way stays
    /// working until the venue reports the end.
    fn on_cancel_answer(&mut self, venue: VenueId, report: &OrderReport) {
        if report.status.is_final() {
            let id = report.request.client_order_id;
            self.end_order(id, report.status, "canceled by the strategy".into());
            self.working.closed(id);
        }
        self.collect_executions(venue);
    }
}

/// The stream whose next message was received first (the lower index on a tie), if any is left.
fn next_stream(cursors: &mut [Cursor<'_>]) -> Option<usize> {
    let mut best: Option<(usize, Timestamp)> = None;
    for (index, cursor) in cursors.iter_mut().enumerate() {
        if let Some(message) = cursor.messages.peek() {
            let time = message[0].received;
            if best.is_none_or(|(_, t)| time < t) {
                best = Some((index, time));
            }
        }
    }
    best.map(|(index, _)| index)
}

/// The mid of a book's top, exactly.
fn mid(top: crate::exchange::sim::BookTop) -> Option<Decimal> {
    let (bid, ask) = (top.0?, top.1?);
    Some((from_fixed(bid.0) + from_fixed(ask.0)) / Decimal::TWO)
}
