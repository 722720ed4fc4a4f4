//! `ctb data fetch`: public kline history from Binance's `/api/v3/klines`, paged by the endpoint's 1,000-row limit,
//! appended page by page to a data.binance.vision kline CSV (with its header row), resumed from the last bar the
//! file holds, and validated by the same loader backtests use.

use serde_json::Value;
use std::io::Write as _;
use std::path::Path;

use super::rest::RestClient;
use crate::data::{DataFile, DataFormat, SeriesQuality, load_bar_series};
use crate::error::{Error, Result};
use crate::model::{Symbol, Timestamp};

/// Rows per request: the endpoint's maximum.
const PAGE: usize = 1000;

/// The header row of the kline CSV.
const HEADER: &str =
    "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore";

/// What to download.
#[derive(Clone, Debug)]
pub struct KlineRequest {
    /// Binance symbol, e.g. `BTCUSDT`.
    pub symbol: Symbol,
    /// Binance interval: 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w.
    pub interval: String,
    /// First bar open (inclusive).
    pub from: Timestamp,
    /// End (exclusive): bars that open before it.
    pub to: Timestamp,
}

/// What a download did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchSummary {
    /// Bars the file held before (a resumed download).
    pub already_had: usize,
    /// Bars written now.
    pub written: usize,
    /// Requests made.
    pub pages: usize,
    /// Grid quality of the whole file.
    pub quality: SeriesQuality,
}

/// Milliseconds of a Binance interval, for paging.
///
/// # Errors
/// [`Error::Config`] listing the intervals for anything else (months are not fixed-length).
pub fn interval_ms(interval: &str) -> Result<i64> {
    let minute = 60_000;
    let ms = match interval {
        "1m" => minute,
        "3m" => 3 * minute,
        "5m" => 5 * minute,
        "15m" => 15 * minute,
        "30m" => 30 * minute,
        "1h" => 60 * minute,
        "2h" => 120 * minute,
        "4h" => 240 * minute,
        "6h" => 360 * minute,
        "8h" => 480 * minute,
        "12h" => 720 * minute,
        "1d" => 1440 * minute,
        "3d" => 3 * 1440 * minute,
        "1w" => 7 * 1440 * minute,
        other => {
            return Err(Error::Config(format!(
                "--interval '{other}': use one of 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w"
            )));
        }
    };
    Ok(ms)
}

/// Downloads `request` into the kline CSV at `out`, continuing after the last bar it already holds, calling
/// `progress(fraction done)` after each page; then validates the whole file.
///
/// # Errors
/// The venue's errors (an interrupted download keeps every page written so far, so running it again resumes);
/// [`Error::Data`] when the venue answers rows that are not klines or the file fails validation.
pub async fn fetch_binance_klines(
    rest: &RestClient,
    request: &KlineRequest,
    out: &Path,
    progress: &(dyn Fn(f64) + Sync),
) -> Result<FetchSummary> {
    let step = interval_ms(&request.interval)?;
    let (from_ms, to_ms) = (request.from.0 / 1_000_000, request.to.0 / 1_000_000);
    if to_ms <= from_ms {
        return Err(Error::Config("--to must be after --from".into()));
    }
    let (already_had, last) = existing_bars(out)?;
    let mut start = last.map_or(from_ms, |open| open + step).max(from_ms);
    let mut file =
        std::fs::OpenOptions::new().create(true).append(true).open(out).map_err(|e| Error::io("opening", out, e))?;
    if already_had == 0 && last.is_none() && file.metadata().map(|m| m.len() == 0).unwrap_or(true) {
        writeln!(file, "{HEADER}").map_err(|e| Error::io("writing", out, e))?;
    }
    let (mut written, mut pages) = (0, 0);
    while start < to_ms {
        let path = format!(
            "/api/v3/klines?symbol={}&interval={}&startTime={start}&endTime={}&limit={PAGE}",
            request.symbol,
            request.interval,
            to_ms - 1
        );
        let body = rest.send(reqwest::Method::GET, &path, &[], None).await?;
        let rows: Vec<Vec<Value>> = rest.parse("/api/v3/klines", &body)?;
        pages += 1;
        let mut page = String::new();
        let mut last_open = None;
        for row in &rows {
            let (line, open) = kline_line(row).ok_or_else(|| {
                Error::Data(format!("binance /api/v3/klines: a row is not a kline: {}", Value::Array(row.clone())))
            })?;
            if open < start || open >= to_ms {
                continue;
            }
            page.push_str(&line);
            page.push('\n');
            last_open = Some(open);
            written += 1;
        }
        file.write_all(page.as_bytes()).and_then(|()| file.flush()).map_err(|e| Error::io("writing", out, e))?;
        match last_open {
            Some(open) => start = open + step,
            None => break,
        }
        progress(((start - from_ms) as f64 / (to_ms - from_ms) as f64).min(1.0));
        if rows.len() < PAGE {
            break;
        }
    }
    drop(file);
    let (_, quality) =
        load_bar_series(request.symbol, &[DataFile { path: out.to_path_buf(), format: DataFormat::BinanceKlines }])?;
    Ok(FetchSummary { already_had, written, pages, quality })
}

/// The bars a kline CSV already holds and the open time (ms) of its last one; `(0, None)` when the file does not
/// exist or holds only the header.
fn existing_bars(out: &Path) -> Result<(usize, Option<i64>)> {
    let text = match std::fs::read_to_string(out) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((0, None)),
        Err(e) => return Err(Error::io("reading", out, e)),
    };
    let rows: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with("open_time")).collect();
    let last = rows.last().map(|line| {
        line.split(',').next().and_then(|t| t.trim().parse::<i64>().ok()).ok_or_else(|| {
            Error::Data(format!(
                "{}: line {}: column 'open_time': not a number, cannot resume",
                out.display(),
                text.lines().count()
            ))
        })
    });
    Ok((rows.len(), last.transpose()?))
}

/// A kline row of the endpoint as a CSV line in the data.binance.vision layout, with its open time (ms).
fn kline_line(row: &[Value]) -> Option<(String, i64)> {
    if row.len() < 12 {
        return None;
    }
    let open = row[0].as_i64()?;
    let cells: Vec<String> = row[..12]
        .iter()
        .map(|cell| match cell {
            Value::String(text) => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        })
        .collect::<Option<_>>()?;
    Some((cells.join(","), open))
}
