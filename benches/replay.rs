//! Replay throughput of the full engine path: `sma_cross` (10/30) on a seeded 1,000,000-bar 1-minute geometric
//! random walk, through strategy → risk check → simulated exchange → ledger → equity curve.
//!
//! Each iteration records into the previous iteration's run log (`run_prepared_reusing`), as a sweep worker does,
//! so the number is the engine's steady-state throughput; a single run in a fresh process also pays for paging in
//! its ~45 MB of records (see the README's end-to-end timing).
//!
//! Run: `cargo bench --bench replay`. Target: ≥ 20 M bars/s on one core.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rust_decimal::Decimal;
use std::sync::Arc;

use cryptotradebot::data::RandomWalk;
use cryptotradebot::engine::{BacktestSetup, RunLog, prepare_market, run_prepared_reusing};
use cryptotradebot::exchange::sim::SimConfig;
use cryptotradebot::model::{Instrument, Symbol};
use cryptotradebot::risk::{RiskLimits, RiskPolicy};

const BARS: usize = 1_000_000;

fn setup() -> BacktestSetup {
    let symbol = Symbol::new("SYNUSDT").expect("valid symbol");
    BacktestSetup {
        venue: "sim".into(),
        // No fees: on a random walk, 10 bps per side would drain the account within a tenth of the series and leave
        // the rest of the run refusing orders. Without fees every one of the ~38,700 signals is filled, so the bench
        // measures the whole path; the fee arithmetic still runs.
        sim: SimConfig { maker_fee: Decimal::ZERO, taker_fee: Decimal::ZERO, ..SimConfig::default() },
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
    let mut spare = RunLog::default();
    group.bench_function("sma_cross_1m_bars_full_engine", |b| {
        b.iter(|| {
            let log = std::mem::take(&mut spare);
            let result = runtime.block_on(run_prepared_reusing(&setup, Arc::clone(&market), log)).expect("backtest");
            let trades = result.log.round_trips.len();
            spare = result.log;
            trades
        })
    });
    group.finish();
}

criterion_group!(benches, replay);
criterion_main!(benches);
