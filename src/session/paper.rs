//! `ctb paper`: a scenario traded on live public market data with fills from the simulated exchange — a bar
//! scenario on the venue's closed candles, a level-2 scenario on Binance's depth stream.
//!
//! Every message is recorded (`<recordings>/<session>/<SYMBOL>.txt` for level-2 data, `<SYMBOL>.csv` for closed
//! bars) before the engine sees it; every fill is journaled before the engine books it, and orders, equity marks,
//! risk decisions and the state after each message that changed them (`<reports>/<session>/journal.sqlite`). The
//! engine is the backtest's, fed one message or bar at a time ([`crate::engine::TradingEngine::book_step`],
//! [`crate::engine::TradingEngine::bar_step`]) through venues configured as the replay of the recording is
//! ([`Scenario::replaying`]), so replaying the recording reproduces the session's orders and fills.
//!
//! Resume: the simulated venue's inner state (queue positions, orders on their way) is in no journal, so a resumed
//! session rebuilds everything by replaying its own recording through a fresh engine — re-deriving every fill,
//! each checked against the journal (a difference stops it) — then goes on live, appending to the recording.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::bar_feed::{BAR_RECORDING_HEADER, BarFeed, read_bar_recording};
use super::driver::{Limits, LiveFeed, Session, StatusLine, Stop, guarded, journal_hooks, journal_of, report_note};
use super::feed::BinanceBookFeed;
use super::journal::{Journal, is_postgres_url};
use super::recording::Recording;
use crate::config::{Scenario, bar_recording_file, recording_file};
use crate::engine::start_book_engine;
use crate::error::{Error, Result};
use crate::model::Symbol;
use crate::risk::ENV_OVERRIDES;
use crate::runner::{ScenarioRun, write_bar_report, write_book_report};
use crate::strategy::StrategyRegistry;
use crate::venue::VenueConfig;
use crate::venue::binance::BinanceAdapter;

/// What a paper session runs and where it keeps things. (`Debug` leaves out `database_url`, which may hold a
/// password.)
#[derive(Clone)]
pub struct PaperOptions {
    /// A scenario on one symbol: bars (traded on the venue's closed candles at the data's interval) or level-2
    /// data (`binance_l2`, traded on Binance's depth stream).
    pub scenario: Scenario,
    /// The venue whose public market data drives it (`binance`, `coinbase`, `kraken`).
    pub exchange: String,
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
    /// How long it runs and whether it shows a status line.
    pub limits: Limits,
    /// The seed's `DATABASE_URL`: a `postgresql://` URL puts the journal in PostgreSQL instead of SQLite.
    pub database_url: Option<String>,
}

impl std::fmt::Debug for PaperOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaperOptions")
            .field("scenario", &self.scenario.name)
            .field("session", &self.session)
            .field("resume", &self.resume)
            .field("journal", &journal_place(self.database_url.as_deref(), Path::new("journal.sqlite")))
            .finish_non_exhaustive()
    }
}

/// How a paper session ended.
pub struct PaperOutcome {
    /// Its report (the same files as a backtest's).
    pub report: ScenarioRun,
    /// Messages replayed from the recording on resume.
    pub replayed: u64,
    /// Messages taken live.
    pub live: u64,
    /// Why it stopped.
    pub stop: Stop,
    /// The recording's folder.
    pub recording: PathBuf,
    /// Where the journal is: its SQLite file, or `PostgreSQL (DATABASE_URL)`.
    pub journal: String,
}

/// Runs a paper session until `shutdown` completes, the duration or message limit is reached, or the stream ends.
///
/// # Errors
/// [`Error::Config`] for a scenario on several symbols (or a level-2 one on several files), a session that exists
/// (without `resume`) or does not (with it), or one that ran on another venue; the venue's errors; [`Error::Journal`] when the journal fails; [`Error::Data`] when a
/// resumed session re-derives a fill the journal holds differently.
pub async fn run_paper(options: PaperOptions, shutdown: impl Future<Output = ()>) -> Result<PaperOutcome> {
    let scenario = &options.scenario;
    let symbol = session_symbol(scenario)?;
    let bars = !scenario.is_book();
    if !bars && scenario.data.len() != 1 {
        return Err(Error::Config(format!(
            "{}: a level-2 session reads one data entry (format binance_l2)",
            scenario.path.display()
        )));
    }
    if !bars && options.exchange != "binance" {
        return Err(Error::Config(format!(
            "ctb paper: level-2 market data is recorded from binance only for now, not '{}'",
            options.exchange
        )));
    }
    let dir = options.recordings.join(&options.session);
    let (mut recording, earlier) = if bars {
        Recording::open(&bar_recording_file(&dir, symbol), Some(BAR_RECORDING_HEADER))?
    } else {
        Recording::open(&recording_file(&dir, symbol), None)?
    };
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
    if options.resume {
        check_recorded_overrides(&dir, scenario, &options.session)?;
    }
    write_recorded_scenario(&dir, scenario)?;
    let report_dir = options.reports.join(&options.session);
    let journal_path = report_dir.join("journal.sqlite");
    let mut journal = Journal::open(options.database_url.as_deref(), &journal_path, &options.session)?;
    if let Some(info) = journal.session()?.filter(|info| info.exchange != options.exchange || info.mode != "paper") {
        return Err(Error::Config(format!(
            "session {} is a {} session on {}: resume it with --exchange {}",
            options.session, info.mode, info.exchange, info.exchange
        )));
    }
    let journal = Arc::new(Mutex::new(journal_of(journal, "paper", &options.exchange, scenario)?));
    let replay = scenario.replaying(&dir);
    let mut engine = start_book_engine(&replay.setup, Some(journal_hooks(&journal))).await?;
    let mut bar_interval = 0;
    let (mut session, mut feed) = if bars {
        // The scenario's own data tells the interval and the price decimals, as a backtest of it sees them.
        let (series, _) = scenario.load_market_data()?;
        let first = series.first().ok_or_else(|| Error::Data(format!("{}: no bars", scenario.path.display())))?;
        let (interval, close_scale) = (first.interval, first.close_scale());
        bar_interval = interval;
        let trading = Session::trading_bars(&mut engine, &replay.setup, symbol, close_scale)?;
        let mut session = Session::new(engine, trading, journal);
        let mut last_open = None;
        for bar in read_bar_recording(recording.path(), &earlier, interval)? {
            session.take_bar(&bar).await?;
            last_open = Some(bar.open_time);
        }
        let mut feed = BarFeed::open(&options.exchange, &options.venue, symbol, interval).await?;
        if let Some(open) = last_open {
            feed.taken_up_to(open);
        }
        (session, LiveFeed::Bars(feed))
    } else {
        let trading = Session::trading_book(&mut engine, &replay.setup, symbol)?;
        let mut session = Session::new(engine, trading, journal);
        for (index, line) in earlier.iter().enumerate() {
            session.take_line(recording.path(), line, index as u32 + 1).await?;
        }
        let adapter = BinanceAdapter::new(&options.venue, None)?;
        (session, LiveFeed::Book(Box::new(BinanceBookFeed::open(adapter, symbol).await?)))
    };
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
    let mut status = StatusLine::new(options.limits.status, &options.session);
    // Every way out of the loop — a stop, any error, a panic — ends with the journal and the report written.
    let traded = guarded(session.drive(&mut feed, &mut recording, options.limits, &mut status, false, shutdown)).await;
    if let Err(failure) = &traded {
        tracing::error!(%failure, "the paper session failed: journal and report written before stopping");
    }
    session.engine.stop_new_orders();
    let reported = async {
        let (result, start) = session.finish().await?;
        if bars {
            write_bar_report(&replay, &report_dir, replay.content_hash()?, result, bar_interval)
        } else {
            write_book_report(&replay, &report_dir, replay.content_hash()?, result, start)
        }
    }
    .await;
    let (live, stop) = match traded {
        Ok(counts) => counts,
        Err(failure) => return Err(failure.with_note(report_note(&reported))),
    };
    let report = reported?;
    let journal = journal_place(options.database_url.as_deref(), &journal_path);
    Ok(PaperOutcome { report, replayed, live, stop, recording: dir, journal })
}

/// The one symbol a session trades: every data entry of `scenario` names it (several files of one symbol, such
/// as months of bars, are one stream).
///
/// # Errors
/// [`Error::Config`] for a scenario without data, with several symbols, or naming `detail:` bars (a session's
/// bars arrive live, with no finer bars to decide from).
pub(super) fn session_symbol(scenario: &Scenario) -> Result<Symbol> {
    if scenario.data.iter().any(|d| d.detail.is_some()) {
        return Err(Error::Config(format!(
            "{}: detail: bars apply to backtests; a session's bars arrive live, with no finer bars inside them (remove the detail entries)",
            scenario.path.display()
        )));
    }
    match scenario.data.split_first() {
        Some((first, rest)) if rest.iter().all(|d| d.symbol == first.symbol) => Ok(first.symbol),
        _ => Err(Error::Config(format!(
            "{}: a session trades one symbol (every data entry names the same symbol)",
            scenario.path.display()
        ))),
    }
}

/// Where a session's journal is, in words.
pub(super) fn journal_place(database_url: Option<&str>, sqlite_path: &Path) -> String {
    match database_url.filter(|url| is_postgres_url(url)) {
        Some(_) => "PostgreSQL (DATABASE_URL)".into(),
        None => sqlite_path.display().to_string(),
    }
}

/// The scenario a recording was made with, kept in its folder: `scenario.yaml` (the text) and `scenario_path`
/// (where it was, so that its relative paths resolve as they did).
fn write_recorded_scenario(dir: &Path, scenario: &Scenario) -> Result<()> {
    let text = dir.join("scenario.yaml");
    std::fs::write(&text, &scenario.text).map_err(|e| Error::io("writing", &text, e))?;
    let origin = std::path::absolute(&scenario.path).map_err(|e| Error::io("resolving", &scenario.path, e))?;
    let path = dir.join("scenario_path");
    std::fs::write(&path, origin.display().to_string()).map_err(|e| Error::io("writing", &path, e))?;
    let overrides = dir.join(RISK_OVERRIDES_FILE);
    let lines: String = scenario.risk_env.iter().map(|(name, value)| format!("{name}={value}\n")).collect();
    std::fs::write(&overrides, lines).map_err(|e| Error::io("writing", &overrides, e))
}

/// A resumed session must run under the risk-limit overrides it started with: its replay checks its fills against
/// the journal, and its recording's replay applies the recorded ones.
///
/// # Errors
/// [`Error::Config`] naming both sets when the environment's differ from the recording's; as
/// [`recorded_overrides`].
fn check_recorded_overrides(dir: &Path, scenario: &Scenario, session: &str) -> Result<()> {
    let recorded = recorded_overrides(dir)?;
    if recorded == scenario.risk_env {
        return Ok(());
    }
    let list = |set: &[(String, String)]| match set {
        [] => "none".to_string(),
        _ => set.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join(", "),
    };
    Err(Error::Config(format!(
        "session {session} ran with the risk overrides {} but the environment now sets {}: resume it with the same MAX_* variables",
        list(&recorded),
        list(&scenario.risk_env)
    )))
}

/// The risk-limit overrides the session recorded in `dir`, as `(name, value)`; none when it recorded none (a
/// recording made before sessions recorded them has no file).
///
/// # Errors
/// [`Error::Data`] naming the file and line of one that is not `NAME=value` of a known variable, or repeats one.
pub fn recorded_overrides(dir: &Path) -> Result<Vec<(String, String)>> {
    let path = dir.join(RISK_OVERRIDES_FILE);
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io("reading", &path, e))?;
    let mut recorded: Vec<(String, String)> = Vec::new();
    for (index, line) in text.lines().enumerate().filter(|(_, line)| !line.is_empty()) {
        let known = line
            .split_once('=')
            .filter(|(name, _)| ENV_OVERRIDES.iter().any(|(known, _)| known == name))
            .filter(|(name, _)| !recorded.iter().any(|(seen, _)| seen == name));
        let Some((name, value)) = known else {
            return Err(Error::Data(format!(
                "{}: line {}: expected one NAME=value of {} per line",
                path.display(),
                index + 1,
                ENV_OVERRIDES.map(|(name, _)| name).join(", ")
            )));
        };
        recorded.push((name.to_string(), value.to_string()));
    }
    Ok(recorded)
}

/// The file of a recording that holds the risk-limit variables its session applied, one `NAME=value` per line.
const RISK_OVERRIDES_FILE: &str = "risk_overrides.env";

/// The scenario of the recording in `dir`, replaying it: as the session ran it — with the risk-limit overrides
/// it applied, whatever the environment holds now — its data replaced by the recording.
///
/// # Errors
/// [`Error::Io`] when the folder holds no recorded scenario; as [`Scenario::parse`].
pub fn recorded_scenario(dir: &Path, strategies: &StrategyRegistry) -> Result<Scenario> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read_to_string(&path).map_err(|e| Error::io("reading", &path, e))
    };
    let (text, origin) = (read("scenario.yaml")?, read("scenario_path")?);
    let scenario = Scenario::parse_with(Path::new(origin.trim()), text, strategies)?;
    Ok(with_recorded_overrides(dir, scenario)?.replaying(dir))
}

/// `scenario` with the risk-limit overrides the session recorded in `dir` applied, as its replay needs them.
///
/// # Errors
/// As [`recorded_overrides`] and [`Scenario::with_risk_overrides`].
pub fn with_recorded_overrides(dir: &Path, scenario: Scenario) -> Result<Scenario> {
    let recorded = recorded_overrides(dir)?;
    scenario.with_risk_overrides(|name| recorded.iter().find(|(n, _)| n == name).map(|(_, value)| value.clone()))
}
