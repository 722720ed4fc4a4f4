//! Reading bars from Parquet with polars: columns `timestamp,open,high,low,close,volume`, typed natively.

use polars::prelude::{ParquetReader, SerReader};
use std::path::Path;

use super::columns::RowNumbering;
use super::file_bars::{ColumnMap, FileBars};
use super::input_file::open_data_file;
use crate::error::{Error, Result};
use crate::model::Symbol;

/// Reads a Parquet file of bars. `timestamp` may be a datetime column (any unit), epoch milliseconds, or text as in the
/// generic CSV; prices and volume may be text, integer or float columns.
///
/// # Errors
/// [`Error::Io`] when the file cannot be opened, [`Error::Data`] when it is not Parquet, lacks a column, or a value is bad.
pub(crate) fn read_parquet(path: &Path, symbol: Symbol) -> Result<FileBars> {
    let file = open_data_file(path)?;
    // polars' Parquet decoder panics on some damaged files (a dictionary page cut short, found by
    // tests/fuzz_parsers.rs) instead of returning an error: the panic is caught here and becomes one.
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ParquetReader::new(file).finish()));
    let frame = match read {
        Ok(frame) => frame.map_err(|e| Error::Data(format!("{}: not a readable Parquet file: {e}", path.display())))?,
        Err(_) => {
            return Err(Error::Data(format!(
                "{}: not a readable Parquet file: its pages do not decode (damaged or cut short?)",
                path.display()
            )));
        }
    };
    let map = ColumnMap::by_name(path, &frame)?;
    FileBars::from_frame(path, RowNumbering::ParquetRows, &frame, &map, symbol)
}
