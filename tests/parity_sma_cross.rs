//! The shipped scenario against independent tools (spec `sma_cross_v1`): vectorbt 1.2.0, backtrader 1.9.78 and a
//! plain reference agree on BTCUSDT 1h, 2023-01 + 2023-02 (1,416 bars): 26 closed round trips, final equity
//! 12,020.6013 USDT, return 20.2060 %, max drawdown 11.3678 %.

mod common;

use rust_decimal::Decimal;
use rust_decimal::dec;

use cryptotradebot::config::Scenario;
use cryptotradebot::runner::run_scenario;

#[test]
fn shipped_btc_sma_cross_scenario_matches_the_reference_tools() {
    let scenario = Scenario::load(&common::repo("scenarios/btc_sma_cross.yaml")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let run = run_scenario(&scenario, out.path()).unwrap();
    let m = &run.summary.metrics;

    assert_eq!(run.summary.period.marks, 1416);
    assert_eq!(m.trades, 26);
    assert!((m.final_equity - dec!(12020.6013)).abs() <= dec!(0.01), "final equity {}", m.final_equity);
    assert!((m.total_return * 100.0 - 20.2060).abs() < 0.0001, "return {}", m.total_return);
    assert!((m.max_drawdown.depth * 100.0 - 11.3678).abs() < 0.0001, "max drawdown {}", m.max_drawdown.depth);
    assert!(run.summary.open_positions.is_empty(), "the last trade was closed before the data ended");
}

#[test]
fn ledger_invariant_holds_at_every_bar_and_the_venue_agrees_with_the_ledger() {
    let scenario = Scenario::load(&common::repo("scenarios/btc_sma_cross.yaml")).unwrap();
    let (series, _) = scenario.load_market_data().unwrap();
    let closes = series[0].close.clone();
    let out = tempfile::tempdir().unwrap();
    let run = run_scenario(&scenario, out.path()).unwrap();
    let log = &run.result.log;

    // Rebuild cash and position from the fills alone, and check every mark: cash + position × close = equity.
    let recorded_cash: Vec<Decimal> = log.cash_at_marks(dec!(10000)).collect();
    let (mut cash, mut position, mut next_fill) = (dec!(10000), Decimal::ZERO, 0);
    for (i, point) in log.equity.iter().enumerate() {
        while next_fill < log.fills.len() && log.fills[next_fill].fill.time < point.time {
            let f = log.fills[next_fill].fill;
            let sign = f.side.sign();
            cash -= sign * f.quantity * f.price + f.fee;
            position += sign * f.quantity;
            next_fill += 1;
        }
        assert_eq!(recorded_cash[i], cash, "cash at mark {i}");
        assert_eq!(point.equity(), cash + position * closes[i], "equity at mark {i}");
    }
    assert_eq!(run.result.venue_balances["USDT"], cash, "venue and ledger hold the same cash");
    assert_eq!(run.result.venue_balances["BTC"], position);
    // Fees are exactly 10 bps of every fill's notional.
    for f in &log.fills {
        assert_eq!(f.fill.fee, f.fill.quantity * f.fill.price * dec!(0.001));
    }
    assert_eq!(run.summary.metrics.fees, log.fills.iter().map(|f| f.fill.fee).sum::<Decimal>());
}
