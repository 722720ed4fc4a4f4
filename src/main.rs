//! `ctb`: the CryptoTradeBot command line.

mod cli;

use clap::Parser;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

/// Logs go to stderr at the level named by `LOG_LEVEL` (the seed's variable; `warn` when unset).
fn init_logging() {
    let level = std::env::var("LOG_LEVEL").map(|l| l.to_ascii_lowercase()).unwrap_or_else(|_| "warn".into());
    let filter = EnvFilter::try_new(&level).unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).init();
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
