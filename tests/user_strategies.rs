//! The strategies of `examples/` — each registered by a user's own binary, written against the public API only —
//! run through `ctb backtest` with their registry on the shipped data, and do what their documentation says, each
//! checked against what this file works out from the data on its own:
//!
//! - `mean_reversion`: every entry comes at a close whose z-score is below −2 and carries a stop-loss 3σ below
//!   its fill, and no closed trade loses more than that distance plus its fees;
//! - `momentum_rotation`: at most one symbol is held at any time, and every order is the one the ranking by
//!   12-bar return asks for at that close;
//! - `book_imbalance`: its first order is a buy at the first message after which the best five bids outweigh the
//!   best five asks three to one, and it never holds more than one entry; two runs write the same bytes.
//!
//! The README's table of the examples' results (round trips, final equity) is pinned here too: regression pins of
//! the deterministic runs, next to the checks above, which stand on their own.

mod common;

#[path = "../examples/book_imbalance/strategy.rs"]
#[allow(dead_code)]
mod book_imbalance;
#[path = "../examples/breakout/strategy.rs"]
#[allow(dead_code)]
mod breakout;
#[path = "../examples/mean_reversion/strategy.rs"]
#[allow(dead_code)]
mod mean_reversion;
#[path = "../examples/momentum_rotation/strategy.rs"]
#[allow(dead_code)]
mod momentum_rotation;

use clap::Parser;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::csv_rows;
use cryptotradebot::cli::Cli;
use cryptotradebot::data::load_binance_capture;
use cryptotradebot::market::{BinanceBookSync, BookSide, messages};
use cryptotradebot::model::{Symbol, Timestamp};
use cryptotradebot::strategy::StrategyRegistry;

type Row = BTreeMap<String, String>;

/// `ctb backtest scenarios/NAME.yaml --out DIR/NAME` with `registry`; the report folder.
fn backtest(registry: &StrategyRegistry, name: &str, dir: &Path) -> PathBuf {
    let (scenario, out) = (common::repo(&format!("scenarios/{name}.yaml")), dir.join(name));
    let args = ["ctb", "backtest", &scenario.display().to_string(), "--out", &out.display().to_string(), "--quiet"];
    Cli::try_parse_from(args).expect("arguments").run(registry).expect("the backtest runs");
    out
}

fn dec(row: &Row, column: &str) -> Decimal {
    row[column].parse().unwrap_or_else(|e| panic!("{column} '{}': {e}", row[column]))
}

/// An RFC 3339 time as the reports write it.
fn time(text: &str) -> Timestamp {
    let parsed = chrono::DateTime::parse_from_rfc3339(text).unwrap_or_else(|e| panic!("a time: {text}: {e}"));
    Timestamp(parsed.timestamp_nanos_opt().expect("within 1677-2262"))
}

/// (open time in ms, close) of each row of a shipped bar file (`timestamp` or Binance klines: the first two
/// columns are the open time and the open; the close is the fifth).
fn closes(relative: &str) -> Vec<(i64, Decimal)> {
    let text = std::fs::read_to_string(common::repo(relative)).unwrap();
    let row = |line: &str| {
        let f: Vec<&str> = line.split(',').collect();
        (f[0].parse().unwrap(), f[4].parse().unwrap())
    };
    text.lines().skip(1).map(row).collect()
}

#[test]
fn mean_reversion_enters_below_minus_two_sigma_with_a_stop_and_loses_at_most_the_stop_distance_plus_fees() {
    let work = tempfile::tempdir().unwrap();
    let out = backtest(&mean_reversion::registry(), "btc_mean_reversion", work.path());
    let bars: Vec<(i64, Decimal)> =
        ["01", "02"].iter().flat_map(|m| closes(&format!("data/binance/BTCUSDT-1h-2023-{m}.csv"))).collect();
    let f = |d: Decimal| d.to_string().parse::<f64>().unwrap();
    // z-score and σ (population) of the 48 closes ending with the bar that closes at `t`.
    let z_and_sigma = |t: Timestamp| {
        let i = bars.iter().position(|(open_ms, _)| Timestamp((open_ms + 3_600_000) * 1_000_000) == t).unwrap();
        let window: Vec<f64> = bars[i + 1 - 48..=i].iter().map(|(_, c)| f(*c)).collect();
        let mean = window.iter().sum::<f64>() / 48.0;
        let sigma = (window.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 48.0).sqrt();
        ((window[47] - mean) / sigma, sigma)
    };

    let orders = csv_rows(&out.join("orders.csv"));
    let mut stops = Vec::new();
    for (i, entry) in orders.iter().enumerate().filter(|(_, o)| o["side"] == "BUY" && o["type"] == "MARKET") {
        let (z, sigma) = z_and_sigma(time(&entry["created"]));
        assert!(z < -2.0, "entry {} at z {z}", entry["order_id"]);
        // The bracket's stop-loss follows its entry: a sell of all that filled, 3σ below the fill (on the tick).
        let stop = &orders[i + 1];
        assert_eq!((stop["side"].as_str(), stop["type"].as_str()), ("SELL", "STOP_MARKET"), "{stop:?}");
        assert_eq!(dec(stop, "quantity"), dec(entry, "filled_quantity"));
        let (fill, level) = (dec(entry, "average_price"), dec(stop, "stop_price"));
        assert!(level < fill, "stop {level} under the entry's {fill}");
        let expected = f(fill) - 3.0 * sigma;
        assert!((f(level) - expected).abs() <= 0.011, "stop {level}, 3σ under {fill}: {expected}");
        assert_eq!(orders[i + 2]["type"], "TAKE_PROFIT_MARKET");
        stops.push((entry["created"].clone(), fill, level));
    }
    let trades = csv_rows(&out.join("trades.csv"));
    assert_eq!(trades.len(), 14, "14 closed trades on the shipped bars");
    assert!(stops.len() >= trades.len());
    let mut stopped_out = 0;
    for (trade, (_, fill, level)) in trades.iter().zip(&stops) {
        assert_eq!(dec(trade, "entry_price"), *fill);
        let worst = dec(trade, "quantity") * (*fill - *level) + dec(trade, "fees");
        assert!(-dec(trade, "net_pnl") <= worst, "trade {}: loses more than the stop allows ({worst})", trade["trade"]);
        stopped_out += usize::from(dec(trade, "exit_price") == *level);
    }
    assert!(stopped_out > 0 && stopped_out < trades.len(), "some trades end at their stop, the others on the z-score");
    // The README's counts (regression pins): 4 trades end at their stop-loss, 1 at its take-profit.
    assert_eq!(stopped_out, 4);
    let filled = |kind: &str| orders.iter().filter(|o| o["type"] == kind && o["status"] == "FILLED").count();
    assert_eq!((filled("STOP_MARKET"), filled("TAKE_PROFIT_MARKET")), (4, 1));
}

#[test]
fn momentum_rotation_holds_one_symbol_at_a_time_and_switches_to_the_top_ranked_one() {
    let work = tempfile::tempdir().unwrap();
    let out = backtest(&momentum_rotation::registry(), "btc_eth_rotation", work.path());

    // The strategy worked out from the bars: at each close (from the 13th bar), the symbol with the highest
    // 12-bar return (BTC first on a tie); holding another one, sell it; holding nothing, buy the top one.
    let series = [
        ("BTCUSDT", closes("data/binance/BTCUSDT-5s-2024-08-08.csv")),
        ("ETHUSDT", closes("data/binance/ETHUSDT-5s-2024-08-08.csv")),
    ];
    let close_time = |open_ms: i64| Timestamp((open_ms + 5_000) * 1_000_000);
    let times: std::collections::BTreeSet<Timestamp> =
        series.iter().flat_map(|(_, bars)| bars.iter().map(|(t, _)| close_time(*t))).collect();
    let mut expected = Vec::new();
    let mut held: Option<&str> = None;
    for &t in &times {
        let returns: Option<Vec<(&str, Decimal)>> = series
            .iter()
            .map(|(symbol, bars)| {
                let i = bars.iter().rposition(|(open, _)| close_time(*open) <= t)?;
                Some((*symbol, bars[i].1 / bars[i.checked_sub(12)?].1))
            })
            .collect();
        let Some(returns) = returns else { continue };
        let top = returns.iter().fold(returns[0], |best, r| if r.1 > best.1 { *r } else { best }).0;
        match held {
            Some(symbol) if symbol != top => {
                expected.push((t, symbol.to_string(), "SELL"));
                held = None;
            }
            Some(_) => {}
            None => {
                expected.push((t, top.to_string(), "BUY"));
                held = Some(top);
            }
        }
    }
    let orders = csv_rows(&out.join("orders.csv"));
    let got: Vec<(Timestamp, String, &str)> =
        orders.iter().map(|o| (time(&o["created"]), o["symbol"].clone(), o["side"].as_str())).collect();
    assert_eq!(got, expected);
    assert!(orders.iter().all(|o| o["status"] == "FILLED"));
    assert_eq!(csv_rows(&out.join("trades.csv")).len(), 11, "11 round trips on the shipped bars");

    // Holdings from the fills: never two symbols at once.
    let mut positions: BTreeMap<String, Decimal> = BTreeMap::new();
    for fill in csv_rows(&out.join("fills.csv")) {
        let signed = if fill["side"] == "BUY" { dec(&fill, "quantity") } else { -dec(&fill, "quantity") };
        *positions.entry(fill["symbol"].clone()).or_default() += signed;
        let held: Vec<_> = positions.iter().filter(|(_, q)| !q.is_zero()).collect();
        assert!(held.len() <= 1, "at {}: {held:?}", fill["time"]);
        assert!(positions.values().all(|q| *q >= Decimal::ZERO));
    }
}

#[test]
fn book_imbalance_first_buys_where_the_bids_first_outweigh_the_asks_and_runs_deterministically() {
    let work = tempfile::tempdir().unwrap();
    let registry = book_imbalance::registry();
    let out = backtest(&registry, "btc_l2_imbalance", work.path());

    // The book rebuilt from the capture on its own, message by message: the first message after which the best
    // five bid levels hold at least three times what the best five asks hold ((B - A) / (B + A) >= 1/2).
    let capture = common::repo("data/binance/l2/BTCUSDT-depth-trades-2024-08-08.gz");
    let rows = load_binance_capture(&capture, Symbol::new("BTCUSDT").unwrap()).unwrap();
    let mut sync = BinanceBookSync::new();
    let mut first = None;
    for message in messages(&rows) {
        sync.on_message(message).unwrap();
        let sum = |side| sync.book().levels(side).take(5).map(|(_, q)| i128::from(q)).sum::<i128>();
        let (bids, asks) = (sum(BookSide::Bid), sum(BookSide::Ask));
        if bids > 0 && asks > 0 && 2 * (bids - asks) >= bids + asks {
            first = Some(message[0].received);
            break;
        }
    }
    let first = first.expect("the bids outweigh the asks at some message");

    let orders = csv_rows(&out.join("orders.csv"));
    assert!(orders.len() > 100, "{} orders", orders.len());
    let entry = &orders[0];
    assert_eq!((time(&entry["created"]), entry["side"].as_str(), entry["type"].as_str()), (first, "BUY", "MARKET"));
    assert_eq!(dec(entry, "quantity"), Decimal::new(1, 3));
    // One entry at a time: buys and sells alternate, each sell closing exactly what the buy before it bought.
    for pair in orders.chunks(2) {
        assert_eq!(pair[0]["side"], "BUY");
        if let Some(exit) = pair.get(1) {
            assert_eq!(
                (exit["side"].as_str(), dec(exit, "filled_quantity")),
                ("SELL", dec(&pair[0], "filled_quantity"))
            );
        }
    }
    let fills = csv_rows(&out.join("fills.csv"));
    assert!(fills.iter().all(|f| f["liquidity"] == "taker"), "market orders take");
    assert!(time(&fills[0]["time"]) > first, "the order reaches the book after its latency");

    let again = backtest(&registry, "btc_l2_imbalance", &work.path().join("again"));
    for file in ["orders.csv", "fills.csv", "trades.csv", "equity.csv"] {
        let read = |dir: &Path| std::fs::read_to_string(dir.join(file)).unwrap();
        assert_eq!(read(&out), read(&again), "{file}");
    }
}

/// `ctb backtest PATH --out DIR/NAME` with `registry`; the report folder.
fn backtest_file(registry: &StrategyRegistry, scenario: &Path, dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(name);
    let args = ["ctb", "backtest", &scenario.display().to_string(), "--out", &out.display().to_string(), "--quiet"];
    Cli::try_parse_from(args).expect("arguments").run(registry).expect("the backtest runs");
    out
}

#[test]
fn momentum_rotation_waits_for_its_order_on_a_symbol_that_has_no_bar_at_the_next_slice() {
    // One-minute bars; ETHUSDT has none at minute 4. With a lookback of 1: ETHUSDT rises most at minute 1 (bought,
    // filled at minute 2's open) and still at 2; BTCUSDT at minute 3, so ETHUSDT is sold there — and that sell can
    // fill only at ETHUSDT's next open, minute 5. At minute 4 (a slice with BTCUSDT's bar alone) the sell still
    // works: nothing is ordered. At minute 5 the sell has filled and ETHUSDT (125 against 121) ranks first again;
    // it is bought, and still first at minute 6.
    let work = tempfile::tempdir().unwrap();
    let minute = |m: i64| 1_700_000_000_000 + m * 60_000;
    let file = |name: &str, closes: &[(i64, &str)]| {
        let mut text = String::from("timestamp,open,high,low,close,volume\n");
        let mut previous: Option<Decimal> = None;
        for &(m, close) in closes {
            let close: Decimal = close.parse().unwrap();
            let open = previous.unwrap_or(close);
            let (high, low) = (open.max(close), open.min(close));
            text += &format!("{},{open},{high},{low},{close},10\n", minute(m));
            previous = Some(close);
        }
        common::write(work.path(), name, &text);
    };
    file("BTC.csv", &[(0, "100"), (1, "100"), (2, "100"), (3, "110"), (4, "121"), (5, "122"), (6, "123")]);
    file("ETH.csv", &[(0, "100"), (1, "110"), (2, "120"), (3, "121"), (5, "125"), (6, "130")]);
    let scenario = common::write(
        work.path(),
        "gap.yaml",
        "name: gap\nseed: 1\ndata:\n  - { path: BTC.csv, format: csv, symbol: BTCUSDT }\n  - { path: ETH.csv, format: csv, \
         symbol: ETHUSDT }\nstrategy:\n  kind: momentum_rotation\n  params: { lookback: 1 }\nexchange:\n  name: binance\n  \
         fee_bps: { maker: 10, taker: 10 }\n  fill_model: next_open\n  instruments:\n    BTCUSDT: { base: BTC, quote: USDT, \
         tick_size: 0.01, lot_size: 0.00001, min_notional: 5 }\n    ETHUSDT: { base: ETH, quote: USDT, tick_size: 0.01, \
         lot_size: 0.0001, min_notional: 5 }\nportfolio:\n  quote: USDT\n  starting_cash: 10000\nrisk:\n  \
         max_position_size_percent: 100\n  max_daily_loss_percent: 100\n  max_drawdown_percent: 100\n  \
         max_consecutive_losses: 1000\n",
    );
    let out = backtest_file(&momentum_rotation::registry(), &scenario, work.path(), "gap");
    let orders = csv_rows(&out.join("orders.csv"));
    let close = |m: i64| Timestamp((minute(m) + 60_000) * 1_000_000);
    let got: Vec<(Timestamp, &str, &str)> =
        orders.iter().map(|o| (time(&o["created"]), o["symbol"].as_str(), o["side"].as_str())).collect();
    assert_eq!(
        got,
        [(close(1), "ETHUSDT", "BUY"), (close(3), "ETHUSDT", "SELL"), (close(5), "ETHUSDT", "BUY")],
        "{orders:#?}"
    );
    assert!(orders.iter().all(|o| o["status"] == "FILLED"), "{orders:#?}");
    assert!(csv_rows(&out.join("risk_events.csv")).is_empty(), "nothing was refused");
}

#[rstest::rstest]
#[case::rotation_lookback_overflowing_its_window(
    momentum_rotation::registry(),
    "momentum_rotation",
    serde_json::json!({ "lookback": usize::MAX }),
    "strategy.params.lookback: 18446744073709551615 bars (a window of one more) is more than the 1000000 a window may hold"
)]
#[case::rotation_lookback_of_the_longest_window(
    momentum_rotation::registry(),
    "momentum_rotation",
    serde_json::json!({ "lookback": cryptotradebot::strategy::indicators::MAX_PERIOD }),
    "strategy.params.lookback: 1000000 bars (a window of one more) is more than the 1000000 a window may hold"
)]
#[case::rotation_lookback_0(
    momentum_rotation::registry(),
    "momentum_rotation",
    serde_json::json!({ "lookback": 0 }),
    "strategy.params.lookback: momentum_rotation needs at least 1 bar"
)]
#[case::breakout_lookback_overflowing_its_window(
    breakout::registry(),
    "breakout",
    serde_json::json!({ "lookback": usize::MAX }),
    "strategy.params.lookback: 18446744073709551615 bars (a window of one more) is more than the 1000000 a window may hold"
)]
#[case::mean_reversion_period_too_long(
    mean_reversion::registry(),
    "mean_reversion",
    serde_json::json!({ "period": usize::MAX, "entry_z": 2, "exit_z": 0, "stop_sigmas": 3, "take_sigmas": 4 }),
    "strategy.params.period: 18446744073709551615 bars is more than the 1000000 a window may hold"
)]
fn the_examples_refuse_windows_longer_than_the_library_allows_before_allocating_them(
    #[case] registry: StrategyRegistry,
    #[case] kind: &str,
    #[case] params: serde_json::Value,
    #[case] message: &str,
) {
    let error = registry.build(kind, &params).err().expect("refused");
    assert!(matches!(error, cryptotradebot::Error::Validation(_)), "{error}");
    assert!(error.to_string().ends_with(message), "{error}");
}

#[test]
fn the_longest_windows_the_examples_accept_build_and_start() {
    use cryptotradebot::strategy::indicators::MAX_PERIOD;
    let rotation = serde_json::json!({ "lookback": MAX_PERIOD - 1 });
    let strategy = momentum_rotation::registry().build("momentum_rotation", &rotation).unwrap();
    assert_eq!(strategy.history_len(), MAX_PERIOD);
    let params =
        serde_json::json!({ "period": MAX_PERIOD, "entry_z": 2, "exit_z": 0, "stop_sigmas": 3, "take_sigmas": 4 });
    let mut strategy = mean_reversion::registry().build("mean_reversion", &params).unwrap();
    assert_eq!(strategy.warm_up_bars(), MAX_PERIOD);
    let stream = cryptotradebot::strategy::StreamInfo {
        symbol: Symbol::new("BTCUSDT").unwrap(),
        venue: cryptotradebot::model::VenueId(0),
        kind: cryptotradebot::strategy::StreamKind::Bars,
        close_scale: 2,
        lot_size: Decimal::new(1, 5),
    };
    strategy.on_start(&[stream]).expect("two windows of a million closes");
}

/// The README's table of the examples' results: round trips and final equity to the cent, as the deterministic runs
/// on the shipped data give them (regression pins: the behaviour is checked by the tests above).
#[rstest::rstest]
#[case(breakout::registry(), "btc_breakout", 11, "11926.36")]
#[case(mean_reversion::registry(), "btc_mean_reversion", 14, "10142.47")]
#[case(momentum_rotation::registry(), "btc_eth_rotation", 11, "9754.77")]
#[case(book_imbalance::registry(), "btc_l2_imbalance", 99, "9997.85")]
fn the_examples_results_in_the_readme_are_those_of_the_runs(
    #[case] registry: StrategyRegistry,
    #[case] scenario: &str,
    #[case] round_trips: usize,
    #[case] final_equity: &str,
) {
    let work = tempfile::tempdir().unwrap();
    let out = backtest(&registry, scenario, work.path());
    assert_eq!(csv_rows(&out.join("trades.csv")).len(), round_trips);
    let equity = csv_rows(&out.join("equity.csv"));
    let last = equity.last().expect("an equity curve");
    assert_eq!(dec(last, "equity").round_dp(2), final_equity.parse::<Decimal>().unwrap());
}
