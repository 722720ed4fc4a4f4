//! What paper and live sessions share: the engine fed one live message at a time (recorded first), every fill
//! journaled before it is booked, the journal brought up to date after each message that changed something, the
//! status line, and the ways a session stops.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::FutureExt;
use rust_decimal::Decimal;

use super::bar_feed::{BarFeed, bar_recording_line};
use super::feed::BinanceBookFeed;
use super::journal::{Journal, JournalStep, SessionInfo, SessionState};
use super::monitoring::{SessionMetrics, serve_metrics};
use super::recording::Recording;
use crate::config::Scenario;
use crate::data::parse_capture_line;
use crate::engine::{
    BacktestResult, BacktestSetup, BarRun, BookFeed, BookRun, JournalHooks, TradingEngine, finish_run,
};
use crate::error::{Error, Result};
use crate::execution::OrderState;
use crate::market::{L2Book, messages};
use crate::model::VenueId;
use crate::model::{Bar, L2Row, Symbol, Timestamp};
use crate::strategy::{Strategy, StreamInfo, StreamKind};
use crate::venue::ClientTag;

/// How long a session may run and how it shows itself.
#[derive(Clone, Copy, Debug, Default)]
pub struct Limits {
    /// Stop after this many live messages.
    pub max_messages: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Print a status line to the terminal.
    pub status: bool,
    /// Serve `/metrics` and `/health` on this port of 127.0.0.1 (0: any free one) while the session runs.
    pub metrics_port: Option<u16>,
}

/// Why a session stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Ctrl-C or SIGTERM.
    Signal,
    /// The duration ran out.
    Duration,
    /// The message limit was reached.
    Messages,
    /// The venue's stream ended.
    StreamEnded,
    /// The risk manager's emergency stop (drawdown halt).
    EmergencyStop,
}

/// Runs a session's trading (`trade`: its resumed bars, its feed, its loop) and turns a panic inside it — in the
/// strategy, or a bug of ours — into [`Error::Strategy`], so that the caller's kill switch runs after it as after
/// any other error.
///
/// # Errors
/// As `trade`; [`Error::Strategy`] for a panic.
pub(super) async fn guarded<T>(trade: impl Future<Output = Result<T>>) -> Result<T> {
    match AssertUnwindSafe(trade).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".into());
            Err(Error::Strategy(format!("a panic stopped the session: {what}")))
        }
    }
}

/// What became of a failed session's journal and report, in words for its error's message.
pub(super) fn report_note<T>(reported: &Result<T>) -> String {
    match reported {
        Ok(_) => "journal and report written".into(),
        Err(error) => format!("no report: {error}"),
    }
}

/// `journal` bound to its session running `scenario` in `mode` (`paper`, `live`) on `exchange`.
///
/// # Errors
/// As [`Journal::open_session`]; the scenario's content hash.
pub(super) fn journal_of(mut journal: Journal, mode: &str, exchange: &str, scenario: &Scenario) -> Result<Journal> {
    let session = journal.name().to_string();
    let client_tag = ClientTag::fresh(&session).to_string();
    journal.open_session(&SessionInfo {
        session,
        mode: mode.into(),
        exchange: exchange.into(),
        scenario: scenario.text.clone(),
        content_hash: scenario.content_hash()?,
        client_tag,
    })?;
    Ok(journal)
}

/// The journal's hooks: each order committed before it is sent, each fill before the engine books it.
pub(super) fn journal_hooks(journal: &Arc<Mutex<Journal>>) -> JournalHooks {
    let (for_orders, for_fills) = (journal.clone(), journal.clone());
    JournalHooks {
        orders: Box::new(move |order| lock(&for_orders)?.record_order(order)),
        fills: Box::new(move |seq, fill| lock(&for_fills)?.record_fill(seq, fill)),
    }
}

fn lock(journal: &Mutex<Journal>) -> Result<std::sync::MutexGuard<'_, Journal>> {
    journal.lock().map_err(|_| Error::Journal("the journal lock was poisoned".into()))
}

/// What a session trades on: level-2 messages or closed bars, with its strategy and run.
pub(super) enum Trading {
    /// A level-2 strategy on one symbol's book feed.
    Book { strategy: Box<dyn Strategy>, run: BookRun, symbol: Symbol, rows: Vec<L2Row> },
    /// A bar strategy on one symbol's closed candles.
    Bars { strategy: Box<dyn Strategy>, run: BarRun },
}

/// A session's live market data: the level-2 feed or the closed-candle feed.
pub(super) enum LiveFeed {
    /// Binance's depth diffs, trades and snapshots.
    Book(Box<BinanceBookFeed>),
    /// A venue's closed candles.
    Bars(BarFeed),
}

impl LiveFeed {
    fn gaps(&self) -> u64 {
        match self {
            LiveFeed::Book(feed) => feed.gaps(),
            LiveFeed::Bars(feed) => feed.gaps(),
        }
    }

    /// Messages received and not taken yet.
    fn backlog(&self) -> usize {
        match self {
            LiveFeed::Book(feed) => feed.backlog(),
            LiveFeed::Bars(feed) => feed.backlog(),
        }
    }
}

/// A session's engine, strategy and run, and what the journal already holds.
pub(super) struct Session {
    pub(super) engine: TradingEngine,
    trading: Trading,
    journal: Arc<Mutex<Journal>>,
    committed: Committed,
    pub(super) messages: u64,
    first_received: Option<Timestamp>,
    metrics: Arc<Mutex<SessionMetrics>>,
}

impl Session {
    /// The strategy of `setup` started on `engine` (started), trading `symbol`'s level-2 feed: what
    /// [`Session::new`] runs. The engine stays the caller's, so that a failure can still go through its kill switch.
    pub(super) fn trading_book(engine: &mut TradingEngine, setup: &BacktestSetup, symbol: Symbol) -> Result<Trading> {
        let venue = setup.venue_of(symbol).unwrap_or_default();
        let tick = setup
            .instruments()
            .find(|i| i.symbol == symbol)
            .map(|i| i.tick_size)
            .ok_or_else(|| Error::Config(format!("{symbol} is not an instrument of the scenario")))?;
        let mut strategy = setup.build_strategy()?;
        let run = engine.start_book_run(&[BookFeed { symbol, venue: VenueId(venue), tick }], &mut strategy)?;
        Ok(Trading::Book { strategy, run, symbol, rows: Vec::new() })
    }

    /// The bar strategy of `setup` started on `engine` (started), trading `symbol`'s closed bars, whose prices have
    /// `close_scale` decimals: what [`Session::new`] runs (the engine stays the caller's, as for
    /// [`Session::trading_book`]).
    pub(super) fn trading_bars(
        engine: &mut TradingEngine,
        setup: &BacktestSetup,
        symbol: Symbol,
        close_scale: u32,
    ) -> Result<Trading> {
        let venue = setup
            .venue_of(symbol)
            .ok_or_else(|| Error::Config(format!("{symbol} is not an instrument of the scenario")))?;
        let mut strategy = setup.build_strategy()?;
        let lot_size = setup.instruments().find(|i| i.symbol == symbol).map(|i| i.lot_size).unwrap_or_default();
        let stream = StreamInfo { symbol, venue: VenueId(venue), kind: StreamKind::Bars, close_scale, lot_size };
        let run = engine.start_bar_run(&[stream], &mut strategy)?;
        Ok(Trading::Bars { strategy, run })
    }

    /// A session running `trading` (prepared on `engine` by [`Session::trading_book`] or
    /// [`Session::trading_bars`]), journaling into `journal`.
    pub(super) fn new(engine: TradingEngine, trading: Trading, journal: Arc<Mutex<Journal>>) -> Self {
        let committed = Committed::caught_up(engine.run_log());
        Session { engine, trading, journal, committed, messages: 0, first_received: None, metrics: Arc::default() }
    }

    /// A recorded line of a level-2 session (a resume replays them): its rows through the engine.
    ///
    /// # Errors
    /// [`Error::Data`] for a line that does not parse; [`Error::Config`] when the session trades bars.
    pub(super) async fn take_line(&mut self, path: &Path, line: &str, number: u32) -> Result<()> {
        let Trading::Book { symbol, rows, .. } = &mut self.trading else {
            return Err(Error::Config("a bar session replays bars, not level-2 lines".into()));
        };
        let mut rows = std::mem::take(rows);
        rows.clear();
        parse_capture_line(path, line, number, *symbol, &mut rows)?;
        self.take_rows(rows, None).await
    }

    /// The rows of one line through the engine, message by message; `book` is the book as the feed keeps it, for
    /// venues that keep none for us.
    async fn take_rows(&mut self, rows: Vec<L2Row>, book: Option<&L2Book>) -> Result<()> {
        let Trading::Book { strategy, run, rows: kept, .. } = &mut self.trading else {
            return Err(Error::Config("a bar session takes bars, not level-2 rows".into()));
        };
        if let Some(first) = rows.first() {
            self.first_received.get_or_insert(first.received);
        }
        for message in messages(&rows) {
            if self.engine.book_step(run, 0, message, book, strategy)? {
                self.engine.flush_book_actions().await?;
            }
        }
        self.messages += 1;
        *kept = rows;
        Ok(())
    }

    /// A closed bar through the engine (live, or replayed from the recording on resume).
    ///
    /// # Errors
    /// As [`TradingEngine::bar_step`]; [`Error::Config`] when the session trades level-2 data.
    pub(super) async fn take_bar(&mut self, bar: &Bar) -> Result<()> {
        let Trading::Bars { strategy, run } = &mut self.trading else {
            return Err(Error::Config("a level-2 session takes level-2 rows, not bars".into()));
        };
        self.first_received.get_or_insert(bar.open_time);
        if self.engine.bar_step(run, 0, bar, strategy)? {
            self.engine.flush_bar_orders().await?;
        }
        self.messages += 1;
        Ok(())
    }

    /// A recorded bar a resumed live session's strategy warms up on (see [`TradingEngine::warm_up_bar`]).
    ///
    /// # Errors
    /// As [`TradingEngine::warm_up_bar`]; [`Error::Config`] when the session trades level-2 data.
    pub(super) fn warm_up_bar(&mut self, bar: &Bar) -> Result<()> {
        let Trading::Bars { strategy, run } = &mut self.trading else {
            return Err(Error::Config("a level-2 session takes level-2 rows, not bars".into()));
        };
        self.first_received.get_or_insert(bar.open_time);
        self.engine.warm_up_bar(run, 0, bar, strategy)
    }

    /// Brings the journal up to date.
    pub(super) async fn commit(&mut self) -> Result<()> {
        self.committed.commit(&self.engine, &self.journal, self.messages).await
    }

    /// Feeds live lines from `feed` (each recorded first) until a stop — a signal, a limit, the end of the stream,
    /// or the risk manager's emergency stop (a drawdown halt). `live_venue`: the strategy sees the feed's book (the
    /// venue keeps none for us) and working orders are asked for every second. Returns the live messages taken and
    /// why it stopped.
    pub(super) async fn drive(
        &mut self,
        feed: &mut LiveFeed,
        recording: &mut Recording,
        limits: Limits,
        status: &mut StatusLine,
        live_venue: bool,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(u64, Stop)> {
        let _server = match limits.metrics_port {
            Some(port) => Some(serve_metrics(port, &status.session, self.metrics.clone()).await?),
            None => None,
        };
        let far = Duration::from_secs(u64::from(u32::MAX));
        let deadline = tokio::time::Instant::now() + limits.duration.unwrap_or(far);
        // The chores of a live venue — asking for working orders every second, renewing dead man's switches — run
        // after each message, and in a bar session on their own clock too, so that a quiet market (an hour between
        // candles) does not hold them up.
        let mut chores = Chores::starting_now();
        let mut live = 0u64;
        tokio::pin!(shutdown);
        let stop = loop {
            if limits.max_messages.is_some_and(|max| live >= max) {
                break Stop::Messages;
            }
            if self.engine.risk_level() == "halted" {
                break Stop::EmergencyStop;
            }
            let number = recording.lines() + 1;
            let received = match feed {
                LiveFeed::Book(feed) => {
                    let next = tokio::select! {
                        () = &mut shutdown => break Stop::Signal,
                        () = tokio::time::sleep_until(deadline) => break Stop::Duration,
                        // No chore clock here: the depth stream is never quiet for long, and its snapshot request
                        // is not to be cut short.
                        line = feed.next(number) => line?,
                    };
                    let Some(line) = next else { break Stop::StreamEnded };
                    recording.append(&line.text)?;
                    let book = live_venue.then(|| feed.book());
                    let received =
                        line.text.split_once(' ').and_then(|(ns, _)| ns.parse::<i64>().ok()).unwrap_or_default();
                    self.take_rows(line.rows, book).await?;
                    received
                }
                LiveFeed::Bars(feed) => {
                    let next = tokio::select! {
                        () = &mut shutdown => break Stop::Signal,
                        () = tokio::time::sleep_until(deadline) => break Stop::Duration,
                        () = tokio::time::sleep_until(chores.due()), if live_venue => {
                            self.chores(&mut chores, true).await?;
                            continue;
                        }
                        bar = feed.next() => bar,
                    };
                    let Some(bar) = next else { break Stop::StreamEnded };
                    recording.append(&bar_recording_line(&bar))?;
                    self.take_bar(&bar).await?;
                    bar.close_time.0
                }
            };
            if live_venue {
                self.chores(&mut chores, false).await?;
            }
            self.commit().await?;
            if let Ok(mut metrics) = self.metrics.lock() {
                metrics.observe(&self.engine, received, feed.gaps(), feed.backlog());
            }
            live += 1;
            status.show(self);
        };
        status.done();
        Ok((live, stop))
    }

    /// The live venue's chores that are due: what the venues' private streams reported booked first, the dead man's
    /// switches renewed, and working orders asked for, what they report booked and journaled — every second after a
    /// market event, every five seconds on the chores' own clock (a venue counting private calls, as Kraken does, is
    /// not asked once a second around the clock), every 15 s while every venue streams the account's executions.
    ///
    /// # Errors
    /// Renewals failing for 20 s — the shortest
    /// timeout allowed is 30 s, so the venue would soon cancel every order while the session trades on — and the
    /// errors of asking for orders.
    async fn chores(&mut self, chores: &mut Chores, on_the_clock: bool) -> Result<()> {
        self.engine.collect_venue_reports()?;
        let now = tokio::time::Instant::now();
        chores.collect = now + PRIVATE_STREAM_COLLECTION;
        if now >= chores.switch {
            match self.engine.dead_mans_switches(true).await {
                Ok(_) => {
                    chores.renewed = now;
                    chores.switch = now + DEAD_MANS_SWITCH_RENEWAL;
                }
                Err(failure) => {
                    if now.duration_since(chores.renewed) >= Duration::from_secs(20) {
                        return Err(failure.with_note("the dead man's switch could not be renewed"));
                    }
                    tracing::warn!(%failure, "the dead man's switch was not renewed; trying again in 5 s");
                    chores.switch = now + Duration::from_secs(5);
                }
            }
        }
        let asking = Duration::from_secs(if on_the_clock { 5 } else { 1 });
        let streamed = self.engine.executions_streamed();
        if !streamed {
            // A private stream that stopped delivering: back to asking often.
            chores.track = chores.track.min(now + asking);
        }
        if now >= chores.track {
            self.engine.track_orders().await?;
            chores.track = now + if streamed { STREAMED_TRACKING } else { asking };
            self.commit().await?;
        }
        Ok(())
    }

    /// Ends the run: a last mark and commit, then the engine's results.
    pub(super) async fn finish(self) -> Result<(BacktestResult, Timestamp)> {
        let Session { mut engine, trading, journal, mut committed, first_received, messages, .. } = self;
        let counts = match trading {
            Trading::Book { strategy, run, .. } => engine.finish_book_run(run, &strategy),
            Trading::Bars { strategy, run } => engine.finish_bar_run(run, &strategy),
        };
        committed.commit(&engine, &journal, messages).await?;
        Ok((finish_run(engine, counts).await?, first_received.unwrap_or_default()))
    }
}

/// How often a live session books what the venues' private streams reported when no market message brings it there
/// sooner (between candles).
const PRIVATE_STREAM_COLLECTION: Duration = Duration::from_secs(1);

/// How often a live session asks about working orders while every venue streams the account's executions: the
/// question only reconciles (a report lost on the way), and each one costs request weight.
const STREAMED_TRACKING: Duration = Duration::from_secs(15);

/// How often a live session renews the venues' dead man's switches: well inside the shortest timeout allowed
/// (`dead_mans_switch_seconds` is at least 30).
const DEAD_MANS_SWITCH_RENEWAL: Duration = Duration::from_secs(10);

/// When a live session's chores are next due.
struct Chores {
    /// Booking what the private streams reported.
    collect: tokio::time::Instant,
    /// Asking for the working orders.
    track: tokio::time::Instant,
    /// Renewing the dead man's switches.
    switch: tokio::time::Instant,
    /// When they were last renewed (armed as the session started: see `run_live`).
    renewed: tokio::time::Instant,
}

impl Chores {
    /// The switches (armed as the session started) renewed at once, the orders asked for in a second.
    fn starting_now() -> Self {
        let now = tokio::time::Instant::now();
        Chores {
            collect: now + PRIVATE_STREAM_COLLECTION,
            track: now + Duration::from_secs(1),
            switch: now,
            renewed: now,
        }
    }

    /// The next chore's time.
    fn due(&self) -> tokio::time::Instant {
        self.track.min(self.switch).min(self.collect)
    }
}

/// What the journal holds of the run's orders, marks and risk decisions.
#[derive(Debug, Default)]
struct Committed {
    orders: Vec<(OrderState, Decimal)>,
    equity: usize,
    risk_events: usize,
    /// The venues' balances as last asked; asked again only when an order changed (only fills move them), so a
    /// live venue is not asked once per bar or message.
    balances: Option<std::collections::BTreeMap<String, Decimal>>,
}

impl Committed {
    /// What the journal holds of `log` when the run was rebuilt from it: all of it.
    fn caught_up(log: &crate::engine::RunLog) -> Self {
        Committed {
            orders: log.orders.iter().map(|o| (o.state, o.report.filled_quantity)).collect(),
            equity: log.equity.len(),
            risk_events: log.risk_events.len(),
            balances: None,
        }
    }

    /// Writes what changed since the last commit (nothing when nothing did).
    async fn commit(&mut self, engine: &TradingEngine, journal: &Mutex<Journal>, messages: u64) -> Result<()> {
        let log = engine.run_log();
        let changed: Vec<usize> = (0..log.orders.len())
            .filter(|&i| {
                let o = &log.orders[i];
                self.orders.get(i) != Some(&(o.state, o.report.filled_quantity))
            })
            .collect();
        if changed.is_empty() && log.equity.len() == self.equity && log.risk_events.len() == self.risk_events {
            return Ok(());
        }
        if !changed.is_empty() || self.balances.is_none() {
            let mut balances = std::collections::BTreeMap::new();
            for venue in 0..engine.router().names().len() {
                for (asset, amount) in engine.router().balances(VenueId(venue)).await? {
                    *balances.entry(asset).or_insert(Decimal::ZERO) += amount;
                }
            }
            self.balances = Some(balances);
        }
        let balances = self.balances.clone().unwrap_or_default();
        let portfolio = engine.portfolio();
        let state = SessionState {
            time: log.equity.last().map_or(Timestamp(0), |p| p.time),
            messages,
            cash: portfolio.cash(),
            positions: portfolio
                .positions()
                .iter()
                .filter(|p| !p.quantity.is_zero())
                .map(|p| (p.symbol, p.quantity))
                .collect(),
            balances,
        };
        let orders: Vec<_> = changed.iter().map(|&i| &log.orders[i]).collect();
        let step = JournalStep {
            orders: &orders,
            equity: (self.equity, &log.equity[self.equity..]),
            risk_events: (self.risk_events, &log.risk_events[self.risk_events..]),
            state: &state,
        };
        lock(journal)?.record_step(&step)?;
        self.orders.resize(log.orders.len(), (OrderState::Created, Decimal::MIN));
        for i in changed {
            let o = &log.orders[i];
            self.orders[i] = (o.state, o.report.filled_quantity);
        }
        self.equity = log.equity.len();
        self.risk_events = log.risk_events.len();
        Ok(())
    }
}

/// The terminal's status line: equity, PnL, drawdown, risk level, open orders, messages per second.
pub(super) struct StatusLine {
    on: bool,
    session: String,
    started: std::time::Instant,
    last: std::time::Instant,
    peak: Decimal,
}

impl StatusLine {
    pub(super) fn new(on: bool, session: &str) -> Self {
        let now = std::time::Instant::now();
        StatusLine { on, session: session.to_string(), started: now, last: now, peak: Decimal::ZERO }
    }

    fn show(&mut self, session: &Session) {
        if !self.on || self.last.elapsed() < Duration::from_secs(1) {
            return;
        }
        self.last = std::time::Instant::now();
        let portfolio = session.engine.portfolio();
        let equity = portfolio.equity();
        self.peak = self.peak.max(equity);
        let drawdown =
            if self.peak.is_zero() { Decimal::ZERO } else { (self.peak - equity) / self.peak * Decimal::ONE_HUNDRED };
        let pnl: Decimal = portfolio.positions().iter().map(|p| p.realized_pnl + p.unrealized_pnl()).sum();
        let open = session.engine.run_log().orders.iter().filter(|o| !o.report.status.is_final()).count();
        let rate = session.messages as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
        eprint!(
            "\r{}: equity {} {} | PnL {} | drawdown {} % | risk {} | open orders {open} | {rate:.0} msg/s   ",
            self.session,
            equity.round_dp(2),
            portfolio.quote(),
            pnl.round_dp(2),
            drawdown.round_dp(2),
            session.engine.risk_level(),
        );
    }

    fn done(&self) {
        if self.on {
            eprintln!();
        }
    }
}
