//! The sweep's part of `ctb robust`'s report: the deflated Sharpe ratio of the backtest and of the sweep's best
//! combination against all the combinations as trials, and the probability of backtest overfitting of the
//! combinations' daily returns.

use serde::{Deserialize, Serialize};

use super::Section;
use crate::error::Result;
use crate::report::robust::{DEFAULT_PBO_BLOCKS, DeflatedSharpe, deflated_sharpe, pbo_cscv};

/// What the report takes of one combination of the sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Trial {
    /// Its annualised Sharpe ratio (as `results.csv`), `None` when undefined.
    pub sharpe: Option<f64>,
    /// Its [`super::daily_returns`].
    pub daily_returns: Vec<f64>,
}

/// The combination the sweep ranks first by its objective.
#[derive(Clone, Debug, PartialEq)]
pub struct BestCombination {
    /// Its number in the grid.
    pub combination: usize,
    /// Its swept parameters, name to value.
    pub params: serde_json::Value,
    /// The objective it is best by, as the scenario names it (`sharpe`, `calmar`, …).
    pub objective: &'static str,
    /// Its [`super::mark_returns`].
    pub bar_returns: Vec<f64>,
}

/// What the report takes of the sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepInput {
    /// Every combination run, in combination order.
    pub trials: Vec<Trial>,
    /// The best of them by the sweep's objective.
    pub best: BestCombination,
    /// The combination whose parameters are the scenario's own, if one is.
    pub scenario_combination: Option<usize>,
}

/// The probability of backtest overfitting, without the per-split detail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PboFigures {
    /// The returns compared: `daily`.
    pub returns: String,
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

/// The deflated Sharpe ratio of the sweep's best combination: the trial a selection by the objective picks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BestRobustness {
    /// Its number in the grid.
    pub combination: usize,
    /// Its swept parameters.
    pub params: serde_json::Value,
    /// The objective it is best by.
    pub objective: String,
    /// Its deflated Sharpe ratio against all the trials.
    pub deflated_sharpe: Section<DeflatedSharpe>,
}

/// The sweep's part of the report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepRobustness {
    /// Combinations run: the number of trials.
    pub trials: usize,
    /// Trials whose Sharpe ratio is undefined (no variance), counted as 0.
    pub undefined_sharpes: usize,
    /// The combination whose parameters are the scenario's; `None` when none is (the backtest is then not one of
    /// the trials, and its DSR is not the DSR of a selection from them).
    pub scenario_combination: Option<usize>,
    /// The deflated Sharpe ratio of the backtest.
    pub deflated_sharpe: Section<DeflatedSharpe>,
    /// The deflated Sharpe ratio of the sweep's best combination.
    pub best: BestRobustness,
    /// The probability of backtest overfitting of the sweep.
    pub pbo: Section<PboFigures>,
}

impl SweepRobustness {
    /// Why the backtest's DSR may mislead: the scenario's parameters are not among the trials.
    pub fn warning(&self) -> Option<String> {
        self.scenario_combination.is_none().then(|| {
            format!(
                "the scenario's own strategy parameters are not a combination of its sweep: its DSR deflates a \
                 backtest that is not one of the {} trials; the DSR of the sweep's best combination ({}) is that of \
                 the selected trial",
                self.trials,
                show_params(&self.best.params)
            )
        })
    }
}

/// `name value, …` of a parameter object (its JSON otherwise).
pub fn show_params(params: &serde_json::Value) -> String {
    match params {
        serde_json::Value::Object(map) => {
            map.iter().map(|(name, value)| format!("{name} {value}")).collect::<Vec<_>>().join(", ")
        }
        other => other.to_string(),
    }
}

/// The number of CSCV blocks for `periods` returns: [`DEFAULT_PBO_BLOCKS`], or fewer when there are fewer than 2
/// periods per block: the largest even number of blocks of at least 2 periods each (at least 2 blocks; with fewer
/// than 4 periods the PBO is unavailable).
pub fn pbo_blocks(periods: usize) -> usize {
    (periods / 4 * 2).clamp(2, DEFAULT_PBO_BLOCKS)
}

/// The deflated Sharpe ratios of `bar_returns` (the backtest's) and of the best combination against the trials,
/// and the PBO of the trials.
pub(super) fn sweep_robustness(
    bar_returns: &[f64],
    periods_per_year: f64,
    input: &SweepInput,
) -> Result<SweepRobustness> {
    let SweepInput { trials, best, scenario_combination } = input;
    let de_annualise = periods_per_year.sqrt();
    let sharpes: Vec<f64> = trials.iter().map(|t| t.sharpe.map_or(0.0, |s| s / de_annualise)).collect();
    let series: Vec<&[f64]> = trials.iter().map(|t| t.daily_returns.as_slice()).collect();
    let periods = series.first().map_or(0, |s| s.len());
    let pbo = pbo_cscv(&series, pbo_blocks(periods)).map(|p| PboFigures {
        returns: "daily".into(),
        combinations: p.combinations,
        periods: p.periods,
        blocks: p.blocks,
        splits: p.splits,
        pbo: p.pbo,
    });
    Ok(SweepRobustness {
        trials: trials.len(),
        undefined_sharpes: trials.iter().filter(|t| t.sharpe.is_none()).count(),
        scenario_combination: *scenario_combination,
        deflated_sharpe: Section::of(deflated_sharpe(bar_returns, &sharpes))?,
        best: BestRobustness {
            combination: best.combination,
            params: best.params.clone(),
            objective: best.objective.into(),
            deflated_sharpe: Section::of(deflated_sharpe(&best.bar_returns, &sharpes))?,
        },
        pbo: Section::of(pbo)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(trials: Vec<Trial>, bar_returns: &[f64], scenario_combination: Option<usize>) -> SweepInput {
        let params = serde_json::json!({ "fast": 5, "slow": 30 });
        let best = BestCombination { combination: 1, params, objective: "sharpe", bar_returns: bar_returns.to_vec() };
        SweepInput { trials, best, scenario_combination }
    }

    #[test]
    fn pbo_blocks_keep_two_periods_per_block_up_to_the_default() {
        assert_eq!([0, 3, 4, 7, 8, 9, 12, 31, 32, 59, 1000].map(pbo_blocks), [2, 2, 2, 2, 4, 4, 6, 14, 16, 16, 16]);
    }

    #[test]
    fn too_few_days_make_the_pbo_unavailable_not_an_error() {
        let trial = |r: f64| Trial { sharpe: Some(r), daily_returns: vec![r, -r, r] };
        let returns = [0.01, -0.02, 0.03];
        let sweep = sweep_robustness(&returns, 365.0, &input(vec![trial(0.1), trial(0.2)], &returns, Some(0)))
            .expect("no error");
        assert!(matches!(sweep.pbo, Section::Unavailable { .. }), "{:?}", sweep.pbo);
        assert_eq!(sweep.deflated_sharpe.computed().map(|d| d.trials), Some(2));
    }

    #[test]
    fn an_undefined_trial_sharpe_counts_as_a_trial_of_no_skill() {
        let returns = [0.01, -0.005, 0.02, 0.0, 0.015];
        let trials = |third: Option<f64>| {
            [Some(0.5), Some(1.5), third].map(|sharpe| Trial { sharpe, daily_returns: vec![0.0; 8] }).to_vec()
        };
        let undefined = sweep_robustness(&returns, 4.0, &input(trials(None), &returns, None)).expect("valid");
        let zero = sweep_robustness(&returns, 4.0, &input(trials(Some(0.0)), &returns, None)).expect("valid");
        assert_eq!((undefined.undefined_sharpes, undefined.trials), (1, 3));
        assert_eq!(undefined.deflated_sharpe, zero.deflated_sharpe);
    }

    #[test]
    fn the_best_combination_is_deflated_against_the_same_trials_as_the_backtest() {
        let (backtest, best) = ([0.01, -0.005, 0.02, 0.0, 0.015], [0.02, -0.004, 0.03, 0.001, 0.012]);
        let trials = [Some(0.5), Some(1.5), Some(2.5)].map(|sharpe| Trial { sharpe, daily_returns: vec![0.0; 8] });
        let sweep = sweep_robustness(&backtest, 4.0, &input(trials.to_vec(), &best, Some(2))).expect("valid");
        let (ours, theirs) = (sweep.deflated_sharpe.computed(), sweep.best.deflated_sharpe.computed());
        let benchmark = |d: Option<&DeflatedSharpe>| d.map(|d| d.psr.benchmark_sharpe);
        assert_eq!(benchmark(ours), benchmark(theirs), "one benchmark: the expected best of the trials");
        assert!(theirs.is_some_and(|b| ours.is_some_and(|o| b.psr.sharpe > o.psr.sharpe)));
        assert_eq!(sweep.warning(), None, "the scenario's parameters are combination 2");
    }

    #[test]
    fn a_scenario_outside_the_grid_is_warned_about_naming_the_best_combination() {
        let returns = [0.01, -0.005, 0.02, 0.0, 0.015];
        let trials = [Some(0.5), Some(1.5)].map(|sharpe| Trial { sharpe, daily_returns: vec![0.0; 8] });
        let sweep = sweep_robustness(&returns, 4.0, &input(trials.to_vec(), &returns, None)).expect("valid");
        let warning = sweep.warning().unwrap_or_default();
        assert!(warning.contains("not a combination") && warning.contains("(fast 5, slow 30)"), "{warning}");
    }
}
