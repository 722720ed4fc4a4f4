//! `ctb audit SCENARIO`: evidence that a bar scenario's strategy decides without look-ahead and within its stated
//! warm-up ([`crate::validation::audit`]): the full backtest, reruns on the data cut at seeded points, and late
//! starts. Prints what it checked as a table; a rerun that decided differently, or a check the data is too short
//! for, is an error (exit status 1) saying which and why.

use clap::Args;
use std::path::PathBuf;

use crate::config::Scenario;
use crate::strategy::StrategyRegistry;
use crate::validation::audit::{AuditOptions, DEFAULT_CUTS, audit};
use crate::{Error, Result};

/// Arguments of `ctb audit`.
#[derive(Args, Debug)]
pub struct AuditArgs {
    /// Scenario file (YAML) on bars; its strategy may be any registered kind.
    scenario: PathBuf,
    /// Seed of the cut points [default: the scenario's seed].
    #[arg(long)]
    seed: Option<u64>,
    /// How many cut points (the data cut after a bar drawn with the seed).
    #[arg(long, default_value_t = DEFAULT_CUTS)]
    cuts: usize,
    /// The warm-up to check, in bars [default: the strategy's own statement of it].
    #[arg(long, value_name = "BARS")]
    warm_up: Option<usize>,
}

/// Audits the scenario's strategy and prints the table; a difference or a check that could not run is an error
/// after it.
pub fn run(args: AuditArgs, strategies: &StrategyRegistry) -> Result<()> {
    let scenario = Scenario::load_with(&args.scenario, strategies)?;
    if scenario.has_books() {
        return Err(Error::Config(format!(
            "{}: ctb audit checks strategies on bars; this scenario has level-2 files",
            args.scenario.display()
        )));
    }
    let (series, _quality) = scenario.load_market_data()?;
    let options = AuditOptions { seed: args.seed.unwrap_or(scenario.seed), cuts: args.cuts, warm_up: args.warm_up };
    let report = audit(&scenario.setup, series, &options)?;
    let stated = if args.warm_up.is_some() {
        format!("given; the strategy states {}", report.stated_warm_up)
    } else {
        "as the strategy states it".to_string()
    };
    println!(
        "audit of {} ({}): {} bars, {} decisions in the full run; warm-up {} bars ({stated}); cut points drawn with seed {}",
        scenario.name, report.strategy, report.bars, report.decisions, report.warm_up, report.seed
    );
    println!("{}", report.table());
    if report.passed() {
        println!(
            "passed: no decision changed when later bars were cut, and after each late start the decisions are the full run's once every stream has had {} bars of its own",
            report.warm_up
        );
        return Ok(());
    }
    let mut problems = Vec::new();
    let differing: Vec<_> = report.differing().collect();
    if let Some((first, difference)) = differing.first() {
        problems.push(format!(
            "{} of {} reruns decided differently; first, {}: {difference}",
            differing.len(),
            report.checks.len(),
            first.name
        ));
    }
    problems.extend(report.not_checked().map(|(check, reason)| format!("not checked, {}: {reason}", check.name)));
    Err(Error::Validation(format!("audit of {}: {}", scenario.name, problems.join("; "))))
}
