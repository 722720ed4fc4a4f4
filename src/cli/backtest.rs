//! `ctb backtest SCENARIO`: run a scenario and write its report.

use clap::Args;
use std::path::PathBuf;

use crate::config::Scenario;
use crate::report::{REPORT_FILES, summary_table};
use crate::runner::{run_recorded_scenario, run_scenario};
use crate::session::recorded_scenario;
use crate::strategy::StrategyRegistry;
use crate::{Error, Result};

/// Arguments of `ctb backtest`.
#[derive(Args, Debug)]
pub struct BacktestArgs {
    /// Scenario file (YAML). Paths inside it are relative to its own folder.
    #[arg(required_unless_present = "replay", conflicts_with = "replay")]
    scenario: Option<PathBuf>,
    /// Replay a paper session's recording (`data/recordings/<session>`) with the scenario it ran.
    #[arg(long, value_name = "RECORDING")]
    replay: Option<PathBuf>,
    /// Folder to write the report to [default: reports/<scenario name>, under the current directory].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Print only the report folder, not the summary table.
    #[arg(long, short, conflicts_with = "json")]
    quiet: bool,
    /// Print summary.json to stdout instead of the table and the report line (warnings still go to stderr).
    #[arg(long)]
    json: bool,
}

/// Runs the backtest and prints the summary table (or, with `--json`, summary.json).
pub fn run(args: BacktestArgs, strategies: &StrategyRegistry) -> Result<()> {
    let (scenario, name) = match (&args.scenario, &args.replay) {
        (_, Some(recording)) => {
            let session = recording.file_name().map_or("replay".into(), |n| n.to_string_lossy().into_owned());
            (recorded_scenario(recording, strategies)?, format!("{session}-replay"))
        }
        (Some(path), None) => {
            super::warn_unapplied_risk_overrides();
            let scenario = Scenario::load_with(path, strategies)?;
            let name = scenario.name.clone();
            (scenario, name)
        }
        (None, None) => return Err(Error::Config("give a scenario file or --replay RECORDING".into())),
    };
    let out = args.out.unwrap_or_else(|| PathBuf::from("reports").join(name));
    // A session's recording replays what the session saw, however short; a scenario a user wrote must fit its data.
    let run = match args.replay {
        Some(_) => run_recorded_scenario(&scenario, &out)?,
        None => run_scenario(&scenario, &out)?,
    };
    for warning in &run.summary.warnings {
        eprintln!("warning: {warning}");
    }
    if args.json {
        super::print_stdout(&run.summary.to_json()?)?;
        return Ok(());
    }
    if !args.quiet {
        println!("{}", summary_table(&run.summary, run.result.portfolio.quote()));
    }
    println!("report: {}/ ({})", out.display(), REPORT_FILES.join(", "));
    Ok(())
}
