//! `ctb reconcile SESSION`: the session's journal against the replay of its recording, order by order.

use clap::Args;
use std::path::PathBuf;

use cryptotradebot::config::Scenario;
use cryptotradebot::engine::run_book_backtest;
use cryptotradebot::session::{Journal, fill_differences, recorded_scenario};
use cryptotradebot::{Error, Result};

/// Arguments of `ctb reconcile`.
#[derive(Args, Debug)]
pub struct ReconcileArgs {
    /// The session's name.
    session: String,
    /// Replay with this scenario instead of the one the session ran (to see what a change would have done).
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    /// Folder of session recordings.
    #[arg(long, value_name = "DIR", default_value = "data/recordings")]
    recordings_dir: PathBuf,
    /// Folder of reports (the journal is `<DIR>/<session>/journal.sqlite`).
    #[arg(long, value_name = "DIR", default_value = "reports")]
    reports_dir: PathBuf,
}

/// Prints `identical` or each difference; differences are an error (exit status 1).
pub fn run(args: ReconcileArgs) -> Result<()> {
    let recording = args.recordings_dir.join(&args.session);
    let replay = match &args.scenario {
        Some(path) => Scenario::load(path)?.replaying(&recording),
        None => recorded_scenario(&recording)?,
    };
    let journal_path = args.reports_dir.join(&args.session).join("journal.sqlite");
    if !journal_path.exists() {
        return Err(Error::Config(format!("session {}: no journal at {}", args.session, journal_path.display())));
    }
    let journaled: Vec<_> =
        Journal::open_sqlite(&journal_path, &args.session)?.fills()?.into_iter().map(|(_, f)| f).collect();
    let streams = replay.load_book_streams()?;
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Io { context: "starting the async runtime".into(), source: e })?
        .block_on(run_book_backtest(&replay.setup, &streams))?;
    let differences = fill_differences(&journaled, &result.log.fills);
    if differences.is_empty() {
        println!("identical: {} fills of {} orders, journal and replay", journaled.len(), result.log.orders.len());
        return Ok(());
    }
    for difference in &differences {
        println!("{difference}");
    }
    Err(Error::Validation(format!(
        "session {}: {} difference(s) between the journal and the replay",
        args.session,
        differences.len()
    )))
}
