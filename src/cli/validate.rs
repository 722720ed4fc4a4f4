//! `ctb validate SCENARIO`: the scenario's backtest (and a named paper session's parity) against the thresholds of
//! its `validation:` section; the outcome goes to `reports/<name>/validation.json`, which `ctb live` requires.

use clap::Args;
use std::path::PathBuf;

use crate::config::Scenario;
use crate::runner::run_scenario;
use crate::session::{open_journal, reconcile_session};
use crate::strategy::StrategyRegistry;
use crate::validation::ValidationRecord;
use crate::{Error, Result};

/// Arguments of `ctb validate`.
#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// Scenario file (YAML) with a `validation:` section.
    scenario: PathBuf,
    /// Check this paper session's parity (instead of the section's `paper_session`).
    #[arg(long, value_name = "SESSION")]
    session: Option<String>,
    /// Folder of session recordings.
    #[arg(long, value_name = "DIR", default_value = "data/recordings")]
    recordings_dir: PathBuf,
    /// Folder of reports: the backtest's report and validation.json go to `<DIR>/<scenario name>/`.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    reports_dir: PathBuf,
    /// Print validation.json to stdout instead of the checks (a failed validation still exits with status 1; a
    /// run that fails before the checks prints nothing there).
    #[arg(long)]
    json: bool,
}

/// Validates; a failed check is an error (exit status 1) after every check is printed.
pub fn run(args: ValidateArgs, strategies: &StrategyRegistry) -> Result<()> {
    super::warn_unapplied_risk_overrides();
    let scenario = Scenario::load_with(&args.scenario, strategies)?;
    let mut thresholds = scenario.validation.clone().ok_or_else(|| {
        Error::Config(format!("{}: the scenario has no validation: section to check", args.scenario.display()))
    })?;
    if args.session.is_some() {
        thresholds.paper_session = args.session.clone();
    }
    let out = args.reports_dir.join(&scenario.name);
    let run = run_scenario(&scenario, &out)?;
    let hash = run.summary.content_hash.clone();
    let parity = match &thresholds.paper_session {
        Some(session) => {
            let database_url = std::env::var("DATABASE_URL").ok();
            let ran = open_journal(&args.reports_dir, session, database_url.as_deref())?.session()?;
            let (recordings, reports) = (&args.recordings_dir, &args.reports_dir);
            let reconciled = reconcile_session(recordings, reports, session, None, strategies, database_url.as_deref());
            let mut found = super::block_on(reconciled)?.differences;
            if let Some(info) = ran.filter(|info| format!("sha256:{}", info.content_hash) != hash) {
                found.insert(0, format!("session {session} ran scenario sha256:{}, not this one", info.content_hash));
            }
            Some(found)
        }
        None => None,
    };
    let checks = thresholds.check(&run.summary, run.result.log.fills.len(), parity.as_deref());
    let record = ValidationRecord::new(&scenario.name, &hash, checks);
    record.write(&out)?;
    if args.json {
        super::print_stdout(&record.to_json()?)?;
    } else {
        for check in &record.checks {
            let mark = if check.passed { "pass" } else { "FAIL" };
            println!("{mark}  {}: {} (threshold {})", check.name, check.value, check.threshold);
        }
        println!("validation: {}/validation.json ({hash})", out.display());
    }
    if record.passed {
        if !args.json {
            println!("validated: {} may go live", scenario.name);
        }
        Ok(())
    } else {
        Err(Error::Validation(format!("{} failed validation: see {}/validation.json", scenario.name, out.display())))
    }
}
