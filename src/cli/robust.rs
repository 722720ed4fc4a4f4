//! `ctb robust SCENARIO`: the scenario's backtest and how much of it could be luck — written to `robust.json` in the
//! report folder and printed as tables (or, with `--json`, as the JSON itself).

use clap::Args;
use std::path::PathBuf;

use super::sweep::progress_bar;
use crate::Result;
use crate::config::Scenario;
use crate::report::REPORT_FILES;
use crate::report::robustness::ROBUST_FILE;
use crate::report::robustness::robust_table;
use crate::robust_run::{MAX_RESAMPLES, RobustOptions, run_robust};
use crate::strategy::StrategyRegistry;
use crate::sweep::Grid;

/// Arguments of `ctb robust`.
#[derive(Args, Debug)]
pub struct RobustArgs {
    /// Scenario file (YAML) on bar data; with a `sweep:` section, its combinations are the trials of the DSR and
    /// the PBO.
    scenario: PathBuf,
    /// Resamples of the trade Monte Carlo and of the block bootstrap (1 to 1,000,000).
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=MAX_RESAMPLES as u64))]
    resamples: usize,
    /// Seed of the draws [default: the scenario's seed].
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
    /// Folder to write the report to [default: reports/<scenario name>, under the current directory].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Print robust.json to stdout instead of the tables.
    #[arg(long)]
    json: bool,
}

/// Runs the study and prints its tables (or its JSON); warnings (the backtest's, and a scenario whose parameters are
/// not a combination of its sweep) go to stderr.
pub fn run(args: RobustArgs, strategies: &StrategyRegistry) -> Result<()> {
    super::warn_unapplied_risk_overrides();
    let scenario = Scenario::load_with(&args.scenario, strategies)?;
    let out = args.out.unwrap_or_else(|| PathBuf::from("reports").join(&scenario.name));
    let combinations = match &scenario.sweep {
        Some(section) => Grid::expand(section, scenario.seed)?.combinations.len(),
        None => 0,
    };
    let bar = progress_bar(combinations as u64, args.json || combinations == 0);
    let options = RobustOptions { resamples: args.resamples, seed: args.seed };
    let run = run_robust(&scenario, &out, options, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let sweep_warning = run.report.sweep.as_ref().and_then(|sweep| sweep.warning());
    for warning in run.backtest.summary.warnings.iter().chain(&sweep_warning) {
        eprintln!("warning: {warning}");
    }
    if args.json {
        print!("{}", run.json);
        return Ok(());
    }
    println!("{}", robust_table(&run.report, run.backtest.result.portfolio.quote()));
    println!("report: {}/ ({ROBUST_FILE}, {})", out.display(), REPORT_FILES.join(", "));
    Ok(())
}
