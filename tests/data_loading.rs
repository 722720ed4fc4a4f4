//! Loading market data: every supported layout gives the same exact bars, and every kind of bad row is an error
//! naming the file, the line (or row) and the column.

mod common;

use rstest::rstest;
use rust_decimal::dec;

use cryptotradebot::Error;
use cryptotradebot::data::{DataFile, DataFormat, RandomWalk, load_bar_series, write_bars};
use cryptotradebot::model::{BarSeries, Symbol, Timestamp};

fn load(path: &std::path::Path, format: DataFormat) -> cryptotradebot::Result<BarSeries> {
    load_bar_series(Symbol::new("BTCUSDT").unwrap(), &[DataFile { path: path.to_path_buf(), format }]).map(|(s, _)| s)
}

const KLINE_HEADER: &str = "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n";
const KLINE_ROWS_MS: &str = "1672531200000,16541.77000000,16545.70000000,16508.39000000,16529.67000000,4364.83570000,1672534799999,72146293.58,149854,2179.94,36032352.87,0
1672534800000,16529.59000000,16556.80000000,16525.78000000,16551.47000000,3590.06669000,1672538399999,59376757.34,126556,1730.24,28617416.00,0
";

#[test]
fn binance_klines_load_with_or_without_header_and_in_milliseconds_or_microseconds() {
    let dir = tempfile::tempdir().unwrap();
    let with_header =
        load(&common::write(dir.path(), "a.csv", &format!("{KLINE_HEADER}{KLINE_ROWS_MS}")), DataFormat::BinanceKlines)
            .unwrap();
    let without = load(&common::write(dir.path(), "b.csv", KLINE_ROWS_MS), DataFormat::BinanceKlines).unwrap();
    let micros =
        KLINE_ROWS_MS.replace("1672531200000,", "1672531200000000,").replace("1672534800000,", "1672534800000000,");
    let in_micros = load(&common::write(dir.path(), "c.csv", &micros), DataFormat::BinanceKlines).unwrap();
    assert_eq!(with_header, without);
    assert_eq!(with_header, in_micros);
    assert_eq!(with_header.open_time, [Timestamp(1_672_531_200_000_000_000), Timestamp(1_672_534_800_000_000_000)]);
    assert_eq!(with_header.close, [dec!(16529.67), dec!(16551.47)]);
    assert_eq!(with_header.interval, 3_600_000_000_000);
}

#[test]
fn shipped_binance_files_load_as_one_gapless_series_in_time_order() {
    // Listed out of order on purpose: files concatenate by time, not by listing order.
    let files = ["data/binance/BTCUSDT-1h-2023-02.csv", "data/binance/BTCUSDT-1h-2023-01.csv"]
        .map(|p| DataFile { path: common::repo(p), format: DataFormat::BinanceKlines });
    let (series, quality) = load_bar_series(Symbol::new("BTCUSDT").unwrap(), &files).unwrap();
    assert_eq!(series.len(), 1416);
    assert_eq!(series.open_time[0].to_string(), "2023-01-01T00:00:00Z");
    assert_eq!(series.open_time[1415].to_string(), "2023-02-28T23:00:00Z");
    assert_eq!((quality.gaps, quality.missing_bars), (0, 0));
}

#[rstest]
#[case("2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z")]
#[case("2024-01-01 00:00:00", "2024-01-01 01:00:00")]
#[case("1704067200000", "1704070800000")]
#[case("2024-01-01T01:00:00+01:00", "2024-01-01T02:00:00+01:00")]
fn generic_csv_timestamps_in_every_accepted_form_give_the_same_bars(#[case] first: &str, #[case] second: &str) {
    let dir = tempfile::tempdir().unwrap();
    let csv = format!("timestamp,open,high,low,close,volume\n{first},10,11,9,10.5,3\n{second},10.5,12,10,11,4\n");
    let s = load(&common::write(dir.path(), "g.csv", &csv), DataFormat::Csv).unwrap();
    assert_eq!(s.open_time, [Timestamp(1_704_067_200_000_000_000), Timestamp(1_704_070_800_000_000_000)]);
    assert_eq!(
        (s.open[1], s.high[1], s.low[1], s.close[1], s.volume[1]),
        (dec!(10.5), dec!(12), dec!(10), dec!(11), dec!(4))
    );
}

#[test]
fn generic_csv_columns_are_found_by_name_in_any_order_and_case() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "Close,Volume,Timestamp,Open,High,Low,extra\n10.5,3,2024-01-01,10,11,9,x\n11,4,2024-01-02,10.5,12,10,y\n";
    let s = load(&common::write(dir.path(), "g.csv", csv), DataFormat::Csv).unwrap();
    assert_eq!(s.close, [dec!(10.5), dec!(11)]);
    assert_eq!(s.interval, 86_400_000_000_000);
}

#[test]
fn parquet_written_by_ctb_loads_back_to_the_same_exact_bars() {
    let dir = tempfile::tempdir().unwrap();
    let series = RandomWalk::minute_bars(Symbol::new("BTCUSDT").unwrap(), 500, 3).generate();
    let (csv, parquet) = (dir.path().join("w.csv"), dir.path().join("w.parquet"));
    write_bars(&series, &csv, DataFormat::Csv).unwrap();
    write_bars(&series, &parquet, DataFormat::Parquet).unwrap();
    assert_eq!(load(&csv, DataFormat::Csv).unwrap(), series);
    assert_eq!(load(&parquet, DataFormat::Parquet).unwrap(), series);
}

#[test]
fn parquet_with_float_and_integer_columns_converts_exactly_through_shortest_decimals() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.parquet");
    let mut frame = df!(
        "timestamp" => [1_704_067_200_000_i64, 1_704_070_800_000],
        "open" => [0.1_f64, 0.3],
        "high" => [0.3_f64, 0.4],
        "low" => [0.1_f64, 0.2],
        "close" => [0.2_f64, 0.3],
        "volume" => [5_i64, 7]
    )
    .unwrap();
    ParquetWriter::new(std::fs::File::create(&path).unwrap()).finish(&mut frame).unwrap();
    let s = load(&path, DataFormat::Parquet).unwrap();
    assert_eq!(s.open, [dec!(0.1), dec!(0.3)], "0.1_f64 is read as 0.1, not 0.1000000000000000055511");
    assert_eq!(s.volume, [dec!(5), dec!(7)]);
    assert_eq!(s.open_time[0], Timestamp(1_704_067_200_000_000_000));
}

#[test]
fn gaps_are_counted_and_reported_not_filled() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "timestamp,open,high,low,close,volume
2024-01-01T00:00:00Z,1,1,1,1,1
2024-01-01T01:00:00Z,1,1,1,1,1
2024-01-01T04:00:00Z,1,1,1,1,1
2024-01-01T05:00:00Z,1,1,1,1,1
2024-01-01T07:00:00Z,1,1,1,1,1
";
    let (series, q) = load_bar_series(
        Symbol::new("X").unwrap(),
        &[DataFile { path: common::write(dir.path(), "gaps.csv", csv), format: DataFormat::Csv }],
    )
    .unwrap();
    assert_eq!(series.len(), 5, "no bar is invented");
    assert_eq!((q.gaps, q.missing_bars), (2, 3));
    assert_eq!(
        q.largest_gap.map(|(a, b)| (a.to_string(), b.to_string())),
        Some(("2024-01-01T01:00:00Z".into(), "2024-01-01T04:00:00Z".into()))
    );
    let warning = q.warnings().join("\n");
    assert!(warning.contains("2 gap(s) in the 1h grid, 3 bar(s) missing"), "{warning}");
}

const GOOD: &str = "timestamp,open,high,low,close,volume\n2024-01-01T00:00:00Z,10,11,9,10,1\n";

#[rstest]
#[case::unparsable_number("2024-01-01T01:00:00Z,10,11,9,ten,1", "line 3, column 'close': 'ten' is not a number")]
#[case::high_below_low("2024-01-01T01:00:00Z,10,9,11,10,1", "line 3, column 'high': high 9 is below low 11")]
#[case::zero_price("2024-01-01T01:00:00Z,0,11,9,10,1", "line 3, column 'open': price 0 is not positive")]
#[case::negative_price("2024-01-01T01:00:00Z,10,11,-9,10,1", "line 3, column 'low': price -9 is not positive")]
#[case::close_outside_range(
    "2024-01-01T01:00:00Z,10,11,9,12,1",
    "line 3, column 'close': close 12 is outside the bar's range [9, 11]"
)]
#[case::duplicate_timestamp(
    "2024-01-01T00:00:00Z,10,11,9,10,1",
    "line 3, column 'timestamp': 2024-01-01T00:00:00Z duplicates"
)]
#[case::decreasing_timestamp(
    "2023-12-31T23:00:00Z,10,11,9,10,1",
    "line 3, column 'timestamp': 2023-12-31T23:00:00Z is before"
)]
#[case::bad_timestamp(
    "2024-13-01T00:00:00Z,10,11,9,10,1",
    "line 3, column 'timestamp': '2024-13-01T00:00:00Z' is not a valid timestamp"
)]
#[case::missing_value("2024-01-01T01:00:00Z,10,11,9,,1", "line 3, column 'close': missing value")]
#[case::negative_volume("2024-01-01T01:00:00Z,10,11,9,10,-1", "line 3, column 'volume': volume -1 is negative")]
fn bad_rows_are_errors_naming_file_line_and_column(#[case] row: &str, #[case] expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = common::write(dir.path(), "bad.csv", &format!("{GOOD}{row}\n"));
    let err = load(&path, DataFormat::Csv).unwrap_err();
    assert!(matches!(err, Error::Data(_)), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("bad.csv: "), "{message}");
    assert!(message.contains(expected), "{message}\n  expected: {expected}");
}

#[test]
fn of_several_bad_rows_in_a_long_file_the_first_is_reported() {
    // Rows are checked in parallel pieces; the report must still name the earliest bad row.
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("timestamp,open,high,low,close,volume\n");
    for i in 0..70_000_i64 {
        let (high, low) = if i == 40_000 || i == 69_000 { (1, 2) } else { (2, 1) };
        csv.push_str(&format!("{},1,{high},{low},1,1\n", 1_704_067_200_000 + i * 60_000));
    }
    let err = load(&common::write(dir.path(), "long.csv", &csv), DataFormat::Csv).unwrap_err().to_string();
    assert!(err.contains("line 40002, column 'high'"), "{err}");
}

#[test]
fn a_bad_binance_row_names_the_line_counting_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let rows = KLINE_ROWS_MS.replacen("16556.80000000", "16500.00000000", 1); // high below low on data row 2
    let err = load(&common::write(dir.path(), "k.csv", &format!("{KLINE_HEADER}{rows}")), DataFormat::BinanceKlines)
        .unwrap_err();
    assert!(err.to_string().contains("k.csv: line 3, column 'high': high 16500 is below low 16525.78"), "{err}");
}

#[rstest]
#[case::missing_column("timestamp,open,high,low,volume\n2024-01-01,1,1,1,1\n", "no 'close' column")]
#[case::empty_file("", "the file is empty")]
#[case::extra_field(
    "timestamp,open,high,low,close,volume\n2024-01-01,1,1,1,1,1\n2024-01-02,1,1,1,1,1,7\n",
    "line 3: expected 6 fields like the first line, found 7"
)]
#[case::header_only("timestamp,open,high,low,close,volume\n", "has no bars")]
fn unusable_files_are_errors_naming_the_file(#[case] content: &str, #[case] expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    let err = load(&common::write(dir.path(), "u.csv", content), DataFormat::Csv).unwrap_err();
    assert!(err.to_string().contains("u.csv") && err.to_string().contains(expected), "{err}");
}

#[test]
fn binance_file_with_the_wrong_column_count_says_what_it_expected() {
    let dir = tempfile::tempdir().unwrap();
    let err = load(
        &common::write(dir.path(), "k.csv", "1672531200000,1,1,1,1,1\n1672534800000,1,1,1,1,1\n"),
        DataFormat::BinanceKlines,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("expected the 12-column data.binance.vision kline layout, found 6 columns"),
        "{err}"
    );
}

#[test]
fn overlapping_files_of_one_symbol_are_an_error_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let a = common::write(
        dir.path(),
        "a.csv",
        "timestamp,open,high,low,close,volume\n2024-01-01T00:00:00Z,1,1,1,1,1\n2024-01-01T01:00:00Z,1,1,1,1,1\n",
    );
    let b = common::write(
        dir.path(),
        "b.csv",
        "timestamp,open,high,low,close,volume\n2024-01-01T01:00:00Z,1,1,1,1,1\n2024-01-01T02:00:00Z,1,1,1,1,1\n",
    );
    let files = [a, b].map(|path| DataFile { path, format: DataFormat::Csv });
    let err = load_bar_series(Symbol::new("X").unwrap(), &files).unwrap_err().to_string();
    assert!(
        err.contains("b.csv: line 2, column 'timestamp'") && err.contains("overlaps") && err.contains("a.csv"),
        "{err}"
    );
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let err = load(std::path::Path::new("/nonexistent/x.csv"), DataFormat::Csv).unwrap_err();
    assert!(matches!(err, Error::Io { .. }) && err.to_string().contains("/nonexistent/x.csv"), "{err}");
}

#[rstest]
#[case::binance_klines(DataFormat::BinanceKlines, KLINE_HEADER)]
#[case::generic_csv(DataFormat::Csv, "timestamp,open,high,low,close,volume\n")]
fn a_file_holding_only_its_header_is_an_error_naming_it(#[case] format: DataFormat, #[case] header: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = common::write(dir.path(), "header_only.csv", header);
    let err = load(&path, format).unwrap_err();
    assert!(matches!(err, Error::Data(_)), "{err:?}");
    assert!(
        err.to_string().contains(&format!("{}: the file has no bars, only a header line", path.display())),
        "{err}"
    );
}

/// Reading a device, a pipe or a folder could block or never end: each is refused before it is opened.
#[rstest]
#[case::binance_klines(DataFormat::BinanceKlines)]
#[case::parquet(DataFormat::Parquet)]
fn a_data_path_that_is_no_regular_file_is_refused_before_reading(#[case] format: DataFormat) {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.csv");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    for path in [std::path::Path::new("/dev/zero"), fifo.as_path(), dir.path()] {
        let err = load(path, format).unwrap_err();
        assert!(err.to_string().contains(&format!("{}: not a regular file", path.display())), "{err}");
    }
}

#[test]
fn a_data_file_larger_than_the_limit_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.csv");
    // Sparse: the size is set, no byte is written.
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(cryptotradebot::data::MAX_DATA_FILE_BYTES + 1).unwrap();
    let err = load(&path, DataFormat::BinanceKlines).unwrap_err();
    assert!(err.to_string().contains("larger than the 4 GiB a data file may hold"), "{err}");
}

#[test]
fn a_kline_file_cut_mid_row_is_an_error_naming_the_short_line() {
    let dir = tempfile::tempdir().unwrap();
    // The second row ends inside its `count` field: the fields the bars use are whole, the row is not.
    let cut = &KLINE_ROWS_MS[..KLINE_ROWS_MS.rfind(",126556,").unwrap() + 3];
    let path = common::write(dir.path(), "cut.csv", &format!("{KLINE_HEADER}{cut}"));
    let err = load(&path, DataFormat::BinanceKlines).unwrap_err().to_string();
    assert!(err.contains("cut.csv: line 3, column 'taker_buy_volume': missing"), "{err}");
}

#[rstest]
#[case::a_span_nanoseconds_cannot_measure(
    "1677-09-22T00:00:00Z",
    "2262-04-10T00:00:00Z",
    "a span 64-bit nanoseconds cannot measure"
)]
#[case::a_last_bar_closing_after_2262("2262-04-11T21:00:00Z", "2262-04-11T23:00:00Z", "would close after 2262-04-11")]
fn bars_whose_times_64_bit_nanoseconds_cannot_hold_are_an_error(
    #[case] first: &str,
    #[case] second: &str,
    #[case] expected: &str,
) {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("timestamp,open,high,low,close,volume\n{first},1,1,1,1,1\n{second},1,1,1,1,1\n");
    let err = load(&common::write(dir.path(), "far.csv", &text), DataFormat::Csv).unwrap_err().to_string();
    assert!(err.contains("far.csv") && err.contains(expected), "{err}");
}

#[test]
fn a_byte_that_is_not_utf8_is_an_error_naming_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{KLINE_HEADER}{KLINE_ROWS_MS}");
    let mut bytes = text.into_bytes();
    // The third line (the second row), its fourth character.
    let second_row = bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(1).unwrap().0 + 1;
    bytes[second_row + 3] = 0xff;
    let path = dir.path().join("latin1.csv");
    std::fs::write(&path, bytes).unwrap();
    let err = load(&path, DataFormat::BinanceKlines).unwrap_err().to_string();
    assert!(err.contains("latin1.csv: line 3, column 4: not UTF-8 text (byte 0xff)"), "{err}");
}

#[test]
fn a_stray_quote_is_an_error_naming_its_line_and_the_quote() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<&str> = KLINE_ROWS_MS.lines().collect();
    let quoted = format!("{KLINE_HEADER}{}\n\"{}\n", rows[0], rows[1..].join("\n"));
    let path = common::write(dir.path(), "quote.csv", &quoted);
    let err = load(&path, DataFormat::BinanceKlines).unwrap_err().to_string();
    assert!(err.contains("quote.csv: line 3: expected 12 fields") && err.contains("a stray quote?"), "{err}");
}
