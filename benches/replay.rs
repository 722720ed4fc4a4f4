//! Replay throughput of the full engine path: `sma_cross` (10/30) on a seeded 1,000,000-bar 1-minute geometric
//! random walk, through strategy → risk check → simulated exchange → ledger → equity curve.
//!
//! Each iteration records into the previous iteration's run log (`run_prepared_reusing`), as a sweep worker does,
//! so the number is the engine's steady-state throughput; a single run in a fresh process also pays for paging in
//! its ~45 MB of records (see the README's end-to-end timing).
//!
//! `rules_1m_bars_full_engine` runs the same path with a rule strategy (`kind: rules`) of three indicators (exact
//! SMA 10 and 30, RSI 14) and two conditions (entry `crosses_above(fast, slow) and rsi < 70`, exit
//! `crosses_below(fast, slow)`), compiled once from its parameters.
//!
//! Run: `cargo bench --bench replay`. Target: ≥ 20 M bars/s on one core (sma_cross), ≥ 10 M bars/s (rules).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::sync::Arc;

use cryptotradebot::data::RandomWalk;
use cryptotradebot::engine::{BacktestSetup, RunLog, prepare_market, run_prepared_reusing};

mod common;

use common::{BARS, setup};

fn replay(c: &mut Criterion) {
    let setup = setup();
    let series = RandomWalk::minute_bars(setup.venues[0].instruments[0].symbol, BARS, 7).generate();
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
    let rules = BacktestSetup {
        strategy: "rules".into(),
        params: serde_json::json!({
            "indicators": {
                "fast": { "kind": "sma", "period": 10 },
                "slow": { "kind": "sma", "period": 30 },
                "rsi": { "kind": "rsi", "period": 14 },
            },
            "entry": "crosses_above(fast, slow) and rsi < 70",
            "exit": "crosses_below(fast, slow)",
        }),
        ..setup.clone()
    };
    group.bench_function("rules_1m_bars_full_engine", |b| {
        b.iter(|| {
            let log = std::mem::take(&mut spare);
            let result = runtime.block_on(run_prepared_reusing(&rules, Arc::clone(&market), log)).expect("backtest");
            let trades = result.log.round_trips.len();
            spare = result.log;
            trades
        })
    });
    group.finish();
}

criterion_group!(benches, replay);
criterion_main!(benches);
