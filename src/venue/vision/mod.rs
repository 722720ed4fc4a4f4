//! `ctb data fetch --source binance-vision`: bulk history from Binance's public data dumps (data.binance.vision):
//! klines, aggregate trades or funding rates of a spot or USDⓈ-M futures symbol over `[from, to)`, from monthly
//! archives for whole months and daily ones for the partial months at the edges (and for a month whose archive is
//! not published yet). Every archive is checked against its `.CHECKSUM` before it is used and kept in a cache
//! folder beside the output (`<out>.parts/`), so a second run downloads only what the first did not get; the rows
//! are joined in time order, duplicates dropped (the first kept), gaps counted, and written as one CSV (klines in
//! the kline layout the loaders read, or Parquet), which for klines is then validated by the backtest's loader.
//!
//! One job per file: `plan` which archives, `download` fetching and verifying one, `unzip` streaming its CSV a line
//! at a time, `rows` parsing and normalising rows, `merge` ordering, duplicates and gaps, `output` the file written;
//! this file ties them together.

mod download;
mod merge;
mod output;
mod plan;
mod rows;
mod unzip;

use std::fmt;
use std::path::{Path, PathBuf};

use self::download::{Downloader, Fetched};
use self::output::Source;
use crate::error::{Error, Result};
use crate::model::{Symbol, Timestamp};

/// The earliest `--from`: 2017-01-01T00:00:00Z (Binance opened in July 2017). An earlier one would only ask for
/// a monthly and a daily archive per day that cannot exist.
pub const EARLIEST: Timestamp = Timestamp(1_483_228_800_000_000_000);

/// The public base URL of Binance's data dumps.
pub const DEFAULT_BASE_URL: &str = "https://data.binance.vision";

/// Which of Binance's markets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VisionMarket {
    /// Spot (`data/spot/…`).
    Spot,
    /// USDⓈ-M futures (`data/futures/um/…`).
    Um,
}

impl VisionMarket {
    /// The folder below `data/`.
    fn folder(self) -> &'static str {
        match self {
            VisionMarket::Spot => "spot",
            VisionMarket::Um => "futures/um",
        }
    }
}

/// Which data set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VisionKind {
    /// Klines of one interval.
    Klines,
    /// Aggregate trades.
    AggTrades,
    /// Funding rate settlements (USDⓈ-M futures only; published monthly only).
    FundingRate,
}

impl VisionKind {
    /// The name Binance's folders and file names use.
    pub fn name(self) -> &'static str {
        match self {
            VisionKind::Klines => "klines",
            VisionKind::AggTrades => "aggTrades",
            VisionKind::FundingRate => "fundingRate",
        }
    }
}

/// What to download.
#[derive(Clone, Debug)]
pub struct VisionRequest {
    /// Where the dumps are, e.g. [`DEFAULT_BASE_URL`] (no trailing slash needed).
    pub base_url: String,
    /// Spot or futures.
    pub market: VisionMarket,
    /// Klines, aggregate trades or funding rates.
    pub kind: VisionKind,
    /// Upper-case Binance symbol, e.g. `BTCUSDT`.
    pub symbol: Symbol,
    /// Kline interval (1s for spot, 1m … 1w); ignored for the other kinds.
    pub interval: String,
    /// First instant (inclusive).
    pub from: Timestamp,
    /// End (exclusive).
    pub to: Timestamp,
}

/// Something missing from the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gap {
    /// `missing` klines that would open in `[from, until)`.
    Bars {
        /// First missing open time.
        from: Timestamp,
        /// The next bar present, or the end of the range.
        until: Timestamp,
        /// How many.
        missing: u64,
    },
    /// `missing` funding settlements in `[from, until)`.
    Settlements {
        /// When the first missing one was due.
        from: Timestamp,
        /// The next settlement present, or the end of the range.
        until: Timestamp,
        /// How many.
        missing: u64,
    },
    /// Aggregate trade ids `first..=last` missing.
    TradeIds {
        /// First missing id.
        first: i64,
        /// Last missing id.
        last: i64,
    },
}

impl Gap {
    /// How many rows are missing (at most `u64::MAX`).
    pub fn missing(&self) -> u64 {
        match *self {
            Gap::Bars { missing, .. } | Gap::Settlements { missing, .. } => missing,
            Gap::TradeIds { first, last } => last.abs_diff(first).saturating_add(1),
        }
    }
}

impl fmt::Display for Gap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Gap::Bars { from, until, missing } => write!(f, "{missing} bar(s) missing from {from} to {until}"),
            Gap::Settlements { from, until, missing } => {
                write!(f, "{missing} funding settlement(s) missing from {from} to {until}")
            }
            Gap::TradeIds { first, last } => {
                write!(f, "{} aggregate trade(s) missing: ids {first} to {last}", self.missing())
            }
        }
    }
}

/// A month whose monthly archive the server does not have (404), read from its daily archives instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthFromDays {
    /// The monthly archive's URL.
    pub url: String,
    /// Its days in the range whose daily archive was found.
    pub found: usize,
    /// Its days in the range whose daily archive the server does not have either (listed in `missing_archives`).
    pub missing: usize,
}

/// What a download did and found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VisionSummary {
    /// Rows written.
    pub rows: usize,
    /// First and last row's time (open time, settlement time or trade time).
    pub first: Option<Timestamp>,
    /// See `first`.
    pub last: Option<Timestamp>,
    /// Archives read.
    pub archives: usize,
    /// Of them, downloaded now.
    pub downloaded: usize,
    /// Of them, verified in the cache and not downloaded again.
    pub cached: usize,
    /// Months whose monthly archive the server does not have (404), read from their daily archives.
    pub months_from_days: Vec<MonthFromDays>,
    /// Archives the server does not have (404) and nothing replaced: their rows are gaps.
    pub missing_archives: Vec<String>,
    /// Rows written whose time was converted from microseconds to milliseconds or back.
    pub converted: usize,
    /// Duplicates dropped (the first row of each time, or aggregate trade id, kept).
    pub duplicates: usize,
    /// The first 20 of them.
    pub named_duplicates: Vec<String>,
    /// Rows dropped because they came after a later row had been written (more than 50,000 rows out of place).
    pub out_of_order: usize,
    /// The first 20 of them.
    pub named_out_of_order: Vec<String>,
    /// Rows that lay outside their archive's month or day, dropped.
    pub outside_period: usize,
    /// What is missing, in time order.
    pub gaps: Vec<Gap>,
}

/// The cache folder of an output file: `<out>.parts`.
pub fn parts_folder(out: &Path) -> PathBuf {
    with_suffix(out, ".parts")
}

/// `path` with `suffix` appended to its name, byte for byte (a name that is not UTF-8 stays as it is).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Downloads `request` into `out` (Parquet when its name ends in `.parquet`, which only klines can be; CSV
/// otherwise), calling `progress(done, total)` as archives arrive.
///
/// # Errors
/// [`Error::Config`] for a bad request; [`Error::Data`] naming the URL of an archive that failed its checksum
/// (with both hashes), broke off or does not open — after trying every other archive, each verified one kept, so a
/// second run fetches only the failed ones (an archive whose hash matches the published checksum but that does not
/// read is corrupt as published: kept, and reported as such); [`Error::Exchange`] at once for a server or
/// connection failure; [`Error::Data`] when no row falls in the range or the klines fail the loader's validation.
pub async fn fetch_vision(
    request: &VisionRequest,
    out: &Path,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<VisionSummary> {
    let step = check(request, out)?;
    let planned = plan::plan(request)?;
    let downloader = Downloader::new(&request.base_url, &parts_folder(out))?;
    let mut summary = VisionSummary::default();
    let mut archives = Vec::new();
    let mut failures = Vec::new();
    let total = planned.len();
    for (done, item) in planned.into_iter().enumerate() {
        match downloader.fetch(&item.archive).await {
            Ok(Fetched::Missing) if !item.daily_fallback.is_empty() => {
                let (found, missing) = (archives.len(), summary.missing_archives.len());
                for day in item.daily_fallback {
                    let fetched = downloader.fetch(&day).await;
                    record(&downloader, day, fetched, &mut summary, &mut archives, &mut failures)?;
                }
                summary.months_from_days.push(MonthFromDays {
                    url: downloader.url(&item.archive),
                    found: archives.len() - found,
                    missing: summary.missing_archives.len() - missing,
                });
            }
            fetched => record(&downloader, item.archive, fetched, &mut summary, &mut archives, &mut failures)?,
        }
        progress(done + 1, total);
    }
    if !failures.is_empty() {
        return Err(failed(failures));
    }
    summary.archives = archives.len();
    output::write_output(request, step, &archives, out, &mut summary)?;
    Ok(summary)
}

/// Records what became of one archive. An archive that failed its checks ([`Error::Data`]) is noted and the others
/// are still fetched; a failure of the server or the connection ([`Error::Exchange`]: no answer, HTTP 5xx or 403)
/// would fail every archive alike, so it stops the run at once (what was verified stays cached).
fn record(
    downloader: &Downloader,
    archive: plan::Archive,
    fetched: Result<Fetched>,
    summary: &mut VisionSummary,
    archives: &mut Vec<Source>,
    failures: &mut Vec<Error>,
) -> Result<()> {
    match fetched {
        Ok(Fetched::Cached(path)) => {
            summary.cached += 1;
            archives.push(Source { url: downloader.url(&archive), archive, path });
        }
        Ok(Fetched::Downloaded(path)) => {
            summary.downloaded += 1;
            archives.push(Source { url: downloader.url(&archive), archive, path });
        }
        Ok(Fetched::Missing) => summary.missing_archives.push(downloader.url(&archive)),
        Err(Error::Data(message)) => failures.push(Error::Data(message)),
        Err(error) => {
            failures.push(error);
            return Err(failed(std::mem::take(failures)));
        }
    }
    Ok(())
}

/// One error for the archives that failed: a single one as it is, several listed.
fn failed(mut failures: Vec<Error>) -> Error {
    if failures.len() == 1 {
        return failures.remove(0);
    }
    let all: Vec<String> = failures.iter().map(ToString::to_string).collect();
    Error::Data(format!(
        "{} archives failed (the verified ones are kept in the cache; run again to fetch the rest): {}",
        all.len(),
        all.join("; ")
    ))
}

/// Checks the request; the kline interval in ms (0 for the other kinds).
fn check(request: &VisionRequest, out: &Path) -> Result<i64> {
    if request.to <= request.from {
        return Err(Error::Config("--to must be after --from".into()));
    }
    if request.from < EARLIEST {
        return Err(Error::Config(format!(
            "--from {}: data.binance.vision holds nothing before 2017 (Binance opened in July 2017); give --from \
             2017-01-01 or later",
            request.from
        )));
    }
    let symbol = request.symbol.as_str();
    if !symbol.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
        return Err(Error::Config(format!(
            "--symbol {symbol}: data.binance.vision names symbols in upper-case letters and digits, e.g. BTCUSDT"
        )));
    }
    if request.kind == VisionKind::FundingRate && request.market != VisionMarket::Um {
        return Err(Error::Config("--kind fundingRate: funding rates are published for --market um only".into()));
    }
    if is_parquet(out) && request.kind != VisionKind::Klines {
        return Err(Error::Config(format!(
            "--out {}: Parquet holds bars; write {} to a .csv file",
            out.display(),
            request.kind.name()
        )));
    }
    match request.kind {
        VisionKind::Klines => interval_ms(request.market, &request.interval),
        _ => Ok(0),
    }
}

/// A kline interval of data.binance.vision in ms: those of the REST API, and `1s` for spot (the futures dumps have
/// none). `1mo` is refused: a calendar month is no fixed interval, which the gaps counted here and the loaders' bar
/// grid need.
fn interval_ms(market: VisionMarket, interval: &str) -> Result<i64> {
    match interval {
        "1s" if market == VisionMarket::Spot => Ok(1000),
        "1s" => Err(Error::Config("--interval 1s: Binance publishes 1-second klines for spot only".into())),
        "1mo" | "1M" => Err(Error::Config(format!(
            "--interval {interval}: monthly klines are not fetched (a calendar month is no fixed interval, which the \
             gap count and the backtest's bar grid need); fetch 1d"
        ))),
        other => super::kline_history::interval_ms(other).map_err(|_| {
            Error::Config(format!(
                "--interval '{other}': use one of 1s (spot) 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w"
            ))
        }),
    }
}

fn is_parquet(out: &Path) -> bool {
    out.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::parse_timestamp;

    fn request(market: VisionMarket, interval: &str, from: &str) -> VisionRequest {
        VisionRequest {
            base_url: DEFAULT_BASE_URL.into(),
            market,
            kind: VisionKind::Klines,
            symbol: Symbol::new("BTCUSDT").unwrap(),
            interval: interval.into(),
            from: parse_timestamp(from).unwrap(),
            to: parse_timestamp("2024-01-01").unwrap(),
        }
    }

    fn checked(market: VisionMarket, interval: &str) -> Result<i64> {
        check(&request(market, interval, "2023-01-01"), Path::new("k.csv"))
    }

    #[test]
    fn one_second_klines_are_spot_only_and_monthly_ones_are_refused() {
        assert_eq!(checked(VisionMarket::Spot, "1s").unwrap(), 1000);
        assert_eq!(checked(VisionMarket::Um, "1h").unwrap(), 3_600_000);
        let err = checked(VisionMarket::Um, "1s").unwrap_err().to_string();
        assert!(err.ends_with("--interval 1s: Binance publishes 1-second klines for spot only"), "{err}");
        let err = checked(VisionMarket::Spot, "1mo").unwrap_err().to_string();
        assert!(err.contains("--interval 1mo: monthly klines are not fetched"), "{err}");
        let err = checked(VisionMarket::Spot, "2s").unwrap_err().to_string();
        assert!(err.ends_with("--interval '2s': use one of 1s (spot) 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w"));
    }

    #[test]
    fn nothing_before_2017_is_asked_for() {
        let err = check(&request(VisionMarket::Spot, "1h", "2016-12-31T23:59:59Z"), Path::new("k.csv"));
        assert!(err.unwrap_err().to_string().contains("holds nothing before 2017"));
        assert!(check(&request(VisionMarket::Spot, "1h", "2017-01-01"), Path::new("k.csv")).is_ok());
        assert_eq!(Some(EARLIEST), parse_timestamp("2017-01-01"));
    }
}
