//! The arguments of `ctb data fetch`, shared by the API download (`data.rs`) and the dump download
//! (`data_vision.rs`).

use clap::Args;
use std::path::PathBuf;

use crate::data::parse_timestamp;
use crate::model::Timestamp;
use crate::{Error, Result};

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
    pub(super) config_dir: PathBuf,
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

/// A `--from` / `--to` value.
pub(super) fn time_arg(flag: &str, text: &str) -> Result<Timestamp> {
    parse_timestamp(text).ok_or_else(|| {
        Error::Config(format!("{flag} '{text}': write a date or time such as 2023-01-01 or 2023-01-01T12:00:00Z"))
    })
}
