//! [`TradingEngine`]: the seed's engine. It owns the named venues (through the [`OrderRouter`]), the risk manager and
//! the portfolio, replays market data through a strategy, and records everything in a [`RunLog`].
//!
//! Per time slice (the bars of every series closing at one time), in this order: advance the clock → each venue
//! matches resting orders against its bar → fills are booked and positions marked at the closes → the strategy
//! sees the closed bars → equity is recorded and the risk limits follow it → the strategy's orders pass the risk
//! manager and go to the venue.

use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

mod bar_steps;
mod book_replay;
mod commands;
mod exits;
mod order_flow;
mod restore;
mod tracking;
mod venue_trades;
mod window;

use super::run_log::{EquityPoint, RunLog};
use crate::error::{Error, Result};
use crate::execution::JournalHooks;
use crate::model::{OrderId, VenueId};
use crate::portfolio::{Portfolio, Position};
use crate::venue::OrderRouter;
use rust_decimal::prelude::ToPrimitive;

use crate::execution::WorkingOrders;
use crate::market::{FeedEvent, ReplayFeed, SimClock};
use crate::model::{Bar, BarSeries, ExecutionEvent, OrderQty, OrderReport, Side, Symbol, Timestamp};
use crate::risk::RiskManager;
use crate::strategy::{
    BarHistory, Command, Context, Event, OpenOrder, OrderIntent, SliceContext, Strategy, StrategyRegistry, StreamInfo,
    StreamKind,
};

pub use bar_steps::BarRun;
pub use book_replay::{BookFeed, BookRun, BookStream};
pub use window::{Carried, WindowClose, WindowPlan};

/// Recorded market data for a replay: bar series and the venue each one trades on, and level-2 streams. Built
/// once, shared read-only by every run that replays it; one [`ReplayFeed`] merges all of it in time order.
#[derive(Clone, Debug)]
pub struct MarketData {
    series: Vec<BarSeries>,
    venues: Vec<VenueId>,
    close_scales: Vec<u32>,
    books: Arc<[BookStream]>,
}

impl MarketData {
    /// Pairs each series with the venue its symbol trades on.
    ///
    /// # Errors
    /// [`Error::Config`] when the two lists differ in length.
    pub fn new(series: Vec<BarSeries>, venues: Vec<VenueId>) -> Result<Self> {
        if series.len() != venues.len() {
            return Err(Error::Config(format!("{} series but {} venues", series.len(), venues.len())));
        }
        let close_scales = series.iter().map(BarSeries::close_scale).collect();
        Ok(MarketData { series, venues, close_scales, books: Arc::new([]) })
    }

    /// The same data with level-2 `books` beside the bar series (replacing any it had).
    pub fn with_books(mut self, books: Arc<[BookStream]>) -> Self {
        self.books = books;
        self
    }

    /// The level-2 streams, in the order they were given.
    pub fn books(&self) -> &[BookStream] {
        &self.books
    }

    /// The bar series, in the order they were given.
    pub fn series(&self) -> &[BarSeries] {
        &self.series
    }

    /// A feed merging every bar series and level-2 stream in time order.
    pub fn feed(&self) -> ReplayFeed<'_> {
        ReplayFeed::with_books(&self.series, self.books.iter().map(|book| book.rows.as_slice()).collect())
    }

    /// The first bar's open, the last bar's close, and the first series' bar interval; `None` without bars.
    pub fn span(&self) -> Option<(Timestamp, Timestamp, i64)> {
        let first = self.series.iter().filter_map(|s| s.open_time.first()).min()?;
        let end = self.series.iter().filter(|s| !s.is_empty()).map(|s| s.close_time(s.len() - 1)).max()?;
        Some((*first, end, self.series.first()?.interval))
    }

    /// The bar series cut to the bars that open in `[from, to)`, each series on its venue. Level-2 streams are
    /// kept whole (a book starts from its snapshot), so a walk-forward window refuses them.
    pub fn between(&self, from: Timestamp, to: Timestamp) -> MarketData {
        let series: Vec<BarSeries> = self.series.iter().map(|s| s.between(from, to)).collect();
        let close_scales = series.iter().map(BarSeries::close_scale).collect();
        MarketData { series, venues: self.venues.clone(), close_scales, books: Arc::clone(&self.books) }
    }

    /// [`MarketData::between`] with each series' next bar after `to` as well (see [`BarSeries::between_and_next`]).
    pub fn between_and_next(&self, from: Timestamp, to: Timestamp) -> MarketData {
        let series: Vec<BarSeries> = self.series.iter().map(|s| s.between_and_next(from, to)).collect();
        let close_scales = series.iter().map(BarSeries::close_scale).collect();
        MarketData { series, venues: self.venues.clone(), close_scales, books: Arc::clone(&self.books) }
    }
}

/// What a replay keeps between events: each bar series' ledger slot, the level-2 streams' run, and the bars of a
/// time slice shown once it is complete.
struct Replay {
    slots: Vec<usize>,
    books: BookRun,
    earlier: Vec<FeedEvent>,
}

/// Counts of one [`TradingEngine::execute_strategy`] call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StrategyRun {
    /// Strategy kind.
    pub strategy: String,
    /// Market events replayed.
    pub events: usize,
    /// Of them, level-2 messages.
    pub book_messages: usize,
    /// The symbols traded on level-2 data.
    pub book_symbols: Vec<Symbol>,
}

/// The portfolio as `get_portfolio_status` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PortfolioStatus {
    /// Engine time.
    pub time: Timestamp,
    /// Quote asset.
    pub quote: String,
    /// Free cash.
    pub cash: Decimal,
    /// Cash plus positions at their last prices.
    pub equity: Decimal,
    /// Σ |position value|.
    pub gross_exposure: Decimal,
    /// Realized PnL before fees, all positions.
    pub realized_pnl: Decimal,
    /// Unrealized PnL, all positions.
    pub unrealized_pnl: Decimal,
    /// Fees paid.
    pub fees_paid: Decimal,
    /// Positions that are not flat.
    pub positions: Vec<Position>,
}

/// The trading engine (the seed's `TradingEngine(exchanges=..., risk_manager=...)`).
pub struct TradingEngine {
    router: OrderRouter,
    risk_manager: RiskManager,
    portfolio: Portfolio,
    clock: SimClock,
    log: RunLog,
    market: Option<Arc<MarketData>>,
    working: WorkingOrders,
    running: bool,
    executions: Vec<ExecutionEvent>,
    /// What the strategy (or the engine itself, closing positions on a halt) asked for and is not done yet.
    commands: Vec<Command>,
    /// Per stream of the current run: its last closed bars, as long as the strategy's history window.
    histories: Vec<BarHistory>,
    /// The strategy's open orders of the stream it is shown, refilled per event.
    open_view: Vec<OpenOrder>,
    /// Whether the strategy of the current run sees time slices.
    time_slices: bool,
    /// The streams of the current run, as its strategy was shown them.
    streams: Vec<StreamInfo>,
    venues_by_symbol: Vec<(Symbol, VenueId)>,
    journal: Option<JournalHooks>,
    journal_failure: Option<Error>,
    /// Filled parts of entries too small for an exit pair of their own (below the minimum notional), waiting for
    /// the entry's next part: (entry, quantity, notional at the fill prices).
    exit_backlog: Vec<(OrderId, Decimal, Decimal)>,
    /// Orders a network venue acknowledged and then said it does not know, with when it first said so.
    unlisted_since: Vec<(OrderId, Timestamp)>,
    /// Per order at a venue that lists its trades: what its booked trades executed (before commission: what the
    /// venue's status calls filled). A status showing more has trades to book.
    covered: BTreeMap<OrderId, Decimal>,
    /// Orders the venue ended whose trades it had not all listed yet, with its last report of each.
    pending_trades: BTreeMap<OrderId, (VenueId, OrderReport)>,
}

impl TradingEngine {
    /// An engine trading on the router's venues, checking every order with `risk_manager`, booking into `portfolio`.
    pub fn new(router: OrderRouter, risk_manager: RiskManager, portfolio: Portfolio) -> Self {
        let slots = portfolio.positions().len();
        TradingEngine {
            router,
            risk_manager,
            portfolio,
            clock: SimClock::default(),
            log: RunLog::default(),
            market: None,
            working: WorkingOrders::new(slots),
            running: false,
            executions: Vec::new(),
            commands: Vec::new(),
            histories: Vec::new(),
            open_view: Vec::new(),
            time_slices: false,
            streams: Vec::new(),
            venues_by_symbol: Vec::new(),
            journal: None,
            journal_failure: None,
            exit_backlog: Vec::new(),
            unlisted_since: Vec::new(),
            covered: BTreeMap::new(),
            pending_trades: BTreeMap::new(),
        }
    }

    /// Journals every order before sending it and every fill before booking it through `journal`.
    pub fn with_journal(mut self, journal: JournalHooks) -> Self {
        self.journal = Some(journal);
        self
    }

    /// Records into `log`'s memory (cleared first) instead of fresh memory: repeated runs in one process, such
    /// as the combinations of a sweep, then write into pages they already own.
    pub fn with_run_log(mut self, mut log: RunLog) -> Self {
        log.clear();
        self.log = log;
        self
    }

    /// Attaches recorded market data for [`Self::execute_strategy`] to replay. Shared, never copied.
    pub fn with_market_data(mut self, market: Arc<MarketData>) -> Self {
        self.market = Some(market);
        self
    }

    /// Connects every venue and takes the portfolio value as the day's start value.
    ///
    /// # Errors
    /// [`Error::Validation`] when exits are to be attached at a venue that cannot hold them; the first venue that
    /// fails to connect.
    pub async fn start(&mut self) -> Result<()> {
        if self.risk_manager.policy().exits.attach
            && let Some(name) = self.router.first_adapter_venue()
        {
            return Err(Error::Validation(format!(
                "risk_policy.exits.attach: venue '{name}' cannot hold the engine's exit orders yet; only simulated venues (backtest, paper) can"
            )));
        }
        self.router.connect_all().await?;
        self.risk_manager.set_daily_start_value(self.portfolio.equity());
        self.running = true;
        tracing::info!(venues = ?self.router.names(), "engine started");
        Ok(())
    }

    /// Disconnects every venue. Open orders and positions stay as they are.
    ///
    /// # Errors
    /// The first venue that fails to disconnect.
    pub async fn stop(&mut self) -> Result<()> {
        self.running = false;
        self.router.disconnect_all().await?;
        tracing::info!("engine stopped");
        Ok(())
    }

    /// The risk manager's state in a word: `halted` (emergency stop), `daily limit`, `cooling off`, or `normal`.
    pub fn risk_level(&self) -> &'static str {
        if self.risk_manager.halt().is_some() {
            "halted"
        } else if self.risk_manager.daily_limit_reason().is_some() {
            "daily limit"
        } else if self.risk_manager.cooling_until().is_some_and(|until| until > self.clock.now()) {
            "cooling off"
        } else {
            "normal"
        }
    }

    /// The record of everything that happened so far.
    pub fn run_log(&self) -> &RunLog {
        &self.log
    }

    /// The ledger.
    pub fn portfolio(&self) -> &Portfolio {
        &self.portfolio
    }

    /// The venues.
    pub fn router(&self) -> &OrderRouter {
        &self.router
    }

    /// Ends the engine's life, handing over the run's record and the final ledger.
    pub fn into_results(self) -> (RunLog, Portfolio) {
        (self.log, self.portfolio)
    }

    /// The portfolio now: cash, equity, exposure, PnL and open positions.
    pub async fn get_portfolio_status(&self) -> PortfolioStatus {
        let positions = self.portfolio.positions();
        PortfolioStatus {
            time: self.clock.now(),
            quote: self.portfolio.quote().to_string(),
            cash: self.portfolio.cash(),
            equity: self.portfolio.equity(),
            gross_exposure: self.portfolio.gross_exposure(),
            realized_pnl: positions.iter().map(|p| p.realized_pnl).sum(),
            unrealized_pnl: positions.iter().map(Position::unrealized_pnl).sum(),
            fees_paid: self.portfolio.fees_paid(),
            positions: positions.iter().filter(|p| !p.quantity.is_zero()).cloned().collect(),
        }
    }

    /// Places an order directly (the seed's `place_order`): a limit order when `price` is given, else a market order.
    /// It passes the risk manager like every strategy order.
    ///
    /// # Errors
    /// [`Error::RiskManagement`] with the reason when the risk manager refuses it; [`Error::Order`] when the venue
    /// does; [`Error::Config`] for an unknown venue or symbol.
    pub async fn place_order(
        &mut self,
        venue: &str,
        symbol: Symbol,
        side: Side,
        quantity: Decimal,
        price: Option<Decimal>,
    ) -> Result<OrderReport> {
        let venue = self.router.require(venue)?;
        let intent = match price {
            Some(price) => OrderIntent::limit(venue, symbol, side, quantity, price),
            None => OrderIntent::market(venue, symbol, side, OrderQty::Base(quantity)),
        };
        self.submit(intent).await
    }

    /// Runs the strategy `name` with `params` over the attached market data, from the first event to the last.
    /// Orders the risk manager or a venue refuses are recorded in the run log, not returned as errors.
    ///
    /// # Errors
    /// [`Error::Validation`] if the engine was not started; [`Error::Config`] for an unknown strategy, bad
    /// parameters or missing market data; venue failures other than order rejections.
    pub async fn execute_strategy(&mut self, name: &str, params: &serde_json::Value) -> Result<StrategyRun> {
        let mut strategy = StrategyRegistry::builtin().build(name, params)?;
        self.run_strategy(&mut strategy).await
    }

    /// Runs `strategy` — a built-in or any other [`Strategy`] — over the attached market data. Generic, so the
    /// replay loop calls the strategy directly.
    ///
    /// # Errors
    /// As [`TradingEngine::execute_strategy`].
    pub async fn run_strategy<S: Strategy>(&mut self, strategy: &mut S) -> Result<StrategyRun> {
        let (market, mut replay) = self.begin_replay(strategy)?;
        let mut feed = market.feed();
        // One equity mark per bar slice at most (level-2 data marks once a second).
        self.log.equity.reserve(feed.total_bars());
        self.replay(&market, &mut feed, &mut replay, strategy).await?;
        // The books' last mark, unless the last event's slice marked this very moment already.
        if !market.books.is_empty()
            && self.log.equity.last().is_none_or(|p| p.time < self.clock.now() || market.series.is_empty())
        {
            self.mark_books(&replay.books, self.clock.now());
        }
        Ok(self.replay_done(strategy.name(), feed.consumed(), Some(&replay.books)))
    }

    /// Shows `strategy` the attached market data's streams (the bar series, then the level-2 streams): returns
    /// the data and what the replay keeps between events.
    ///
    /// # Errors
    /// As [`TradingEngine::execute_strategy`]; as [`TradingEngine::start_book_run`] for level-2 streams.
    fn begin_replay<S: Strategy>(&mut self, strategy: &mut S) -> Result<(Arc<MarketData>, Replay)> {
        if !self.running {
            return Err(Error::Validation("the engine is not running: call start() first".into()));
        }
        let market =
            self.market.clone().ok_or_else(|| Error::Config("no market data is attached to the engine".into()))?;
        let mut slots = Vec::with_capacity(market.series.len());
        let mut infos = Vec::with_capacity(market.series.len() + market.books.len());
        for ((series, &venue), &close_scale) in market.series.iter().zip(&market.venues).zip(&market.close_scales) {
            let slot = self.portfolio.slot(series.symbol).ok_or_else(|| {
                Error::Config(format!("market data for {} has no instrument in the portfolio", series.symbol))
            })?;
            slots.push(slot);
            let lot_size = self.risk_manager.lot_size(series.symbol).unwrap_or_default();
            infos.push(StreamInfo { symbol: series.symbol, venue, kind: StreamKind::Bars, close_scale, lot_size });
            self.note_venue(series.symbol, venue);
        }
        let books = self.book_feeds(&market.books, &mut infos)?;
        strategy.on_start(&infos)?;
        self.prepare_for(strategy, &infos);
        let earlier = Vec::with_capacity(market.series.len());
        Ok((market, Replay { slots, books, earlier }))
    }

    /// Replays `feed` (until it ends or is paused) through `strategy`.
    ///
    /// # Errors
    /// Venue failures other than order rejections; as [`TradingEngine::book_step`] for level-2 messages.
    async fn replay<S: Strategy>(
        &mut self,
        market: &MarketData,
        feed: &mut ReplayFeed<'_>,
        replay: &mut Replay,
        strategy: &mut S,
    ) -> Result<()> {
        // The synchronous inner loop replays time slices and places orders at venues that answer at once
        // (simulated ones); it returns only when orders must wait for a network venue. Keeping the per-bar work
        // out of the async state machine keeps it in registers.
        while self.replay_until_async(market, feed, replay, strategy)? {
            self.flush_commands().await?;
        }
        Ok(())
    }

    /// Logs the end of a replay of `events` by `strategy` (level-2 messages among them: `books`' count) and
    /// returns its counts.
    fn replay_done(&self, strategy: &str, events: usize, books: Option<&BookRun>) -> StrategyRun {
        let (orders, fills) = (self.log.orders.len(), self.log.fills.len());
        tracing::info!(strategy, events, orders, fills, "replay done");
        let (book_messages, book_symbols) = books.map(BookRun::counts).unwrap_or_default();
        StrategyRun { strategy: strategy.to_string(), events, book_messages, book_symbols }
    }

    /// Prepares a run of `strategy` on `streams`: a history window of its length for each bar stream (none for
    /// level-2 streams), and whether it sees time slices.
    fn prepare_for<S: Strategy>(&mut self, strategy: &S, streams: &[StreamInfo]) {
        let len = strategy.history_len();
        self.histories.clear();
        self.histories
            .extend(streams.iter().map(|s| BarHistory::new(if s.kind == StreamKind::Book { 0 } else { len })));
        self.time_slices = strategy.wants_time_slices();
        self.streams.clear();
        self.streams.extend_from_slice(streams);
    }

    /// The journal's failure to record a fill, if one happened since the last look.
    fn journal_failed(&mut self) -> Result<()> {
        match self.journal_failure.take() {
            Some(failure) => Err(failure),
            None => Ok(()),
        }
    }

    /// `symbol` trades on `venue` (for the orders the engine itself sends, such as closing positions on a halt).
    fn note_venue(&mut self, symbol: Symbol, venue: VenueId) {
        if !self.venues_by_symbol.iter().any(|(s, _)| *s == symbol) {
            self.venues_by_symbol.push((symbol, venue));
        }
    }

    /// Replays time slices (every bar closing at one time) until the feed ends (`false`) or orders wait for a
    /// venue that answers asynchronously (`true`: they are in `self.commands`).
    ///
    /// Each slice: the venues see the bars and report fills, positions are marked at the closes; the strategy sees
    /// the closed bars; the portfolio is marked and the risk limits follow the equity path; then the strategy's
    /// orders go out — so a halt or a daily limit reached at a close already applies to orders sent at that close.
    ///
    /// # Errors
    /// Venue failures other than order rejections.
    fn replay_until_async<S: Strategy>(
        &mut self,
        market: &MarketData,
        feed: &mut ReplayFeed<'_>,
        replay: &mut Replay,
        strategy: &mut S,
    ) -> Result<bool> {
        // A bar is read from the columns once and stays in a local from the venue to the strategy. Bars of a slice
        // other than its last (several series closing at one time) wait in `earlier` until the slice is complete.
        // At one time bars come before level-2 messages, so a slice is never split by one.
        let Replay { slots, books, earlier } = replay;
        while let Some(event) = feed.next() {
            let Some(series) = market.series.get(event.stream) else {
                let feed_index = event.stream - market.series.len();
                let message = &market.books[feed_index].rows[event.index..event.end];
                let last_of_time = feed.peek_time() != Some(event.time);
                if self.book_message(books, feed_index, message, None, strategy, last_of_time)? {
                    return Ok(true);
                }
                continue;
            };
            self.clock.advance_to(event.time);
            let slot = slots[event.stream];
            // Read once from the columns; everything below reads this one copy in place.
            let bar = &series.bar(event.index);
            self.deliver(market.venues[event.stream], series.symbol, bar, slot);
            if feed.next_is_bar_at(event.time) {
                earlier.push(event);
                continue;
            }
            if !earlier.is_empty() {
                self.show_earlier(market, earlier, slots, strategy);
            }
            self.show(event, bar, slot, strategy);
            // Every event of a time is in before its slice ends (level-2 messages of the same time come after).
            if feed.peek_time() != Some(event.time) {
                self.end_slice(event.time, strategy);
            }
            self.mark(event.time, slot, bar.close);
            if !self.commands.is_empty() && !self.route_commands_now()? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// A bar reaches its venue: resting orders are matched, fills booked, the position marked at the close.
    #[inline]
    fn deliver(&mut self, venue: VenueId, symbol: Symbol, bar: &Bar, slot: usize) {
        if self.router.on_bar(venue, symbol, bar) {
            self.collect_executions(venue);
        }
        self.portfolio.mark(slot, bar.close);
        if self.risk_manager.wants_closes() {
            self.risk_manager.on_close(symbol, bar.close_time, bar.close.to_f64().unwrap_or(0.0));
        }
    }

    /// The strategy sees the bars of a slice that came before its last, read from the columns again.
    #[inline(never)]
    fn show_earlier<S: Strategy>(
        &mut self,
        market: &MarketData,
        earlier: &mut Vec<FeedEvent>,
        slots: &[usize],
        strategy: &mut S,
    ) {
        for event in earlier.drain(..) {
            let bar = market.series[event.stream].bar(event.index);
            self.show(event, &bar, slots[event.stream], strategy);
        }
    }

    /// The strategy sees a closed bar; its commands are left in `self.commands`.
    #[inline]
    fn show<S: Strategy>(&mut self, event: FeedEvent, bar: &Bar, slot: usize, strategy: &mut S) {
        let stream = self.streams[event.stream];
        self.show_bar(event.stream, stream, bar, slot, strategy);
    }

    /// The strategy sees a closed `bar` of stream number `index` (`stream`); its commands are left in
    /// `self.commands`.
    #[inline]
    fn show_bar<S: Strategy>(&mut self, index: usize, stream: StreamInfo, bar: &Bar, slot: usize, strategy: &mut S) {
        self.histories[index].push(*bar);
        self.open_view.clear();
        if self.working.count(slot) > 0 {
            self.open_view.extend(self.working.trades_of(slot));
        }
        let ctx = Context {
            stream: index,
            venue: stream.venue,
            symbol: stream.symbol,
            time: bar.close_time,
            event: Event::Bar(bar),
            history: &self.histories[index],
            position: self.portfolio.position(slot).quantity,
            cash: self.portfolio.cash(),
            open_orders: &self.open_view,
            account: &self.portfolio,
        };
        strategy.on_event(&ctx, &mut self.commands);
    }

    /// Every event of time `time` was shown: the strategy's [`Strategy::on_time_slice`].
    #[inline]
    fn end_slice<S: Strategy>(&mut self, time: Timestamp, strategy: &mut S) {
        if !self.time_slices {
            return;
        }
        let ctx = SliceContext { time, cash: self.portfolio.cash(), account: &self.portfolio };
        strategy.on_time_slice(&ctx, &mut self.commands);
    }

    /// Records the portfolio's value at `time` and lets the risk limits follow it; a halt or a daily limit is
    /// recorded, and a halt with `flatten_on_halt` queues orders closing every position. `close` is the last
    /// price just set for `slot` (the slice's last bar).
    #[inline]
    fn mark(&mut self, time: Timestamp, slot: usize, close: Decimal) {
        let value = self.portfolio.marked_equity_at(slot, close);
        self.log.equity.push(EquityPoint { time, value });
        let outcome = self.risk_manager.on_mark(time, value);
        if outcome.any() {
            self.on_limit_reached(time, outcome);
        }
    }
}
