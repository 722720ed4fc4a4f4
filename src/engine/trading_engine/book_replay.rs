//! The [`TradingEngine`] on level-2 data, one message at a time ([`TradingEngine::book_step`]): the message goes
//! through its venue's book (orders arriving, the book moving, resting orders meeting trades), then the strategy
//! sees the book and its orders and cancels go out through the same risk check and routing as bar strategies. The
//! portfolio is marked at the mid once per second of receive time (the equity curve and the risk limits follow
//! those marks) and when the strategy places orders.
//!
//! A backtest's replay loop takes each level-2 message from the same merged feed as bars (in receive order, see
//! [`crate::market::ReplayFeed`]) and passes it through the step; a paper or live session calls it as messages
//! arrive — the same code, so a session and the replay of its recording decide the same things.

use rust_decimal::Decimal;

use std::sync::Arc;

use super::{MarketData, StrategyRun, TradingEngine};
use crate::error::{Error, Result};
use crate::market::L2Book;
use crate::model::VenueId;
use crate::model::l2::{from_fixed, to_fixed};
use crate::model::{L2Row, NANOS_PER_SECOND, Symbol, Timestamp};
use crate::strategy::{BookView, Context, Event, Strategy, StreamInfo, StreamKind};
use crate::venue::OrderRouter;
use crate::venue::sim::BookTop;

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

/// A feed a level-2 run takes messages of: its symbol, venue and tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BookFeed {
    /// The symbol.
    pub symbol: Symbol,
    /// Its venue.
    pub venue: VenueId,
    /// The instrument's tick.
    pub tick: Decimal,
}

/// What a feed's run keeps between messages.
#[derive(Clone, Copy, Debug)]
struct FeedState {
    feed: BookFeed,
    slot: usize,
    tick: i64,
    top: BookTop,
}

/// A level-2 run in progress.
#[derive(Debug)]
pub struct BookRun {
    feeds: Vec<FeedState>,
    /// The strategy's index of the first feed's stream (the level-2 streams follow a replay's bar series).
    first_stream: usize,
    events: usize,
    next_mark: Timestamp,
}

impl BookRun {
    /// Messages taken, and the symbols of the feeds.
    pub(super) fn counts(&self) -> (usize, Vec<Symbol>) {
        (self.events, self.feeds.iter().map(|f| f.feed.symbol).collect())
    }
}

impl TradingEngine {
    /// Starts a level-2 run of `strategy` over `feeds`.
    ///
    /// # Errors
    /// [`Error::Validation`] if the engine was not started or exits are to be attached (level-2 venues take
    /// market and limit orders only), or as the strategy's `on_start`; [`Error::Config`] for a feed whose symbol
    /// the portfolio does not hold or whose tick is finer than 10⁻⁸.
    pub fn start_book_run<S: Strategy>(&mut self, feeds: &[BookFeed], strategy: &mut S) -> Result<BookRun> {
        if !self.running {
            return Err(Error::Validation("the engine is not running: call start() first".into()));
        }
        let mut infos = Vec::with_capacity(feeds.len());
        let run = self.book_run(feeds, &mut infos)?;
        strategy.on_start(&infos)?;
        self.prepare_for(strategy, &infos);
        Ok(run)
    }

    /// The run of a replay's level-2 `streams`, each on a simulated venue listing its symbol; their stream infos
    /// are appended to `infos` (after the bar series').
    ///
    /// # Errors
    /// As [`TradingEngine::start_book_run`]; [`Error::Config`] for a stream whose venue is not a simulated one
    /// listing its symbol.
    pub(super) fn book_feeds(&mut self, streams: &[BookStream], infos: &mut Vec<StreamInfo>) -> Result<BookRun> {
        let mut feeds = Vec::with_capacity(streams.len());
        for stream in streams {
            let (symbol, venue) = (stream.symbol, stream.venue);
            let instrument = self
                .router
                .instrument(venue, symbol)
                .map_err(|e| e.context(format!("book data for {symbol} needs a simulated venue listing it")))?;
            feeds.push(BookFeed { symbol, venue, tick: instrument.tick_size });
        }
        self.book_run(&feeds, infos)
    }

    /// The run of level-2 `feeds` whose stream infos are appended to `infos`.
    fn book_run(&mut self, feeds: &[BookFeed], infos: &mut Vec<StreamInfo>) -> Result<BookRun> {
        if !feeds.is_empty() && self.risk_manager.policy().exits.attach {
            return Err(Error::Validation(
                "risk_policy.exits.attach: level-2 venues take market and limit orders only; turn it off".into(),
            ));
        }
        let first_stream = infos.len();
        let mut states = Vec::with_capacity(feeds.len());
        for &feed in feeds {
            let symbol = feed.symbol;
            let slot = self
                .portfolio
                .slot(symbol)
                .ok_or_else(|| Error::Config(format!("book data for {symbol} has no instrument in the portfolio")))?;
            let tick = to_fixed(feed.tick)
                .ok_or_else(|| Error::Config(format!("{symbol}: tick {} is finer than 10⁻⁸", feed.tick)))?;
            states.push(FeedState { feed, slot, tick, top: BookTop::default() });
            let lot_size = self.risk_manager.lot_size(symbol).unwrap_or_default();
            infos.push(StreamInfo { symbol, venue: feed.venue, kind: StreamKind::Book, close_scale: 8, lot_size });
            self.note_venue(symbol, feed.venue);
        }
        Ok(BookRun { feeds: states, first_stream, events: 0, next_mark: Timestamp(i64::MIN) })
    }

    /// Takes one message of feed `index`: its venue matches it (a simulated venue keeps the book), the strategy
    /// sees the book — `book`, when the caller keeps it (a live venue does not), else the venue's — and its orders
    /// and cancels go out to venues that answer at once. Returns `true` when some must wait for a
    /// network venue: call [`TradingEngine::flush_book_actions`].
    ///
    /// # Errors
    /// [`Error::Data`] for a sequence gap in a simulated venue's book; venue failures other than refusals.
    #[inline]
    pub fn book_step<S: Strategy>(
        &mut self,
        run: &mut BookRun,
        index: usize,
        message: &[L2Row],
        book: Option<&L2Book>,
        strategy: &mut S,
    ) -> Result<bool> {
        self.book_message(run, index, message, book, strategy, true)
    }

    /// [`TradingEngine::book_step`], ending the time slice after the message only when `last_of_time` (a
    /// replay's next event is later).
    ///
    /// # Errors
    /// As [`TradingEngine::book_step`].
    #[inline]
    pub(super) fn book_message<S: Strategy>(
        &mut self,
        run: &mut BookRun,
        index: usize,
        message: &[L2Row],
        book: Option<&L2Book>,
        strategy: &mut S,
        last_of_time: bool,
    ) -> Result<bool> {
        let Some(first) = message.first() else { return Ok(false) };
        let (time, feed) = (first.received, run.feeds[index].feed);
        run.events += 1;
        self.clock.advance_to(time);
        if self.router.on_book_message(feed.venue, feed.symbol, message)? {
            self.collect_executions(feed.venue);
            if let Some(failure) = self.journal_failure.take() {
                return Err(failure);
            }
        }
        let given = book;
        let top = feed_book(&self.router, given, feed)?.map(|b| (b.best_bid(), b.best_ask())).unwrap_or_default();
        run.feeds[index].top = top;
        if time >= run.next_mark {
            self.mark_books(run, time);
            run.next_mark = Timestamp((time.0.div_euclid(NANOS_PER_SECOND) + 1) * NANOS_PER_SECOND);
        }
        let state = run.feeds[index];
        self.open_view.clear();
        if self.working.count(state.slot) > 0 {
            self.open_view.extend(self.working.trades_of(state.slot));
        }
        // Looked up again: marking above needed the whole engine.
        let book = feed_book(&self.router, given, feed)?;
        let stream = run.first_stream + index;
        let ctx = Context {
            stream,
            venue: feed.venue,
            symbol: feed.symbol,
            time,
            event: Event::Book(BookView { best_bid: top.0, best_ask: top.1, tick: state.tick, book }),
            history: &self.histories[stream],
            position: self.portfolio.position(state.slot).quantity,
            cash: self.portfolio.cash(),
            open_orders: &self.open_view,
            account: &self.portfolio,
        };
        strategy.on_event(&ctx, &mut self.commands);
        if last_of_time {
            self.end_slice(time, strategy);
        }
        if self.commands.is_empty() {
            return Ok(false);
        }
        if let Some(mid) = mid(top) {
            self.portfolio.mark(state.slot, mid);
        }
        Ok(!self.route_commands_now()?)
    }

    /// Sends what the last steps left for venues that answer asynchronously (orders, then cancels).
    ///
    /// # Errors
    /// Venue failures other than refusals.
    pub async fn flush_book_actions(&mut self) -> Result<()> {
        self.flush_commands().await
    }

    /// Ends a level-2 run: a last mark, and the run's counts.
    pub fn finish_book_run<S: Strategy>(&mut self, run: BookRun, strategy: &S) -> StrategyRun {
        self.mark_books(&run, self.clock.now());
        self.replay_done(strategy.name(), run.events, Some(&run))
    }

    /// Runs `strategy` over recorded level-2 `streams` at simulated venues, message by message in receive order
    /// (the lower stream first on a tie): the replay loop of bar data, on a feed of level-2 streams only.
    ///
    /// # Errors
    /// As [`TradingEngine::start_book_run`] and [`TradingEngine::book_step`]; [`Error::Config`] for a stream whose
    /// venue is not a simulated one listing its symbol.
    pub async fn run_book_strategy<S: Strategy>(
        &mut self,
        streams: Arc<[BookStream]>,
        strategy: &mut S,
    ) -> Result<StrategyRun> {
        self.market = Some(Arc::new(MarketData::new(Vec::new(), Vec::new())?.with_books(streams)));
        self.run_strategy(strategy).await
    }

    /// Marks every feed's position at its book's mid and records the equity at `time`.
    pub(super) fn mark_books(&mut self, run: &BookRun, time: Timestamp) {
        let mut last = None;
        for state in &run.feeds {
            if let Some(mid) = mid(state.top) {
                self.portfolio.mark(state.slot, mid);
                last = Some((state.slot, mid));
            }
        }
        if let Some((slot, mid)) = last {
            self.mark(time, slot, mid);
        }
    }
}

/// The book a strategy on `feed` sees: `given` (the feed's, in a session on a live venue), else its venue's.
fn feed_book<'a>(router: &'a OrderRouter, given: Option<&'a L2Book>, feed: BookFeed) -> Result<Option<&'a L2Book>> {
    match given {
        Some(book) => Ok(Some(book)),
        None => router.book(feed.venue, feed.symbol),
    }
}

/// The mid of a book's top, exactly.
fn mid(top: BookTop) -> Option<Decimal> {
    let (bid, ask) = (top.0?, top.1?);
    Some((from_fixed(bid.0) + from_fixed(ask.0)) / Decimal::TWO)
}
