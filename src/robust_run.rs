//! `ctb robust`'s runs, end to end: the scenario's backtest (its report written as `ctb backtest` writes it), the
//! same backtest with every fee rate and the slippage scaled ([`scale_costs`], ×1 included, so the ×1 row is a run
//! of the cost path that can be checked against the backtest), the sweep's combinations when the scenario has a
//! `sweep:` section (and once more the best of them, for its bar returns), and the robustness report of them all,
//! written to `robust.json` in the report folder, whose `report.html` is then written again with the robustness
//! tables. The cost runs and the sweep run in parallel; every run is
//! deterministic and collected in order, so the report is the same bytes on any number of threads.
//!
//! Memory: the sweep keeps each combination's daily returns (`N × days × 8` bytes) for the PBO, whose `C(S, S/2)`
//! splits run on one thread.

use rayon::prelude::*;
use rust_decimal::Decimal;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::config::Scenario;
use crate::engine::{BacktestSetup, MarketData, prepare_market, run_prepared_blocking};
use crate::error::{Error, Result};
use crate::model::Timestamp;
use crate::model::exact::to_f64;
use crate::report::html::{read_report_folder, write_html};
use crate::report::robustness::{
    BestCombination, COST_MULTIPLIERS, CostRow, ROBUST_FILE, RobustInput, RobustReport, SweepInput, Trial,
    daily_returns, mark_returns,
};
use crate::report::{Curve, run_metrics};
use crate::runner::{ScenarioRun, plan_sweep, run_scenario};
use crate::sweep::{Grid, combination_params, rank};

/// Most resamples allowed (of the Monte Carlo and of the bootstrap each): each resample is a path as long as the
/// trades or the bars, so this bounds the time of a run, not only its memory.
pub const MAX_RESAMPLES: usize = 1_000_000;

/// How `ctb robust` draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RobustOptions {
    /// Resamples of the Monte Carlo and of the bootstrap, 1 to [`MAX_RESAMPLES`].
    pub resamples: usize,
    /// The seed; `None`: the scenario's.
    pub seed: Option<u64>,
}

/// What [`run_robust`] produced.
pub struct RobustRun {
    /// The backtest, as `ctb backtest` reports it.
    pub backtest: ScenarioRun,
    /// The robustness report.
    pub report: RobustReport,
    /// Its JSON, as written to `robust.json`.
    pub json: String,
}

/// Runs the backtest of `scenario` (its report into `out_dir`), its cost variants and its sweep (calling `progress`
/// after each combination), writes the robustness report to `out_dir/robust.json` and the backtest's `report.html`
/// again with its robustness section.
///
/// # Errors
/// [`Error::Config`] for resamples outside `1..=`[`MAX_RESAMPLES`], a level-2 scenario (the command needs bars) or
/// costs that cannot be scaled; as the backtest, the loaders and the sweep; [`Error::Io`] writing the report;
/// [`Error::Data`] when the report folder does not read back for the page.
pub fn run_robust(
    scenario: &Scenario,
    out_dir: &Path,
    options: RobustOptions,
    progress: &(dyn Fn() + Sync),
) -> Result<RobustRun> {
    if !(1..=MAX_RESAMPLES).contains(&options.resamples) {
        return Err(Error::Config(format!("--resamples must be 1 to {MAX_RESAMPLES}, got {}", options.resamples)));
    }
    if scenario.has_books() {
        return Err(Error::Config(format!(
            "{}: ctb robust resamples bar data; this scenario has level-2 files",
            scenario.path.display()
        )));
    }
    let backtest = run_scenario(scenario, out_dir)?;
    let (series, _quality) = scenario.load_market_data()?;
    let market = Arc::new(prepare_market(&scenario.setup, series)?);
    let (start, _, interval_ns) = market.span().ok_or_else(|| Error::Data("no bars".into()))?;
    let (costs, sweep) =
        rayon::join(|| cost_rows(scenario, &market, start, interval_ns), || sweep_input(scenario, &market, progress));
    let report = RobustReport::build(RobustInput {
        name: &scenario.name,
        content_hash: &backtest.summary.content_hash,
        seed: options.seed.unwrap_or(scenario.seed),
        resamples: options.resamples,
        result: &backtest.result,
        interval_ns,
        costs: costs?,
        sweep: sweep?,
    })?;
    let json = report.to_json()?;
    let path = out_dir.join(ROBUST_FILE);
    std::fs::write(&path, &json).map_err(|e| Error::io("writing", &path, e))?;
    // The backtest's page again, now with the robustness section: read back from the folder as `ctb report DIR`
    // reads it, so that rebuilding it gives the same bytes.
    write_html(out_dir, &read_report_folder(out_dir, &scenario.setup.quote)?, market.series())?;
    Ok(RobustRun { backtest, report, json })
}

/// The cost rows: every multiplier, ×1 included, a run of the scaled setup ([`scale_costs`]).
fn cost_rows(
    scenario: &Scenario,
    market: &Arc<MarketData>,
    start: Timestamp,
    interval_ns: i64,
) -> Result<Vec<CostRow>> {
    COST_MULTIPLIERS
        .par_iter()
        .map(|&multiplier| {
            let result = run_prepared_blocking(&scale_costs(&scenario.setup, multiplier)?, market.clone())?;
            let curve = Curve::new(result.portfolio.starting_cash(), &result.log.equity);
            Ok(CostRow::new(multiplier, &result, &run_metrics(&result, &curve, start, interval_ns)))
        })
        .collect()
}

/// Every combination of the scenario's sweep with its Sharpe ratio and daily returns, the best of them by the
/// sweep's objective (run once more for its bar returns) and the combination that is the scenario's own; `None`
/// without a sweep.
///
/// # Errors
/// As the sweep and the backtest; [`Error::Data`] when the sweep ran no combination.
fn sweep_input(
    scenario: &Scenario,
    market: &Arc<MarketData>,
    progress: &(dyn Fn() + Sync),
) -> Result<Option<SweepInput>> {
    let Some(section) = &scenario.sweep else {
        return Ok(None);
    };
    let plan = plan_sweep(scenario)?;
    let keep = |_: &_, curve: &Curve<'_>| daily_returns(to_f64(curve.starting_equity), curve.points, &curve.values);
    let (rows, daily): (Vec<_>, Vec<_>) =
        plan.run_keeping(&AtomicBool::new(false), progress, &keep)?.into_iter().unzip();
    let grid = plan.grid();
    let best = rank(&rows, section.objective)
        .first()
        .copied()
        .ok_or_else(|| Error::Data(format!("{}: the sweep ran no combination", scenario.path.display())))?;
    let mut setup = scenario.setup.clone();
    setup.params = combination_params(&setup.params, &grid.names, &best.values);
    let result = run_prepared_blocking(&setup, market.clone())?;
    let values: Vec<f64> = result.log.equity.iter().map(|p| p.value.to_f64()).collect();
    let best = BestCombination {
        combination: best.number,
        params: combination_params(&serde_json::Value::Null, &grid.names, &best.values),
        objective: section.objective.as_str(),
        bar_returns: mark_returns(to_f64(result.portfolio.starting_cash()), &values),
    };
    let trials =
        rows.iter().zip(daily).map(|(row, daily)| Trial { sharpe: row.metrics.sharpe, daily_returns: daily }).collect();
    Ok(Some(SweepInput { trials, best, scenario_combination: scenario_combination(&scenario.setup.params, grid) }))
}

/// The number of the combination of `grid` whose values are those `params` give its names (compared as numbers);
/// `None` when no combination is, or `params` lacks one of the names or gives it a value that is not a number.
fn scenario_combination(params: &serde_json::Value, grid: &Grid) -> Option<usize> {
    let number = |value: &serde_json::Value| {
        let text = value.as_number()?.to_string();
        text.parse::<Decimal>().or_else(|_| Decimal::from_scientific(&text)).ok()
    };
    let own: Vec<Decimal> = grid.names.iter().map(|name| params.get(name).and_then(number)).collect::<Option<_>>()?;
    grid.combinations.iter().position(|values| *values == own)
}

/// `setup` with every venue's costs `multiplier` times what the scenario sets: the flat maker and taker rates, every
/// rate of a fee ladder, and the slippage. A rebate (a negative maker rate) is left as it is: multiplying it would
/// pay the trader more, the opposite of a higher cost.
///
/// # Errors
/// [`Error::Config`] naming the venue and the setting when a scaled rate reaches 100 %.
pub fn scale_costs(setup: &BacktestSetup, multiplier: u32) -> Result<BacktestSetup> {
    let k = Decimal::from(multiplier);
    let mut scaled = setup.clone();
    for venue in &mut scaled.venues {
        let name = venue.name.clone();
        let scale = |what: &str, rate: Decimal, whole: Decimal| {
            let cost = if rate > Decimal::ZERO { rate * k } else { rate };
            if cost >= whole {
                return Err(Error::Config(format!(
                    "venue {name}: {what} ×{multiplier} is {cost} of {whole}, which no venue charges"
                )));
            }
            Ok(cost)
        };
        let sim = &mut venue.sim;
        sim.maker_fee = scale("the maker fee (fee_bps.maker)", sim.maker_fee, Decimal::ONE)?;
        sim.taker_fee = scale("the taker fee (fee_bps.taker)", sim.taker_fee, Decimal::ONE)?;
        sim.slippage = scale("the slippage (slippage_bps)", sim.slippage, Decimal::ONE)?;
        if let Some(ladder) = &mut venue.fee_ladder {
            for (i, tier) in ladder.tiers.iter_mut().enumerate() {
                let key = |side: &str| format!("fee_tiers {} tiers[{i}].{side}_percent", ladder.name);
                tier.maker_percent = scale(&key("maker"), tier.maker_percent, Decimal::ONE_HUNDRED)?;
                tier.taker_percent = scale(&key("taker"), tier.taker_percent, Decimal::ONE_HUNDRED)?;
            }
        }
    }
    Ok(scaled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::VenueSetup;
    use crate::venue::sim::{FeeLadder, FeeTier, SimConfig};
    use rust_decimal::dec;

    fn setup(maker: Decimal, taker: Decimal, slippage: Decimal, ladder: Option<FeeLadder>) -> BacktestSetup {
        let sim = SimConfig { maker_fee: maker, taker_fee: taker, slippage, ..SimConfig::default() };
        let mut venue = VenueSetup::new("binance", sim, Vec::new(), dec!(1000));
        venue.fee_ladder = ladder;
        BacktestSetup {
            venues: vec![venue],
            quote: "USDT".into(),
            starting_cash: dec!(1000),
            risk: Default::default(),
            policy: Default::default(),
            strategy: "sma_cross".into(),
            params: serde_json::Value::Null,
            strategies: Default::default(),
        }
    }

    fn ladder(maker_percent: Decimal, taker_percent: Decimal) -> FeeLadder {
        FeeLadder {
            name: "test".into(),
            as_of: "2026-01-01".into(),
            source: "hand-made".into(),
            tiers: vec![FeeTier { level: "VIP 0".into(), min_volume: dec!(0), maker_percent, taker_percent }],
        }
    }

    #[test]
    fn times_one_leaves_the_setup_as_it_was() {
        let original = setup(dec!(0.001), dec!(0.001), dec!(0.0005), Some(ladder(dec!(0.1), dec!(0.1))));
        let once = scale_costs(&original, 1).expect("valid");
        assert_eq!(once.venues[0].sim, original.venues[0].sim);
        assert_eq!(once.venues[0].fee_ladder, original.venues[0].fee_ladder);
    }

    #[test]
    fn every_rate_and_the_slippage_scale_but_a_rebate_stays() {
        let scaled =
            scale_costs(&setup(dec!(0.001), dec!(0.002), dec!(0.0005), Some(ladder(dec!(-0.01), dec!(0.04)))), 5)
                .expect("valid");
        let venue = &scaled.venues[0];
        assert_eq!(
            (venue.sim.maker_fee, venue.sim.taker_fee, venue.sim.slippage),
            (dec!(0.005), dec!(0.010), dec!(0.0025))
        );
        let tier = &venue.fee_ladder.as_ref().expect("kept").tiers[0];
        assert_eq!((tier.maker_percent, tier.taker_percent), (dec!(-0.01), dec!(0.20)));
    }

    #[test]
    fn the_scenario_combination_is_found_by_number_not_by_spelling() {
        let grid = Grid {
            names: vec!["fast".into(), "slow".into()],
            combinations: vec![vec![dec!(5), dec!(30)], vec![dec!(10), dec!(30)], vec![dec!(10), dec!(60)]],
        };
        let find = |params: serde_json::Value| scenario_combination(&params, &grid);
        assert_eq!(find(serde_json::json!({ "fast": 10, "slow": 30, "other": "x" })), Some(1));
        assert_eq!(find(serde_json::json!({ "fast": 10.0, "slow": 6e1 })), Some(2));
        assert_eq!(find(serde_json::json!({ "fast": 10, "slow": 40 })), None, "not in the grid");
        assert_eq!(find(serde_json::json!({ "fast": 10 })), None, "slow left to the strategy's default");
        assert_eq!(find(serde_json::json!({ "fast": "10", "slow": 30 })), None, "not a number");
    }

    #[test]
    fn a_scaled_rate_of_100_percent_is_refused_naming_the_setting() {
        let error = scale_costs(&setup(dec!(0.001), dec!(0.25), dec!(0), None), 5).err().map(|e| e.to_string());
        assert!(error.as_deref().is_some_and(|e| e.contains("binance") && e.contains("fee_bps.taker")), "{error:?}");
    }
}
