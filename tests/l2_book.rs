//! The shipped Binance captures (data/binance/l2/) rebuild their books by Binance's snapshot-plus-diffs rules with no
//! sequence gap, ending at the best bid/ask an independent replay of the raw files gives (a Python script over
//! ../shared/data/binance/spot-stream/, summarised in data/README.md): BTCUSDT 61602.01 / 61602.02, ETHUSDT
//! 2677.60 / 2677.61.

mod common;

use rust_decimal::{Decimal, dec};

use cryptotradebot::Error;
use cryptotradebot::data::load_binance_capture;
use cryptotradebot::market::{BinanceBookSync, SyncStats};
use cryptotradebot::model::l2::from_fixed;
use cryptotradebot::model::{L2Row, RowKind, Symbol};

fn capture(symbol: &str) -> Vec<L2Row> {
    let path = common::repo(&format!("data/binance/l2/{symbol}-depth-trades-2024-08-08.gz"));
    load_binance_capture(&path, Symbol::new(symbol).unwrap()).unwrap()
}

fn best(sync: &BinanceBookSync) -> (Decimal, Decimal, (usize, usize)) {
    let book = sync.book();
    (from_fixed(book.best_bid().unwrap().0), from_fixed(book.best_ask().unwrap().0), book.len())
}

#[test]
fn the_btcusdt_capture_rebuilds_its_book_without_a_gap_and_ends_at_61602_01_by_61602_02() {
    let rows = capture("BTCUSDT");
    let mut sync = BinanceBookSync::new();
    sync.replay(&rows).unwrap();
    // Independently: 6,495 diffs, 3 of them before the snapshot (lastUpdateId 50093239218), 2 of those older than it.
    let SyncStats { snapshots, applied, dropped, buffered, trades, .. } = sync.stats();
    assert_eq!((snapshots, applied, dropped, buffered, trades), (1, 6493, 2, 3, 19_904));
    assert_eq!(best(&sync), (dec!(61602.01), dec!(61602.02), (1971, 2962)));
}

#[test]
fn the_ethusdt_capture_rebuilds_its_book_without_a_gap_and_ends_at_2677_60_by_2677_61() {
    let mut sync = BinanceBookSync::new();
    sync.replay(&capture("ETHUSDT")).unwrap();
    let stats = sync.stats();
    assert_eq!((stats.applied, stats.dropped, stats.trades), (6468, 2, 14_515));
    assert_eq!(best(&sync), (dec!(2677.60), dec!(2677.61), (1744, 1665)));
}

#[test]
fn a_missing_diff_is_a_gap_error_naming_the_line_and_the_update_ids() {
    let rows = capture("BTCUSDT");
    // Drop the 100th depth diff after the snapshot.
    let snapshot_at = rows.iter().position(|r| r.kind == RowKind::SnapshotBid).unwrap();
    let diffs: Vec<u32> = rows[snapshot_at..]
        .iter()
        .filter(|r| matches!(r.kind, RowKind::Bid | RowKind::Ask) && r.ends_message)
        .map(|r| r.line)
        .collect();
    let lost = diffs[100];
    let cut: Vec<L2Row> = rows.iter().copied().filter(|r| r.line != lost).collect();
    let next = cut.iter().find(|r| r.line > lost && matches!(r.kind, RowKind::Bid | RowKind::Ask)).unwrap();
    let err = BinanceBookSync::new().replay(&cut).unwrap_err();
    let expected = format!("line {}: depth diff U={} u={}", next.line, next.first_id, next.last_id);
    assert!(matches!(&err, Error::Data(m) if m.starts_with(&expected) && m.contains("sequence gap")), "{err:?}");
}

#[test]
fn a_malformed_line_names_the_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let good = r#"1723161253937085768 {"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":7,"p":"61837.63000000","q":"0.02000000","T":1723161255342,"m":true,"M":true}}"#;
    let bad = good.replace("61837.63000000", "61837.630000001");
    let path = common::write(dir.path(), "capture.txt", &format!("{good}\n{bad}\n"));
    let err = load_binance_capture(&path, Symbol::new("BTCUSDT").unwrap()).unwrap_err();
    assert!(
        matches!(&err, Error::Data(m) if m.contains("capture.txt: line 2, column 'price'") && m.contains("more than 8 decimals")),
        "{err:?}"
    );
    let rows =
        load_binance_capture(&common::write(dir.path(), "one.txt", good), Symbol::new("BTCUSDT").unwrap()).unwrap();
    assert_eq!(
        (rows.len(), rows[0].kind, rows[0].price, rows[0].quantity, rows[0].first_id),
        (1, RowKind::TradeSell, 6_183_763_000_000, 2_000_000, 7)
    );
}

#[test]
fn a_resyncing_book_drops_itself_at_a_gap_and_is_whole_again_after_the_next_snapshot() {
    let rows = capture("BTCUSDT");
    let snapshot: Vec<L2Row> =
        rows.iter().copied().filter(|r| matches!(r.kind, RowKind::SnapshotBid | RowKind::SnapshotAsk)).collect();
    // Lose one diff late in the capture: at the next diff the book drops itself and waits for a snapshot, buffering
    // the rest; nothing fails, and no book is shown meanwhile.
    let diffs: Vec<u32> = rows
        .iter()
        .filter(|r| matches!(r.kind, RowKind::Bid | RowKind::Ask) && r.ends_message)
        .map(|r| r.line)
        .collect();
    let lost = diffs[5000];
    let cut: Vec<L2Row> = rows.iter().copied().filter(|r| r.line != lost).collect();
    let mut sync = BinanceBookSync::resyncing();
    sync.replay(&cut).unwrap();
    assert_eq!(sync.stats().resyncs, 1);
    assert!(!sync.is_synced() && sync.book().is_empty(), "no book is shown while out of sequence");

    // A fresh snapshot taken after the gap (built here from the complete replay's book at the last diff) syncs it
    // again, and the book ends where the uninterrupted one does.
    let mut whole = BinanceBookSync::new();
    whole.replay(&rows).unwrap();
    let last_id =
        rows.iter().filter(|r| matches!(r.kind, RowKind::Bid | RowKind::Ask)).map(|r| r.last_id).max().unwrap();
    let template = snapshot[0];
    let mut fresh: Vec<L2Row> = Vec::new();
    for (kind, side) in [
        (RowKind::SnapshotBid, cryptotradebot::market::BookSide::Bid),
        (RowKind::SnapshotAsk, cryptotradebot::market::BookSide::Ask),
    ] {
        for (price, quantity) in whole.book().levels(side) {
            fresh.push(L2Row { kind, price, quantity, first_id: last_id, last_id, ends_message: false, ..template });
        }
    }
    fresh.last_mut().unwrap().ends_message = true;
    sync.replay(&fresh).unwrap();
    assert!(sync.is_synced());
    assert_eq!(best(&sync), (dec!(61602.01), dec!(61602.02), (1971, 2962)));
}

#[test]
fn a_recording_appended_to_itself_is_an_error_naming_the_line_where_time_goes_back() {
    let path = common::repo("data/binance/l2/BTCUSDT-depth-trades-2024-08-08.gz");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap()), &mut text)
        .unwrap();
    let first: Vec<&str> = text.lines().take(40).collect();
    let dir = tempfile::tempdir().unwrap();
    let twice = dir.path().join("twice.txt");
    std::fs::write(&twice, format!("{}\n{}\n", first.join("\n"), first.join("\n"))).unwrap();
    let err = match load_binance_capture(&twice, Symbol::new("BTCUSDT").unwrap()) {
        Ok(rows) => panic!("{} rows loaded from a recording that goes back in time", rows.len()),
        Err(error) => error.to_string(),
    };
    assert!(err.contains("twice.txt: line 41, column 'receive time'"), "{err}");
    assert!(err.contains("before line 40's") && err.contains("appended to itself"), "{err}");
    // Once, it loads.
    let once = dir.path().join("once.txt");
    std::fs::write(&once, first.join("\n")).unwrap();
    assert!(!load_binance_capture(&once, Symbol::new("BTCUSDT").unwrap()).unwrap().is_empty());
}
