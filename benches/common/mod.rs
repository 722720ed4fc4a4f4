//! The benchmarks' shared setup: `sma_cross` on a seeded 1,000,000-bar 1-minute random walk, no fees, every risk
//! limit checked but opened wide.

use rust_decimal::Decimal;

use cryptotradebot::engine::{BacktestSetup, VenueSetup};
use cryptotradebot::model::{Instrument, Symbol};
use cryptotradebot::risk::{RiskLimits, RiskPolicy};
use cryptotradebot::strategy::StrategyRegistry;
use cryptotradebot::venue::sim::SimConfig;

/// Bars of the generated series.
pub const BARS: usize = 1_000_000;

/// The backtest every bench runs (sweeps vary its `params`).
pub fn setup() -> BacktestSetup {
    let symbol = Symbol::new("SYNUSDT").expect("valid symbol");
    let instrument = Instrument {
        symbol,
        base: "SYN".into(),
        quote: "USDT".into(),
        tick_size: Decimal::new(1, 2),
        lot_size: Decimal::new(1, 8),
        min_notional: Decimal::from(5),
        min_quantity: None,
        max_quantity: None,
    };
    // No fees: on a random walk, 10 bps per side would drain the account within a tenth of the series and leave the
    // rest of the run refusing orders. Without fees every one of the ~38,700 signals is filled, so the bench measures
    // the whole path; the fee arithmetic still runs.
    let sim = SimConfig { maker_fee: Decimal::ZERO, taker_fee: Decimal::ZERO, ..SimConfig::default() };
    BacktestSetup {
        venues: vec![VenueSetup::new("sim", sim, vec![instrument], Decimal::from(10_000))],
        quote: "USDT".into(),
        starting_cash: Decimal::from(10_000),
        // Every limit is checked on every order and mark, but opened so that the strategy trades all the way through
        // (the daily-loss, drawdown and losing-streak rules would otherwise stop it early on a random walk).
        risk: RiskLimits {
            max_position_size_percent: Decimal::ONE_HUNDRED,
            max_daily_loss_percent: Decimal::ONE_HUNDRED,
            max_drawdown_percent: Decimal::ONE_HUNDRED,
            max_consecutive_losses: u32::MAX,
            ..RiskLimits::default()
        },
        policy: RiskPolicy::default(),
        strategy: "sma_cross".into(),
        params: serde_json::json!({ "fast": 10, "slow": 30 }),
        strategies: StrategyRegistry::builtin(),
    }
}
