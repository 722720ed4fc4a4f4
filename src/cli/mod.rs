//! The `ctb` command line: one file per command, each thin — parse, call the library, print.

mod backtest;
mod data;
mod exchange;
mod live;
mod paper;
mod reconcile;
mod session;
mod sweep;
mod validate;

use clap::{Parser, Subcommand};

use cryptotradebot::Result;

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
    /// Work with market data files: check them, or generate synthetic bars.
    #[command(subcommand)]
    Data(data::DataCommand),
    /// Talk to a live venue (testnet by default) through the engine's adapter: ticker, book, balance, orders.
    #[command(subcommand)]
    Exchange(exchange::ExchangeCommand),
    /// Paper-trade a level-2 scenario on live market data: recorded, journaled, resumable.
    Paper(paper::PaperArgs),
    /// Trade a validated level-2 scenario at a venue (testnet by default), journaled, with a kill switch.
    Live(live::LiveArgs),
    /// Compare a paper session's journal with the replay of its recording, order by order.
    Reconcile(reconcile::ReconcileArgs),
    /// Check a scenario's backtest (and a paper session's parity) against its validation thresholds.
    Validate(validate::ValidateArgs),
}

/// Runs `future` to completion on a fresh single-threaded runtime (with timers and I/O).
fn block_on<T>(future: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| cryptotradebot::Error::Io { context: "starting the async runtime".into(), source: e })?
        .block_on(future)
}

impl Cli {
    /// Runs the chosen command.
    pub fn run(self) -> Result<()> {
        match self.command {
            Command::Backtest(args) => backtest::run(args),
            Command::Sweep(args) => sweep::run(args),
            Command::Data(command) => data::run(command),
            Command::Exchange(command) => exchange::run(command),
            Command::Paper(args) => paper::run(args),
            Command::Live(args) => live::run(args),
            Command::Reconcile(args) => reconcile::run(args),
            Command::Validate(args) => validate::run(args),
        }
    }
}
