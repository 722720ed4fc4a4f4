//! Replay throughput of the full engine path: `sma_cross` (10/30) on a seeded 1,000,000-bar 1-minute geometric
//! random walk, through strategy → risk check → simulated exchange → ledger → equity curve.
//!
//! Run: `cargo bench --bench replay`. Target: ≥ 20 M bars/s on one core.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rust_decimal::Decimal;
use std::sync::Arc;

use cryptotradebot::data::RandomWalk;
use cryptotradebot::engine::{BacktestSetup, prepare_market, run_prepared};
use cryptotradebot::exchange::sim::SimConfig;
use cryptotradebot::model::{Instrument, Symbol};
use cryptotradebot::risk::RiskLimits;

const BARS: usize = 1_000_000;

fn setup() -> BacktestSetup {
    let symbol = Symbol::new("SYNUSDT").expect("valid symbol");
    BacktestSetup {
        venue: "sim".into(),
        sim: SimConfig::default(),
        instruments: vec![Instrument {
            symbol,
            base: "SYN".into(),
            quote: "USDT".into(),
            tick_size: Decimal::new(1, 2),
            lot_size: Decimal::new(1, 8),
            min_notional: Decimal::from(5),
        }],
        quote: "USDT".into(),
        starting_cash: Decimal::from(10_000),
        risk: RiskLimits { max_position_size_percent: Decimal::ONE_HUNDRED, ..RiskLimits::default() },
        strategy: "sma_cross".into(),
        params: serde_json::json!({ "fast": 10, "slow": 30 }),
    }
}

fn replay(c: &mut Criterion) {
    let setup = setup();
    let series = RandomWalk::minute_bars(setup.instruments[0].symbol, BARS, 7).generate();
    let market = Arc::new(prepare_market(&setup, vec![series]).expect("market"));
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let mut group = c.benchmark_group("replay");
    group.sample_size(10);
    group.throughput(Throughput::Elements(BARS as u64));
    group.bench_function("sma_cross_1m_bars_full_engine", |b| {
        b.iter(|| runtime.block_on(run_prepared(&setup, Arc::clone(&market))).expect("backtest"))
    });
    // The per-bar floor: averages too long to ever cross, so no order is ever placed.
    let quiet = BacktestSetup { params: serde_json::json!({ "fast": 999_999, "slow": 1_000_000 }), ..setup.clone() };
    group.bench_function("no_orders_1m_bars_full_engine", |b| {
        b.iter(|| runtime.block_on(run_prepared(&quiet, Arc::clone(&market))).expect("backtest"))
    });
    group.finish();
}

criterion_group!(benches, replay);
criterion_main!(benches);
