//! Rule strategies (`kind: rules`) on the ten hand-worked bars of `hand_worked_ten_bars.rs` (1,000 USDT, 10 bps
//! fees, lot 0.001, next-open fills): each sizing mode, limit and stop entries, a bracket, a trailing stop, the
//! position state and warm-up, worked out by hand.
//!
//! Closes 100, 98, 96, 102, 105, 101, 95, 92, 98, 103; opens 100, 100, 98, 96, 102, 105, 101, 95, 92, 98; highs
//! 101, 101, 99, 103, 106, 106, 101, 96, 99, 104; lows 99, 97, 95, 96, 101, 100, 94, 90, 92, 97.
//! SMA(3) of the close from t2: 98, 98.67, 101, 102.67, 100.33, 96, 95, 97.67. `close > sma3` holds at t3 (102 >
//! 98.67), t4 (105 > 101) and t8, t9; `close < sma3` at t2, t5 (101 < 102.67), t6, t7. Warm-up: nothing is decided
//! before t2 — at t0 and t1 the average has no value, so both conditions are false.

mod common;

use rust_decimal::{Decimal, dec};

use common::ten_bars::{BARS, SCENARIO, hour};
use cryptotradebot::config::Scenario;
use cryptotradebot::model::{OrderStatus, OrderType, Side, Timestamp};
use cryptotradebot::runner::{ScenarioRun, run_scenario};

/// The hand-worked scenario with `rules` (YAML lines under `params:`, indented by four) and `extra` appended.
fn run_with(rules: &str, extra: &str) -> ScenarioRun {
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), "bars.csv", BARS);
    let strategy = format!("strategy:\n  kind: rules\n  params:\n{rules}");
    let text = SCENARIO.replace("strategy: { kind: sma_cross, params: { fast: 2, slow: 3 } }\n", &strategy) + extra;
    let scenario = Scenario::load(&common::write(dir.path(), "scenario.yaml", &text)).unwrap();
    run_scenario(&scenario, &dir.path().join("report")).unwrap()
}

fn run(rules: &str) -> ScenarioRun {
    run_with(rules, "")
}

/// The trend rules most cases share: buy when the close is above its SMA(3), sell when it is below.
const TREND: &str = "    indicators: { sma3: { kind: sma, period: 3 } }
    entry: close > sma3
    exit: close < sma3
";

fn fills(run: &ScenarioRun) -> Vec<(Timestamp, Side, Decimal, Decimal, Decimal)> {
    run.result.log.fills.iter().map(|f| (f.fill.time, f.fill.side, f.fill.quantity, f.fill.price, f.fill.fee)).collect()
}

fn fill(
    h: i64,
    side: Side,
    quantity: Decimal,
    price: Decimal,
    fee: Decimal,
) -> (Timestamp, Side, Decimal, Decimal, Decimal) {
    (hour(h), side, quantity, price, fee)
}

#[test]
fn percent_of_equity_buys_that_share_of_equity_and_nothing_is_decided_before_the_average_is_warm() {
    // t3 close: 50 % of 1,000 = 500 quote at the t4 open of 102: floor(500 / 102.102, 0.001) = 4.897, 499.494, fee
    // 0.499494. t5 close < sma3: sold at the t6 open of 101: 494.597, fee 0.494597; cash 994.108909. t8 close: 50 %
    // of 994.108909 = 497.0544545 at the t9 open of 98: floor(497.0544545 / 98.098) = 5.066, 496.468, fee 0.496468.
    let run = run(&format!("    share: 50\n{TREND}    sizing: {{ percent_of_equity: $share }}\n"));
    assert_eq!(
        fills(&run),
        [
            fill(4, Side::Buy, dec!(4.897), dec!(102), dec!(0.499494)),
            fill(6, Side::Sell, dec!(4.897), dec!(101), dec!(0.494597)),
            fill(9, Side::Buy, dec!(5.066), dec!(98), dec!(0.496468)),
        ]
    );
    assert_eq!(run.result.portfolio.cash(), dec!(994.108909) - dec!(496.468) - dec!(0.496468));
}

#[test]
fn a_fixed_quote_amount_buys_that_amount_fee_included() {
    // 300 at the t4 open of 102: floor(300 / 102.102) = 2.938 (299.676, fee 0.299676); sold at 101 (296.738, fee
    // 0.296738); 300 at the t9 open of 98: floor(300 / 98.098) = 3.058 (299.684, fee 0.299684)
    let run = run(&format!("{TREND}    sizing: {{ quote: 300 }}\n"));
    assert_eq!(
        fills(&run),
        [
            fill(4, Side::Buy, dec!(2.938), dec!(102), dec!(0.299676)),
            fill(6, Side::Sell, dec!(2.938), dec!(101), dec!(0.296738)),
            fill(9, Side::Buy, dec!(3.058), dec!(98), dec!(0.299684)),
        ]
    );
}

#[test]
fn fixed_risk_sizes_from_the_stop_distance_and_the_bracket_exits_at_its_levels() {
    // Exit never fires; stop 4 below and take-profit 6 above the entry's average price. t3 close: risk 1 % of 1,000
    // = 10 over a 4 stop → 2.5 at the t4 open of 102 (255, fee 0.255): stop 98, take-profit 108. t4 (101–106) and
    // t5 (100–106) reach neither; t6 (open 101, low 94) sells at 98: 245, fee 0.245 → cash 989.5. t8 close: 1 % of
    // 989.5 / 4 = 2.47375 → 2.473 at the t9 open of 98 (242.354, fee 0.242354): stop 94, take-profit 104, which
    // the rest of t9 (high 104, low 97) reaches: 257.192, fee 0.257192.
    let rules = "    risk: 1
    indicators: { sma3: { kind: sma, period: 3 } }
    entry: close > sma3
    exit: close > 1000000
    stop_loss: 4
    take_profit: 6
    sizing: { risk_percent: $risk }
";
    let run = run(rules);
    assert_eq!(
        fills(&run),
        [
            fill(4, Side::Buy, dec!(2.5), dec!(102), dec!(0.255)),
            fill(6, Side::Sell, dec!(2.5), dec!(98), dec!(0.245)),
            fill(9, Side::Buy, dec!(2.473), dec!(98), dec!(0.242354)),
            fill(9, Side::Sell, dec!(2.473), dec!(104), dec!(0.257192)),
        ]
    );
    assert_eq!(run.result.portfolio.cash(), dec!(1003.838454));
    let exits: Vec<_> = run.result.log.orders.iter().map(|o| (o.report.request.order_type, o.report.status)).collect();
    assert_eq!(
        exits,
        [
            (OrderType::Market, OrderStatus::Filled),
            (OrderType::StopMarket, OrderStatus::Filled),
            (OrderType::TakeProfitMarket, OrderStatus::Canceled),
            (OrderType::Market, OrderStatus::Filled),
            (OrderType::StopMarket, OrderStatus::Canceled),
            (OrderType::TakeProfitMarket, OrderStatus::Filled),
            (OrderType::Market, OrderStatus::New),
        ]
    );
}

#[test]
fn kelly_sizing_leaves_the_size_to_the_risk_managers_kelly_rule() {
    // risk_policy.kelly: before one closed trade, the fallback 20 % of equity: 200 quote at the t4 open of 102 →
    // floor(200 / 102.102) = 1.958 (199.716, fee 0.199716); sold at the t6 open of 101 (197.758, fee 0.197758): a
    // loss; cash 1,000 − 199.915716 + 197.560242 = 997.644526. With that one trade Kelly is W − (1 − W)/R with
    // W = 0: −1, below the floor (floor_percent 0.5 % by default), so the t8 entry gets the floor: 0.5 % of
    // 997.644526 = 4.98822263 quote, at the t9 open of 98: floor(4.98822263 / 98.098) = 0.05 (4.9, fee 0.0049).
    // Sizing it to nothing would have stopped the strategy for good: no entry, no trade to re-estimate from.
    let run = run_with(
        &format!("{TREND}    sizing: kelly\n"),
        "risk_policy: { kelly: { fraction: 0.5, min_trades: 1, fallback_percent: 20 } }\n",
    );
    assert_eq!(
        fills(&run),
        [
            fill(4, Side::Buy, dec!(1.958), dec!(102), dec!(0.199716)),
            fill(6, Side::Sell, dec!(1.958), dec!(101), dec!(0.197758)),
            fill(9, Side::Buy, dec!(0.05), dec!(98), dec!(0.0049))
        ]
    );
    let events: Vec<&str> = run.result.log.risk_events.iter().map(|e| e.reason.as_str()).collect();
    assert!(events.iter().any(|r| r.contains("fixed 20 %")), "{events:?}");
    assert!(events.last().is_some_and(|r| r.contains("Kelly")), "{events:?}");
}

#[test]
fn a_limit_entry_at_an_offset_fills_when_the_price_comes_to_it() {
    // t3 close: limit buy at close − 0.5 = 101.5 of floor(500 / 101.5) = 4.926; t4 (open 102, low 101) fills it at
    // 101.5: 499.989, maker fee 0.499989. t5 close < sma3: sold at the t6 open of 101: 497.526, fee 0.497526.
    let run = run(&format!("{TREND}    entry_order: {{ limit: close - 0.5 }}\n    sizing: {{ quote: 500 }}\n"));
    assert_eq!(
        fills(&run)[..2],
        [
            fill(4, Side::Buy, dec!(4.926), dec!(101.5), dec!(0.499989)),
            fill(6, Side::Sell, dec!(4.926), dec!(101), dec!(0.497526))
        ]
    );
    // t8 close: limit at 97.5 of floor(500 / 97.5) = 5.128; t9 (low 97) fills it: 499.98, fee 0.49998
    assert_eq!(fills(&run)[2], fill(9, Side::Buy, dec!(5.128), dec!(97.5), dec!(0.49998)));
}

#[test]
fn a_limit_entry_the_price_never_reaches_is_canceled_at_the_next_close() {
    // t3 close: limit at close − 3 = 99; t4's low is 101: not filled, canceled at the t4 close (and nothing new that
    // bar); t5–t7 are below their average; t8 close: limit at 95; t9's low is 97: canceled at the t9 close.
    let run = run(&format!("{TREND}    entry_order: {{ limit: close - 3 }}\n    sizing: {{ quote: 500 }}\n"));
    assert!(fills(&run).is_empty());
    let orders: Vec<_> = run.result.log.orders.iter().map(|o| (o.report.request.price, o.report.status)).collect();
    assert_eq!(orders, [(Some(dec!(99)), OrderStatus::Canceled), (Some(dec!(95)), OrderStatus::Canceled)]);
}

#[test]
fn a_stop_entry_buys_when_the_price_rises_through_it() {
    // t3 close: buy stop at the t3 high of 103 for floor(500 / 103) = 4.854; t4 (open 102, high 106) triggers it:
    // 499.962, fee 0.499962. Sold at the t6 open of 101: 490.254, fee 0.490254.
    let run = run(&format!("{TREND}    entry_order: {{ stop: high }}\n    sizing: {{ quote: 500 }}\n"));
    assert_eq!(
        fills(&run)[..2],
        [
            fill(4, Side::Buy, dec!(4.854), dec!(103), dec!(0.499962)),
            fill(6, Side::Sell, dec!(4.854), dec!(101), dec!(0.490254))
        ]
    );
}

#[test]
fn a_trailing_stop_is_placed_once_the_entry_filled_and_sells_when_the_price_falls_back_by_its_distance() {
    // All cash at the t4 open of 102: 9.794 (998.988, fee 0.998988; cash 0.013012). t4 close (105): trailing stop 7
    // → 98. t5 (high 106) → 99, its low 100 stays above; t6 (open 101, low 94) sells at 99: 969.606, fee 0.969606
    // → cash 968.649406. t8 close: all cash at the t9 open of 98: floor(968.649406 / 98.098) = 9.874.
    let run = run("    trail: 7
    indicators: { sma3: { kind: sma, period: 3 } }
    entry: close > sma3
    exit: close > 1000000
    trailing_stop: $trail
");
    assert_eq!(
        fills(&run),
        [
            fill(4, Side::Buy, dec!(9.794), dec!(102), dec!(0.998988)),
            fill(6, Side::Sell, dec!(9.794), dec!(99), dec!(0.969606)),
            fill(9, Side::Buy, dec!(9.874), dec!(98), dec!(0.967652)),
        ]
    );
    let trailing = run.result.log.orders.iter().filter(|o| o.report.request.order_type == OrderType::TrailingStop);
    assert_eq!(trailing.map(|o| o.report.status).collect::<Vec<_>>(), [OrderStatus::Filled, OrderStatus::New]);
}

#[test]
fn bars_held_counts_the_closes_since_the_entry_filled() {
    // Entry filled at the t4 open; bars_held is 1 at the t4 close, 3 at the t6 close: sold at the t7 open of 95.
    let run = run("    indicators: { sma3: { kind: sma, period: 3 } }
    entry: close > sma3
    exit: bars_held >= 3
");
    assert_eq!(
        fills(&run)[..2],
        [
            fill(4, Side::Buy, dec!(9.794), dec!(102), dec!(0.998988)),
            fill(7, Side::Sell, dec!(9.794), dec!(95), dec!(0.93043))
        ]
    );
}

#[test]
fn earlier_bars_and_crosses_read_the_lagged_values() {
    // close[1] > close[2] and close > close[1]: two rises in a row — t4 (96 → 102 → 105) only; t9 (92 → 98 → 103)
    // too late to fill. Exit: crosses_below(close, sma3) — t5 (101 < 102.67 after 105 ≥ 101).
    let run = run("    indicators: { sma3: { kind: sma, period: 3 } }
    entry: close > close[1] and close[1] > close[2]
    exit: crosses_below(close, sma3)
");
    assert_eq!(
        fills(&run),
        [
            fill(5, Side::Buy, dec!(9.514), dec!(105), dec!(0.99897)),
            fill(6, Side::Sell, dec!(9.514), dec!(101), dec!(0.960914))
        ]
    );
}
