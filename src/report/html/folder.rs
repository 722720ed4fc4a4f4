//! Reads [`HtmlData`] back from a report folder: `summary.json`, `scenario.yaml`, `equity.csv`, `trades.csv`,
//! `fills.csv`, `orders.csv`, `risk_events.csv` and, when there is one, `equity_bar_paths.csv`, as a backtest wrote
//! them; and the part every reader needs, the summary and the equity curve (`ctb report compare` reads only that).
//! Errors name the file, and for CSV rows the line and column.

use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use super::data::{FillRef, HtmlData, RiskMark, TradeRow, with_exit_order};
use super::series::Point;
use crate::error::{Error, Result};
use crate::model::exact::to_f64;
use crate::model::{Side, Symbol, Timestamp};
use crate::report::BAR_PATHS_FILE;
use crate::report::robustness::{ROBUST_FILE, RobustReport, TextTable, robust_tables};

/// A CSV file of the folder, its header, and where the current row is.
struct Rows {
    path: std::path::PathBuf,
    headers: csv::StringRecord,
    records: Vec<csv::StringRecord>,
}

impl Rows {
    fn read(dir: &Path, name: &str) -> Result<Rows> {
        let path = dir.join(name);
        let bytes = std::fs::read(&path).map_err(|e| Error::io("reading", &path, e))?;
        let mut reader = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
        let at = |e: csv::Error| Error::Data(format!("{}: {e}", path.display()));
        let headers = reader.headers().map_err(at)?.clone();
        let records = reader.records().collect::<std::result::Result<Vec<_>, _>>().map_err(at)?;
        Ok(Rows { path, headers, records })
    }

    /// The text of `column` in row `i`.
    fn text(&self, i: usize, column: &str) -> Result<&str> {
        let index = self.headers.iter().position(|h| h == column).ok_or_else(|| {
            Error::Data(format!("{}: there is no column '{column}' in the header", self.path.display()))
        })?;
        self.records[i].get(index).ok_or_else(|| self.error(i, column, "the row has no such field"))
    }

    /// The value of `column` in row `i`, parsed by `parse`.
    fn parse<T>(&self, i: usize, column: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T> {
        let text = self.text(i, column)?;
        parse(text).ok_or_else(|| self.error(i, column, &format!("'{text}' does not read")))
    }

    fn error(&self, i: usize, column: &str, why: &str) -> Error {
        let line = self.records[i].position().map_or(0, |p| p.line());
        Error::data_at(&self.path, &format!("line {line}"), column, why)
    }
}

fn time(text: &str) -> Option<Timestamp> {
    chrono::DateTime::parse_from_rfc3339(text).ok()?.timestamp_nanos_opt().map(Timestamp)
}

fn decimal(text: &str) -> Option<Decimal> {
    Decimal::from_str(text).ok()
}

fn optional_decimal(text: &str) -> Option<Option<Decimal>> {
    if text.is_empty() { Some(None) } else { decimal(text).map(Some) }
}

fn symbol(text: &str) -> Option<Symbol> {
    Symbol::new(text).ok()
}

/// What every report folder holds, whatever reads it: `summary.json` as a value, the run's start and starting
/// equity from it, and the equity at every mark of `equity.csv`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RunCurve {
    /// `summary.json` as a value.
    pub summary: serde_json::Value,
    /// `period.start` of the summary: the open of the first bar.
    pub start: Timestamp,
    /// `metrics.starting_equity` of the summary: the equity before the first mark.
    pub starting_equity: f64,
    /// The `equity` column of `equity.csv` at each mark's `time`.
    pub equity: Vec<Point>,
}

/// The summary and the equity curve of the report in `dir`.
///
/// # Errors
/// [`Error::Io`] when `summary.json` or `equity.csv` is missing or unreadable; [`Error::Data`] naming the file (and
/// for `equity.csv` the line and column) when one does not read as a backtest writes it.
pub(crate) fn read_run_curve(dir: &Path) -> Result<RunCurve> {
    let summary_path = dir.join("summary.json");
    let text = std::fs::read_to_string(&summary_path).map_err(|e| Error::io("reading", &summary_path, e))?;
    let summary: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| Error::Data(format!("{}: {e}", summary_path.display())))?;
    let field = |pointer: &str| {
        summary.pointer(pointer).and_then(|v| v.as_str()).ok_or_else(|| {
            Error::Data(format!(
                "{}: {} is missing or not text",
                summary_path.display(),
                &pointer[1..].replace('/', ".")
            ))
        })
    };
    let start = field("/period/start")?;
    let start = time(start)
        .ok_or_else(|| Error::Data(format!("{}: period.start '{start}' is not RFC 3339", summary_path.display())))?;
    let starting = field("/metrics/starting_equity")?;
    let starting_equity = decimal(starting).map(to_f64).ok_or_else(|| {
        Error::Data(format!("{}: metrics.starting_equity '{starting}' is not a decimal", summary_path.display()))
    })?;

    let rows = Rows::read(dir, "equity.csv")?;
    let equity = (0..rows.records.len())
        .map(|i| Ok((rows.parse(i, "time", time)?, to_f64(rows.parse(i, "equity", decimal)?))))
        .collect::<Result<Vec<_>>>()?;
    Ok(RunCurve { summary, start, starting_equity, equity })
}

/// The page's data of the report in `dir`, money in `quote`.
///
/// # Errors
/// [`Error::Io`] when a file is missing or unreadable; [`Error::Data`] naming the file (and line and column) when
/// one does not read as a backtest writes it.
pub fn read_report_folder(dir: &Path, quote: &str) -> Result<HtmlData> {
    let read_text = |name: &str| {
        let path = dir.join(name);
        std::fs::read_to_string(&path).map_err(|e| Error::io("reading", &path, e))
    };
    let RunCurve { summary, start, starting_equity, equity } = read_run_curve(dir)?;

    let rows = Rows::read(dir, "orders.csv")?;
    let mut order_types = BTreeMap::new();
    for i in 0..rows.records.len() {
        order_types.insert(rows.text(i, "order_id")?.to_string(), rows.text(i, "type")?.to_string());
    }
    let rows = Rows::read(dir, "fills.csv")?;
    let fills = (0..rows.records.len())
        .map(|i| {
            Ok(FillRef {
                time: rows.parse(i, "time", time)?,
                symbol: rows.parse(i, "symbol", symbol)?,
                side: rows.parse(i, "side", |s| match s {
                    "BUY" => Some(Side::Buy),
                    "SELL" => Some(Side::Sell),
                    _ => None,
                })?,
                order_type: order_types.get(rows.text(i, "order_id")?).cloned().unwrap_or_default(),
            })
        })
        .collect::<Result<Vec<_>>>()?;

    let rows = Rows::read(dir, "trades.csv")?;
    let trades = (0..rows.records.len())
        .map(|i| {
            let row = TradeRow {
                symbol: rows.parse(i, "symbol", symbol)?,
                long: rows.parse(i, "direction", |s| match s {
                    "long" => Some(true),
                    "short" => Some(false),
                    _ => None,
                })?,
                entry_time: rows.parse(i, "entry_time", time)?,
                exit_time: rows.parse(i, "exit_time", time)?,
                quantity: rows.parse(i, "quantity", decimal)?,
                entry_price: rows.parse(i, "entry_price", decimal)?,
                exit_price: rows.parse(i, "exit_price", decimal)?,
                net_pnl: rows.parse(i, "net_pnl", decimal)?,
                fees: rows.parse(i, "fees", decimal)?,
                return_pct: rows.parse(i, "return_pct", optional_decimal)?,
                exit_order: String::new(),
            };
            Ok(with_exit_order(row, &fills))
        })
        .collect::<Result<Vec<_>>>()?;

    let rows = Rows::read(dir, "risk_events.csv")?;
    let risk_events = (0..rows.records.len())
        .map(|i| {
            Ok(RiskMark {
                time: rows.parse(i, "time", time)?,
                rule: rows.text(i, "rule")?.to_string(),
                action: rows.text(i, "action")?.to_string(),
                reason: rows.text(i, "reason")?.to_string(),
            })
        })
        .collect::<Result<Vec<_>>>()?;

    let band = if dir.join(BAR_PATHS_FILE).is_file() {
        let rows = Rows::read(dir, BAR_PATHS_FILE)?;
        let value = |i, column| rows.parse(i, column, decimal).map(to_f64);
        (0..rows.records.len())
            .map(|i| Ok((rows.parse(i, "time", time)?, value(i, "adverse")?, value(i, "optimistic")?)))
            .collect::<Result<Vec<_>>>()?
    } else {
        Vec::new()
    };

    let robustness = read_robustness(dir, &summary, quote)?;
    Ok(HtmlData {
        summary,
        scenario_text: read_text("scenario.yaml")?,
        quote: quote.to_string(),
        start,
        starting_equity,
        equity,
        trades,
        risk_events,
        band,
        robustness,
    })
}

/// The robustness tables of `robust.json` in `dir`, when `ctb robust` measured the run whose `summary` this is
/// (same content hash); none without the file. The section is optional, so a file of another run (a later backtest
/// of other inputs wrote the folder again), of an older `ctb` (no content hash) or that does not read is left out
/// with a warning instead of failing the page.
///
/// # Errors
/// [`Error::Io`] when the file exists but cannot be read.
pub(crate) fn read_robustness(dir: &Path, summary: &serde_json::Value, quote: &str) -> Result<Vec<TextTable>> {
    let path = dir.join(ROBUST_FILE);
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io("reading", &path, e))?;
    let run = summary.pointer("/content_hash").and_then(|v| v.as_str());
    let value: Option<serde_json::Value> = serde_json::from_str(&text).ok();
    let measured = value.as_ref().and_then(|v| v.pointer("/content_hash")).and_then(|v| v.as_str());
    if measured.is_none() || measured != run {
        tracing::warn!(
            "{}: not a robustness report of this run (content hash); report.html leaves it out",
            path.display()
        );
        return Ok(Vec::new());
    }
    match value.map(serde_json::from_value::<RobustReport>) {
        Some(Ok(report)) => Ok(robust_tables(&report, quote)),
        _ => {
            tracing::warn!("{}: does not read as a robustness report; report.html leaves it out", path.display());
            Ok(Vec::new())
        }
    }
}
