//! The recorded Binance spot stream (`../shared/data/binance/spot-stream/`, trimmed copies in `data/binance/l2/`):
//! one message per line, `<local receive ns> <json>`, gzip-compressed or plain. The JSON is a combined-stream message
//! (`{"stream": "<s>@depth@100ms" | "<s>@trade" | …, "data": …}`) or one REST depth snapshot
//! (`{"lastUpdateId": …, "bids": …, "asks": …}`). Depth diffs, trades and the snapshot become [`L2Row`]s in file
//! order; other streams (book tickers) and other symbols are skipped.

use flate2::read::GzDecoder;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::input_file::{MAX_DATA_FILE_BYTES, open_data_file};
use crate::error::{Error, Result};
use crate::model::l2::to_fixed;
use crate::model::{L2Row, RowKind, Symbol, Timestamp};

#[derive(Deserialize)]
struct Combined<'a> {
    stream: &'a str,
    #[serde(borrow)]
    data: &'a RawValue,
}

#[derive(Deserialize)]
struct Depth<'a> {
    s: &'a str,
    #[serde(rename = "E")]
    time: i64,
    #[serde(rename = "U")]
    first: u64,
    u: u64,
    #[serde(borrow)]
    b: Vec<(&'a str, &'a str)>,
    #[serde(borrow)]
    a: Vec<(&'a str, &'a str)>,
}

#[derive(Deserialize)]
struct Trade<'a> {
    s: &'a str,
    t: u64,
    p: &'a str,
    q: &'a str,
    #[serde(rename = "T")]
    time: i64,
    m: bool,
}

#[derive(Deserialize)]
struct Snapshot<'a> {
    #[serde(rename = "lastUpdateId")]
    last_update_id: u64,
    #[serde(borrow)]
    bids: Vec<(&'a str, &'a str)>,
    #[serde(borrow)]
    asks: Vec<(&'a str, &'a str)>,
}

/// Reads the capture at `path` for `symbol` (`.gz` files are decompressed).
///
/// # Errors
/// [`Error::Io`] if unreadable; [`Error::Data`] naming the file, line and field of a malformed message.
pub fn load_binance_capture(path: &Path, symbol: Symbol) -> Result<Vec<L2Row>> {
    let file = open_data_file(path)?;
    // A compressed capture is held to the size an uncompressed one may have: one byte past it is an error.
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(GzDecoder::new(file).take(MAX_DATA_FILE_BYTES + 1))
    } else {
        Box::new(file)
    };
    let (mut rows, mut read, mut last) = (Vec::new(), 0u64, None::<(Timestamp, u32)>);
    let (mut reader, mut bytes, mut number) = (BufReader::new(reader), Vec::new(), 0u32);
    loop {
        bytes.clear();
        let got = reader.read_until(b'\n', &mut bytes).map_err(|e| Error::io("reading", path, e))?;
        if got == 0 {
            break;
        }
        read += got as u64;
        if read > MAX_DATA_FILE_BYTES {
            return Err(Error::Data(format!(
                "{}: decompresses to more than the 4 GiB a data file may hold",
                path.display()
            )));
        }
        number = number.saturating_add(1);
        let line = std::str::from_utf8(&bytes).map_err(|e| {
            Error::Data(format!("{}: line {number}, byte {}: not UTF-8 text", path.display(), e.valid_up_to() + 1))
        })?;
        let line = line.trim_end_matches(['\n', '\r']);
        let before = rows.len();
        parse_capture_line(path, line, number, symbol, &mut rows)?;
        if let Some(received) = rows.get(before).map(|row: &L2Row| row.received) {
            if let Some((earlier, at)) = last.filter(|(earlier, _)| received < *earlier) {
                return Err(Error::data_at(
                    path,
                    &format!("line {number}"),
                    "receive time",
                    format!(
                        "{received} is before line {at}'s {earlier}: a recording is in receive order (was it appended to itself?)"
                    ),
                ));
            }
            last = Some((received, number));
        }
    }
    Ok(rows)
}

/// The rows of one recorded line (`<receive ns> <json>`) for `symbol`, appended to `rows` (a blank line adds
/// none): what a live session does with each message it records, and the loader with each line it reads.
///
/// # Errors
/// [`Error::Data`] naming `source`, the line `number` and the malformed field.
pub fn parse_capture_line(source: &Path, line: &str, number: u32, symbol: Symbol, rows: &mut Vec<L2Row>) -> Result<()> {
    if line.trim().is_empty() {
        return Ok(());
    }
    read_line(line, number, symbol, rows)
        .map_err(|(column, message)| Error::data_at(source, &format!("line {number}"), column, message))
}

/// The rows of one line, appended to `rows`; on failure the field and what is wrong with it.
fn read_line(
    line: &str,
    number: u32,
    symbol: Symbol,
    rows: &mut Vec<L2Row>,
) -> std::result::Result<(), (&'static str, String)> {
    let (received, json) =
        line.split_once(' ').ok_or(("receive time", "no space after the receive time".to_string()))?;
    let received = Timestamp(received.parse::<i64>().map_err(|e| ("receive time", format!("'{received}': {e}")))?);
    let bad_json = |e: serde_json::Error| ("message", format!("not a recorded Binance message: {e}"));
    let row = |kind, price, quantity, first_id, last_id, exchange_time| L2Row {
        exchange_time,
        received,
        price,
        quantity,
        first_id,
        last_id,
        line: number,
        kind,
        ends_message: false,
    };
    if let Ok(message) = serde_json::from_str::<Combined>(json) {
        if message.stream.contains("@depth") {
            let depth: Depth = serde_json::from_str(message.data.get()).map_err(bad_json)?;
            if depth.s != symbol.as_str() {
                return Ok(());
            }
            let time = millis(depth.time)?;
            let start = rows.len();
            for (kind, levels) in [(RowKind::Bid, &depth.b), (RowKind::Ask, &depth.a)] {
                for (price, quantity) in levels {
                    let (price, quantity) = (fixed(price, "price")?, fixed(quantity, "quantity")?);
                    rows.push(row(kind, price, quantity, depth.first, depth.u, time));
                }
            }
            if rows.len() == start {
                rows.push(row(RowKind::NoLevels, 0, 0, depth.first, depth.u, time));
            }
            end_message(rows);
        } else if message.stream.ends_with("@trade") {
            let trade: Trade = serde_json::from_str(message.data.get()).map_err(bad_json)?;
            if trade.s != symbol.as_str() {
                return Ok(());
            }
            // `m`: the buyer was the maker, so the taker sold.
            let kind = if trade.m { RowKind::TradeSell } else { RowKind::TradeBuy };
            let (price, quantity) = (fixed(trade.p, "price")?, fixed(trade.q, "quantity")?);
            rows.push(row(kind, price, quantity, trade.t, trade.t, millis(trade.time)?));
            end_message(rows);
        }
        return Ok(());
    }
    let snapshot: Snapshot = serde_json::from_str(json).map_err(bad_json)?;
    let id = snapshot.last_update_id;
    for (kind, levels) in [(RowKind::SnapshotBid, &snapshot.bids), (RowKind::SnapshotAsk, &snapshot.asks)] {
        for (price, quantity) in levels {
            rows.push(row(kind, fixed(price, "price")?, fixed(quantity, "quantity")?, id, id, received));
        }
    }
    end_message(rows);
    Ok(())
}

fn end_message(rows: &mut [L2Row]) {
    if let Some(last) = rows.last_mut() {
        last.ends_message = true;
    }
}

fn millis(ms: i64) -> std::result::Result<Timestamp, (&'static str, String)> {
    Timestamp::from_millis(ms).ok_or(("time", format!("{ms} ms is out of range")))
}

fn fixed(text: &str, field: &'static str) -> std::result::Result<i64, (&'static str, String)> {
    let value: Decimal = text.parse().map_err(|e| (field, format!("'{text}': {e}")))?;
    if value.is_sign_negative() {
        return Err((field, format!("'{text}' is negative")));
    }
    to_fixed(value).ok_or((field, format!("'{text}' has more than 8 decimals or is too large")))
}
