//! `ctb robust`'s report of one scenario (`robust.json` and its terminal summary), built from plain data — the
//! backtest's result, the metrics of its runs at higher costs, the sweep's trials — by the statistics of
//! [`crate::report::robust`]:
//!
//! * the Monte Carlo of the trade sequence, on the [`trade_returns`], from the starting cash, drawn with the seed;
//! * the circular block bootstrap of the [`mark_returns`] (default block length), drawn with the seed + 1 (wrapping),
//!   so that the two draws are not the same random stream; Sharpe ratios annualised as `report::Metrics` does;
//! * the probabilistic Sharpe ratio of the mark returns against a Sharpe ratio of 0;
//! * the cost rows, as given (×1 is the backtest itself);
//! * with a sweep: the deflated Sharpe ratio of the backtest's mark returns against the sweep's trials (each trial's
//!   annualised Sharpe ratio of `results.csv` divided by `√periods_per_year`, an undefined one counted as 0, a trial
//!   of no skill), and the probability of backtest overfitting by CSCV on the trials' [`daily_returns`], in
//!   [`pbo_blocks`] blocks.
//!
//! A statistic the run cannot support (no closed trade, returns without variance, too few days) is reported as
//! `{"unavailable": "why"}` in its place rather than failing the report.

mod returns;
mod table;

use rust_decimal::Decimal;
use serde::Serialize;

pub use returns::{daily_returns, mark_returns, trade_returns};
pub use table::robust_table;

use super::metrics::{Metrics, periods_per_year};
use super::robust::{
    BootstrapSummary, DEFAULT_PBO_BLOCKS, DeflatedSharpe, MonteCarloSummary, SharpeProbability, block_bootstrap,
    deflated_sharpe, pbo_cscv, probabilistic_sharpe, trade_monte_carlo,
};
use crate::engine::BacktestResult;
use crate::error::{Error, Result};
use crate::model::exact::to_f64;

/// The cost multipliers of the sensitivity rows: fees and slippage as the scenario sets them, doubled, and five-fold.
pub const COST_MULTIPLIERS: [u32; 3] = [1, 2, 5];

/// A section's statistics, or why this run cannot support them.
#[derive(Clone, Debug, PartialEq, Serialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize)]
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
    /// Fees paid.
    pub fees: Decimal,
}

impl CostRow {
    /// The row of a run at `multiplier` times the costs, from its metrics.
    pub fn new(multiplier: u32, metrics: &Metrics) -> Self {
        CostRow {
            multiplier,
            final_equity: metrics.final_equity,
            total_return: metrics.total_return,
            sharpe: metrics.sharpe,
            trades: metrics.trades,
            fees: metrics.fees,
        }
    }
}

/// What the report takes of one combination of the sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Trial {
    /// Its annualised Sharpe ratio (as `results.csv`), `None` when undefined.
    pub sharpe: Option<f64>,
    /// Its [`daily_returns`].
    pub daily_returns: Vec<f64>,
}

/// The probability of backtest overfitting, without the per-split detail.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PboFigures {
    /// The returns compared: `daily`.
    pub returns: &'static str,
    /// Combinations compared.
    pub combinations: usize,
    /// Days of each combination's returns.
    pub periods: usize,
    /// Blocks the days were cut into ([`pbo_blocks`]).
    pub blocks: usize,
    /// Splits evaluated.
    pub splits: usize,
    /// The share of splits whose in-sample best did no better than the median out of sample.
    pub pbo: f64,
}

/// The sweep's part of the report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SweepRobustness {
    /// Combinations run: the number of trials.
    pub trials: usize,
    /// Trials whose Sharpe ratio is undefined (no variance), counted as 0.
    pub undefined_sharpes: usize,
    /// The deflated Sharpe ratio of the backtest.
    pub deflated_sharpe: Section<DeflatedSharpe>,
    /// The probability of backtest overfitting of the sweep.
    pub pbo: Section<PboFigures>,
}

/// The whole report, as `robust.json` holds it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RobustReport {
    /// The scenario's name.
    pub scenario: String,
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
    /// The sweep's combinations, in combination order, when there is a sweep.
    pub trials: Option<Vec<Trial>>,
}

impl RobustReport {
    /// Measures `input`.
    ///
    /// # Errors
    /// [`Error::Config`] when `resamples` is 0. What the data cannot support is an unavailable [`Section`].
    pub fn build(input: RobustInput<'_>) -> Result<Self> {
        let RobustInput { name, seed, resamples, result, interval_ns, costs, trials } = input;
        let starting_cash = result.portfolio.starting_cash();
        let log = &result.log;
        let values: Vec<f64> = log.equity.iter().map(|p| p.value.to_f64()).collect();
        let bar_returns = mark_returns(to_f64(starting_cash), &values);
        let per_year = periods_per_year(interval_ns);
        let trade_returns = trade_returns(&log.round_trips, &log.equity, starting_cash);
        Ok(RobustReport {
            scenario: name.to_string(),
            seed,
            resamples,
            periods_per_year: per_year,
            monte_carlo: Section::of(trade_monte_carlo(&trade_returns, to_f64(starting_cash), resamples, seed))?,
            bootstrap: Section::of(block_bootstrap(&bar_returns, per_year, None, resamples, seed.wrapping_add(1)))?,
            probabilistic_sharpe: Section::of(probabilistic_sharpe(&bar_returns, 0.0))?,
            costs,
            sweep: trials.map(|trials| sweep_robustness(&bar_returns, per_year, &trials)).transpose()?,
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

/// The number of CSCV blocks for `periods` returns: [`DEFAULT_PBO_BLOCKS`], or fewer when there are fewer than 2
/// periods per block: the largest even number of blocks of at least 2 periods each (at least 2 blocks; with fewer
/// than 4 periods the PBO is unavailable).
pub fn pbo_blocks(periods: usize) -> usize {
    (periods / 4 * 2).clamp(2, DEFAULT_PBO_BLOCKS)
}

/// The deflated Sharpe ratio of `bar_returns` against `trials` and the PBO of the trials.
fn sweep_robustness(bar_returns: &[f64], periods_per_year: f64, trials: &[Trial]) -> Result<SweepRobustness> {
    let de_annualise = periods_per_year.sqrt();
    let sharpes: Vec<f64> = trials.iter().map(|t| t.sharpe.map_or(0.0, |s| s / de_annualise)).collect();
    let series: Vec<&[f64]> = trials.iter().map(|t| t.daily_returns.as_slice()).collect();
    let periods = series.first().map_or(0, |s| s.len());
    let pbo = pbo_cscv(&series, pbo_blocks(periods)).map(|p| PboFigures {
        returns: "daily",
        combinations: p.combinations,
        periods: p.periods,
        blocks: p.blocks,
        splits: p.splits,
        pbo: p.pbo,
    });
    Ok(SweepRobustness {
        trials: trials.len(),
        undefined_sharpes: trials.iter().filter(|t| t.sharpe.is_none()).count(),
        deflated_sharpe: Section::of(deflated_sharpe(bar_returns, &sharpes))?,
        pbo: Section::of(pbo)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pbo_blocks_keep_two_periods_per_block_up_to_the_default() {
        assert_eq!([0, 3, 4, 7, 8, 9, 12, 31, 32, 59, 1000].map(pbo_blocks), [2, 2, 2, 2, 4, 4, 6, 14, 16, 16, 16]);
    }

    #[test]
    fn too_few_days_make_the_pbo_unavailable_not_an_error() {
        let trial = |r: f64| Trial { sharpe: Some(r), daily_returns: vec![r, -r, r] };
        let sweep = sweep_robustness(&[0.01, -0.02, 0.03], 365.0, &[trial(0.1), trial(0.2)]).expect("no error");
        assert!(matches!(sweep.pbo, Section::Unavailable { .. }), "{:?}", sweep.pbo);
        assert_eq!(sweep.deflated_sharpe.computed().map(|d| d.trials), Some(2));
    }

    #[test]
    fn an_undefined_trial_sharpe_counts_as_a_trial_of_no_skill() {
        let returns = [0.01, -0.005, 0.02, 0.0, 0.015];
        let trials = |third: Option<f64>| {
            [Some(0.5), Some(1.5), third].map(|sharpe| Trial { sharpe, daily_returns: vec![0.0; 8] }).to_vec()
        };
        let undefined = sweep_robustness(&returns, 4.0, &trials(None)).expect("valid");
        let zero = sweep_robustness(&returns, 4.0, &trials(Some(0.0))).expect("valid");
        assert_eq!((undefined.undefined_sharpes, undefined.trials), (1, 3));
        assert_eq!(undefined.deflated_sharpe, zero.deflated_sharpe);
    }
}
