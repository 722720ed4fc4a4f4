//! What the private-stream tests share: booking what a stream delivered, and reading the booked fills.

use rust_decimal::Decimal;

use cryptotradebot::engine::TradingEngine;
use cryptotradebot::model::{Liquidity, OrderStatus};

/// Books what the venues' private streams deliver until `engine` holds `fills` fills (five seconds at most).
pub async fn collect_until(engine: &mut TradingEngine, fills: usize) {
    for _ in 0..500 {
        engine.collect_venue_reports().unwrap();
        if engine.run_log().fills.len() >= fills {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("{fills} fill(s) expected, {} booked", engine.run_log().fills.len());
}

/// Books what the private streams deliver until the engine's first order is `status` (five seconds at most).
pub async fn collect_until_status(engine: &mut TradingEngine, status: OrderStatus) {
    for _ in 0..500 {
        engine.collect_venue_reports().unwrap();
        if engine.run_log().orders[0].report.status == status {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("order 1 {status:?} expected, it is {:?}", engine.run_log().orders[0].report.status);
}

/// The booked fills: quantity, price, fee, trade id (empty without one), liquidity.
pub fn booked(engine: &TradingEngine) -> Vec<(Decimal, Decimal, Decimal, String, Liquidity)> {
    let fills = &engine.run_log().fills;
    fills
        .iter()
        .map(|f| {
            let trade = f.fill.trade_id.map(|t| t.to_string()).unwrap_or_default();
            (f.fill.quantity, f.fill.price, f.fill.fee, trade, f.fill.liquidity)
        })
        .collect()
}
