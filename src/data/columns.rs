//! Conversion of polars columns into exact engine columns (`Decimal`, `Timestamp`), with every failure located by
//! file, row and column name.

use polars::prelude::{Column, DataType, TimeUnit};
use rust_decimal::Decimal;
use std::path::Path;

use super::parse::{EpochUnit, parse_decimal, parse_timestamp};
use crate::error::{Error, Result};
use crate::model::Timestamp;

/// How rows of a file are numbered in messages: CSV rows by their line in the file (as an editor shows them),
/// Parquet rows by their 1-based position.
#[derive(Clone, Copy, Debug)]
pub(crate) enum RowNumbering {
    /// CSV; `first_data_line` is the 1-based line of the first data row (2 when there is a header).
    CsvLines { first_data_line: usize },
    /// Parquet.
    ParquetRows,
}

impl RowNumbering {
    /// "line 7" or "row 6" for the 0-based data row `index`.
    pub(crate) fn describe(self, index: usize) -> String {
        match self {
            RowNumbering::CsvLines { first_data_line } => format!("line {}", first_data_line + index),
            RowNumbering::ParquetRows => format!("row {}", index + 1),
        }
    }
}

/// One named column of one file, with what is needed to locate its errors.
pub(crate) struct SourceColumn<'a> {
    /// File the column came from.
    pub file: &'a Path,
    /// Row numbering of that file.
    pub numbering: RowNumbering,
    /// Column name as users know it (`open`, `timestamp`, ...).
    pub name: &'a str,
    /// The data.
    pub column: &'a Column,
}

/// How integer timestamps in a column are to be read.
#[derive(Clone, Copy, Debug)]
pub(crate) enum TimestampEncoding {
    /// Integers in this unit (Binance kline files).
    Epoch(EpochUnit),
    /// Text as [`parse_timestamp`] reads it, integers as epoch milliseconds, native datetimes by their unit.
    Flexible,
}

impl SourceColumn<'_> {
    fn error(&self, index: usize, message: impl std::fmt::Display) -> Error {
        Error::data_at(self.file, &self.numbering.describe(index), self.name, message)
    }

    fn unsupported(&self) -> Error {
        Error::Data(format!(
            "{}: column '{}' has type {} which cannot hold this field",
            self.file.display(),
            self.name,
            self.column.dtype()
        ))
    }

    fn polars(&self, e: polars::error::PolarsError) -> Error {
        Error::Data(format!("{}: column '{}': {e}", self.file.display(), self.name))
    }

    /// Every value as an exact decimal. Text is parsed exactly; floats go through their shortest round-trip decimal
    /// text (`0.1_f64` becomes `0.1`); integers convert exactly.
    pub(crate) fn decimals(&self) -> Result<Vec<Decimal>> {
        let missing = |i| self.error(i, "missing value");
        match self.column.dtype() {
            DataType::String => {
                let ca = self.column.str().map_err(|e| self.polars(e))?;
                ca.iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let text = v.ok_or_else(|| missing(i))?;
                        parse_decimal(text).ok_or_else(|| self.error(i, format!("'{text}' is not a number")))
                    })
                    .collect()
            }
            DataType::Float64 | DataType::Float32 => {
                let cast = self.column.cast(&DataType::Float64).map_err(|e| self.polars(e))?;
                let ca = cast.f64().map_err(|e| self.polars(e))?;
                ca.iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let f = v.ok_or_else(|| missing(i))?;
                        if !f.is_finite() {
                            return Err(self.error(i, format!("'{f}' is not a finite number")));
                        }
                        parse_decimal(&f.to_string()).ok_or_else(|| self.error(i, format!("'{f}' is out of range")))
                    })
                    .collect()
            }
            dtype if dtype.is_integer() => {
                let cast = self.column.cast(&DataType::Int64).map_err(|e| self.polars(e))?;
                let ca = cast.i64().map_err(|e| self.polars(e))?;
                ca.iter().enumerate().map(|(i, v)| v.map(Decimal::from).ok_or_else(|| missing(i))).collect()
            }
            _ => Err(self.unsupported()),
        }
    }

    /// Every value as a timestamp, read per `encoding`.
    pub(crate) fn timestamps(&self, encoding: TimestampEncoding) -> Result<Vec<Timestamp>> {
        let missing = |i| self.error(i, "missing value");
        let out_of_range = |i, v: i64| self.error(i, format!("{v} is out of the supported time range"));
        match (self.column.dtype(), encoding) {
            (DataType::String, _) => {
                let ca = self.column.str().map_err(|e| self.polars(e))?;
                ca.iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let text = v.ok_or_else(|| missing(i))?;
                        let parsed = match encoding {
                            TimestampEncoding::Epoch(unit) => {
                                text.trim().parse::<i64>().ok().and_then(|n| unit.to_timestamp(n))
                            }
                            TimestampEncoding::Flexible => parse_timestamp(text),
                        };
                        parsed.ok_or_else(|| self.error(i, format!("'{text}' is not a valid timestamp")))
                    })
                    .collect()
            }
            (DataType::Datetime(unit, _), _) => {
                let ca = self.column.datetime().map_err(|e| self.polars(e))?;
                let factor = match unit {
                    TimeUnit::Nanoseconds => 1,
                    TimeUnit::Microseconds => 1_000,
                    TimeUnit::Milliseconds => 1_000_000,
                };
                ca.physical()
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let v = v.ok_or_else(|| missing(i))?;
                        v.checked_mul(factor).map(Timestamp).ok_or_else(|| out_of_range(i, v))
                    })
                    .collect()
            }
            (dtype, _) if dtype.is_integer() => {
                let unit = match encoding {
                    TimestampEncoding::Epoch(unit) => unit,
                    TimestampEncoding::Flexible => EpochUnit::Millis,
                };
                let cast = self.column.cast(&DataType::Int64).map_err(|e| self.polars(e))?;
                let ca = cast.i64().map_err(|e| self.polars(e))?;
                ca.iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let v = v.ok_or_else(|| missing(i))?;
                        unit.to_timestamp(v).ok_or_else(|| out_of_range(i, v))
                    })
                    .collect()
            }
            _ => Err(self.unsupported()),
        }
    }
}
