//! Level-2 replay throughput: the shipped Binance captures (BTCUSDT and ETHUSDT, data/binance/l2/: a depth snapshot,
//! depth diffs and trades, ~10.8 minutes each) replayed through Binance's book-sync rules into the book, rows per
//! second. A row is one changed book level or one trade — the unit NautilusTrader's "data points" and hftbacktest's
//! events count.
//!
//! Run: `cargo bench --bench l2_replay`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;

use cryptotradebot::book::BinanceBookSync;
use cryptotradebot::data::load_binance_capture;
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
    group.finish();
}

criterion_group!(benches, replay);
criterion_main!(benches);
