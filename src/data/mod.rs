//! Market data in: loaders for Binance kline CSV, generic OHLCV CSV and Parquet (built on polars), the recorded
//! Binance level-2 stream, validation of every value and of the time grid, and seeded synthetic data.

mod capture;
mod columns;
mod csv_loader;
mod detail;
mod file_bars;
mod input_file;
mod parquet_loader;
mod parse;
mod resample;
mod series;
mod synthetic;
mod writer;

pub use capture::{load_binance_capture, parse_capture_line};
pub use detail::detail_mismatch;
pub use input_file::{MAX_DATA_FILE_BYTES, MAX_SETTINGS_FILE_BYTES, read_settings_file, stream_data_file};
pub use parse::{EpochUnit, parse_decimal, parse_timestamp};
pub use resample::{TradePrints, parse_interval, resample_bars, resample_trades};
pub use series::{DataFile, DataFormat, SeriesQuality, load_bar_series};
pub use synthetic::RandomWalk;
pub use writer::write_bars;
