//! Walk-forward window boundaries worked out by hand: a position open at the end of a test window is closed there
//! through the simulated venue (taker fee, slippage, the round trip kept), or carried into the next window.
//!
//! Twelve hourly bars from 2024-01-01T00:00Z (`hour(k)` is bar k's open and bar k-1's close); sma_cross 2/3 (the
//! sweep grid's one combination), 1,000 USDT, taker fee 10 bps, tick 0.01, lot 0.001; `--walk-forward
//! train=4,test=4` gives two windows: window 0 trains on bars 0-3 and tests bars 4-7 (from hour 4 to hour 8),
//! window 1 trains on bars 4-7 and tests bars 8-11 (hour 8 to hour 12).
//!
//! | bar | open | close | SMA2  | SMA3    |                                                               |
//! |-----|------|-------|-------|---------|---------------------------------------------------------------|
//! | 2   | 98   | 96    | 97    | 98      | fast < slow                                                   |
//! | 3   | 96   | 102   | 99    | 98.667  | cross up at hour 4, window 0's first decision: buy all cash    |
//! | 4-7 | 102… | 105, 108, 110, 112 | | | fast > slow throughout: the position is open at hour 8        |
//! | 8   | 113  | 111   | 111.5 | 111     | window 1's first test bar; opens 1 above bar 7's close         |
//! | 9   | 111  | 104   | 107.5 | 109     | cross down at hour 10: sell (when holding) at bar 10's open    |
//! | 10  | 103  | 100   |       |         |                                                               |
//!
//! The entry (next-open fills): at bar 4's open 102, qty = floor_0.001(1000 / (102 × 1.001)) = 9.794, notional
//! 998.988, fee 0.998988, cash 0.013012. Window 0's marks: 0.013012 + 9.794 × close: 1028.383012 (105),
//! 1057.765012 (108), 1077.353012 (110), 1096.941012 (112).

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use rust_decimal::Decimal;
use rust_decimal::dec;

use cryptotradebot::config::Scenario;
use cryptotradebot::runner::plan_sweep;
use cryptotradebot::sweep::{WalkForward, WalkForwardOutcome};

/// Twelve hourly bars (see the module's table).
const BARS: &str = "timestamp,open,high,low,close,volume
2024-01-01T00:00:00Z,100,101,99,100,1
2024-01-01T01:00:00Z,100,101,97,98,1
2024-01-01T02:00:00Z,98,99,95,96,1
2024-01-01T03:00:00Z,96,103,96,102,1
2024-01-01T04:00:00Z,102,106,101,105,1
2024-01-01T05:00:00Z,105,109,104,108,1
2024-01-01T06:00:00Z,108,111,107,110,1
2024-01-01T07:00:00Z,110,113,109,112,1
2024-01-01T08:00:00Z,113,114,110,111,1
2024-01-01T09:00:00Z,111,112,103,104,1
2024-01-01T10:00:00Z,103,104,99,100,1
2024-01-01T11:00:00Z,100,101,98,99,1
";

/// The scenario over `bars.csv` with `fill_model`, `slippage_bps` and the sweep section's extra lines `extra`.
fn scenario(fill_model: &str, slippage_bps: u32, extra: &str) -> String {
    format!(
        "name: boundaries
data:
  - {{ path: bars.csv, format: csv, symbol: TESTUSDT }}
strategy: {{ kind: sma_cross, params: {{ fast: 2, slow: 3 }} }}
exchange:
  fee_bps: {{ maker: 10, taker: 10 }}
  fill_model: {fill_model}
  slippage_bps: {slippage_bps}
  instruments:
    TESTUSDT: {{ tick_size: 0.01, lot_size: 0.001, min_notional: 1 }}
portfolio: {{ quote: USDT, starting_cash: 1000 }}
risk: {{ max_position_size_percent: 100, max_daily_loss_percent: 100, max_drawdown_percent: 100 }}
sweep:
  params: {{ fast: [2], slow: [3] }}
{extra}"
    )
}

/// Runs `--walk-forward train=4,test=4` of `text` in `dir` (which gets `bars.csv`).
fn walk_forward(dir: &Path, text: &str) -> WalkForwardOutcome {
    common::write(dir, "bars.csv", BARS);
    let scenario = Scenario::parse(&common::write(dir, "scenario.yaml", text), text.to_string()).unwrap();
    let plan = plan_sweep(&scenario).unwrap();
    let spec = WalkForward::parse("train=4,test=4").unwrap();
    plan.walk_forward(spec, &dir.join("report"), &AtomicBool::new(false), &|| {}).unwrap()
}

/// The rows of `walk_forward/<name>` under `dir`.
fn rows(dir: &Path, name: &str) -> Vec<BTreeMap<String, String>> {
    common::csv_rows(&dir.join("report/walk_forward").join(name))
}

/// A cell as an exact decimal.
fn number(row: &BTreeMap<String, String>, column: &str) -> Decimal {
    row[column].parse().unwrap_or_else(|e| panic!("{column} = {:?}: {e}", row[column]))
}

/// `equity.csv`'s marks: (time, cash, equity).
fn marks(dir: &Path) -> Vec<(String, Decimal, Decimal)> {
    rows(dir, "equity.csv").iter().map(|r| (r["time"].clone(), number(r, "cash"), number(r, "equity"))).collect()
}

/// `summary.json`.
fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report/walk_forward/summary.json")).unwrap()).unwrap()
}

/// A JSON decimal string as a decimal.
fn json_decimal(value: &serde_json::Value) -> Decimal {
    value.as_str().unwrap_or_else(|| panic!("{value} is not a decimal string")).parse().unwrap()
}

/// Window 0's marks at hours 5, 6 and 7, holding 9.794 bought at 102: the same under every mode.
const HELD: [Decimal; 3] = [dec!(1028.383012), dec!(1057.765012), dec!(1077.353012)];

/// The equity at hour 8 with the position valued at bar 7's close, 112, and no cost of leaving it: what the old
/// stitching started window 1 with.
const FREE_CLOSE: Decimal = dec!(1096.941012);

#[test]
fn by_default_a_position_open_at_a_window_end_is_sold_at_the_next_open_paying_the_taker_fee() {
    // Window 0 ends at hour 8 holding 9.794. Closed at bar 8's open, 113 (next-open fills): notional
    // 9.794 × 113 = 1106.722, fee 1.106722, cash 0.013012 + 1106.722 − 1.106722 = 1105.62829. The round trip:
    // gross 1106.722 − 998.988 = 107.734, fees 0.998988 + 1.106722 = 2.10571, net 105.62829. Window 1 starts flat
    // with 1105.62829 and stays flat (its cross down at hour 10 finds nothing to sell).
    let dir = tempfile::tempdir().unwrap();
    let outcome = walk_forward(dir.path(), &scenario("next_open", 0, ""));
    assert_eq!(outcome.windows.len(), 2);
    assert_eq!(outcome.windows[0].test_equity, (dec!(1000), dec!(1105.62829)));
    assert_eq!(outcome.windows[1].test_equity, (dec!(1105.62829), dec!(1105.62829)));
    let end = &outcome.windows[0].end;
    assert_eq!((end.closing_fills, end.fees, end.slippage), (1, dec!(1.106722), dec!(0)));
    assert!(end.carried.is_empty());
    assert_eq!(outcome.windows[1].end.closing_fills, 0, "the last window ends with the data: nothing is closed");

    let trips = rows(dir.path(), "trades.csv");
    assert_eq!(trips.len(), 1, "the round trip closed at the boundary is kept");
    let t = &trips[0];
    assert_eq!((t["entry_time"].as_str(), t["exit_time"].as_str()), ("2024-01-01T04:00:00Z", "2024-01-01T08:00:00Z"));
    let prices = (number(t, "entry_price"), number(t, "exit_price"), number(t, "quantity"));
    assert_eq!(prices, (dec!(102), dec!(113), dec!(9.794)));
    let pnl = (number(t, "gross_pnl"), number(t, "fees"), number(t, "net_pnl"));
    assert_eq!(pnl, (dec!(107.734), dec!(2.10571), dec!(105.62829)));

    let fills = rows(dir.path(), "fills.csv");
    assert_eq!(fills.len(), 2);
    let close = &fills[1];
    assert_eq!(
        (close["window"].as_str(), close["time"].as_str(), close["side"].as_str()),
        ("0", "2024-01-01T08:00:00Z", "SELL")
    );
    assert_eq!((number(close, "price"), number(close, "fee")), (dec!(113), dec!(1.106722)));
    assert_eq!((fills[0]["window_end"].as_str(), close["window_end"].as_str()), ("false", "true"));

    // Window 0's last mark is its equity after the close, all cash; window 1 continues from it, flat.
    let marks = marks(dir.path());
    let equity: Vec<Decimal> = marks.iter().map(|m| m.2).collect();
    assert_eq!(equity[..3], HELD);
    assert_eq!(equity[3..], [dec!(1105.62829); 5]);
    assert_eq!((marks[3].0.as_str(), marks[3].1), ("2024-01-01T08:00:00Z", dec!(1105.62829)));
    // Against the old free close at 112: bar 8 opened 1 higher (+ 9.794) and the sale paid its fee.
    assert_eq!(equity[7], FREE_CLOSE + dec!(9.794) - dec!(1.106722));

    let json = summary(dir.path());
    let ends = &json["at_window_end"];
    assert_eq!((ends["mode"].as_str(), ends["fill_model"].as_str()), (Some("close"), Some("next_open")));
    assert_eq!((json_decimal(&ends["fees"]), json_decimal(&ends["slippage"])), (dec!(1.106722), dec!(0)));
    assert_eq!(json_decimal(&json["metrics"]["fees"]), dec!(2.10571), "the entry's fee and the boundary close's");
    assert_eq!(json["metrics"]["trades"], 1);
}

#[test]
fn with_close_fills_the_boundary_close_costs_exactly_its_fee_and_slippage_below_the_old_free_close() {
    // slippage 10 bps, fills at the close. Entry at bar 3's close 102: 102 × 1.001 = 102.102, rounded up to the
    // tick: 102.11; qty = floor_0.001(1000 / (102.11 × 1.001)) = floor(9.78357…) = 9.783; notional 998.94213, fee
    // 0.99894213, cash 1000 − 998.94213 − 0.99894213 = 0.05892787.
    // Boundary close at bar 7's close 112: 112 × 0.999 = 111.888, rounded down: 111.88; notional
    // 9.783 × 111.88 = 1094.52204, fee 1.09452204, slippage 9.783 × (112 − 111.88) = 1.17396;
    // cash 0.05892787 + 1094.52204 − 1.09452204 = 1093.48644583.
    // The old free close: 0.05892787 + 9.783 × 112 = 1095.75492787 — 1.09452204 + 1.17396 = 2.26848204 more.
    let dir = tempfile::tempdir().unwrap();
    let outcome = walk_forward(dir.path(), &scenario("close", 10, ""));
    let end = &outcome.windows[0].end;
    assert_eq!((end.closing_fills, end.fees, end.slippage), (1, dec!(1.09452204), dec!(1.17396)));
    let fills = rows(dir.path(), "fills.csv");
    assert_eq!(fills.len(), 2);
    let (entry, close) = (&fills[0], &fills[1]);
    assert_eq!(
        (number(entry, "price"), number(entry, "quantity"), number(entry, "fee")),
        (dec!(102.11), dec!(9.783), dec!(0.99894213))
    );
    assert_eq!(close["time"], "2024-01-01T08:00:00Z", "at bar 7's close");
    assert_eq!(
        (number(close, "price"), number(close, "fee"), close["window_end"].as_str()),
        (dec!(111.88), dec!(1.09452204), "true")
    );
    let free_close = dec!(0.05892787) + dec!(9.783) * dec!(112);
    assert_eq!(free_close, dec!(1095.75492787));
    let final_equity = marks(dir.path()).last().unwrap().2;
    assert_eq!(final_equity, dec!(1093.48644583));
    assert_eq!(free_close - final_equity, dec!(1.09452204) + dec!(1.17396), "exactly the fee and the slippage");
    let trip = &rows(dir.path(), "trades.csv")[0];
    let pnl = (number(trip, "gross_pnl"), number(trip, "fees"), number(trip, "net_pnl"));
    // gross 1094.52204 − 998.94213 = 95.57991; fees 0.99894213 + 1.09452204 = 2.09346417.
    assert_eq!(pnl, (dec!(95.57991), dec!(2.09346417), dec!(93.48644583)));
    let json = summary(dir.path());
    assert_eq!(json["at_window_end"]["fill_model"], "close");
    assert_eq!(json_decimal(&json["at_window_end"]["slippage"]), dec!(1.17396));
}

#[test]
fn carried_positions_open_the_next_window_and_their_round_trip_is_recorded_once_when_it_closes() {
    // Window 1 starts from window 0's cash 0.013012 and 9.794 at 102 (equity 1096.941012 at bar 7's close). It
    // holds through bar 8 (close 111: 0.013012 + 9.794 × 111 = 1087.147012) and bar 9 (104: 1018.589012), whose
    // cross down sells at bar 10's open 103: notional 1008.782, fee 1.008782, cash 0.013012 + 1008.782 − 1.008782
    // = 1007.78623. The one round trip, from hour 4 to hour 10: gross 1008.782 − 998.988 = 9.794, fees
    // 0.998988 + 1.008782 = 2.00777, net 7.78623.
    let dir = tempfile::tempdir().unwrap();
    let outcome = walk_forward(dir.path(), &scenario("next_open", 0, "  walk_forward: { at_window_end: carry }\n"));
    assert_eq!(outcome.windows[0].test_equity, (dec!(1000), FREE_CLOSE));
    assert_eq!(outcome.windows[1].test_equity, (FREE_CLOSE, dec!(1007.78623)));
    let end = &outcome.windows[0].end;
    assert_eq!((end.closing_fills, end.fees), (0, dec!(0)));
    assert_eq!(end.carried, BTreeMap::from([("TESTUSDT".to_string(), dec!(9.794))]));

    let marks = marks(dir.path());
    let equity: Vec<Decimal> = marks.iter().map(|m| m.2).collect();
    assert_eq!(equity[..3], HELD);
    assert_eq!(
        equity[3..],
        [FREE_CLOSE, dec!(1087.147012), dec!(1018.589012), dec!(1007.78623), dec!(1007.78623)],
        "window 1's first mark continues from window 0's last"
    );
    let cash: Vec<Decimal> = marks.iter().map(|m| m.1).collect();
    assert_eq!(cash[..6], [dec!(0.013012); 6], "window 1 holds the position, not its value in cash");
    assert_eq!(cash[6..], [dec!(1007.78623); 2]);

    let trips = rows(dir.path(), "trades.csv");
    assert_eq!(trips.len(), 1, "recorded once, when it closed");
    let t = &trips[0];
    assert_eq!((t["entry_time"].as_str(), t["exit_time"].as_str()), ("2024-01-01T04:00:00Z", "2024-01-01T10:00:00Z"));
    assert_eq!((number(t, "entry_price"), number(t, "exit_price")), (dec!(102), dec!(103)));
    let pnl = (number(t, "gross_pnl"), number(t, "fees"), number(t, "net_pnl"));
    assert_eq!(pnl, (dec!(9.794), dec!(2.00777), dec!(7.78623)));
    let fills = rows(dir.path(), "fills.csv");
    assert_eq!(
        fills.iter().map(|f| (f["window"].as_str(), f["side"].as_str(), f["window_end"].as_str())).collect::<Vec<_>>(),
        [("0", "BUY", "false"), ("1", "SELL", "false")]
    );
    let json = summary(dir.path());
    assert_eq!(
        (json["at_window_end"]["mode"].as_str(), json["at_window_end"]["carried"].as_u64()),
        (Some("carry"), Some(1))
    );
    assert_eq!(json_decimal(&json["metrics"]["fees"]), dec!(2.00777));
    assert_eq!(json_decimal(&json["metrics"]["final_equity"]), dec!(1007.78623));
}

/// Runs `ctb sweep … --walk-forward train=4,test=4` on `text` in a fresh folder with `threads` threads; returns
/// the folder and stdout.
fn walk_forward_cli(text: &str, threads: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), "bars.csv", BARS);
    common::write(dir.path(), "scenario.yaml", text);
    let args = ["sweep", "scenario.yaml", "--out", "report", "--walk-forward", "train=4,test=4"];
    let (ok, stdout, stderr) = common::ctb_with_env(dir.path(), &args, &[("RAYON_NUM_THREADS", threads)]);
    assert!(ok, "{stderr}");
    (dir, stdout)
}

#[test]
fn both_modes_write_the_same_bytes_on_one_and_two_threads_and_say_which_ran() {
    for (extra, mode, words) in [
        (
            "",
            "close",
            "closed at the next bar's open (at_window_end: close): 1 closing fill(s), fees 1.106722 USDT, slippage 0 USDT",
        ),
        (
            "  walk_forward: { at_window_end: carry }\n",
            "carry",
            "carried into the next window (at_window_end: carry): 1 window end(s)",
        ),
    ] {
        let text = scenario("next_open", 0, extra);
        let (one, stdout) = walk_forward_cli(&text, "1");
        let (two, _) = walk_forward_cli(&text, "2");
        assert!(stdout.contains(words), "{stdout}");
        for file in ["summary.json", "windows.csv", "equity.csv", "trades.csv", "fills.csv", "report.html"] {
            let read = |dir: &Path| std::fs::read(dir.join("report/walk_forward").join(file)).unwrap();
            assert!(read(one.path()) == read(two.path()), "{file} differs between 1 and 2 threads");
        }
        let html = std::fs::read_to_string(one.path().join("report/walk_forward/report.html")).unwrap();
        let line = html.split(r#"<p id="window-ends">"#).nth(1).and_then(|rest| rest.split("</p>").next());
        assert!(line.is_some_and(|l| l.contains(&format!("(at_window_end: {mode})"))), "{line:?}");
    }
}

#[test]
fn an_unknown_window_end_mode_is_refused_naming_the_choices() {
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), "bars.csv", BARS);
    let text = scenario("next_open", 0, "  walk_forward: { at_window_end: hold }\n");
    common::write(dir.path(), "scenario.yaml", &text);
    let (ok, _, stderr) = common::ctb(dir.path(), &["sweep", "scenario.yaml", "--walk-forward", "train=4,test=4"]);
    assert!(!ok && stderr.contains("hold") && stderr.contains("close") && stderr.contains("carry"), "{stderr}");
}
