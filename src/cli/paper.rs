//! `ctb paper SCENARIO --exchange binance`: trade a level-2 scenario on live public market data with simulated
//! fills, recording every message and journaling every order and fill; `--resume SESSION` continues a session.

use clap::Args;

use super::session::{SessionArgs, stop_signal};
use crate::Result;
use crate::config::{ExchangesConfig, Scenario};
use crate::report::{REPORT_FILES, summary_table};
use crate::session::{PaperOptions, run_paper};
use crate::strategy::StrategyRegistry;

/// Arguments of `ctb paper`.
#[derive(Args, Debug)]
pub struct PaperArgs {
    #[command(flatten)]
    session: SessionArgs,
    /// Continue the session of this name: replay its recording, then go on live.
    #[arg(long, value_name = "SESSION", conflicts_with = "session")]
    resume: Option<String>,
}

/// Runs the session until Ctrl-C, SIGTERM, the duration or the message limit.
pub fn run(args: PaperArgs, strategies: &StrategyRegistry) -> Result<()> {
    super::block_on(session(args, strategies))
}

async fn session(args: PaperArgs, strategies: &StrategyRegistry) -> Result<()> {
    let s = &args.session;
    let scenario =
        Scenario::load_with(&s.scenario, strategies)?.with_risk_overrides(|name| std::env::var(name).ok())?;
    let venue = ExchangesConfig::venue_in(&s.config_dir, &s.exchange, |name| std::env::var(name).ok())?;
    let (name, resume) = match &args.resume {
        Some(name) => (name.clone(), true),
        None => (s.name(&scenario), false),
    };
    let options = PaperOptions {
        scenario,
        exchange: s.exchange.clone(),
        venue,
        session: name.clone(),
        recordings: s.recordings_dir.clone(),
        reports: s.reports_dir.clone(),
        resume,
        limits: s.limits()?,
        database_url: std::env::var("DATABASE_URL").ok(),
    };
    let outcome = run_paper(options, stop_signal()).await?;
    if !s.quiet {
        println!("{}", summary_table(&outcome.report.summary, outcome.report.result.portfolio.quote()));
    }
    let replayed = if outcome.replayed > 0 { format!(" after {} replayed", outcome.replayed) } else { String::new() };
    println!(
        "session {name}: {} messages live{replayed}, stopped by {:?}, recording {}, journal {}",
        outcome.live,
        outcome.stop,
        outcome.recording.display(),
        outcome.journal
    );
    println!("report: {}/ ({})", s.reports_dir.join(&name).display(), REPORT_FILES.join(", "));
    Ok(())
}
