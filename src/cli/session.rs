//! What `ctb paper` and `ctb live` share: their arguments, the session's name, the limits, and the stop signal.

use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

use crate::Result;
use crate::config::Scenario;
use crate::session::{Limits, MonitoringConfig};

/// Arguments of a session.
#[derive(Args, Debug)]
pub struct SessionArgs {
    /// Scenario file (YAML) with level-2 data (`format: binance_l2`) naming the symbol to trade.
    pub scenario: PathBuf,
    /// Venue whose market data drives the session.
    #[arg(long, default_value = "binance")]
    pub exchange: String,
    /// The session's name [default: the scenario's name and the UTC start time].
    #[arg(long)]
    pub session: Option<String>,
    /// Stop after this many live messages.
    #[arg(long, value_name = "N")]
    pub max_messages: Option<u64>,
    /// Stop after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<u64>,
    /// Folder of session recordings.
    #[arg(long, value_name = "DIR", default_value = "data/recordings")]
    pub recordings_dir: PathBuf,
    /// Folder of reports (each session's report and journal go into `<DIR>/<session>/`).
    #[arg(long, value_name = "DIR", default_value = "reports")]
    pub reports_dir: PathBuf,
    /// Folder holding exchanges.yaml.
    #[arg(long, value_name = "DIR", env = "CTB_CONFIG_DIR", default_value = "config")]
    pub config_dir: PathBuf,
    /// Port of /metrics and /health on 127.0.0.1 [default: config/monitoring.yaml's, else 9184; 0: any free].
    #[arg(long, value_name = "PORT")]
    pub metrics_port: Option<u16>,
    /// No status line and no summary table.
    #[arg(long, short)]
    pub quiet: bool,
}

impl SessionArgs {
    /// The session's name: given, or the scenario's name and the start time.
    pub fn name(&self, scenario: &Scenario) -> String {
        self.session.clone().unwrap_or_else(|| {
            let started = crate::venue::wall_clock::wall_clock_now();
            format!("{}-{}", scenario.name, started.to_string().replace([':', '.'], "-"))
        })
    }

    /// The limits given, with a status line when the terminal shows one, and the metrics port.
    ///
    /// # Errors
    /// A malformed `monitoring.yaml`.
    pub fn limits(&self) -> Result<Limits> {
        let port = match self.metrics_port {
            Some(port) => port,
            None => MonitoringConfig::from_dir(&self.config_dir)?.port,
        };
        Ok(Limits {
            max_messages: self.max_messages,
            duration: self.duration.map(Duration::from_secs),
            status: !self.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()),
            metrics_port: Some(port),
        })
    }
}

/// Completes on Ctrl-C or SIGTERM. Both are caught from the call on (not from the first poll): a signal during a
/// session's start — restoring, reconciling, opening the feed — stops it through the kill switch once its loop
/// runs, instead of killing the process with orders at the venue.
pub fn stop_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let (mut terminate, mut interrupt) = (signal(SignalKind::terminate()).ok(), signal(SignalKind::interrupt()).ok());
    async move {
        tokio::select! {
            () = next_signal(terminate.as_mut()) => {}
            () = next_signal(interrupt.as_mut()) => {}
        }
    }
}

/// The next signal `listener` catches; never, without a listener.
async fn next_signal(listener: Option<&mut tokio::signal::unix::Signal>) {
    match listener {
        Some(listener) => {
            listener.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}
