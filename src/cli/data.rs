//! `ctb data`: check a market-data file, generate seeded synthetic bars, download kline history, or resample
//! recorded trades or bars into bars.

use clap::{Args, Subcommand};

use super::fetch_args::{FetchArgs, SourceArg, time_arg};
use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};
use std::time::Duration;

use crate::config::ExchangesConfig;
use crate::data::{
    DataFile, DataFormat, RandomWalk, TradePrints, load_bar_series, load_binance_capture, parse_interval,
    resample_bars, resample_trades, write_bars,
};
use crate::model::{Symbol, format_duration};
use crate::venue::RateLimits;
use crate::venue::binance;
use crate::venue::kline_history::{KlineRequest, fetch_binance_klines};
use crate::venue::rest::RestClient;
use crate::{Error, Result};

/// `ctb data` subcommands.
#[derive(Subcommand, Debug)]
pub enum DataCommand {
    /// Load and validate a data file; print its bars, interval, span and gaps.
    Check(CheckArgs),
    /// Write a seeded geometric random walk of 1-minute bars (for speed checks and experiments).
    Generate(GenerateArgs),
    /// Download public history into a file backtests read: klines from the exchange's API, or klines, aggregate
    /// trades or funding rates from Binance's public dumps (--source binance-vision); resumes an interrupted
    /// download; no API key needed.
    Fetch(FetchArgs),
    /// Turn the trades of a recorded Binance stream (data/binance/l2/*.gz), or a bar file, into OHLCV bars of any
    /// (coarser) interval.
    Resample(ResampleArgs),
}

/// Arguments of `ctb data resample`.
#[derive(Args, Debug)]
pub struct ResampleArgs {
    /// The recorded stream (`<receive ns> <json>` lines, gzip or plain), or a bar file (see --bars).
    file: PathBuf,
    /// The file holds bars in this layout (resampled into the coarser --interval), not a recorded stream.
    #[arg(long, value_enum)]
    bars: Option<FormatArg>,
    /// The symbol whose trades to use (for bars: the name in messages).
    #[arg(long)]
    symbol: String,
    /// Bar interval: a whole number and ms, s, m, h, d or w (5s, 15m, 1h).
    #[arg(long)]
    interval: String,
    /// Drop the first and the last bar, which the start and end of a recording cut short.
    #[arg(long)]
    drop_edges: bool,
    /// Output layout (csv or parquet).
    #[arg(long, value_enum, default_value = "csv")]
    format: FormatArg,
    /// Output file.
    #[arg(long)]
    out: PathBuf,
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
    /// data.binance.vision kline CSV (`binance_klines`, as a scenario writes it, is accepted too).
    #[value(alias = "binance_klines")]
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
        DataCommand::Fetch(args) if args.source == SourceArg::BinanceVision => super::data_vision::fetch(args),
        DataCommand::Fetch(args) => fetch(args),
        DataCommand::Resample(args) => resample(args),
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

fn resample(args: ResampleArgs) -> Result<()> {
    let symbol = Symbol::new(&args.symbol)?;
    let interval = parse_interval(&args.interval)?;
    let (mut bars, source) = match args.bars {
        None => {
            let trades = TradePrints::from_rows(&load_binance_capture(&args.file, symbol)?);
            (resample_trades(&trades, symbol, interval)?, format!("{} trades", trades.time.len()))
        }
        Some(layout) => {
            let file = DataFile { path: args.file.clone(), format: layout.into() };
            let (series, _) = load_bar_series(symbol, &[file])?;
            let bars =
                resample_bars(&series, interval).map_err(|e| Error::Data(format!("{}: {e}", args.file.display())))?;
            (bars, format!("{} bars of {}", series.len(), format_duration(series.interval)))
        }
    };
    if args.drop_edges {
        bars = bars.without_edges();
    }
    write_bars(&bars, &args.out, args.format.into())?;
    let span = match (bars.open_time.first(), bars.open_time.last()) {
        (Some(first), Some(last)) => format!(", {first} to {last}"),
        _ => String::new(),
    };
    println!("{}: {} bars of {} from {source}{span}", args.out.display(), bars.len(), args.interval);
    Ok(())
}

fn fetch(args: FetchArgs) -> Result<()> {
    if args.exchange != "binance" {
        return Err(Error::Config(format!("--exchange {}: history download supports binance", args.exchange)));
    }
    let vision_only =
        [("--market", args.market.is_some()), ("--kind", args.kind.is_some()), ("--base-url", args.base_url.is_some())];
    if let Some((flag, _)) = vision_only.iter().find(|(_, given)| *given) {
        return Err(Error::Config(format!("{flag} applies to --source binance-vision")));
    }
    let out = args.out.clone().ok_or_else(|| Error::Config("--out FILE is required with --source api".into()))?;
    let config_file = args.config_dir.join("exchanges.yaml");
    let venue = if config_file.exists() {
        ExchangesConfig::from_file(&config_file)?.venues.get("binance").cloned()
    } else {
        None
    };
    // Public history is the production venue's, testnet or not.
    let base_url = venue.as_ref().and_then(|v| v.base_url.clone()).unwrap_or_else(|| binance::REST_URL.to_string());
    let per_second = Some(venue.map_or(RateLimits::default(), |v| v.rate_limits).per_second(20));
    let rest = RestClient::new("binance", &base_url, Duration::from_secs(30), per_second)?;
    let request = KlineRequest {
        symbol: Symbol::new(&args.symbol)?,
        interval: args.interval.clone(),
        from: time_arg("--from", &args.from)?,
        to: time_arg("--to", &args.to)?,
    };
    let bar = ProgressBar::new(1000);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {percent}%  ETA {eta}") {
        bar.set_style(style);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Io { context: "starting the async runtime".into(), source: e })?;
    let summary = runtime.block_on(fetch_binance_klines(&rest, &request, &out, &|done| {
        bar.set_position((done * 1000.0) as u64);
    }));
    bar.finish_and_clear();
    let summary = summary?;
    println!(
        "{}: {} bars written in {} request(s){}, {} gap(s)",
        out.display(),
        summary.written,
        summary.pages,
        if summary.already_had > 0 {
            format!(" after the {} it already held", summary.already_had)
        } else {
            String::new()
        },
        summary.quality.gaps
    );
    Ok(())
}
