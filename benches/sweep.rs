//! Sweep throughput: the grid — `sma_cross` fast 5..50 step 5 × slow 20..200 step 20 with fast < slow, 90
//! combinations — over the seeded 1,000,000-bar random walk, on all cores (rayon), each run measured down to its
//! summary metrics. The data is generated and prepared once, outside the timing, as `ctb sweep` loads it once.
//!
//! Run: `cargo bench --bench sweep` (prints the time per sweep; combinations/s = 90 / time). Target: ≤ 3 s on 2 cores.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use cryptotradebot::data::RandomWalk;
use cryptotradebot::engine::prepare_market;
use cryptotradebot::model::Timestamp;
use cryptotradebot::sweep::{Grid, ParamValues, Shard, Sweep, SweepSection};

mod common;

use common::{BARS, setup};

fn sweep(c: &mut Criterion) {
    let setup = setup();
    let series = RandomWalk::minute_bars(setup.venues[0].instruments[0].symbol, BARS, 7).generate();
    let (start, interval_ns) = (series.open_time.first().copied().unwrap_or(Timestamp(0)), series.interval);
    let market = Arc::new(prepare_market(&setup, vec![series]).expect("market"));
    let section = SweepSection {
        params: BTreeMap::from([
            ("fast".to_string(), ParamValues::Range("5..50 step 5".into())),
            ("slow".to_string(), ParamValues::Range("20..200 step 20".into())),
        ]),
        constraints: vec!["fast < slow".into()],
        samples: None,
        objective: Default::default(),
        top: 10,
        walk_forward: Default::default(),
    };
    let grid = Grid::expand(&section, 7).expect("grid");
    let sweep = Sweep { setup: &setup, market, grid: &grid, start, interval_ns };
    let mut group = c.benchmark_group("sweep");
    group.sample_size(10);
    group.throughput(Throughput::Elements(grid.combinations.len() as u64));
    group.bench_function("sma_cross_90_combinations_1m_bars", |b| {
        b.iter(|| sweep.run(Shard::ALL, &AtomicBool::new(false), &|| {}).expect("sweep").len())
    });
    group.finish();
}

criterion_group!(benches, sweep);
criterion_main!(benches);
