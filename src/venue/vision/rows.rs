//! The rows of one data.binance.vision CSV, parsed a line at a time as the archive is read, checked and rewritten
//! in the layout `ctb data fetch` writes: a header row, if the file has one, is skipped (Binance's spot files have
//! none, its futures files do); times written in microseconds (spot files since 2025-01-01) or milliseconds are
//! told apart by size, row by row, and converted to the unit of the output (milliseconds for klines and funding
//! rates, microseconds for aggregate trades, whose times since 2025 carry sub-millisecond digits); every number is
//! checked; booleans are written `true`/`false`.

use std::path::Path;

use super::VisionKind;
use crate::data::{EpochUnit, parse_decimal};
use crate::error::{Error, Result};

/// One row, rewritten: its keys and its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Row {
    /// Open time (klines) or settlement time (funding), ms; trade time (aggregate trades), µs.
    pub time: i64,
    /// The aggregate trade id (0 for the other kinds).
    pub id: i64,
    /// The funding interval in hours (0 for the other kinds).
    pub hours: i64,
    /// Whether its time was converted from the other unit.
    pub converted: bool,
    /// The rewritten line, without its newline.
    pub line: String,
}

/// The header row of the output for `kind` (klines: the data.binance.vision layout the kline loader reads).
pub(super) fn header(kind: VisionKind) -> &'static str {
    match kind {
        VisionKind::Klines => {
            "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,\
             taker_buy_quote_volume,ignore"
        }
        VisionKind::AggTrades => {
            "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time_us,is_buyer_maker"
        }
        VisionKind::FundingRate => "calc_time,funding_interval_hours,last_funding_rate",
    }
}

/// Parses the lines of one CSV of kind `kind`, read from the archive `file` (named in errors), one at a time.
pub(super) struct RowParser<'a> {
    kind: VisionKind,
    file: &'a Path,
    /// No row has been seen yet (the first may be a header row).
    first: bool,
}

impl<'a> RowParser<'a> {
    /// A parser for the CSV of kind `kind` inside `file`.
    pub fn new(kind: VisionKind, file: &'a Path) -> Self {
        RowParser { kind, file, first: true }
    }

    /// The row of line `number`, `line` (its line end included or not); `None` for a blank line and for the
    /// header row (column names, where the first row starts with a letter).
    ///
    /// # Errors
    /// [`Error::Data`] naming the file, line and column for a row with the wrong number of fields or a value that
    /// is not a number (or boolean) of its column.
    pub fn parse(&mut self, number: usize, line: &str) -> Result<Option<Row>> {
        let line = line.trim_start_matches('\u{feff}').trim();
        if line.is_empty() {
            return Ok(None);
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if std::mem::take(&mut self.first) && fields[0].starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Ok(None); // the header row: column names
        }
        let at = Location { file: self.file, line: number };
        let mut text = String::with_capacity(line.len());
        let (time, id, hours, converted) = match self.kind {
            VisionKind::Klines => kline(&fields, &at, &mut text)?,
            VisionKind::AggTrades => agg_trade(&fields, &at, &mut text)?,
            VisionKind::FundingRate => funding(&fields, &at, &mut text)?,
        };
        Ok(Some(Row { time, id, hours, converted, line: text }))
    }
}

/// Where a value was read, for errors.
struct Location<'a> {
    file: &'a Path,
    line: usize,
}

impl Location<'_> {
    fn error(&self, column: &str, message: impl std::fmt::Display) -> Error {
        Error::data_at(self.file, &format!("line {}", self.line), column, message)
    }

    fn width(&self, fields: &[&str], widths: &[usize], layout: &str) -> Result<()> {
        if widths.contains(&fields.len()) {
            return Ok(());
        }
        Err(Error::Data(format!(
            "{}: line {}: {} fields, expected the {layout} layout ({})",
            self.file.display(),
            self.line,
            fields.len(),
            widths.iter().map(ToString::to_string).collect::<Vec<_>>().join(" or ")
        )))
    }

    fn integer(&self, text: &str, column: &str) -> Result<i64> {
        text.parse().map_err(|_| self.error(column, format!("'{text}' is not an integer")))
    }

    fn decimal<'t>(&self, text: &'t str, column: &str) -> Result<&'t str> {
        match parse_decimal(text) {
            Some(_) => Ok(text),
            None => Err(self.error(column, format!("'{text}' is not an exact decimal number"))),
        }
    }

    /// An epoch time in `unit`, converted if written in the other one; `true` when it was.
    fn time(&self, text: &str, column: &str, unit: EpochUnit) -> Result<(i64, bool)> {
        let value = self.integer(text, column)?;
        let written = EpochUnit::of(value);
        let converted = match (written, unit) {
            (EpochUnit::Micros, EpochUnit::Millis) => Some(value.div_euclid(1000)),
            (EpochUnit::Millis, EpochUnit::Micros) => value.checked_mul(1000),
            _ => Some(value),
        };
        let value = converted.ok_or_else(|| self.error(column, format!("'{text}' is out of range")))?;
        Ok((value, written != unit))
    }
}

const KLINE_COLUMNS: [&str; 12] = [
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "close_time",
    "quote_volume",
    "count",
    "taker_buy_volume",
    "taker_buy_quote_volume",
    "ignore",
];

/// A kline row: 12 fields, open and close time in ms.
fn kline(fields: &[&str], at: &Location<'_>, out: &mut String) -> Result<(i64, i64, i64, bool)> {
    at.width(fields, &[12], "12-column kline")?;
    let (open_time, converted) = at.time(fields[0], "open_time", EpochUnit::Millis)?;
    let (close_time, _) = at.time(fields[6], "close_time", EpochUnit::Millis)?;
    at.integer(fields[8], "count")?;
    for index in [1, 2, 3, 4, 5, 7, 9, 10] {
        at.decimal(fields[index], KLINE_COLUMNS[index])?;
    }
    at.decimal(fields[11], "ignore")?;
    let rest = |range: std::ops::Range<usize>| fields[range].join(",");
    out.push_str(&format!("{open_time},{},{close_time},{}", rest(1..6), rest(7..12)));
    Ok((open_time, 0, 0, converted))
}

/// An aggregate trade: 7 fields (futures) or 8 (spot, whose last, "best price match", is dropped); time in µs.
fn agg_trade(fields: &[&str], at: &Location<'_>, out: &mut String) -> Result<(i64, i64, i64, bool)> {
    at.width(fields, &[7, 8], "7-column (futures) or 8-column (spot) aggTrades")?;
    let id = at.integer(fields[0], "agg_trade_id")?;
    if id < 0 {
        return Err(at.error("agg_trade_id", format!("'{id}' is negative (aggregate trade ids count up from 0)")));
    }
    let price = at.decimal(fields[1], "price")?;
    let quantity = at.decimal(fields[2], "quantity")?;
    let first_id = at.integer(fields[3], "first_trade_id")?;
    let last_id = at.integer(fields[4], "last_trade_id")?;
    let (time, converted) = at.time(fields[5], "transact_time", EpochUnit::Micros)?;
    let buyer_maker = match fields[6].to_ascii_lowercase().as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(at.error("is_buyer_maker", format!("'{}' is not true or false", fields[6]))),
    };
    out.push_str(&format!("{id},{price},{quantity},{first_id},{last_id},{time},{buyer_maker}"));
    Ok((time, id, 0, converted))
}

/// A funding settlement: calc time (ms), the funding interval in hours, the rate.
fn funding(fields: &[&str], at: &Location<'_>, out: &mut String) -> Result<(i64, i64, i64, bool)> {
    at.width(fields, &[3], "3-column fundingRate")?;
    let (time, converted) = at.time(fields[0], "calc_time", EpochUnit::Millis)?;
    let hours = at.integer(fields[1], "funding_interval_hours")?;
    if !(1..=24 * 7).contains(&hours) {
        return Err(at.error("funding_interval_hours", format!("{hours} is not an interval of 1 to 168 hours")));
    }
    let rate = at.decimal(fields[2], "last_funding_rate")?;
    out.push_str(&format!("{time},{hours},{rate}"));
    Ok((time, 0, hours, converted))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows of a whole CSV text.
    fn parse(kind: VisionKind, csv: &str, file: &Path) -> Result<Vec<Row>> {
        let mut parser = RowParser::new(kind, file);
        let mut rows = Vec::new();
        for (index, line) in csv.split_inclusive('\n').enumerate() {
            rows.extend(parser.parse(index + 1, line)?);
        }
        Ok(rows)
    }

    fn lines(rows: &[Row]) -> Vec<&str> {
        rows.iter().map(|r| r.line.as_str()).collect()
    }

    fn converted(rows: &[Row]) -> usize {
        rows.iter().filter(|r| r.converted).count()
    }

    const KLINE: &str = "1672531200000,16541.77000000,16545.70000000,16508.39000000,16529.67000000,4364.83570000,\
                         1672534799999,72146293.58672290,149854,2179.94772000,36032352.87035720,0";

    #[test]
    fn kline_times_in_microseconds_become_milliseconds_and_the_rest_stays_as_written() {
        let micros =
            KLINE.replacen("1672531200000", "1672531200000000", 1).replacen("1672534799999", "1672534799999999", 1);
        let csv = format!("{}\n{micros}\r\n\n", header(VisionKind::Klines));
        let parsed = parse(VisionKind::Klines, &csv, Path::new("k.zip")).unwrap();
        assert_eq!(lines(&parsed), [KLINE]);
        assert_eq!((parsed[0].time, converted(&parsed)), (1_672_531_200_000, 1));
        let plain = parse(VisionKind::Klines, KLINE, Path::new("k.zip")).unwrap();
        assert_eq!((lines(&plain), converted(&plain)), (vec![KLINE], 0), "no header row, milliseconds");
    }

    #[test]
    fn aggregate_trades_of_spot_and_futures_share_one_layout_in_microseconds() {
        let spot = "3000000000,42283.58000000,0.00100000,3300000000,3300000001,1735689600123456,True,True";
        let futures = "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker\n\
                       26129,0.01633102,4.70443515,27781,27781,1498793709153,true";
        let spot = parse(VisionKind::AggTrades, spot, Path::new("s.zip")).unwrap();
        assert_eq!(lines(&spot), ["3000000000,42283.58000000,0.00100000,3300000000,3300000001,1735689600123456,true"]);
        assert_eq!((spot[0].id, converted(&spot)), (3_000_000_000, 0));
        let futures = parse(VisionKind::AggTrades, futures, Path::new("f.zip")).unwrap();
        assert_eq!(lines(&futures), ["26129,0.01633102,4.70443515,27781,27781,1498793709153000,true"]);
        assert_eq!((futures[0].time, converted(&futures)), (1_498_793_709_153_000, 1));
    }

    #[test]
    fn funding_rows_keep_their_interval() {
        let csv = "calc_time,funding_interval_hours,last_funding_rate\n1780272000001,8,0.00005703\n";
        let parsed = parse(VisionKind::FundingRate, csv, Path::new("f.zip")).unwrap();
        assert_eq!(lines(&parsed), ["1780272000001,8,0.00005703"]);
        assert_eq!((parsed[0].time, parsed[0].hours), (1_780_272_000_001, 8));
    }

    #[test]
    fn a_bad_row_is_named_by_file_line_and_column() {
        let csv = format!("{KLINE}\n{}", KLINE.replacen("16545.70000000", "1e400", 1));
        let err = parse(VisionKind::Klines, &csv, Path::new("k.zip")).unwrap_err().to_string();
        assert!(err.contains("k.zip: line 2, column 'high': '1e400' is not an exact decimal number"), "{err}");
        let err = parse(VisionKind::Klines, "1,2,3", Path::new("k.zip")).unwrap_err().to_string();
        assert!(err.contains("k.zip: line 1: 3 fields, expected the 12-column kline layout"), "{err}");
        let err = parse(VisionKind::AggTrades, "1,2,3,4,5,6,maybe", Path::new("a.zip")).unwrap_err().to_string();
        assert!(err.contains("column 'is_buyer_maker': 'maybe' is not true or false"), "{err}");
        let csv = "1,2,3,4,5,6,true\n-9223372036854775808,2,3,4,5,6,true";
        let err = parse(VisionKind::AggTrades, csv, Path::new("a.zip")).unwrap_err().to_string();
        assert!(
            err.ends_with(
                "a.zip: line 2, column 'agg_trade_id': '-9223372036854775808' is negative (aggregate trade ids \
                           count up from 0)"
            ),
            "{err}"
        );
    }
}
