//! Level-2 replay throughput: the shipped Binance captures (BTCUSDT and ETHUSDT, data/binance/l2/: a depth snapshot,
//! depth diffs and trades, ~10.8 minutes each) replayed through Binance's book-sync rules into the book, rows per
//! second. A row is one changed book level or one trade — the unit NautilusTrader's "data points" and hftbacktest's
//! events count.
//!
//! `engine_spread_quoter` runs the whole level-2 backtest of scenarios/btc_l2_market_maker.yaml on the BTCUSDT
//! capture: the engine, the venue's book and matching (latency, queue positions, prints), the quoting strategy after
//! every message, its orders and cancels through the risk manager, fills into the ledger.
//!
//! Run: `cargo bench --bench l2_replay`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;

use cryptotradebot::config::Scenario;
use cryptotradebot::data::load_binance_capture;
use cryptotradebot::engine::run_book_backtest;
use cryptotradebot::market::BinanceBookSync;
use cryptotradebot::model::{L2Row, Symbol};

fn capture(symbol: &str) -> Vec<L2Row> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("data/binance/l2/{symbol}-depth-trades-2024-08-08.gz"));
    load_binance_capture(&path, Symbol::new(symbol).expect("symbol")).expect("the shipped capture loads")
}

fn replay(c: &mut Criterion) {
    let captures = [capture("BTCUSDT"), capture("ETHUSDT")];
    let rows: usize = captures.iter().map(Vec::len).sum();
    let mut group = c.benchmark_group("l2_replay");
    group.throughput(Throughput::Elements(rows as u64));
    group.bench_function("book_sync_no_orders", |b| {
        b.iter(|| {
            for rows in &captures {
                let mut sync = BinanceBookSync::new();
                sync.replay(black_box(rows)).expect("no gap");
                black_box(sync.book().best_bid());
            }
        })
    });
    let scenario = Scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/btc_l2_market_maker.yaml"))
        .expect("the shipped scenario loads");
    let streams: std::sync::Arc<[_]> = scenario.load_book_streams().expect("its capture loads").into();
    group.throughput(Throughput::Elements(streams.iter().map(|s| s.rows.len() as u64).sum()));
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    group.bench_function("engine_spread_quoter", |b| {
        b.iter(|| {
            let result =
                runtime.block_on(run_book_backtest(&scenario.setup, black_box(streams.clone()))).expect("runs");
            black_box(result.log.fills.len());
        })
    });
    group.finish();
}

criterion_group!(benches, replay);
criterion_main!(benches);
