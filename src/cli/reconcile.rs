//! `ctb reconcile SESSION`: the session's journal against the replay of its recording, order by order.

use clap::Args;
use std::path::PathBuf;

use crate::config::Scenario;
use crate::session::reconcile_session;
use crate::strategy::StrategyRegistry;
use crate::{Error, Result};

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
pub fn run(args: ReconcileArgs, strategies: &StrategyRegistry) -> Result<()> {
    let scenario = args.scenario.as_deref().map(|path| Scenario::load_with(path, strategies)).transpose()?;
    let database_url = std::env::var("DATABASE_URL").ok();
    let (recordings, reports) = (&args.recordings_dir, &args.reports_dir);
    let found = super::block_on(reconcile_session(
        recordings,
        reports,
        &args.session,
        scenario.as_ref(),
        strategies,
        database_url.as_deref(),
    ))?;
    if found.differences.is_empty() {
        println!("identical: {} fills of {} orders, journal and replay", found.fills, found.orders);
        return Ok(());
    }
    for difference in &found.differences {
        println!("{difference}");
    }
    Err(Error::Validation(format!(
        "session {}: {} difference(s) between the journal and the replay",
        args.session,
        found.differences.len()
    )))
}
