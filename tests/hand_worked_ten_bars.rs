//! A 10-bar backtest worked out by hand: every signal, fill, fee, equity mark and the round trip are written out
//! below and asserted.
//!
//! sma_cross fast 2 / slow 3, 1,000 USDT, taker fee 10 bps, lot 0.001, next-open fills. Closes:
//! 100, 98, 96, 102, 105, 101, 95, 92, 98, 103.
//!
//! | bar | SMA2  | SMA3    | fast vs slow | signal                                   |
//! |-----|-------|---------|--------------|------------------------------------------|
//! | t2  | 97    | 98      | <            |                                          |
//! | t3  | 99    | 98.667  | >            | cross up → buy with all cash at t4 open   |
//! | t4  | 103.5 | 101     | >            |                                          |
//! | t5  | 103   | 102.667 | >            |                                          |
//! | t6  | 98    | 100.333 | <            | cross down → sell all at t7 open          |
//! | t7  | 93.5  | 96      | <            |                                          |
//! | t8  | 95    | 95      | = (exact tie)| no cross: `fast > slow` is false           |
//! | t9  | 100.5 | 97.667  | >            | cross up (previous was `<=`) → buy, but no t10: stays open |
//!
//! Buy at t4 open 102: qty = floor_0.001(1000 / (102 × 1.001)) = floor(9.794127...) = 9.794; notional 998.988;
//! fee 0.998988; cash 1000 − 998.988 − 0.998988 = 0.013012.
//! Sell at t7 open 95: notional 9.794 × 95 = 930.43; fee 0.93043; cash 0.013012 + 930.43 − 0.93043 = 929.512582.
//! Round trip: gross 930.43 − 998.988 = −68.558; fees 1.929418; net −70.487418.

mod common;

use rust_decimal::Decimal;
use rust_decimal::dec;

use common::ten_bars::{BARS, SCENARIO, hour};
use cryptotradebot::config::Scenario;
use cryptotradebot::model::{OrderQty, OrderStatus, Side, Timestamp};
use cryptotradebot::runner::run_scenario;

#[test]
fn every_fill_fee_and_equity_mark_matches_the_hand_computation() {
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), "bars.csv", BARS);
    let scenario = Scenario::load(&common::write(dir.path(), "scenario.yaml", SCENARIO)).unwrap();
    let run = run_scenario(&scenario, &dir.path().join("report")).unwrap();
    let log = &run.result.log;

    // Fills
    assert_eq!(log.fills.len(), 2);
    let (buy, sell) = (log.fills[0].fill, log.fills[1].fill);
    assert_eq!(
        (buy.time, buy.side, buy.quantity, buy.price, buy.fee),
        (hour(4), Side::Buy, dec!(9.794), dec!(102), dec!(0.998988))
    );
    assert_eq!(
        (sell.time, sell.side, sell.quantity, sell.price, sell.fee),
        (hour(7), Side::Sell, dec!(9.794), dec!(95), dec!(0.93043))
    );

    // Equity at each bar close (t0 closes at 01:00)
    let expected: [Decimal; 10] = [
        dec!(1000),
        dec!(1000),
        dec!(1000),
        dec!(1000),
        dec!(1028.383012), // 0.013012 + 9.794 × 105
        dec!(989.207012),  // 0.013012 + 9.794 × 101
        dec!(930.443012),  // 0.013012 + 9.794 × 95
        dec!(929.512582),  // flat after the sell
        dec!(929.512582),
        dec!(929.512582),
    ];
    let marks: Vec<(Timestamp, Decimal)> = log.equity.iter().map(|p| (p.time, p.equity())).collect();
    let wanted: Vec<(Timestamp, Decimal)> =
        expected.iter().enumerate().map(|(i, &e)| (hour(i as i64 + 1), e)).collect();
    assert_eq!(marks, wanted);

    // The round trip
    let trips = &run.result.log.round_trips;
    assert_eq!(trips.len(), 1);
    let t = &trips[0];
    assert_eq!((t.entry_price(), t.exit_price(), t.quantity), (dec!(102), dec!(95), dec!(9.794)));
    assert_eq!((t.gross_pnl, t.fees, t.net_pnl), (dec!(-68.558), dec!(1.929418), dec!(-70.487418)));

    // Orders: the t9 signal has no next bar, so its order is still open at the end with all the cash.
    assert_eq!(log.orders.len(), 3);
    assert_eq!(log.orders[2].report.status, OrderStatus::New);
    assert_eq!(log.orders[2].report.request.quantity, OrderQty::Quote(dec!(929.512582)));
    assert_eq!(run.summary.orders.open_at_end, 1);

    // Summary metrics follow from the marks: drawdown from the 1028.383012 peak to 929.512582.
    let m = &run.summary.metrics;
    assert_eq!(m.final_equity, dec!(929.512582));
    assert_eq!(m.fees, dec!(1.929418));
    assert_eq!((m.trades, m.win_rate, m.profit_factor), (1, Some(0.0), Some(0.0)));
    let depth = 1.0 - 929.512582 / 1028.383012;
    assert!((m.max_drawdown.depth - depth).abs() < 1e-12);
    assert_eq!((m.max_drawdown.peak_time, m.max_drawdown.trough_time), (hour(5), hour(8)));
    assert_eq!(m.exposure, 0.3, "a position was held at 3 of 10 marks");
}
