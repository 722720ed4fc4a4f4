//! `ctb`: the CryptoTradeBot command line.

mod cli;

use clap::Parser;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

/// Logs at the level named by `LOG_LEVEL` (the seed's variable; `warn` when unset) go to the file `LOG_FILE` (the
/// seed's variable; appended, its folder created) or to stderr. The audit trail of order decisions is logged at
/// `info` under the target `audit` (`LOG_LEVEL=audit=info` keeps only it). No secret is ever logged.
fn init_logging() {
    let level = std::env::var("LOG_LEVEL").map(|l| l.to_ascii_lowercase()).unwrap_or_else(|_| "warn".into());
    let filter = EnvFilter::try_new(&level).unwrap_or_else(|_| EnvFilter::new("warn"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_target(true);
    match std::env::var("LOG_FILE").ok().filter(|f| !f.is_empty()).map(|f| open_log_file(&f)) {
        Some(Ok(file)) => logs.with_ansi(false).with_writer(std::sync::Mutex::new(file)).init(),
        Some(Err(why)) => {
            eprintln!("warning: {why}; logging to stderr");
            logs.with_writer(std::io::stderr).init();
        }
        None => logs.with_writer(std::io::stderr).init(),
    }
}

/// The log file at `path`, for appending.
fn open_log_file(path: &str) -> Result<std::fs::File, String> {
    let path = std::path::Path::new(path);
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).map_err(|e| format!("LOG_FILE {}: {e}", path.display()))?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("LOG_FILE {}: {e}", path.display()))
}

/// Reads `.env` (the seed's file of credentials and limits) into the environment; variables already set win.
fn load_dotenv() {
    match dotenvy::dotenv() {
        Ok(_) => {}
        Err(error) if error.not_found() => {}
        // Not the error's own text: a malformed line may hold a secret.
        Err(dotenvy::Error::LineParse(_, at)) => eprintln!("warning: .env was not read: malformed at character {at}"),
        Err(_) => eprintln!("warning: .env could not be read"),
    }
}

fn main() -> ExitCode {
    load_dotenv();
    let cli = cli::Cli::parse();
    init_logging();
    match cli.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let line = error.to_string().lines().map(str::trim).collect::<Vec<_>>().join(" ");
            eprintln!("error: {line}");
            ExitCode::FAILURE
        }
    }
}
