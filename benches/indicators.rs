//! Update throughput of every indicator of the library, one input at a time, on the closes (or whole bars) of a
//! seeded 1,000,000-bar 1-minute random walk — the numbers behind "O(1) per update" (`Cci`, O(period) by its
//! definition, is the slow one). Each indicator starts from a fresh clone (built outside the timing); its values
//! go through `black_box`. Periods are the usual ones (14, 20; SMA 30).
//!
//! Run: `cargo bench --bench indicators`.

use criterion::{BatchSize, BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main, measurement};
use std::hint::black_box;
use std::time::Duration;

use cryptotradebot::data::RandomWalk;
use cryptotradebot::model::Symbol;
use cryptotradebot::model::exact::to_f64;
use cryptotradebot::strategy::indicators::{
    Adx, Aroon, Atr, Bollinger, Candle, Cci, Cross, Dema, Dmi, Donchian, Ema, ExactSma, HighLow, Highest, Hma,
    Indicator, Kama, Keltner, LinRegSlope, Lowest, Macd, Mfi, Momentum, Natr, Obv, Ppo, Roc, RollingVwap, Rsi,
    SessionVwap, Sma, StdDev, StochRsi, Stochastic, Tema, TrueRange, WilliamsR, Wma, ZScore, to_fixed,
};

const BARS: usize = 1_000_000;

/// Times `name`: a fresh clone of `prototype` fed every input.
fn run<I>(group: &mut BenchmarkGroup<'_, measurement::WallTime>, name: &str, prototype: I, inputs: &[I::Input])
where
    I: Indicator + Clone,
    I::Input: Copy,
{
    group.bench_function(name, |b| {
        b.iter_batched_ref(
            || prototype.clone(),
            |indicator| {
                for &input in inputs {
                    black_box(indicator.update(input));
                }
            },
            BatchSize::LargeInput,
        )
    });
}

fn indicators(c: &mut Criterion) {
    let symbol = Symbol::new("SYNUSDT").expect("valid symbol");
    let series = RandomWalk::minute_bars(symbol, BARS, 7).generate();
    let bars: Vec<_> = (0..series.len()).map(|i| series.bar(i)).collect();
    let closes: Vec<f64> = bars.iter().map(|b| to_f64(b.close)).collect();
    let candles: Vec<Candle> = bars.iter().map(Candle::from).collect();
    let fixed: Vec<i64> = bars.iter().map(|b| to_fixed(b.close, 8).expect("8 decimals")).collect();
    let high_lows: Vec<HighLow> = bars.iter().map(|b| HighLow::from_bar(b, 8).expect("8 decimals")).collect();
    let pairs: Vec<(f64, f64)> = closes.windows(2).map(|w| (w[0], w[1])).collect();

    let mut group = c.benchmark_group("indicators");
    group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    group.throughput(Throughput::Elements(BARS as u64));
    run(&mut group, "exact_sma_30", ExactSma::new(30), &fixed);
    run(&mut group, "highest_20_exact", Highest::<i64>::new(20), &fixed);
    run(&mut group, "lowest_20_exact", Lowest::<i64>::new(20), &fixed);
    run(&mut group, "donchian_20_exact", Donchian::new(20), &high_lows);
    run(&mut group, "sma_30", Sma::new(30), &closes);
    run(&mut group, "ema_20", Ema::new(20), &closes);
    run(&mut group, "wma_20", Wma::new(20), &closes);
    run(&mut group, "dema_20", Dema::new(20), &closes);
    run(&mut group, "tema_20", Tema::new(20), &closes);
    run(&mut group, "hma_20", Hma::new(20), &closes);
    run(&mut group, "kama_10", Kama::new(10), &closes);
    run(&mut group, "rsi_14", Rsi::new(14), &closes);
    run(&mut group, "roc_10", Roc::new(10), &closes);
    run(&mut group, "momentum_10", Momentum::new(10), &closes);
    run(&mut group, "stddev_20", StdDev::new(20), &closes);
    run(&mut group, "zscore_20", ZScore::new(20), &closes);
    run(&mut group, "linreg_slope_14", LinRegSlope::new(14), &closes);
    run(&mut group, "ppo_12_26", Ppo::new(12, 26), &closes);
    run(&mut group, "macd_12_26_9", Macd::new(12, 26, 9), &closes);
    run(&mut group, "bollinger_20_2", Bollinger::new(20, 2.0), &closes);
    run(&mut group, "stoch_rsi_14_5_3", StochRsi::new(14, 5, 3), &closes);
    run(&mut group, "true_range", TrueRange::new(), &candles);
    run(&mut group, "atr_14", Atr::new(14), &candles);
    run(&mut group, "natr_14", Natr::new(14), &candles);
    run(&mut group, "cci_14", Cci::new(14), &candles);
    run(&mut group, "williams_r_14", WilliamsR::new(14), &candles);
    run(&mut group, "dmi_14", Dmi::new(14), &candles);
    run(&mut group, "adx_14", Adx::new(14), &candles);
    run(&mut group, "stochastic_5_3_3", Stochastic::new(5, 3, 3), &candles);
    run(&mut group, "keltner_20_10_2", Keltner::new(20, 10, 2.0), &candles);
    run(&mut group, "aroon_14", Aroon::new(14), &candles);
    run(&mut group, "mfi_14", Mfi::new(14), &candles);
    run(&mut group, "obv", Obv::new(), &candles);
    run(&mut group, "rolling_vwap_20", RollingVwap::new(20), &candles);
    run(&mut group, "session_vwap", SessionVwap::new(), &candles);
    run(&mut group, "cross", Cross::<f64>::new(), &pairs);
    group.finish();
}

criterion_group!(benches, indicators);
criterion_main!(benches);
