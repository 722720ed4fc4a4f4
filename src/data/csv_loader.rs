//! Reading bar CSV files with polars: Binance kline files (data.binance.vision's 12-column layout) and the generic
//! `timestamp,open,high,low,close,volume` layout.

use polars::prelude::{CsvReadOptions, DataFrame, SerReader};
use std::io::Cursor;
use std::path::Path;

use super::columns::{RowNumbering, SourceColumn, TimestampEncoding};
use super::file_bars::{ColumnMap, FileBars};
use super::input_file::read_data_file;
use super::parse::EpochUnit;
use crate::error::{Error, Result};
use crate::model::Symbol;

/// Columns of a data.binance.vision kline file.
const BINANCE_KLINE_COLUMNS: usize = 12;

/// Reads a Binance kline CSV, with or without header row, open times in milliseconds or microseconds.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read, [`Error::Data`] naming file, line and column for bad content.
pub(crate) fn read_binance_klines(path: &Path, symbol: Symbol) -> Result<FileBars> {
    let bytes = read_data_file(path)?;
    let first_line = first_line(&bytes);
    let first_field = first_line.split(',').next().unwrap_or("").trim();
    let has_header = first_field.parse::<i64>().is_err();
    let frame = read_text_columns(path, bytes, has_header)?;
    if frame.width() != BINANCE_KLINE_COLUMNS {
        return Err(Error::Data(format!(
            "{}: expected the {BINANCE_KLINE_COLUMNS}-column data.binance.vision kline layout, found {} columns",
            path.display(),
            frame.width()
        )));
    }
    let numbering = csv_numbering(has_header);
    refuse_short_rows(path, &frame, numbering)?;
    let unit = detect_epoch_unit(path, &frame, numbering)?;
    let map = ColumnMap {
        fields: [("open_time", 0), ("open", 1), ("high", 2), ("low", 3), ("close", 4), ("volume", 5)],
        timestamps: TimestampEncoding::Epoch(unit),
    };
    let bars = FileBars::from_frame(path, numbering, &frame, &map, symbol)?;
    check_close_times(path, numbering, &frame, unit, &bars)?;
    Ok(bars)
}

/// A kline's `close_time` (column 7, in the unit its size says, else `unit`) must not come before its
/// `open_time`: a row that ends before it begins is damaged, whatever its prices say.
///
/// # Errors
/// [`Error::Data`] naming the file, the row and `close_time`.
fn check_close_times(
    path: &Path,
    numbering: RowNumbering,
    frame: &DataFrame,
    unit: EpochUnit,
    bars: &FileBars,
) -> Result<()> {
    // Its unit is told apart by size, as open_time's is (a file may mix them).
    let close = &frame.columns()[6];
    let first = close.str().ok().and_then(|ca| ca.get(0)).and_then(|t| t.trim().parse::<i64>().ok());
    let unit = first.map_or(unit, EpochUnit::of);
    let column = SourceColumn { file: path, numbering, name: "close_time", column: close };
    let close_times = column.timestamps(TimestampEncoding::Epoch(unit))?;
    let opens = &bars.bars.open_time;
    if let Some(row) = close_times.iter().zip(opens).position(|(close, open)| close < open) {
        return Err(Error::data_at(
            path,
            &numbering.describe(row),
            "close_time",
            format!("{} is before the bar's open_time {}", close_times[row], opens[row]),
        ));
    }
    Ok(())
}

/// Reads a generic OHLCV CSV: a header naming `timestamp,open,high,low,close,volume` (any order, any case, extra
/// columns ignored); timestamps as ISO-8601 (UTC when no offset) or epoch milliseconds.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read, [`Error::Data`] for a missing column or bad content.
pub(crate) fn read_generic_csv(path: &Path, symbol: Symbol) -> Result<FileBars> {
    let bytes = read_data_file(path)?;
    let frame = read_text_columns(path, bytes, true)?;
    let map = ColumnMap::by_name(path, &frame)?;
    FileBars::from_frame(path, csv_numbering(true), &frame, &map, symbol)
}

/// Line numbering of a CSV with or without header.
fn csv_numbering(has_header: bool) -> RowNumbering {
    RowNumbering::CsvLines { first_data_line: if has_header { 2 } else { 1 } }
}

/// The 1-based line and column (in characters) of byte `offset` of `bytes`, which are valid UTF-8 before it.
fn line_and_column(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset];
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
    (line, column)
}

/// The first line of `bytes`, lossily decoded (it is only inspected).
fn first_line(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == b'\n').unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// Parses the CSV into text columns; values are converted (and located on error) by [`FileBars::from_frame`].
fn read_text_columns(path: &Path, bytes: Vec<u8>, has_header: bool) -> Result<DataFrame> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::Data(format!("{}: the file is empty", path.display())));
    }
    if let Err(error) = std::str::from_utf8(&bytes) {
        let (line, column) = line_and_column(&bytes, error.valid_up_to());
        return Err(Error::Data(format!(
            "{}: line {line}, column {column}: not UTF-8 text (byte 0x{:02x})",
            path.display(),
            bytes[error.valid_up_to()]
        )));
    }
    let frame = CsvReadOptions::default()
        .with_has_header(has_header)
        .with_infer_schema_length(Some(0))
        .into_reader_with_file_handle(Cursor::new(&bytes))
        .finish();
    let frame = frame.map_err(|e| match first_ragged_line(&bytes) {
        Some((line, expected, found, quoted)) => Error::Data(format!(
            "{}: line {line}: expected {expected} fields like the first line, found {found}{}",
            path.display(),
            if quoted { " (a quote opened on this line is closed only later: a stray quote?)" } else { "" }
        )),
        None => Error::Data(format!("{}: not a readable CSV file: {e}", path.display())),
    })?;
    if frame.height() == 0 {
        return Err(Error::Data(format!("{}: the file has no bars, only a header line", path.display())));
    }
    Ok(frame)
}

/// The first line whose field count differs from the first line's: `(line, expected, found, quoted)`, `quoted` when
/// the row holds a quote or a line break (a quote that opened and ran on).
/// Only called to explain a parse failure, so it may be slow.
fn first_ragged_line(bytes: &[u8]) -> Option<(u64, usize, usize, bool)> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut expected = None;
    for record in reader.records() {
        let record = record.ok()?;
        let found = record.len();
        match expected {
            None => expected = Some(found),
            Some(width) if width != found => {
                let line = record.position().map_or(0, csv::Position::line);
                let quoted = record.iter().any(|field| field.contains(['"', '\n']));
                return Some((line, width, found, quoted));
            }
            Some(_) => {}
        }
    }
    None
}

/// Every kline row holds all twelve fields: a row with fewer (a file cut mid-row, the end of a download that broke)
/// or an empty one is an error naming its line, even where the missing fields are ones the bars do not use.
fn refuse_short_rows(path: &Path, frame: &DataFrame, numbering: RowNumbering) -> Result<()> {
    let missing = frame.columns().iter().filter(|c| c.null_count() > 0).filter_map(|column| {
        column.str().ok().and_then(|values| values.iter().position(|v| v.is_none())).map(|row| (row, column))
    });
    match missing.min_by_key(|(row, _)| *row) {
        Some((row, column)) => Err(Error::data_at(
            path,
            &numbering.describe(row),
            column.name().as_str(),
            "missing: a kline row has 12 fields, none empty (was the file cut short?)",
        )),
        None => Ok(()),
    }
}

/// Milliseconds or microseconds, from the first row's open time.
fn detect_epoch_unit(path: &Path, frame: &DataFrame, numbering: RowNumbering) -> Result<EpochUnit> {
    let column = &frame.columns()[0];
    let first = column.str().ok().and_then(|ca| ca.get(0)).unwrap_or("");
    let value: i64 = first.trim().parse().map_err(|_| {
        Error::data_at(path, &numbering.describe(0), "open_time", format!("'{first}' is not an integer"))
    })?;
    Ok(EpochUnit::of(value))
}
