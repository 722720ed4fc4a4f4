//! `ctb paper SCENARIO --exchange binance`: trade a level-2 scenario on live public market data with simulated
//! fills, recording every message and journaling every order and fill; `--resume SESSION` continues a session.

use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

use cryptotradebot::config::{ExchangesConfig, Scenario};
use cryptotradebot::report::{REPORT_FILES, summary_table};
use cryptotradebot::session::{Limits, PaperOptions, run_paper};
use cryptotradebot::{Error, Result};

/// Arguments of `ctb paper`.
#[derive(Args, Debug)]
pub struct PaperArgs {
    /// Scenario file (YAML) with level-2 data (`format: binance_l2`) naming the symbol to trade.
    scenario: PathBuf,
    /// Venue whose public market data drives the session.
    #[arg(long, default_value = "binance")]
    exchange: String,
    /// The session's name [default: the scenario's name and the UTC start time].
    #[arg(long, conflicts_with = "resume")]
    session: Option<String>,
    /// Continue the session of this name: replay its recording, then go on live.
    #[arg(long, value_name = "SESSION")]
    resume: Option<String>,
    /// Stop after this many live messages.
    #[arg(long, value_name = "N")]
    max_messages: Option<u64>,
    /// Stop after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    duration: Option<u64>,
    /// Folder of session recordings.
    #[arg(long, value_name = "DIR", default_value = "data/recordings")]
    recordings_dir: PathBuf,
    /// Folder of reports (each session's report and journal go into `<DIR>/<session>/`).
    #[arg(long, value_name = "DIR", default_value = "reports")]
    reports_dir: PathBuf,
    /// Folder holding exchanges.yaml.
    #[arg(long, value_name = "DIR", env = "CTB_CONFIG_DIR", default_value = "config")]
    config_dir: PathBuf,
    /// No status line and no summary table.
    #[arg(long, short)]
    quiet: bool,
}

/// Runs the session until Ctrl-C, SIGTERM, the duration or the message limit.
pub fn run(args: PaperArgs) -> Result<()> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Io { context: "starting the async runtime".into(), source: e })?
        .block_on(session(args))
}

async fn session(args: PaperArgs) -> Result<()> {
    if args.exchange != "binance" {
        return Err(Error::Config(format!(
            "ctb paper: level-2 market data is recorded from binance only for now, not '{}'",
            args.exchange
        )));
    }
    let scenario = Scenario::load(&args.scenario)?;
    let venue = ExchangesConfig::venue_in(&args.config_dir, &args.exchange, |name| std::env::var(name).ok())?;
    let (name, resume) = match (&args.resume, &args.session) {
        (Some(name), _) => (name.clone(), true),
        (None, Some(name)) => (name.clone(), false),
        (None, None) => {
            let started = cryptotradebot::exchange::rest::wall_clock_now();
            (format!("{}-{}", scenario.name, started.to_string().replace([':', '.'], "-")), false)
        }
    };
    let options = PaperOptions {
        scenario,
        venue,
        session: name.clone(),
        recordings: args.recordings_dir,
        reports: args.reports_dir,
        resume,
        limits: Limits {
            max_messages: args.max_messages,
            duration: args.duration.map(Duration::from_secs),
            status: !args.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()),
        },
    };
    let outcome = run_paper(options, stop_signal()).await?;
    let summary = &outcome.report.summary;
    if !args.quiet {
        println!("{}", summary_table(summary, outcome.report.result.portfolio.quote()));
    }
    println!(
        "session {name}: {} messages live{}, recording {}, journal {}",
        outcome.live,
        if outcome.replayed > 0 { format!(" after {} replayed", outcome.replayed) } else { String::new() },
        outcome.recording.display(),
        outcome.journal.display()
    );
    println!(
        "report: {}/ ({})",
        outcome.journal.parent().unwrap_or(&outcome.recording).display(),
        REPORT_FILES.join(", ")
    );
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
async fn stop_signal() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let sigterm = async {
        match terminate.as_mut() {
            Some(signal) => {
                signal.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = sigterm => {}
    }
}
