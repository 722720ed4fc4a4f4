//! What a walk-forward window hands the next one, worked out by hand: a decision on the boundary bar is taken once,
//! a position a window-end close could not sell is carried (not turned into cash for free), and each venue keeps its
//! own cash.
//!
//! Every case: twelve hourly bars from 2024-01-01T00:00Z (bar k opens at hour k and closes at hour k + 1),
//! sma_cross 2/3 (the sweep grid's one combination), taker fee 10 bps, tick 0.01, lot 0.001, `--walk-forward
//! train=4,test=4`: window 0 tests bars 4-7 (decisions on the closes of bars 3-7, hours 4-8), window 1 tests bars
//! 8-11 (hours 8-12).

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use rust_decimal::Decimal;
use rust_decimal::dec;

use cryptotradebot::config::Scenario;
use cryptotradebot::runner::plan_sweep;
use cryptotradebot::sweep::{WalkForward, WalkForwardOutcome};

/// An hourly kline CSV from `(open, close, volume)` rows: high one above the larger, low one below the smaller.
fn bars(rows: &[(i64, i64, i64)]) -> String {
    let mut text = String::from("timestamp,open,high,low,close,volume\n");
    for (hour, (open, close, volume)) in rows.iter().enumerate() {
        let (high, low) = (open.max(close) + 1, open.min(close) - 1);
        text.push_str(&format!("2024-01-01T{hour:02}:00:00Z,{open},{high},{low},{close},{volume}\n"));
    }
    text
}

/// Runs `--walk-forward train=4,test=4` of `scenario` in `dir`, after writing each `(name, text)` of `files`.
fn walk_forward(dir: &Path, scenario: &str, files: &[(&str, String)]) -> WalkForwardOutcome {
    for (name, text) in files {
        common::write(dir, name, text);
    }
    let scenario = Scenario::parse(&common::write(dir, "scenario.yaml", scenario), scenario.to_string()).unwrap();
    let plan = plan_sweep(&scenario).unwrap();
    let spec = WalkForward::parse("train=4,test=4").unwrap();
    plan.walk_forward(spec, &dir.join("report"), &AtomicBool::new(false), &|| {}).unwrap()
}

/// `walk_forward/fills.csv`'s rows as (window, time, side, quantity, price, window_end).
fn fills(dir: &Path) -> Vec<(String, String, String, Decimal, Decimal, String)> {
    let rows = common::csv_rows(&dir.join("report/walk_forward/fills.csv"));
    rows.iter()
        .map(|r| {
            let number = |c: &str| r[c].parse::<Decimal>().unwrap();
            let text = |c: &str| r[c].clone();
            (text("window"), text("time"), text("side"), number("quantity"), number("price"), text("window_end"))
        })
        .collect()
}

/// A row of [`fills`].
fn fill(
    window: &str,
    hour: u32,
    side: &str,
    quantity: Decimal,
    price: Decimal,
    at_end: bool,
) -> (String, String, String, Decimal, Decimal, String) {
    let time = format!("2024-01-01T{hour:02}:00:00Z");
    (window.into(), time, side.into(), quantity, price, at_end.to_string())
}

/// `walk_forward/summary.json`.
fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report/walk_forward/summary.json")).unwrap()).unwrap()
}

/// The single-venue scenario over `bars.csv` with `fill_model` and extra `exchange:` lines `exchange`.
fn one_venue(fill_model: &str, exchange: &str) -> String {
    format!(
        "name: leftovers
data:
  - {{ path: bars.csv, format: csv, symbol: TESTUSDT }}
strategy: {{ kind: sma_cross, params: {{ fast: 2, slow: 3 }} }}
exchange:
  fee_bps: {{ maker: 10, taker: 10 }}
  fill_model: {fill_model}
{exchange}  instruments:
    TESTUSDT: {{ tick_size: 0.01, lot_size: 0.001, min_notional: 1 }}
portfolio: {{ quote: USDT, starting_cash: 1000 }}
risk: {{ max_position_size_percent: 100, max_daily_loss_percent: 100, max_drawdown_percent: 100 }}
sweep:
  params: {{ fast: [2], slow: [3] }}
"
    )
}

#[test]
fn under_close_fills_the_cross_on_the_boundary_bar_is_traded_once_not_again_by_the_next_window() {
    // Closes 100, 99, 98, 97, 96, 95, 94, then 100 from bar 7 on. Bar 7 (closing at hour 8, window 0's last close
    // and window 1's start): SMA2 = (94 + 100) / 2 = 97 > SMA3 = (95 + 94 + 100) / 3 = 96.33 after SMA2 < SMA3:
    // a cross up. Window 0 buys at that close: qty = floor_0.001(1000 / (100 × 1.001)) = 9.99, notional 999, fee
    // 0.999, cash 0.001; its end sells 9.99 at the same close: 0.001 + 999 − 0.999 = 998.002. Window 1 sees bar 7
    // while warming up only: it stays flat with 998.002. (The old plan let window 1 buy at bar 7's close again:
    // floor_0.001(998.002 / 100.1) = 9.97 for 997 + 0.997, ending at 997.005.)
    let closes = [100, 99, 98, 97, 96, 95, 94, 100, 100, 100, 100, 100];
    let rows: Vec<_> =
        closes.iter().enumerate().map(|(k, &c)| (if k == 0 { 100 } else { closes[k - 1] }, c, 1)).collect();
    let dir = tempfile::tempdir().unwrap();
    let outcome = walk_forward(dir.path(), &one_venue("close", ""), &[("bars.csv", bars(&rows))]);
    assert_eq!(outcome.windows[0].test_equity, (dec!(1000), dec!(998.002)));
    assert_eq!(outcome.windows[1].test_equity, (dec!(998.002), dec!(998.002)));
    assert_eq!(
        fills(dir.path()),
        [fill("0", 8, "BUY", dec!(9.99), dec!(100), false), fill("0", 8, "SELL", dec!(9.99), dec!(100), true)],
        "one decision, one entry"
    );
    assert_eq!(outcome.metrics.fees, dec!(1.998));
}

#[test]
fn a_window_end_close_capped_by_the_bar_volume_carries_the_rest_into_the_next_window_instead_of_cashing_it() {
    // Closes as the boundaries test (100, 98, 96, 102, 105, 108, 110, 112, 111, 104, 100, 99), volume 1,000,000
    // except bar 8: 100; `max_volume_percent: 5`. Entry at bar 4's open 102: 9.794 (under its cap of 50,000),
    // cash 0.013012. Window 0's close sells at bar 8's open 113, capped at 5 % × 100 = 5: notional 565, fee 0.565,
    // cash 564.448012; 4.794 stays open (last mark 564.448012 + 4.794 × 112 = 1101.376012). Window 1 holds it:
    // the cross down at bar 9 sells 4.794 at bar 10's open 103: notional 493.782, fee 0.493782, cash and final
    // equity 1057.73623. (The old stitching started window 1 flat with 1101.376012: 4.794 sold at 112 for free.)
    let closes = [100, 98, 96, 102, 105, 108, 110, 112, 111, 104, 100, 99];
    let opens = [100, 100, 98, 96, 102, 105, 108, 110, 113, 111, 103, 100];
    let rows: Vec<_> = (0..12).map(|k| (opens[k], closes[k], if k == 8 { 100 } else { 1_000_000 })).collect();
    let dir = tempfile::tempdir().unwrap();
    let exchange = "  liquidity: { max_volume_percent: 5 }\n";
    let outcome = walk_forward(dir.path(), &one_venue("next_open", exchange), &[("bars.csv", bars(&rows))]);
    assert_eq!(outcome.windows[0].test_equity, (dec!(1000), dec!(1101.376012)));
    assert_eq!(outcome.windows[1].test_equity, (dec!(1101.376012), dec!(1057.73623)));
    let end = &outcome.windows[0].end;
    assert_eq!((end.closing_fills, end.fees), (1, dec!(0.565)));
    assert_eq!(end.unclosed, BTreeMap::from([("TESTUSDT".to_string(), dec!(4.794))]));
    assert_eq!(
        fills(dir.path()),
        [
            fill("0", 4, "BUY", dec!(9.794), dec!(102), false),
            fill("0", 8, "SELL", dec!(5), dec!(113), true),
            fill("1", 10, "SELL", dec!(4.794), dec!(103), false),
        ]
    );
    let json = summary(dir.path());
    assert_eq!(json["at_window_end"]["unclosed"], 1);
    assert_eq!(outcome.metrics.final_equity, dec!(1057.73623));
    assert!(
        outcome.ends.line("USDT").contains("1 window end(s) left a position open"),
        "{}",
        outcome.ends.line("USDT")
    );
}

/// Two venues of 500 USDT each, AAAUSDT on "a" and BBBUSDT on "b", positions up to 40 % of equity, fees 10 bps,
/// windows ending as `at_window_end` says.
fn two_venues(at_window_end: &str) -> String {
    format!(
        "name: two_venues
data:
  - {{ path: aaa.csv, format: csv, symbol: AAAUSDT, venue: a }}
  - {{ path: bbb.csv, format: csv, symbol: BBBUSDT, venue: b }}
strategy: {{ kind: sma_cross, params: {{ fast: 2, slow: 3 }} }}
exchanges:
  - name: a
    balance: 500
    fee_bps: {{ maker: 10, taker: 10 }}
    instruments:
      AAAUSDT: {{ base: AAA, quote: USDT, tick_size: 0.01, lot_size: 0.001, min_notional: 1 }}
  - name: b
    balance: 500
    fee_bps: {{ maker: 10, taker: 10 }}
    instruments:
      BBBUSDT: {{ base: BBB, quote: USDT, tick_size: 0.01, lot_size: 0.001, min_notional: 1 }}
portfolio: {{ quote: USDT, starting_cash: 1000 }}
risk: {{ max_position_size_percent: 40, max_daily_loss_percent: 100, max_drawdown_percent: 100 }}
sweep:
  params: {{ fast: [2], slow: [3] }}
  walk_forward: {{ at_window_end: {at_window_end} }}
"
    )
}

/// Rows of `(open, close, volume 1)`: each bar opens at `opens[k]` when given, else at the previous close.
fn chained(closes: &[i64; 12], opens: &[(usize, i64)]) -> Vec<(i64, i64, i64)> {
    (0..12)
        .map(|k| {
            let open =
                opens.iter().find(|(at, _)| *at == k).map_or(if k == 0 { closes[0] } else { closes[k - 1] }, |o| o.1);
            (open, closes[k], 1)
        })
        .collect()
}

/// BBB falls 100 … 92 until bar 8, then closes 100: SMA2 96 > SMA3 95 at bar 9, a cross up in window 1.
const BBB: [i64; 12] = [100, 99, 98, 97, 96, 95, 94, 93, 92, 100, 100, 100];

/// AAA closes 100, 98, 96, 102, then 102: a cross up at bar 3, window 0's first decision.
const AAA: [i64; 12] = [100, 98, 96, 102, 102, 102, 102, 102, 102, 102, 102, 102];

#[test]
fn each_venue_starts_the_next_window_with_its_own_cash_not_a_share_of_the_total() {
    // Carry. The cross up of AAA buys on "a" at bar 4's open 102 for at most 40 % of 1000 = 400:
    // qty = floor_0.001(400 / (102 × 1.001)) = 3.917, notional 399.534, fee 0.399534; "a" keeps 100.066466. In
    // window 1, BBB's cross: equity 600.066466 + 3.917 × 102 = 999.600466, at most 40 % = 399.8401864 at bar 10's
    // open 100 on "b", which still holds its 500: qty = floor_0.001(399.8401864 / 100.1) = 3.994, notional 399.4,
    // fee 0.3994. Final equity 999.600466 − 0.3994 = 999.201066. (Shared out by starting balance, "b" would have
    // held 300.033233 and refused the order.)
    let dir = tempfile::tempdir().unwrap();
    let files = [("aaa.csv", bars(&chained(&AAA, &[]))), ("bbb.csv", bars(&chained(&BBB, &[])))];
    let outcome = walk_forward(dir.path(), &two_venues("carry"), &files);
    assert_eq!(outcome.windows[0].test_equity, (dec!(1000), dec!(999.600466)));
    assert_eq!(outcome.windows[1].test_equity, (dec!(999.600466), dec!(999.201066)));
    let rows = common::csv_rows(&dir.path().join("report/walk_forward/fills.csv"));
    let seen: Vec<_> =
        rows.iter().map(|r| (r["venue"].as_str(), r["symbol"].as_str(), r["quantity"].as_str())).collect();
    assert_eq!(seen, [("a", "AAAUSDT", "3.917"), ("b", "BBBUSDT", "3.994")]);
}

#[test]
fn after_a_window_end_close_each_venue_keeps_its_own_cash_and_one_venues_profit_does_not_fund_the_other() {
    // Close. AAA as above, but bar 8 opens at 200: window 0's end sells the 3.917 AAA there: 783.4, fee 0.7834;
    // "a" holds 100.066466 + 783.4 − 0.7834 = 882.683066, "b" still 500: 1382.683066 in all. In window 1 BBB's
    // cross asks for 40 % of 1382.683066 = 553.0732264 on "b", which holds 500: refused; window 1 ends flat.
    // (Shared out by starting balance, "b" would have held 691.341533 and bought 5.525 BBB with "a"'s profit.)
    let dir = tempfile::tempdir().unwrap();
    let files = [("aaa.csv", bars(&chained(&AAA, &[(8, 200)]))), ("bbb.csv", bars(&chained(&BBB, &[])))];
    let outcome = walk_forward(dir.path(), &two_venues("close"), &files);
    assert_eq!(outcome.windows[0].test_equity, (dec!(1000), dec!(1382.683066)));
    assert_eq!(outcome.windows[1].test_equity, (dec!(1382.683066), dec!(1382.683066)));
    assert!(outcome.windows[0].end.unclosed.is_empty());
    assert_eq!(
        fills(dir.path()),
        [fill("0", 4, "BUY", dec!(3.917), dec!(102), false), fill("0", 8, "SELL", dec!(3.917), dec!(200), true)]
    );
}

#[test]
fn a_walk_forward_window_shorter_than_one_bar_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<_> = (0..12).map(|k| (100 + k, 101 + k, 1)).collect();
    common::write(dir.path(), "bars.csv", &bars(&rows));
    let text = one_venue("next_open", "");
    let scenario = Scenario::parse(&common::write(dir.path(), "scenario.yaml", &text), text.clone()).unwrap();
    let plan = plan_sweep(&scenario).unwrap();
    for (spec, name) in [("train=4,test=30m", "test"), ("train=59m,test=4", "train")] {
        let spec = WalkForward::parse(spec).unwrap();
        let error = plan.walk_forward(spec, &dir.path().join("report"), &AtomicBool::new(false), &|| {});
        let error = error.map(|_| ()).unwrap_err().to_string();
        assert!(error.contains(&format!("{name} is shorter than one bar of the data (1h)")), "{error}");
    }
}
