//! One backtest job, end to end: a loaded [`Scenario`] in, its report folder out. `ctb backtest` is a thin wrapper
//! around [`run_scenario`]; tests and later commands (sweeps, validation) call it too.

use std::path::Path;

use crate::config::Scenario;
use crate::data::SeriesQuality;
use crate::engine::{BacktestResult, BookStream, MarketData, prepare_market, run_book_backtest, run_prepared_blocking};
use crate::error::{Error, Result};
use crate::model::{BarSeries, NANOS_PER_SECOND, Timestamp};
use crate::report::{BarPathCurves, BarPathReport, InputFile, ReportInput, Summary, write_report};
use crate::sweep::{SweepPlan, SweepStudy};
use crate::venue::sim::{BarPath, SimConfig};
use rust_decimal::Decimal;
use std::sync::Arc;

/// The outcome of [`run_scenario`].
pub struct ScenarioRun {
    /// What was written to `summary.json`.
    pub summary: Summary,
    /// The run itself (orders, fills, equity curve, final ledger).
    pub result: BacktestResult,
    /// Grid quality of each series.
    pub quality: Vec<SeriesQuality>,
}

/// Loads the scenario's data, runs the backtest and writes the report into `out_dir`.
///
/// # Errors
/// Data, configuration and I/O errors, each naming its file, row, column or key.
pub fn run_scenario(scenario: &Scenario, out_dir: &Path) -> Result<ScenarioRun> {
    run_scenario_checking(scenario, out_dir, WindowCheck::Refuse)
}

/// [`run_scenario`] for a scenario whose data may be shorter than its strategy needs: a session's recording (it
/// replays what the session saw), a sweep's best combination (the grid chose it). It runs to whatever it decides.
///
/// # Errors
/// As [`run_scenario`], but for the window check.
pub fn run_recorded_scenario(scenario: &Scenario, out_dir: &Path) -> Result<ScenarioRun> {
    run_scenario_checking(scenario, out_dir, WindowCheck::Skip)
}

/// Whether a run refuses windows longer than its data (see [`check_windows_fit`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum WindowCheck {
    Refuse,
    Skip,
}

fn run_scenario_checking(scenario: &Scenario, out_dir: &Path, check: WindowCheck) -> Result<ScenarioRun> {
    if scenario.is_book() {
        return run_book_scenario(scenario, out_dir);
    }
    let (series, quality) = scenario.load_market_data()?;
    if check == WindowCheck::Refuse {
        check_windows_fit(scenario, &series)?;
    }
    for warning in quality.iter().flat_map(SeriesQuality::warnings) {
        tracing::warn!("{warning}");
    }
    // Level-2 streams beside the bars (a mixed scenario) join the same replay, merged in time order.
    let books: Arc<[BookStream]> =
        if scenario.has_books() { scenario.load_book_streams()?.into() } else { Arc::new([]) };
    let first_message = books.iter().filter_map(|b| b.rows.first().map(|r| r.received));
    let start = series
        .iter()
        .filter_map(|s| s.open_time.first().copied())
        .chain(first_message)
        .min()
        .ok_or_else(|| Error::Data("no bars".into()))?;
    let interval_ns = series.first().map_or(0, |s| s.interval);
    let market = Arc::new(prepare_market(&scenario.setup, series)?.with_books(books));
    let (hash, result) =
        rayon::join(|| scenario.content_hash(), || run_prepared_blocking(&scenario.setup, market.clone()));
    let (hash, result) = (hash?, result?);
    // Beside level-2 data the equity is marked at every bar close and once a second on the books: the ratios are
    // annualized by the marks' mean spacing, not by the bar interval.
    let interval_ns = match result.log.equity.last() {
        Some(last) if !market.books().is_empty() => {
            (last.time.0.saturating_sub(start.0) / result.log.equity.len() as i64).max(1)
        }
        _ => interval_ns,
    };
    let (bar_path, curves) = bar_path_report(scenario, &result, market.clone())?;
    let run = Run { hash, result, quality, start, interval_ns, bar_path, curves, market: Some(market) };
    write_run(scenario, out_dir, run)
}

/// The bars the strategy needs before its first decision and the correlation rule's window against the data: a window longer than the longest
/// series could never fill, so the run would decide nothing; it is an error naming the key instead.
///
/// # Errors
/// [`Error::Config`] naming `strategy.params` or `risk_policy.correlation.window`; as the strategy's constructor.
fn check_windows_fit(scenario: &Scenario, series: &[BarSeries]) -> Result<()> {
    let bars = series.iter().map(BarSeries::len).max().unwrap_or(0);
    let at = |message: String| Error::Config(format!("{}: {message}", scenario.path.display()));
    let needed = scenario.setup.build_strategy()?.bars_before_first_decision();
    if needed > bars {
        return Err(at(format!(
            "strategy.params: {} needs {needed} bars before its first decision, but the longest series has {bars}",
            scenario.setup.strategy
        )));
    }
    if let Some(window) = scenario.setup.policy.correlation.as_ref().map(|c| c.window).filter(|w| *w >= bars) {
        return Err(at(format!(
            "risk_policy.correlation.window: {window} bars of returns, but the longest series has {bars} bars"
        )));
    }
    Ok(())
}

/// A scenario on level-2 captures: the level-2 strategy at venues matching on the books; the equity is marked once
/// per second.
fn run_book_scenario(scenario: &Scenario, out_dir: &Path) -> Result<ScenarioRun> {
    let streams = scenario.load_book_streams()?;
    let start = streams
        .iter()
        .filter_map(|s| s.rows.first().map(|r| r.received))
        .min()
        .ok_or_else(|| Error::Data("the level-2 files hold no messages".into()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| Error::Io { context: "starting the async runtime".into(), source: e })?;
    let (hash, result) = rayon::join(
        || scenario.content_hash(),
        || runtime.block_on(run_book_backtest(&scenario.setup, streams.into())),
    );
    write_book_report(scenario, out_dir, hash?, result?, start)
}

/// Writes the report of a level-2 run of `scenario` (a backtest, or a paper session) that started at `start`.
///
/// # Errors
/// I/O errors writing the report.
pub fn write_book_report(
    scenario: &Scenario,
    out_dir: &Path,
    hash: String,
    result: BacktestResult,
    start: Timestamp,
) -> Result<ScenarioRun> {
    let equity = result.portfolio.equity();
    let bar_path = BarPathReport::new(&SimConfig::default(), false, 0, equity, equity);
    let run = Run {
        hash,
        result,
        quality: Vec::new(),
        start,
        interval_ns: NANOS_PER_SECOND,
        bar_path,
        curves: None,
        market: None,
    };
    write_run(scenario, out_dir, run)
}

/// Writes the report of a bar session's run of `scenario` (its data the session's recording of bars of
/// `interval_ns`): the same files a backtest of that recording writes, from the session's own orders and fills. A
/// recording of fewer than two bars (stopped within its first intervals), which the loaders refuse, is reported
/// without grid quality or bar-path alternatives.
///
/// # Errors
/// As the loaders (reading the recording back); I/O errors writing the report.
pub fn write_bar_report(
    scenario: &Scenario,
    out_dir: &Path,
    hash: String,
    result: BacktestResult,
    interval_ns: i64,
) -> Result<ScenarioRun> {
    if result.log.equity.len() < 2 {
        let start = result.log.equity.first().map_or(Timestamp(0), |p| Timestamp(p.time.0.saturating_sub(interval_ns)));
        let equity = result.portfolio.equity();
        let bar_path = bar_path_of(scenario, result.ambiguous_bars, equity, equity);
        let run = Run { hash, result, quality: Vec::new(), start, interval_ns, bar_path, curves: None, market: None };
        return write_run(scenario, out_dir, run);
    }
    let (series, quality) = scenario.load_market_data()?;
    let start = series.iter().filter_map(|s| s.open_time.first().copied()).min().unwrap_or_default();
    let market = Arc::new(prepare_market(&scenario.setup, series)?);
    let (bar_path, curves) = bar_path_report(scenario, &result, market.clone())?;
    write_run(
        scenario,
        out_dir,
        Run { hash, result, quality, start, interval_ns, bar_path, curves, market: Some(market) },
    )
}

/// A finished run and what its report needs besides the scenario.
struct Run {
    hash: String,
    result: BacktestResult,
    quality: Vec<SeriesQuality>,
    start: Timestamp,
    interval_ns: i64,
    bar_path: BarPathReport,
    /// The equity under both bar-path rules, when ambiguous bars made them differ.
    curves: Option<BarPathCurves>,
    /// The bars replayed (for the report's price charts); `None` for level-2 runs.
    market: Option<Arc<MarketData>>,
}

/// Writes the report of `run` into `out_dir`.
fn write_run(scenario: &Scenario, out_dir: &Path, run: Run) -> Result<ScenarioRun> {
    let Run { hash, result, quality, start, interval_ns, bar_path, curves, market } = run;
    let input = ReportInput {
        name: &scenario.name,
        scenario_text: &scenario.text,
        content_hash: &hash,
        inputs: scenario
            .data
            .iter()
            .map(|d| InputFile { path: d.written_path.clone(), format: d.file.format, symbol: d.symbol })
            .collect(),
        strategy: &scenario.setup.strategy,
        params: &scenario.setup.params,
        seed: scenario.seed,
        venue_names: scenario.setup.venues.iter().map(|v| v.name.clone()).collect(),
        liquidity_rules: scenario.setup.venues.iter().map(|v| (v.name.clone(), v.sim.liquidity)).collect(),
        risk_limits: &scenario.setup.risk,
        risk_policy: &scenario.setup.policy,
        risk_overrides: &scenario.risk_overrides,
        quality: &quality,
        start,
        interval_ns,
        result: &result,
        bar_path,
        starting_cash: scenario.setup.starting_cash,
        bars: market.as_deref().map_or(&[], MarketData::series),
        bar_path_curves: curves.as_ref(),
    };
    let summary = write_report(out_dir, &input)?;
    Ok(ScenarioRun { summary, result, quality })
}

/// The bar-path report of a run of `scenario` (its first venue's rules; detail when any venue has some).
fn bar_path_of(scenario: &Scenario, ambiguous_bars: u64, adverse: Decimal, optimistic: Decimal) -> BarPathReport {
    let sim = scenario.setup.venues.first().map(|v| v.sim).unwrap_or_default();
    let detail = scenario.setup.venues.iter().any(|v| !v.detail.is_empty());
    BarPathReport::new(&sim, detail, ambiguous_bars, adverse, optimistic)
}

/// The run's bar-path rule and the final equity under the adverse and the optimistic rule: when the rule decided
/// some bar, the scenario runs again under the rule(s) it did not use, so the report states the interval the data
/// cannot narrow instead of one silent guess. With ambiguous bars, also the equity curves under both rules (the
/// band of `report.html`).
///
/// # Errors
/// As the backtest's.
fn bar_path_report(
    scenario: &Scenario,
    result: &BacktestResult,
    market: Arc<MarketData>,
) -> Result<(BarPathReport, Option<BarPathCurves>)> {
    let rule = scenario.setup.venues.first().map(|v| v.sim.bar_path).unwrap_or_default();
    let run_under = |path: BarPath| -> Result<Option<BacktestResult>> {
        if path == rule || result.ambiguous_bars == 0 {
            return Ok(None);
        }
        let mut setup = scenario.setup.clone();
        for venue in &mut setup.venues {
            venue.sim.bar_path = path;
        }
        Ok(Some(run_prepared_blocking(&setup, market.clone())?))
    };
    let (adverse, optimistic) = (run_under(BarPath::Adverse)?, run_under(BarPath::Optimistic)?);
    let (adverse, optimistic) = (adverse.as_ref().unwrap_or(result), optimistic.as_ref().unwrap_or(result));
    let report =
        bar_path_of(scenario, result.ambiguous_bars, adverse.portfolio.equity(), optimistic.portfolio.equity());
    let curves = (result.ambiguous_bars > 0)
        .then(|| BarPathCurves { adverse: adverse.log.equity.clone(), optimistic: optimistic.log.equity.clone() });
    Ok((report, curves))
}

/// The sweep of `scenario`: its `sweep:` section over its data, the best combination reported as
/// [`run_scenario`] reports a backtest.
///
/// # Errors
/// [`Error::Config`] when the scenario has no `sweep:` section; as [`SweepPlan::prepare`] and the loaders.
pub fn plan_sweep(scenario: &Scenario) -> Result<SweepPlan<'_>> {
    let section = scenario
        .sweep
        .as_ref()
        .ok_or_else(|| Error::Config(format!("{}: there is no sweep: section", scenario.path.display())))?;
    if scenario.has_books() {
        return Err(Error::Config(format!(
            "{}: ctb sweep replays bar data; this scenario has level-2 files",
            scenario.path.display()
        )));
    }
    let (series, _quality) = scenario.load_market_data()?;
    let best_report = Box::new(move |params: &serde_json::Value, dir: &Path| {
        let mut best = scenario.clone();
        best.setup.params = params.clone();
        Ok(run_recorded_scenario(&best, dir)?.summary)
    });
    SweepPlan::prepare(SweepStudy {
        name: &scenario.name,
        setup: &scenario.setup,
        section,
        seed: scenario.seed,
        series,
        best_report,
    })
}
