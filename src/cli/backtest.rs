//! `ctb backtest SCENARIO`: run a scenario and write its report.

use clap::Args;
use std::path::PathBuf;

use cryptotradebot::Result;
use cryptotradebot::config::Scenario;
use cryptotradebot::report::{REPORT_FILES, summary_table};
use cryptotradebot::runner::run_scenario;

/// Arguments of `ctb backtest`.
#[derive(Args, Debug)]
pub struct BacktestArgs {
    /// Scenario file (YAML). Paths inside it are relative to its own folder.
    scenario: PathBuf,
    /// Folder to write the report to [default: reports/<scenario name>, under the current directory].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Print only the report folder, not the summary table.
    #[arg(long, short)]
    quiet: bool,
}

/// Runs the backtest and prints the summary table.
pub fn run(args: BacktestArgs) -> Result<()> {
    let scenario = Scenario::load(&args.scenario)?;
    let out = args.out.unwrap_or_else(|| PathBuf::from("reports").join(&scenario.name));
    let run = run_scenario(&scenario, &out)?;
    for warning in &run.summary.warnings {
        eprintln!("warning: {warning}");
    }
    if !args.quiet {
        println!("{}", summary_table(&run.summary, run.result.portfolio.quote()));
    }
    println!("report: {}/ ({})", out.display(), REPORT_FILES.join(", "));
    Ok(())
}
