//! `ctb live SCENARIO --exchange binance --confirm-live`: the validated scenario trading at the venue (testnet
//! unless exchanges.yaml says otherwise), journaled, with a kill switch on Ctrl-C / SIGTERM.

use clap::Args;

use super::session::{SessionArgs, stop_signal};
use crate::Result;
use crate::config::Scenario;
use crate::report::{REPORT_FILES, summary_table};
use crate::session::{LiveOptions, run_live};
use crate::strategy::StrategyRegistry;

/// Arguments of `ctb live`.
#[derive(Args, Debug)]
pub struct LiveArgs {
    #[command(flatten)]
    session: SessionArgs,
    /// Confirms that real orders go to the venue.
    #[arg(long)]
    confirm_live: bool,
    /// Leave open orders at the venue when the session stops (default: the kill switch cancels them).
    #[arg(long)]
    keep_orders: bool,
    /// Continue the live session of this name from its journal (orders, fills, marks, risk state), after comparing
    /// its open orders and balances with the venue's.
    #[arg(long, value_name = "SESSION", conflicts_with = "session")]
    resume: Option<String>,
}

/// Runs the session until Ctrl-C, SIGTERM, the emergency stop, the duration or the message limit.
pub fn run(args: LiveArgs, strategies: &StrategyRegistry) -> Result<()> {
    super::block_on(session(args, strategies))
}

async fn session(args: LiveArgs, strategies: &StrategyRegistry) -> Result<()> {
    let s = &args.session;
    let scenario =
        Scenario::load_with(&s.scenario, strategies)?.with_risk_overrides(|name| std::env::var(name).ok())?;
    let name = args.resume.clone().unwrap_or_else(|| s.name(&scenario));
    let options = LiveOptions {
        scenario,
        exchange: s.exchange.clone(),
        config_dir: s.config_dir.clone(),
        session: name.clone(),
        recordings: s.recordings_dir.clone(),
        reports: s.reports_dir.clone(),
        limits: s.limits()?,
        confirmed: args.confirm_live,
        keep_orders: args.keep_orders,
        resume: args.resume.is_some(),
        database_url: std::env::var("DATABASE_URL").ok(),
    };
    let outcome = run_live(options, |name| std::env::var(name).ok(), stop_signal()).await?;
    for difference in &outcome.differences {
        println!("reconcile at start: {difference}");
    }
    if !s.quiet {
        println!("{}", summary_table(&outcome.report.summary, outcome.report.result.portfolio.quote()));
    }
    let endpoints = if outcome.production { "PRODUCTION" } else { "test" };
    println!(
        "live session {name} ({} {endpoints} endpoints): {} messages, stopped by {:?}; kill switch: {} open order(s) canceled",
        s.exchange, outcome.live, outcome.stop, outcome.canceled
    );
    println!("report: {}/ ({})", s.reports_dir.join(&name).display(), REPORT_FILES.join(", "));
    Ok(())
}
