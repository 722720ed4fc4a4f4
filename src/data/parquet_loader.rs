//! Reading bars from Parquet with polars: columns `timestamp,open,high,low,close,volume`, typed natively.

use polars::prelude::{ParquetReader, SerReader};
use std::cell::Cell;
use std::path::Path;
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

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
    let read =
        quiet_panics(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ParquetReader::new(file).finish())));
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

/// Reads in progress whose panics (in polars' own threads or the reading thread) are caught and reported as errors:
/// while there are any, those panics print nothing — the error line says what happened.
static QUIET_READS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static READING: Cell<bool> = const { Cell::new(false) };
}

/// Runs `read` with the panics it causes kept off stderr (see [`QUIET_READS`]); every other panic is printed by the
/// hook that was in place before, as always.
fn quiet_panics<T>(read: impl FnOnce() -> T) -> T {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let ours =
                READING.with(Cell::get) || std::thread::current().name().is_some_and(|name| name.starts_with("polars"));
            if !(ours && QUIET_READS.load(Ordering::SeqCst) > 0) {
                previous(info);
            }
        }));
    });
    QUIET_READS.fetch_add(1, Ordering::SeqCst);
    READING.with(|r| r.set(true));
    let result = read();
    READING.with(|r| r.set(false));
    QUIET_READS.fetch_sub(1, Ordering::SeqCst);
    result
}
