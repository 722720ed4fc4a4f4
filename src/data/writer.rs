//! Writing a [`BarSeries`] in the formats the loaders read: the generic CSV and Parquet.

use polars::prelude::{DataFrame, DataType, IntoColumn, NamedFrom, ParquetWriter, Series, TimeUnit};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use super::series::DataFormat;
use crate::error::{Error, Result};
use crate::model::BarSeries;

/// Writes `series` to `path` as a generic CSV (ISO-8601 UTC timestamps, exact decimals) or as Parquet
/// (millisecond datetime and text decimal columns, so values stay exact).
///
/// # Errors
/// [`Error::Io`] when the file cannot be written; [`Error::Config`] for the Binance layout, which is read-only here.
pub fn write_bars(series: &BarSeries, path: &Path, format: DataFormat) -> Result<()> {
    match format {
        DataFormat::Csv => write_csv(series, path),
        DataFormat::Parquet => write_parquet(series, path),
        DataFormat::BinanceKlines | DataFormat::BinanceL2 => {
            Err(Error::Config("writing the Binance layouts is not supported; use csv or parquet".into()))
        }
    }
}

fn write_csv(s: &BarSeries, path: &Path) -> Result<()> {
    let io = |e| Error::io("writing", path, e);
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path).map_err(io)?);
    writeln!(out, "timestamp,open,high,low,close,volume").map_err(io)?;
    for i in 0..s.len() {
        writeln!(out, "{},{},{},{},{},{}", s.open_time[i], s.open[i], s.high[i], s.low[i], s.close[i], s.volume[i])
            .map_err(io)?;
    }
    out.flush().map_err(io)
}

fn write_parquet(s: &BarSeries, path: &Path) -> Result<()> {
    let polars_err = |e: polars::error::PolarsError| Error::Data(format!("{}: {e}", path.display()));
    let text = |name: &str, values: &[rust_decimal::Decimal]| {
        Series::new(name.into(), values.iter().map(ToString::to_string).collect::<Vec<_>>()).into_column()
    };
    let millis: Vec<i64> = s.open_time.iter().map(|t| t.millis()).collect();
    let timestamp = Series::new("timestamp".into(), millis)
        .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
        .map_err(polars_err)?
        .into_column();
    let columns = vec![
        timestamp,
        text("open", &s.open),
        text("high", &s.high),
        text("low", &s.low),
        text("close", &s.close),
        text("volume", &s.volume),
    ];
    let mut frame = DataFrame::new(s.len(), columns).map_err(polars_err)?;
    let file = File::create(path).map_err(|e| Error::io("writing", path, e))?;
    ParquetWriter::new(file).finish(&mut frame).map_err(polars_err)?;
    Ok(())
}
