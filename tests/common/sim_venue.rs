//! The simulated venue the hand-worked venue tests share: BTCUSDT (tick 0.01, lot 0.001) and hourly bars.

use rust_decimal::{Decimal, dec};
use std::collections::BTreeMap;

use cryptotradebot::model::{Bar, Instrument, MarketEvent, Symbol, Timestamp};
use cryptotradebot::venue::SimulatedExchange;
use cryptotradebot::venue::sim::SimConfig;

/// One hour in nanoseconds.
pub const HOUR: i64 = 3_600_000_000_000;

/// The test symbol.
pub fn btc() -> Symbol {
    Symbol::new("BTCUSDT").unwrap()
}

/// BTCUSDT with a tick of 0.01, a lot of 0.001 and `min_notional`.
pub fn btc_instrument(min_notional: Decimal) -> Instrument {
    Instrument {
        symbol: btc(),
        base: "BTC".into(),
        quote: "USDT".into(),
        tick_size: dec!(0.01),
        lot_size: dec!(0.001),
        min_notional,
        min_quantity: None,
        max_quantity: None,
    }
}

/// The BTCUSDT bar of hour `hour`.
pub fn bar(hour: i64, open: Decimal, high: Decimal, low: Decimal, close: Decimal) -> MarketEvent {
    let (open_time, close_time) = (Timestamp(hour * HOUR), Timestamp((hour + 1) * HOUR));
    MarketEvent::bar(btc(), Bar { open_time, close_time, open, high, low, close, volume: dec!(1) })
}

/// A venue listing BTCUSDT (minimum notional 10) with `config`, holding `balances` (asset, amount).
pub fn venue(config: SimConfig, balances: &[(&str, Decimal)]) -> SimulatedExchange {
    let balances = balances.iter().map(|(asset, amount)| (asset.to_string(), *amount)).collect::<BTreeMap<_, _>>();
    SimulatedExchange::new("sim", config, vec![btc_instrument(dec!(10))], balances).unwrap()
}
