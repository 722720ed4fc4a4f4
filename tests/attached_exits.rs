//! Stop-loss and take-profit exits attached by the engine (`risk_policy.exits.attach`), on the ten hand-worked bars
//! of `hand_worked_ten_bars.rs` (sma_cross 2/3, 1,000 USDT, 10 bps taker fee, lot 0.001, next-open fills).
//!
//! The t3 crossover buys 9.794 at the t4 open of 102 (fee 0.998988, cash left 0.013012). With the default 2 % / 6 %
//! the stop sits at 102 × 0.98 = 99.96 and the take-profit at 102 × 1.06 = 108.12, placed as a one-cancels-the-other
//! pair once the entry has filled. The rest of the t4 bar happened after the fill, so the pair is matched against it.
//!
//! - Stop at 99.96: t4 low 101, t5 low 100 stay above; t6 (open 101, low 94) sells at 99.96.
//!   9.794 × 99.96 = 979.00824, fee 0.97900824, cash 0.013012 + 979.00824 − 0.97900824 = 978.04224376.
//! - Take-profit when the entry bar reaches it (t4 high 109): sells at 108.12 in the entry bar.
//!   9.794 × 108.12 = 1,058.92728, fee 1.05892728, cash 1,057.88136472.
//! - Both inside the entry bar (t4 low 99, high 109): the path inside a bar is unknown; the adverse reading fills the
//!   stop, at 99.96, and cancels the take-profit.
//! - Wider exits (10 % / 30 %: 91.8 and 132.6) are not reached before the t6 crossover sells at the t7 open; the
//!   engine cancels them before that sell, so the t7 low of 90 does not fill the stop as well.

mod common;

use rust_decimal::Decimal;
use rust_decimal::dec;

use common::ten_bars::{BARS, SCENARIO, T4, hour};
use cryptotradebot::config::Scenario;
use cryptotradebot::model::{OrderStatus, OrderType, Side, Timestamp};
use cryptotradebot::runner::{ScenarioRun, run_scenario};

/// The hand-worked scenario with exits attached at `stop_percent` / `take_percent`.
fn scenario(stop_percent: &str, take_percent: &str) -> String {
    let limits = "max_drawdown_percent: 100 }";
    let with_exits =
        format!("max_drawdown_percent: 100, stop_loss_percent: {stop_percent}, take_profit_percent: {take_percent} }}");
    SCENARIO.replace(limits, &with_exits) + "risk_policy: { exits: { attach: true } }\n"
}

/// Runs the scenario with the t4 bar's range and the exit percentages given.
fn run(t4_high: &str, t4_low: &str, stop_percent: &str, take_percent: &str) -> ScenarioRun {
    let dir = tempfile::tempdir().unwrap();
    let t4 = format!("2024-01-01T04:00:00Z,102,{t4_high},{t4_low},105,1");
    common::write(dir.path(), "bars.csv", &BARS.replace(T4, &t4));
    let scenario = scenario(stop_percent, take_percent);
    let scenario = Scenario::load(&common::write(dir.path(), "scenario.yaml", &scenario)).unwrap();
    run_scenario(&scenario, &dir.path().join("report")).unwrap()
}

/// The exit orders of the run: (type, stop price, status, reason).
fn exits(run: &ScenarioRun) -> Vec<(OrderType, Option<Decimal>, OrderStatus, Option<String>)> {
    let orders = run.result.log.orders.iter().map(|o| &o.report);
    let exits = orders.filter(|r| matches!(r.request.order_type, OrderType::StopMarket | OrderType::TakeProfitMarket));
    exits.map(|r| (r.request.order_type, r.request.stop_price, r.status, r.reason.clone())).collect()
}

/// The fills of the run: (time, side, quantity, price, fee).
fn fills(run: &ScenarioRun) -> Vec<(Timestamp, Side, Decimal, Decimal, Decimal)> {
    run.result.log.fills.iter().map(|f| (f.fill.time, f.fill.side, f.fill.quantity, f.fill.price, f.fill.fee)).collect()
}

const ENTRY: (i64, Side, Decimal, Decimal, Decimal) = (4, Side::Buy, dec!(9.794), dec!(102), dec!(0.998988));

fn entry() -> (Timestamp, Side, Decimal, Decimal, Decimal) {
    (hour(ENTRY.0), ENTRY.1, ENTRY.2, ENTRY.3, ENTRY.4)
}

fn one_cancels_the_other(reason: &Option<String>) -> bool {
    reason.as_deref().is_some_and(|r| r.starts_with("one-cancels-the-other"))
}

#[test]
fn the_stop_loss_sells_at_its_price_when_a_later_bar_falls_through_it() {
    let run = run("106", "101", "2", "6");
    assert_eq!(fills(&run), [entry(), (hour(6), Side::Sell, dec!(9.794), dec!(99.96), dec!(0.97900824))]);
    let exits = exits(&run);
    assert_eq!(exits.len(), 2);
    assert_eq!((exits[0].0, exits[0].1, exits[0].2), (OrderType::StopMarket, Some(dec!(99.96)), OrderStatus::Filled));
    assert_eq!(
        (exits[1].0, exits[1].1, exits[1].2),
        (OrderType::TakeProfitMarket, Some(dec!(108.12)), OrderStatus::Canceled)
    );
    assert!(one_cancels_the_other(&exits[1].3), "{:?}", exits[1].3);
    let trip = &run.result.log.round_trips[0];
    // (99.96 − 102) × 9.794 = −19.97976; fees 0.998988 + 0.97900824
    assert_eq!((trip.gross_pnl, trip.net_pnl), (dec!(-19.97976), dec!(-21.95775624)));
    // The t6 crossover finds nothing to sell; the t9 one buys again with all the cash, still open at the end.
    assert_eq!(run.result.portfolio.equity(), dec!(978.04224376));
    assert_eq!(run.result.log.fills.len(), 2);
}

#[test]
fn a_take_profit_inside_the_entry_bar_fills_in_that_bar() {
    let run = run("109", "101", "2", "6");
    assert_eq!(fills(&run), [entry(), (hour(4), Side::Sell, dec!(9.794), dec!(108.12), dec!(1.05892728))]);
    let exits = exits(&run);
    assert_eq!((exits[0].2, exits[1].2), (OrderStatus::Canceled, OrderStatus::Filled));
    assert!(one_cancels_the_other(&exits[0].3), "{:?}", exits[0].3);
    assert_eq!(run.result.portfolio.equity(), dec!(1057.88136472));
}

#[test]
fn when_one_bar_reaches_both_exits_the_stop_fills_first() {
    let run = run("109", "99", "2", "6");
    assert_eq!(fills(&run), [entry(), (hour(4), Side::Sell, dec!(9.794), dec!(99.96), dec!(0.97900824))]);
    let exits = exits(&run);
    assert_eq!((exits[0].2, exits[1].2), (OrderStatus::Filled, OrderStatus::Canceled));
    assert_eq!(run.result.portfolio.equity(), dec!(978.04224376));
}

#[test]
fn a_strategy_exit_cancels_the_attached_pair_before_it_sells() {
    let run = run("106", "101", "10", "30");
    // As in the hand-worked run without exits: sell 9.794 at the t7 open of 95, cash 929.512582.
    assert_eq!(fills(&run), [entry(), (hour(7), Side::Sell, dec!(9.794), dec!(95), dec!(0.93043))]);
    let exits = exits(&run);
    assert_eq!((exits[0].1, exits[1].1), (Some(dec!(91.8)), Some(dec!(132.6))));
    let sell_id = run
        .result
        .log
        .orders
        .iter()
        .find(|o| o.report.request.side == Side::Sell && o.report.request.order_type == OrderType::Market);
    let sell_id = sell_id.map(|o| o.report.request.client_order_id).unwrap();
    // The engine cancels the stop; the venue's one-cancels-the-other rule then ends the take-profit.
    assert_eq!((exits[0].2, exits[1].2), (OrderStatus::Canceled, OrderStatus::Canceled));
    assert_eq!(exits[0].3.as_deref(), Some(format!("canceled: order {sell_id} reduces the position").as_str()));
    assert!(one_cancels_the_other(&exits[1].3), "{:?}", exits[1].3);
    assert_eq!(run.result.portfolio.equity(), dec!(929.512582));
}

#[test]
fn each_part_of_an_entry_a_volume_cap_spreads_over_bars_is_protected_as_it_fills() {
    // sma_cross 1/2, no fees, 800 USDT, `max_volume_percent: 30` of a volume of 10: 3 BTC per order per bar. The
    // cross up at 02:00's close (101) buys with all the cash from 03:00's open; the risk manager's distances are 2 %
    // and 6 % of the price it admitted the order at, 101: 2.02 and 6.06.
    // - 03:00 (open 100): 3 @ 100; their pair: stop 97.98, take-profit 106.06; the rest of 03:00 (99-101) reaches
    //   neither.
    // - 04:00 (open 100, low 80): the next 3 @ 100; the first pair's stop sells its 3 at 97.98, and the second
    //   part's pair, placed at once and matched against the rest of 04:00, sells its 3 at 97.98 too.
    // - 05:00 (open 81): the 200 left buy floor_0.001(200 / 81) = 2.469 @ 81 = 199.989; their pair (78.98, 87.06)
    //   is not reached (80-82).
    // Cash 800 − 600 + 2 × 293.94 − 199.989 = 587.891; with 2.469 at 81: equity 787.88. (Before, the exits waited
    // for the entry to end: the 6 BTC bought by 04:00 rode the fall to 81 unprotected.)
    let run = capped_run(CAPPED_BARS);
    assert_eq!(
        fills(&run),
        [
            (at(3), Side::Buy, dec!(3), dec!(100), dec!(0)),
            (at(4), Side::Buy, dec!(3), dec!(100), dec!(0)),
            (at(4), Side::Sell, dec!(3), dec!(97.98), dec!(0)),
            (at(4), Side::Sell, dec!(3), dec!(97.98), dec!(0)),
            (at(5), Side::Buy, dec!(2.469), dec!(81), dec!(0)),
        ]
    );
    let stops: Vec<_> = exits(&run).iter().filter(|e| e.0 == OrderType::StopMarket).map(|e| (e.1, e.2)).collect();
    assert_eq!(
        stops,
        [
            (Some(dec!(97.98)), OrderStatus::Filled),
            (Some(dec!(97.98)), OrderStatus::Filled),
            (Some(dec!(78.98)), OrderStatus::New)
        ]
    );
    assert_eq!(run.result.portfolio.cash(), dec!(587.891));
    assert_eq!(run.result.portfolio.equity(), dec!(787.88));
}

/// Seven hourly bars from 2023-01-01: a cross up at 02:00 (sma_cross 1/2), a crash to 80 at 04:00.
const CAPPED_BARS: &str = "timestamp,open,high,low,close,volume
2023-01-01T00:00:00Z,100,101,99,100,10
2023-01-01T01:00:00Z,100,101,99,99,10
2023-01-01T02:00:00Z,99,101,98,101,10
2023-01-01T03:00:00Z,100,101,99,100,10
2023-01-01T04:00:00Z,100,100,80,81,10
2023-01-01T05:00:00Z,81,82,80,81,10
2023-01-01T06:00:00Z,81,82,80,81,10
";

/// sma_cross 1/2 with all of 800 USDT, no fees, a 30 % volume cap, exits attached at 2 % / 6 %.
const CAPPED_SCENARIO: &str = "name: capped_entry
data:
  - { path: bars.csv, format: csv, symbol: BTCUSDT }
strategy: { kind: sma_cross, params: { fast: 1, slow: 2 } }
exchange:
  fee_bps: { maker: 0, taker: 0 }
  liquidity: { max_volume_percent: 30 }
  instruments:
    BTCUSDT: { tick_size: 0.01, lot_size: 0.001, min_notional: 5 }
portfolio: { quote: USDT, starting_cash: 800 }
risk:
  max_position_size_percent: 100
  max_daily_loss_percent: 100
  max_drawdown_percent: 100
  stop_loss_percent: 2
  take_profit_percent: 6
risk_policy: { exits: { attach: true } }
";

/// Runs [`CAPPED_SCENARIO`] on `bars`.
fn capped_run(bars: &str) -> ScenarioRun {
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), "bars.csv", bars);
    let scenario = Scenario::load(&common::write(dir.path(), "scenario.yaml", CAPPED_SCENARIO)).unwrap();
    run_scenario(&scenario, &dir.path().join("report")).unwrap()
}

/// Hour `hour` of 2023-01-01.
fn at(hour: i64) -> Timestamp {
    Timestamp(1_672_531_200_000_000_000 + hour * 3_600_000_000_000)
}

#[test]
fn a_part_too_small_for_its_own_exits_is_protected_with_the_entrys_next_part() {
    // As above, but 03:00 trades 0.1 BTC (a cap of 0.03) and 04:00 100 (a cap of 30). The first part, 0.03 @ 100,
    // would get a stop of 0.03 × 97.98 = 2.9394 USDT, below the minimum notional of 5: it waits. The second part,
    // the 797 left: 7.97 @ 100, gets one pair for 8 at their average 100 (97.98 / 106.06), which the crash at 04:00
    // sells at 97.98: 783.84. (Alone, the 0.03 would have had no exit and ridden the crash to 81.)
    let bars = CAPPED_BARS
        .replace("2023-01-01T03:00:00Z,100,101,99,100,10", "2023-01-01T03:00:00Z,100,101,99,100,0.1")
        .replace("2023-01-01T04:00:00Z,100,100,80,81,10", "2023-01-01T04:00:00Z,100,100,80,81,100");
    let run = capped_run(&bars);
    assert_eq!(
        fills(&run),
        [
            (at(3), Side::Buy, dec!(0.03), dec!(100), dec!(0)),
            (at(4), Side::Buy, dec!(7.97), dec!(100), dec!(0)),
            (at(4), Side::Sell, dec!(8), dec!(97.98), dec!(0)),
        ]
    );
    let stops: Vec<_> = exits(&run).iter().filter(|e| e.0 == OrderType::StopMarket).map(|e| (e.1, e.2)).collect();
    assert_eq!(stops, [(Some(dec!(97.98)), OrderStatus::Filled)], "one pair, no refused one");
    assert_eq!(run.result.portfolio.equity(), dec!(783.84));
}
