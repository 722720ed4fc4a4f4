//! [`FileBars`]: the rows of one data file after parsing and row-level validation, before files are joined.

use polars::prelude::DataFrame;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

use super::columns::{RowNumbering, SourceColumn, TimestampEncoding};
use crate::error::{Error, Result};
use crate::model::exact::{negative, positive};
use crate::model::{BarSeries, Symbol};

/// Parsed, row-validated bars of one file, in file order (the series' interval is set once files are joined).
#[derive(Debug)]
pub(crate) struct FileBars {
    /// The file.
    pub path: PathBuf,
    /// How its rows are numbered in messages.
    pub numbering: RowNumbering,
    /// The file's bars.
    pub bars: BarSeries,
}

/// Which column of a data frame holds which field. Names are what error messages call the columns.
pub(crate) struct ColumnMap<'a> {
    /// `(name in messages, column index)` for timestamp, open, high, low, close, volume.
    pub fields: [(&'a str, usize); 6],
    /// How the timestamp column is encoded.
    pub timestamps: TimestampEncoding,
}

/// The fields of the generic layout, as named in CSV headers and Parquet schemas.
pub(crate) const OHLCV_COLUMNS: [&str; 6] = ["timestamp", "open", "high", "low", "close", "volume"];

impl ColumnMap<'static> {
    /// Finds the six [`OHLCV_COLUMNS`] in `frame` by name (any case, surrounding spaces ignored, extra columns
    /// ignored); timestamps are read flexibly.
    ///
    /// # Errors
    /// [`Error::Data`] naming the first missing column and the columns that were found.
    pub(crate) fn by_name(path: &Path, frame: &DataFrame) -> Result<Self> {
        let names: Vec<String> = frame.get_column_names().iter().map(|n| n.trim().to_ascii_lowercase()).collect();
        let mut fields = [("", 0); 6];
        for (slot, wanted) in fields.iter_mut().zip(OHLCV_COLUMNS) {
            let index = names.iter().position(|n| n == wanted).ok_or_else(|| {
                Error::Data(format!(
                    "{}: no '{wanted}' column (expected {}; found {})",
                    path.display(),
                    OHLCV_COLUMNS.join(","),
                    names.join(",")
                ))
            })?;
            *slot = (wanted, index);
        }
        Ok(ColumnMap { fields, timestamps: TimestampEncoding::Flexible })
    }
}

impl FileBars {
    /// Converts the mapped columns of `frame` (in parallel: one task per column), then checks every row.
    ///
    /// # Errors
    /// [`Error::Data`] naming the file, row and column of the first bad value.
    pub(crate) fn from_frame(
        path: &Path,
        numbering: RowNumbering,
        frame: &DataFrame,
        map: &ColumnMap<'_>,
        symbol: Symbol,
    ) -> Result<Self> {
        let columns = frame.columns();
        let source = |field: usize| SourceColumn {
            file: path,
            numbering,
            name: map.fields[field].0,
            column: &columns[map.fields[field].1],
        };
        let decimal = |field: usize| source(field).decimals();
        let ((open_time, open), ((high, low), (close, volume))) = rayon::join(
            || rayon::join(|| source(0).timestamps(map.timestamps), || decimal(1)),
            || rayon::join(|| rayon::join(|| decimal(2), || decimal(3)), || rayon::join(|| decimal(4), || decimal(5))),
        );
        let series = BarSeries {
            symbol,
            interval: 0,
            open_time: open_time?,
            open: open?,
            high: high?,
            low: low?,
            close: close?,
            volume: volume?,
        };
        let bars = FileBars { path: path.to_path_buf(), numbering, bars: series };
        bars.check_rows()?;
        Ok(bars)
    }

    /// Rejects rows no market can produce: non-positive prices, `high < low`, open or close outside `[low, high]`,
    /// negative volume, and timestamps that do not strictly increase.
    fn check_rows(&self) -> Result<()> {
        // Rows are checked in parallel pieces; the error reported is the one of the earliest bad row, as a
        // sequential check would find it.
        const PIECE: usize = 1 << 15;
        let rows = self.len();
        let first_error = (0..rows.div_ceil(PIECE)).into_par_iter().find_map_first(|piece| {
            (piece * PIECE..((piece + 1) * PIECE).min(rows)).find_map(|i| self.check_row(i).err())
        });
        first_error.map_or(Ok(()), Err)
    }

    /// The checks of row `i`, in the order a reader would make them.
    #[inline]
    fn check_row(&self, i: usize) -> Result<()> {
        let at = |column: &str, message: String| {
            Err(Error::data_at(&self.path, &self.numbering.describe(i), column, message))
        };
        let b = &self.bars;
        let (open, high, low, close) = (b.open[i], b.high[i], b.low[i], b.close[i]);
        for (name, price) in [("open", open), ("high", high), ("low", low), ("close", close)] {
            if !positive(price) {
                return at(name, format!("price {price} is not positive"));
            }
        }
        if high < low {
            return at("high", format!("high {high} is below low {low}"));
        }
        for (name, price) in [("open", open), ("close", close)] {
            if price < low || price > high {
                return at(name, format!("{name} {price} is outside the bar's range [{low}, {high}]"));
            }
        }
        if negative(b.volume[i]) {
            return at("volume", format!("volume {} is negative", b.volume[i]));
        }
        if i > 0 && b.open_time[i] <= b.open_time[i - 1] {
            let what = if b.open_time[i] == b.open_time[i - 1] { "duplicates" } else { "is before" };
            return at("timestamp", format!("{} {what} the previous row's {}", b.open_time[i], b.open_time[i - 1]));
        }
        Ok(())
    }

    /// Number of rows.
    pub(crate) fn len(&self) -> usize {
        self.bars.len()
    }
}
