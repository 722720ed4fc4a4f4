//! The `ctb` command line: one file per command, each thin — parse, call the library, print. In the library so that
//! a user's own binary gets every command with its own strategies: build a [`StrategyRegistry`], register them,
//! and call [`main_with`] from `main`.

mod audit;
mod backtest;
mod data;
mod data_vision;
mod exchange;
mod fetch_args;
mod live;
mod paper;
mod reconcile;
mod report;
mod robust;
mod session;
mod sweep;
mod validate;

use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

use crate::Result;
use crate::strategy::StrategyRegistry;

/// CryptoTradeBot: deterministic backtests of crypto trading strategies, with exact money arithmetic.
#[derive(Parser, Debug)]
#[command(name = "ctb", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario backtest and write its report (summary.json, CSVs, charts).
    Backtest(backtest::BacktestArgs),
    /// Run a scenario's parameter sweep in parallel (or one shard of it, or merge the shards).
    Sweep(sweep::SweepArgs),
    /// How much of a backtest could be luck: Monte Carlo of its trades, bootstrap of its returns, PSR, cost
    /// sensitivity and, with a sweep, DSR and PBO; writes robust.json next to the backtest's report.
    Robust(robust::RobustArgs),
    /// Work with market data files: check them, generate synthetic bars, download history, resample trades.
    #[command(subcommand)]
    Data(data::DataCommand),
    /// Talk to a live venue (testnet by default) through the engine's adapter: ticker, book, balance, orders.
    #[command(subcommand)]
    Exchange(exchange::ExchangeCommand),
    /// Paper-trade a level-2 scenario on live market data: recorded, journaled, resumable.
    Paper(paper::PaperArgs),
    /// Trade a validated level-2 scenario at a venue (testnet by default), journaled, with a kill switch.
    Live(live::LiveArgs),
    /// Rebuild report.html from a backtest's report folder (its scenario.yaml, summary and CSV files, and the
    /// scenario's data for the price charts); `report compare A B [C…]` puts two or more reports side by side.
    Report(report::ReportArgs),
    /// Compare a paper session's journal with the replay of its recording, order by order.
    Reconcile(reconcile::ReconcileArgs),
    /// Check a scenario's backtest (and a paper session's parity) against its validation thresholds.
    Validate(validate::ValidateArgs),
    /// Check a bar strategy for look-ahead and its stated warm-up: reruns on the data cut at seeded points and
    /// started later must decide as the full run does.
    Audit(audit::AuditArgs),
}

/// Writes `text` to stdout (what `--json` prints). A reader that closed the pipe early (`ctb … --json | head`) is
/// not an error: the run's files are written either way.
///
/// # Errors
/// [`crate::Error::Io`] when stdout cannot be written for another reason.
fn print_stdout(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(crate::Error::Io { context: "writing to stdout".into(), source: e })
        }
        _ => Ok(()),
    }
}

/// Runs `future` to completion on a fresh single-threaded runtime (with timers and I/O).
fn block_on<T>(future: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| crate::Error::Io { context: "starting the async runtime".into(), source: e })?
        .block_on(future)
}

impl Cli {
    /// Runs the chosen command, its scenarios' strategies looked up in `strategies`.
    ///
    /// # Errors
    /// Whatever the command fails with.
    pub fn run(self, strategies: &StrategyRegistry) -> Result<()> {
        match self.command {
            Command::Backtest(args) => backtest::run(args, strategies),
            Command::Sweep(args) => sweep::run(args, strategies),
            Command::Robust(args) => robust::run(args, strategies),
            Command::Data(command) => data::run(command),
            Command::Exchange(command) => exchange::run(command),
            Command::Paper(args) => paper::run(args, strategies),
            Command::Live(args) => live::run(args, strategies),
            Command::Reconcile(args) => reconcile::run(args, strategies),
            Command::Report(args) => report::run(args, strategies),
            Command::Validate(args) => validate::run(args, strategies),
            Command::Audit(args) => audit::run(args, strategies),
        }
    }
}

/// The whole `ctb` program on the process's arguments, with `strategies`: reads `.env`, starts logging, runs the
/// command and prints its error on one line. What a user's binary calls from `main`.
pub fn main_with(strategies: StrategyRegistry) -> ExitCode {
    run_args(std::env::args_os(), &strategies)
}

/// [`main_with`] on `args` (the program name first), for callers that build the command line themselves.
pub fn run_args(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    strategies: &StrategyRegistry,
) -> ExitCode {
    load_dotenv();
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(usage) if !usage.use_stderr() => {
            // --help and --version: what was asked for, on stdout.
            let _ = usage.print();
            return ExitCode::SUCCESS;
        }
        Err(usage) => {
            let missing_command = usage.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand;
            let path = command_path(&args);
            let rendered = if missing_command {
                format!("error: a command is needed\nUsage: {path} <COMMAND>")
            } else {
                usage.render().to_string()
            };
            eprintln!("{}", usage_error_line(&rendered, &path));
            return ExitCode::FAILURE;
        }
    };
    init_logging();
    match cli.run(strategies) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", readable_line(&error.to_string()));
            ExitCode::FAILURE
        }
    }
}

/// Words longer than this (a value quoted from a file, say) are cut in an error line.
const LONGEST_WORD: usize = 200;

/// An error line is cut after this many characters, whatever its words.
const LONGEST_LINE: usize = 4_000;

/// An error message as one readable terminal line: its lines joined, control characters escaped (a value quoted
/// from a file cannot move the cursor or ring the bell), and each word longer than [`LONGEST_WORD`] characters cut
/// to its start with how many characters were left out (a 2 MB field stays a line).
fn readable_line(message: &str) -> String {
    let joined = message.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    let mut line = String::with_capacity(joined.len().min(4096));
    for (i, word) in joined.split(' ').enumerate() {
        if i > 0 {
            line.push(' ');
        }
        let length = word.chars().count();
        for c in word.chars().take(LONGEST_WORD) {
            if c.is_control() {
                line.extend(c.escape_default());
            } else {
                line.push(c);
            }
        }
        if length > LONGEST_WORD {
            line.push_str(&format!("… ({} more characters)", length - LONGEST_WORD));
        }
        if line.len() > LONGEST_LINE {
            let cut = (0..=LONGEST_LINE).rev().find(|&i| line.is_char_boundary(i)).unwrap_or(0);
            line.truncate(cut);
            line.push_str("… (cut)");
            break;
        }
    }
    line
}

/// Logs at the level named by `LOG_LEVEL` (the seed's variable; `warn` when unset) go to the file `LOG_FILE` (the
/// seed's variable; appended, its folder created) or to stderr. The audit trail of order decisions is logged at
/// `info` under the target `audit` (`LOG_LEVEL=audit=info` keeps only it). No secret is ever logged. A second
/// call (a program running several commands) keeps the first subscriber.
fn init_logging() {
    let level = std::env::var("LOG_LEVEL").map(|l| l.to_ascii_lowercase()).unwrap_or_else(|_| "warn".into());
    let filter = EnvFilter::try_new(&level).unwrap_or_else(|_| EnvFilter::new("warn"));
    // tungstenite logs every frame's payload at trace level: a private stream's signed subscription (API key and
    // signature) would be among them.
    let filter = ["tungstenite=off", "tokio_tungstenite=off"]
        .iter()
        .filter_map(|directive| directive.parse().ok())
        .fold(filter, EnvFilter::add_directive);
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_target(true);
    let _ = match std::env::var("LOG_FILE").ok().filter(|f| !f.is_empty()).map(|f| open_log_file(&f)) {
        Some(Ok(file)) => logs.with_ansi(false).with_writer(std::sync::Mutex::new(file)).try_init(),
        Some(Err(why)) => {
            eprintln!("warning: {why}; logging to stderr");
            logs.with_writer(std::io::stderr).try_init()
        }
        None => logs.with_writer(std::io::stderr).try_init(),
    };
}

/// The log file at `path`, for appending.
fn open_log_file(path: &str) -> std::result::Result<std::fs::File, String> {
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

/// The (sub)command the arguments name, as far as they name one: `ctb data fetch`.
fn command_path(args: &[OsString]) -> String {
    let mut command = <Cli as clap::CommandFactory>::command();
    let mut path = vec!["ctb".to_string()];
    for word in args.iter().skip(1).map_while(|a| a.to_str()) {
        let Some(sub) = command.find_subcommand(word).cloned() else { break };
        path.push(word.to_string());
        command = sub;
    }
    path.join(" ")
}

/// A command-line mistake as one line, like every other error: clap's first line (what is wrong), then the usage
/// line of the command it concerns (`path`) and where to read more, instead of clap's multi-line block.
fn usage_error_line(rendered: &str, path: &str) -> String {
    // The first line, and what clap lists under it (missing arguments), up to its tips and usage.
    let told: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take_while(|l| !l.starts_with("Usage: ") && !l.starts_with("tip:") && !l.starts_with("For more"))
        .collect();
    let what = match told.split_first() {
        Some((first, [])) => first.to_string(),
        Some((first, listed)) => format!("{first} {}", listed.join(", ")),
        None => "error: the command line is not understood".into(),
    };
    let what = if what.starts_with("error:") { what } else { format!("error: {what}") };
    match rendered.lines().find_map(|l| l.trim().strip_prefix("Usage: ")) {
        Some(usage) => format!("{what} (usage: {usage}; `{path} --help` says more)"),
        None => format!("{what} (`{path} --help` says more)"),
    }
}

/// Says, one line per variable, that the seed's risk-limit variables set in the environment (or `.env`) are left
/// out of a backtest: they apply to paper and live sessions only.
fn warn_unapplied_risk_overrides() {
    for (name, _) in crate::config::set_overrides(|name| std::env::var(name).ok()) {
        eprintln!(
            "warning: {name} is set but not applied: risk limits from the environment apply to paper and live only"
        );
    }
}

/// Reads `.env` (the seed's file of credentials and limits) of the current folder into the environment; variables
/// already set win. Only this folder's: a `.env` in a parent folder is not read.
fn load_dotenv() {
    match dotenvy::from_path(".env") {
        Ok(_) => {}
        Err(error) if error.not_found() => {}
        // Not the error's own text: a malformed line may hold a secret.
        Err(dotenvy::Error::LineParse(_, at)) => eprintln!("warning: .env was not read: malformed at character {at}"),
        Err(_) => eprintln!("warning: .env could not be read"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_line_escapes_control_characters_and_cuts_a_huge_value() {
        let huge = "9".repeat(2_000_000);
        // The word is the quoted value: 2,000,002 characters, of which the first 200 are kept.
        let message = format!("bars.csv: line 2, column 'close': '{huge}' is not a number\nsecond line\u{1b}[2J\u{7}");
        let line = readable_line(&message);
        assert!(line.len() < 400, "{} characters", line.len());
        assert!(line.contains(&format!("'{}… (1999802 more characters)", "9".repeat(199))), "{line}");
        assert!(line.ends_with("is not a number second line\\u{1b}[2J\\u{7}"), "{line}");
        assert!(!line.chars().any(char::is_control));
        let many_words = format!("bars.csv: '{}'", "x ".repeat(200_000));
        assert!(readable_line(&many_words).len() <= LONGEST_LINE + 20, "a line of many short words is cut too");
    }
}
