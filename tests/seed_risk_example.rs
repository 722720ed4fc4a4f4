//! The seed's "Risk Management Example", as written, in Rust: default limits, a daily start value of 10,000, a
//! 0.1 BTC buy at 50,000 with a portfolio of 10,000 and a balance of 6,000, the exits of that entry, and the
//! portfolio's risk.

use rust_decimal::dec;

use cryptotradebot::model::{Side, Symbol};
use cryptotradebot::risk::{RiskLevel, RiskLimits, RiskManager};

#[tokio::test]
async fn the_seeds_risk_management_example_works_as_written() {
    // Initialize risk manager
    let risk_limits = RiskLimits::default();
    let mut risk_manager = RiskManager::new(risk_limits);

    // Set daily start value for tracking
    risk_manager.set_daily_start_value(dec!(10000));

    // Validate an order: 0.1 × 50,000 = 5,000 is within the balance of 6,000 but above 10 % of 10,000 = 1,000,
    // so it is resized to 1,000 / 50,000 = 0.02.
    let symbol = Symbol::new("BTCUSD").unwrap();
    let (is_valid, reason, adjusted_qty) =
        risk_manager.validate_order(symbol, Side::Buy, dec!(0.1), dec!(50000), dec!(10000), dec!(6000)).await;
    assert!(is_valid, "{reason}");
    assert_eq!(adjusted_qty, dec!(0.02));
    assert!(reason.contains("max_position_size_percent 10"), "{reason}");

    // Calculate stop loss and take profit: 2 % and 6 % of 50,000.
    let (stop_loss, take_profit) =
        risk_manager.calculate_stop_loss_take_profit(symbol, Side::Buy, dec!(50000), None).await;
    assert_eq!((stop_loss, take_profit), (dec!(49000), dec!(53000)));

    // Assess portfolio risk: nothing held, no loss, no drawdown.
    let portfolio_risk = risk_manager.assess_portfolio_risk(dec!(10000)).await;
    assert_eq!(portfolio_risk.risk_level, RiskLevel::Low);
    assert_eq!(portfolio_risk.current_drawdown, dec!(0));
    assert_eq!(portfolio_risk.daily_pnl, dec!(0));
}
