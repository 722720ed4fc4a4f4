//! `ctb robust`'s report of one scenario (`robust.json` and its terminal summary), built from plain data — the
//! backtest's result, the metrics of its runs at higher costs, the sweep's trials — by the statistics of
//! [`crate::report::robust`]:
//!
//! * the Monte Carlo of the trade sequence, on the [`trade_returns`], from the starting cash, drawn with the seed;
//! * the circular block bootstrap of the [`mark_returns`] (default block length), drawn with the seed + 1 (wrapping),
//!   so that the two draws are not the same random stream; Sharpe ratios annualised as `report::Metrics` does;
//! * the probabilistic Sharpe ratio of the mark returns against a Sharpe ratio of 0;
//! * the cost rows, as given (each a run of the scaled setup, ×1 included);
//! * with a sweep: the deflated Sharpe ratio of the backtest's mark returns and of the sweep's best combination's
//!   (the trial a selection by the objective picks) against the sweep's trials (each trial's annualised Sharpe ratio
//!   of `results.csv` divided by `√periods_per_year`, an undefined one counted as 0, a trial of no skill), and the
//!   probability of backtest overfitting by CSCV on the trials' [`daily_returns`], in [`pbo_blocks`] blocks.
//!
//! A statistic the run cannot support (no closed trade, returns without variance, too few days) is reported as
//! `{"unavailable": "why"}` in its place rather than failing the report.

mod returns;
mod sweep;
mod table;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use returns::{daily_returns, mark_returns, trade_returns};
pub use sweep::{
    BestCombination, BestRobustness, PboFigures, SweepInput, SweepRobustness, Trial, pbo_blocks, show_params,
};
pub use table::{TextTable, robust_table, robust_tables};

use super::metrics::{Metrics, periods_per_year};
use super::robust::{
    BootstrapSummary, MonteCarloSummary, SharpeProbability, block_bootstrap, probabilistic_sharpe, trade_monte_carlo,
};
use crate::engine::BacktestResult;
use crate::error::{Error, Result};
use crate::model::exact::to_f64;
use sweep::sweep_robustness;

/// The file `ctb robust` writes its report to, in the backtest's report folder.
pub const ROBUST_FILE: &str = "robust.json";

/// The cost multipliers of the sensitivity rows: fees and slippage as the scenario sets them, doubled, and five-fold.
pub const COST_MULTIPLIERS: [u32; 3] = [1, 2, 5];

/// A section's statistics, or why this run cannot support them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Section<T> {
    /// The statistics.
    Computed(T),
    /// Not computed.
    Unavailable {
        /// Why (too few trades, returns without variance, too few periods, …).
        unavailable: String,
    },
}

impl<T> Section<T> {
    /// The section of a statistic's outcome: its value, or the reason of a [`Error::Validation`] (the data cannot
    /// support it); other errors are returned.
    fn of(outcome: Result<T>) -> Result<Self> {
        match outcome {
            Ok(value) => Ok(Section::Computed(value)),
            Err(Error::Validation(why)) => Ok(Section::Unavailable { unavailable: why }),
            Err(other) => Err(other),
        }
    }

    /// The statistics, if computed.
    pub fn computed(&self) -> Option<&T> {
        match self {
            Section::Computed(value) => Some(value),
            Section::Unavailable { .. } => None,
        }
    }
}

/// One row of the cost sensitivity: the backtest with every fee rate and the slippage multiplied.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostRow {
    /// The multiplier of fees and slippage.
    pub multiplier: u32,
    /// Equity at the last mark.
    pub final_equity: Decimal,
    /// `final / start − 1`, a fraction.
    pub total_return: f64,
    /// Annualised Sharpe ratio, `None` when undefined.
    pub sharpe: Option<f64>,
    /// Closed round trips.
    pub trades: usize,
    /// Fills of the run.
    pub fills: usize,
    /// Traded notional: the sum of quantity × price of the run's fills (slippage included, fees not).
    pub volume: Decimal,
    /// Fees paid: the sum of the fees of the run's fills.
    pub fees: Decimal,
}

impl CostRow {
    /// The row of `result`, a run at `multiplier` times the costs, with its `metrics`.
    pub fn new(multiplier: u32, result: &BacktestResult, metrics: &Metrics) -> Self {
        let fills = &result.log.fills;
        CostRow {
            multiplier,
            final_equity: metrics.final_equity,
            total_return: metrics.total_return,
            sharpe: metrics.sharpe,
            trades: metrics.trades,
            fills: fills.len(),
            volume: fills.iter().map(|f| f.fill.notional()).sum(),
            fees: fills.iter().map(|f| f.fill.fee).sum(),
        }
    }
}

/// The whole report, as `robust.json` holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RobustReport {
    /// The scenario's name.
    pub scenario: String,
    /// The backtest's `content_hash` (as its `summary.json` holds it): which report folder's run this measured.
    pub content_hash: String,
    /// The seed of the Monte Carlo (the bootstrap draws with seed + 1).
    pub seed: u64,
    /// Resamples of the Monte Carlo and of the bootstrap.
    pub resamples: usize,
    /// What the Sharpe ratios are annualised with: `365 days / bar interval`.
    pub periods_per_year: f64,
    /// The Monte Carlo of the trade sequence.
    pub monte_carlo: Section<MonteCarloSummary>,
    /// The block bootstrap of the mark returns.
    pub bootstrap: Section<BootstrapSummary>,
    /// The probabilistic Sharpe ratio of the mark returns against 0.
    pub probabilistic_sharpe: Section<SharpeProbability>,
    /// The cost sensitivity, by multiplier.
    pub costs: Vec<CostRow>,
    /// The sweep's trials, when the scenario has a sweep.
    pub sweep: Option<SweepRobustness>,
}

/// What [`RobustReport::build`] measures.
pub struct RobustInput<'a> {
    /// The scenario's name.
    pub name: &'a str,
    /// The backtest's content hash.
    pub content_hash: &'a str,
    /// The seed.
    pub seed: u64,
    /// Resamples to draw.
    pub resamples: usize,
    /// The backtest.
    pub result: &'a BacktestResult,
    /// Its bar interval.
    pub interval_ns: i64,
    /// The cost rows, by multiplier.
    pub costs: Vec<CostRow>,
    /// The sweep, when the scenario has one.
    pub sweep: Option<SweepInput>,
}

impl RobustReport {
    /// Measures `input`.
    ///
    /// # Errors
    /// [`Error::Config`] when `resamples` is 0. What the data cannot support is an unavailable [`Section`].
    pub fn build(input: RobustInput<'_>) -> Result<Self> {
        let RobustInput { name, content_hash, seed, resamples, result, interval_ns, costs, sweep } = input;
        let starting_cash = result.portfolio.starting_cash();
        let log = &result.log;
        let values: Vec<f64> = log.equity.iter().map(|p| p.value.to_f64()).collect();
        let bar_returns = mark_returns(to_f64(starting_cash), &values);
        let per_year = periods_per_year(interval_ns);
        let trade_returns = trade_returns(&log.round_trips, &log.equity, starting_cash);
        Ok(RobustReport {
            scenario: name.to_string(),
            content_hash: content_hash.to_string(),
            seed,
            resamples,
            periods_per_year: per_year,
            monte_carlo: Section::of(trade_monte_carlo(&trade_returns, to_f64(starting_cash), resamples, seed))?,
            bootstrap: Section::of(block_bootstrap(&bar_returns, per_year, None, resamples, seed.wrapping_add(1)))?,
            probabilistic_sharpe: Section::of(probabilistic_sharpe(&bar_returns, 0.0))?,
            costs,
            sweep: sweep.map(|sweep| sweep_robustness(&bar_returns, per_year, &sweep)).transpose()?,
        })
    }

    /// The report as `robust.json` holds it: pretty JSON, one trailing newline.
    ///
    /// # Errors
    /// [`Error::Data`] if it cannot be encoded.
    pub fn to_json(&self) -> Result<String> {
        let mut json =
            serde_json::to_string_pretty(self).map_err(|e| Error::Data(format!("encoding robust.json: {e}")))?;
        json.push('\n');
        Ok(json)
    }
}
