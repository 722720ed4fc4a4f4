//! `ctb data`: check a market-data file, or generate seeded synthetic bars.

use clap::{Args, Subcommand};
use std::path::PathBuf;

use cryptotradebot::data::{DataFile, DataFormat, RandomWalk, load_bar_series, write_bars};
use cryptotradebot::model::{Symbol, format_duration};
use cryptotradebot::{Error, Result};

/// `ctb data` subcommands.
#[derive(Subcommand, Debug)]
pub enum DataCommand {
    /// Load and validate a data file; print its bars, interval, span and gaps.
    Check(CheckArgs),
    /// Write a seeded geometric random walk of 1-minute bars (for speed checks and experiments).
    Generate(GenerateArgs),
}

/// Arguments of `ctb data check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The file to check.
    file: PathBuf,
    /// Its layout.
    #[arg(long, value_enum, default_value = "csv")]
    format: FormatArg,
}

/// Arguments of `ctb data generate`.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Number of bars.
    #[arg(long, default_value_t = 1_000_000)]
    bars: usize,
    /// RNG seed; the same seed gives the same file.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Symbol name (only used in messages; the file has no symbol column).
    #[arg(long, default_value = "SYNUSDT")]
    symbol: String,
    /// Output layout.
    #[arg(long, value_enum, default_value = "csv")]
    format: FormatArg,
    /// Output file.
    #[arg(long)]
    out: PathBuf,
}

/// Data layouts on the command line.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum FormatArg {
    /// data.binance.vision kline CSV.
    BinanceKlines,
    /// Generic timestamp,open,high,low,close,volume CSV.
    Csv,
    /// Parquet with the generic columns.
    Parquet,
}

impl From<FormatArg> for DataFormat {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::BinanceKlines => DataFormat::BinanceKlines,
            FormatArg::Csv => DataFormat::Csv,
            FormatArg::Parquet => DataFormat::Parquet,
        }
    }
}

/// Runs a `ctb data` subcommand.
pub fn run(command: DataCommand) -> Result<()> {
    match command {
        DataCommand::Check(args) => {
            let symbol = Symbol::new("DATA")?;
            let (series, quality) =
                load_bar_series(symbol, &[DataFile { path: args.file.clone(), format: args.format.into() }])?;
            let (first, last) = (series.open_time[0], series.open_time[series.len() - 1]);
            println!(
                "{}: {} bars of {}, {first} to {last}, {} gap(s), {} missing bar(s)",
                args.file.display(),
                series.len(),
                format_duration(series.interval),
                quality.gaps,
                quality.missing_bars
            );
            for warning in quality.warnings() {
                println!("warning: {warning}");
            }
            Ok(())
        }
        DataCommand::Generate(args) => {
            if args.bars < 2 {
                return Err(Error::Validation("--bars must be at least 2".into()));
            }
            let series = RandomWalk::minute_bars(Symbol::new(&args.symbol)?, args.bars, args.seed).generate();
            write_bars(&series, &args.out, args.format.into())?;
            println!("{}: {} bars, seed {}", args.out.display(), series.len(), args.seed);
            Ok(())
        }
    }
}
