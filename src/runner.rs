//! One backtest job, end to end: a loaded [`Scenario`] in, its report folder out. `ctb backtest` is a thin wrapper
//! around [`run_scenario`]; tests and later commands (sweeps, validation) call it too.

use std::path::Path;

use crate::config::Scenario;
use crate::data::SeriesQuality;
use crate::engine::{BacktestResult, MarketData, prepare_market, run_prepared_blocking};
use crate::error::{Error, Result};
use crate::exchange::sim::BarPath;
use crate::report::{BarPathReport, InputFile, ReportInput, Summary, write_report};
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
    let (series, quality) = scenario.load_market_data()?;
    for warning in quality.iter().flat_map(SeriesQuality::warnings) {
        tracing::warn!("{warning}");
    }
    let start = series
        .iter()
        .filter_map(|s| s.open_time.first().copied())
        .min()
        .ok_or_else(|| Error::Data("no bars".into()))?;
    let interval_ns = series.first().map_or(0, |s| s.interval);
    let market = Arc::new(prepare_market(&scenario.setup, series)?);
    let (hash, result) =
        rayon::join(|| scenario.content_hash(), || run_prepared_blocking(&scenario.setup, market.clone()));
    let (hash, result) = (hash?, result?);
    let bar_path = bar_path_report(scenario, &result, market)?;
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
        risk_limits: &scenario.setup.risk,
        risk_policy: &scenario.setup.policy,
        risk_overrides: &scenario.risk_overrides,
        quality: &quality,
        start,
        interval_ns,
        result: &result,
        bar_path,
    };
    let summary = write_report(out_dir, &input)?;
    Ok(ScenarioRun { summary, result, quality })
}

/// The run's bar-path rule and the final equity under the adverse and the optimistic rule: when the rule decided
/// some bar, the scenario runs again under the rule(s) it did not use, so the report states the interval the data
/// cannot narrow instead of one silent guess.
///
/// # Errors
/// As the backtest's.
fn bar_path_report(scenario: &Scenario, result: &BacktestResult, market: Arc<MarketData>) -> Result<BarPathReport> {
    let rule = scenario.setup.venues.first().map(|v| v.sim.bar_path).unwrap_or_default();
    let final_equity = |r: &BacktestResult| r.portfolio.equity();
    let equity_under = |path: BarPath| -> Result<Decimal> {
        if path == rule || result.ambiguous_bars == 0 {
            return Ok(final_equity(result));
        }
        let mut setup = scenario.setup.clone();
        for venue in &mut setup.venues {
            venue.sim.bar_path = path;
        }
        Ok(final_equity(&run_prepared_blocking(&setup, market.clone())?))
    };
    Ok(BarPathReport {
        rule,
        ambiguous_bars: result.ambiguous_bars,
        final_equity_adverse: equity_under(BarPath::Adverse)?,
        final_equity_optimistic: equity_under(BarPath::Optimistic)?,
    })
}
