//! `ctb data`: check a market-data file, generate seeded synthetic bars, download kline history, or resample
//! recorded trades into bars.

use clap::{Args, Subcommand};
use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};
use std::time::Duration;

use crate::config::ExchangesConfig;
use crate::data::{
    DataFile, DataFormat, RandomWalk, TradePrints, load_bar_series, load_binance_capture, parse_interval,
    parse_timestamp, resample_trades, write_bars,
};
use crate::model::{Symbol, Timestamp, format_duration};
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
    /// Turn the trades of a recorded Binance stream (data/binance/l2/*.gz) into OHLCV bars of any interval.
    Resample(ResampleArgs),
}

/// Arguments of `ctb data resample`.
#[derive(Args, Debug)]
pub struct ResampleArgs {
    /// The recorded stream (`<receive ns> <json>` lines, gzip or plain).
    file: PathBuf,
    /// The symbol whose trades to use.
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

/// Arguments of `ctb data fetch`.
#[derive(Args, Debug)]
pub struct FetchArgs {
    /// Where from: `api`, the exchange's klines endpoint, paged; or `binance-vision`, Binance's public monthly and
    /// daily dumps (checksummed, cached for resuming; klines, aggTrades or fundingRate).
    #[arg(long, value_enum, default_value = "api")]
    pub(super) source: SourceArg,
    /// The venue (binance).
    #[arg(long, default_value = "binance")]
    pub(super) exchange: String,
    /// Symbol as the venue writes it, e.g. BTCUSDT.
    #[arg(long)]
    pub(super) symbol: String,
    /// Bar interval: 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w (klines only; binance-vision also 1s, spot).
    #[arg(long, default_value = "1h")]
    pub(super) interval: String,
    /// First bar (ISO date or time, UTC).
    #[arg(long)]
    pub(super) from: String,
    /// End, exclusive (ISO date or time, UTC).
    #[arg(long)]
    pub(super) to: String,
    /// Output file. `api`: a kline CSV, required; an existing one is continued after its last bar.
    /// `binance-vision`: CSV, or Parquet when it ends in .parquet (klines only) [default:
    /// <SYMBOL>-<interval or kind>.csv, with -um for futures]; its downloads are cached in <out>.parts/.
    #[arg(long)]
    pub(super) out: Option<PathBuf>,
    /// binance-vision: spot, or um for USDⓈ-M futures [default: spot].
    #[arg(long, value_enum)]
    pub(super) market: Option<MarketArg>,
    /// binance-vision: klines, aggTrades or fundingRate (um only) [default: klines].
    #[arg(long, value_enum)]
    pub(super) kind: Option<KindArg>,
    /// binance-vision: where the dumps are [default: https://data.binance.vision].
    #[arg(long, value_name = "URL")]
    pub(super) base_url: Option<String>,
    /// Folder with exchanges.yaml (its base_url and rate limits apply; api only) [default: ./config].
    #[arg(long, value_name = "DIR", env = "CTB_CONFIG_DIR", default_value = "config")]
    config_dir: PathBuf,
}

/// `ctb data fetch --source`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceArg {
    /// The exchange's REST klines endpoint.
    Api,
    /// Binance's public data dumps (data.binance.vision).
    BinanceVision,
}

/// `ctb data fetch --market`.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum MarketArg {
    /// Spot.
    Spot,
    /// USDⓈ-M futures.
    Um,
}

/// `ctb data fetch --kind`.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum KindArg {
    /// Klines.
    Klines,
    /// Aggregate trades.
    #[value(name = "aggTrades")]
    AggTrades,
    /// Funding rate settlements.
    #[value(name = "fundingRate")]
    FundingRate,
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
    let trades = TradePrints::from_rows(&load_binance_capture(&args.file, symbol)?);
    let mut bars = resample_trades(&trades, symbol, interval)?;
    if args.drop_edges {
        bars = bars.without_edges();
    }
    write_bars(&bars, &args.out, args.format.into())?;
    let span = match (bars.open_time.first(), bars.open_time.last()) {
        (Some(first), Some(last)) => format!(", {first} to {last}"),
        _ => String::new(),
    };
    println!(
        "{}: {} bars of {} from {} trades{span}",
        args.out.display(),
        bars.len(),
        args.interval,
        trades.time.len()
    );
    Ok(())
}

/// A `--from` / `--to` value.
pub(super) fn time_arg(flag: &str, text: &str) -> Result<Timestamp> {
    parse_timestamp(text).ok_or_else(|| {
        Error::Config(format!("{flag} '{text}': write a date or time such as 2023-01-01 or 2023-01-01T12:00:00Z"))
    })
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
