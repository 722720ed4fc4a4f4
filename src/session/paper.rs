//! `ctb paper`: a level-2 scenario traded on live public market data with fills from the simulated exchange.
//!
//! Every message is recorded (`<recordings>/<session>/<SYMBOL>.txt`) before the engine sees it; every fill is
//! journaled before the engine books it, and orders, equity marks, risk decisions and the state after each
//! message that changed them (`<reports>/<session>/journal.sqlite`). The engine is the backtest's, fed one message
//! at a time ([`crate::engine::TradingEngine::book_step`]) through venues configured as the replay of the
//! recording is ([`Scenario::replaying`]), so replaying the recording reproduces the session's orders and fills.
//!
//! Resume: the simulated venue's inner state (queue positions, orders on their way) is in no journal, so a resumed
//! session rebuilds everything by replaying its own recording through a fresh engine — re-deriving every fill,
//! each checked against the journal (a difference stops it) — then goes on live, appending to the recording.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rust_decimal::Decimal;

use super::feed::BinanceBookFeed;
use super::journal::{Journal, JournalStep, SessionInfo, SessionState};
use super::recording::Recording;
use crate::book::messages;
use crate::config::{Scenario, VenueConfig};
use crate::data::parse_capture_line;
use crate::engine::{BookFeed, BookRun, FillJournal, TradingEngine, finish_run, start_book_engine};
use crate::error::{Error, Result};
use crate::exchange::VenueId;
use crate::exchange::binance::BinanceAdapter;
use crate::model::{L2Row, OrderStatus, Symbol, Timestamp};
use crate::runner::{ScenarioRun, write_book_report};
use crate::strategy::{SpreadQuoter, build_book_strategy};

/// What a paper session runs and where it keeps things.
#[derive(Clone, Debug)]
pub struct PaperOptions {
    /// A level-2 scenario (`binance_l2` data naming the symbol to trade).
    pub scenario: Scenario,
    /// The venue whose public market data drives it (its `exchanges.yaml` section).
    pub venue: VenueConfig,
    /// The session's name.
    pub session: String,
    /// Where recordings go (`data/recordings`).
    pub recordings: PathBuf,
    /// Where reports and journals go (`reports`).
    pub reports: PathBuf,
    /// Continue the session `session` instead of starting it.
    pub resume: bool,
    /// Stop after this many live messages.
    pub max_messages: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Print a status line to the terminal.
    pub status: bool,
}

/// How a paper session ended.
pub struct PaperOutcome {
    /// Its report (the same files as a backtest's).
    pub report: ScenarioRun,
    /// Messages replayed from the recording on resume.
    pub replayed: u64,
    /// Messages taken live.
    pub live: u64,
    /// The recording's folder.
    pub recording: PathBuf,
    /// The journal's file.
    pub journal: PathBuf,
}

/// The engine, its strategy and run, and what the journal already holds.
struct Session {
    engine: TradingEngine,
    strategy: SpreadQuoter,
    run: BookRun,
    symbol: Symbol,
    journal: Arc<Mutex<Journal>>,
    committed: Committed,
    rows: Vec<L2Row>,
    messages: u64,
    first_received: Option<Timestamp>,
}

/// Runs a paper session until `shutdown` completes, the duration or message limit is reached, or the stream ends.
///
/// # Errors
/// [`Error::Config`] for a scenario that is not level-2 on one symbol, a session that exists (without `resume`) or
/// does not (with it); the venue's errors; [`Error::Journal`] when the journal fails; [`Error::Data`] when a
/// resumed session re-derives a fill the journal holds differently.
pub async fn run_paper(options: PaperOptions, shutdown: impl Future<Output = ()>) -> Result<PaperOutcome> {
    let scenario = &options.scenario;
    let symbol = match scenario.data.as_slice() {
        [only] if scenario.is_book() => only.symbol,
        _ => {
            return Err(Error::Config(format!(
                "{}: ctb paper trades one symbol of level-2 data (one data entry, format binance_l2)",
                scenario.path.display()
            )));
        }
    };
    let dir = options.recordings.join(&options.session);
    let (mut recording, earlier) = Recording::open(&dir, symbol)?;
    match (options.resume, earlier.is_empty()) {
        (true, true) => {
            return Err(Error::Config(format!(
                "session {}: nothing recorded in {} to resume",
                options.session,
                dir.display()
            )));
        }
        (false, false) => {
            return Err(Error::Config(format!(
                "session {} already exists in {}: resume it with --resume, or name another --session",
                options.session,
                dir.display()
            )));
        }
        _ => {}
    }
    write_recorded_scenario(&dir, scenario)?;
    let report_dir = options.reports.join(&options.session);
    let journal_path = report_dir.join("journal.sqlite");
    let mut journal = Journal::open_sqlite(&journal_path, &options.session)?;
    journal.open_session(&SessionInfo {
        session: options.session.clone(),
        mode: "paper".into(),
        exchange: "binance".into(),
        scenario: scenario.text.clone(),
        content_hash: scenario.content_hash()?,
    })?;
    let replay = scenario.replaying(&dir);
    let mut session = Session::start(&replay, symbol, Arc::new(Mutex::new(journal))).await?;
    for (index, line) in earlier.iter().enumerate() {
        session.take_line(recording.path(), line, index as u32 + 1).await?;
    }
    let replayed = session.messages;
    if options.resume {
        session.commit().await?;
        let fills = session.engine.run_log().fills.len();
        tracing::info!(
            session = options.session,
            replayed,
            fills,
            "resumed: the recording re-derived every journaled fill"
        );
    }
    let adapter = BinanceAdapter::new(&options.venue, None)?;
    let mut feed = BinanceBookFeed::open(adapter, symbol).await?;
    let deadline = tokio::time::Instant::now() + options.duration.unwrap_or(Duration::from_secs(u64::from(u32::MAX)));
    let mut status = StatusLine::new(options.status, &options.session);
    let mut live = 0u64;
    tokio::pin!(shutdown);
    while options.max_messages.is_none_or(|max| live < max) {
        let number = recording.lines() + 1;
        let next = tokio::select! {
            () = &mut shutdown => break,
            () = tokio::time::sleep_until(deadline) => break,
            line = feed.next(number) => line?,
        };
        let Some(line) = next else { break };
        recording.append(&line.text)?;
        session.take_rows(line.rows).await?;
        session.commit().await?;
        live += 1;
        status.show(&session);
    }
    status.done();
    let Session { mut engine, strategy, run, journal, mut committed, first_received, messages, .. } = session;
    let counts = engine.finish_book_run(run, &strategy);
    committed.commit(&engine, &journal, messages).await?;
    let result = finish_run(engine, counts).await?;
    let start = first_received.unwrap_or_default();
    let report = write_book_report(&replay, &report_dir, replay.content_hash()?, result, start)?;
    Ok(PaperOutcome { report, replayed, live, recording: dir, journal: journal_path })
}

/// The scenario a recording was made with, kept in its folder: `scenario.yaml` (the text) and `scenario_path`
/// (where it was, so that its relative paths resolve as they did).
fn write_recorded_scenario(dir: &Path, scenario: &Scenario) -> Result<()> {
    let text = dir.join("scenario.yaml");
    std::fs::write(&text, &scenario.text).map_err(|e| Error::io("writing", &text, e))?;
    let origin = std::path::absolute(&scenario.path).map_err(|e| Error::io("resolving", &scenario.path, e))?;
    let path = dir.join("scenario_path");
    std::fs::write(&path, origin.display().to_string()).map_err(|e| Error::io("writing", &path, e))
}

/// The scenario of the recording in `dir`, replaying it: as the session ran it, its data replaced by the recording.
///
/// # Errors
/// [`Error::Io`] when the folder holds no recorded scenario; as [`Scenario::parse`].
pub fn recorded_scenario(dir: &Path) -> Result<Scenario> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read_to_string(&path).map_err(|e| Error::io("reading", &path, e))
    };
    let (text, origin) = (read("scenario.yaml")?, read("scenario_path")?);
    Ok(Scenario::parse(Path::new(origin.trim()), text)?.replaying(dir))
}

impl Session {
    async fn start(replay: &Scenario, symbol: Symbol, journal: Arc<Mutex<Journal>>) -> Result<Self> {
        let setup = &replay.setup;
        let fills = journal.clone();
        let hook: FillJournal = Box::new(move |seq, fill| {
            fills.lock().map_err(|_| Error::Journal("the journal lock was poisoned".into()))?.record_fill(seq, fill)
        });
        let mut engine = start_book_engine(setup, Some(hook)).await?;
        let venue = setup.venue_of(symbol).unwrap_or_default();
        let tick = setup
            .instruments()
            .find(|i| i.symbol == symbol)
            .map(|i| i.tick_size)
            .ok_or_else(|| Error::Config(format!("{symbol} is not an instrument of the scenario")))?;
        let mut strategy = build_book_strategy(&setup.strategy, &setup.params)?;
        let run = engine.start_book_run(&[BookFeed { symbol, venue: VenueId(venue), tick }], &mut strategy)?;
        Ok(Session {
            engine,
            strategy,
            run,
            symbol,
            journal,
            committed: Committed::default(),
            rows: Vec::new(),
            messages: 0,
            first_received: None,
        })
    }

    /// A recorded line (resume): its rows through the engine.
    async fn take_line(&mut self, path: &std::path::Path, line: &str, number: u32) -> Result<()> {
        let mut rows = std::mem::take(&mut self.rows);
        rows.clear();
        parse_capture_line(path, line, number, self.symbol, &mut rows)?;
        self.take_rows(rows).await
    }

    /// The rows of one line through the engine, message by message.
    async fn take_rows(&mut self, rows: Vec<L2Row>) -> Result<()> {
        if let Some(first) = rows.first() {
            self.first_received.get_or_insert(first.received);
        }
        for message in messages(&rows) {
            if self.engine.book_step(&mut self.run, 0, message, None, &mut self.strategy)? {
                self.engine.flush_book_actions(&mut self.run).await?;
            }
        }
        self.messages += 1;
        self.rows = rows;
        Ok(())
    }

    async fn commit(&mut self) -> Result<()> {
        self.committed.commit(&self.engine, &self.journal, self.messages).await
    }
}

/// What the journal holds of the run's orders, marks and risk decisions.
#[derive(Debug, Default)]
struct Committed {
    orders: Vec<(OrderStatus, Decimal)>,
    equity: usize,
    risk_events: usize,
}

impl Committed {
    /// Writes what changed since the last commit (nothing when nothing did).
    async fn commit(&mut self, engine: &TradingEngine, journal: &Mutex<Journal>, messages: u64) -> Result<()> {
        let log = engine.run_log();
        let changed: Vec<usize> = (0..log.orders.len())
            .filter(|&i| {
                let r = &log.orders[i].report;
                self.orders.get(i) != Some(&(r.status, r.filled_quantity))
            })
            .collect();
        if changed.is_empty() && log.equity.len() == self.equity && log.risk_events.len() == self.risk_events {
            return Ok(());
        }
        let mut balances = std::collections::BTreeMap::new();
        for venue in 0..engine.router().names().len() {
            for (asset, amount) in engine.router().balances(VenueId(venue)).await? {
                *balances.entry(asset).or_insert(Decimal::ZERO) += amount;
            }
        }
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
        journal.lock().map_err(|_| Error::Journal("the journal lock was poisoned".into()))?.record_step(&step)?;
        self.orders.resize(log.orders.len(), (OrderStatus::New, Decimal::MIN));
        for i in changed {
            let r = &log.orders[i].report;
            self.orders[i] = (r.status, r.filled_quantity);
        }
        self.equity = log.equity.len();
        self.risk_events = log.risk_events.len();
        Ok(())
    }
}

/// The terminal's status line: equity, PnL, drawdown, open orders, messages per second.
struct StatusLine {
    on: bool,
    session: String,
    started: std::time::Instant,
    last: std::time::Instant,
    peak: Decimal,
}

impl StatusLine {
    fn new(on: bool, session: &str) -> Self {
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
            "\r{}: equity {} {} | PnL {} | drawdown {} % | {} | open orders {open} | {rate:.0} msg/s   ",
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
