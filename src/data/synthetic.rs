//! Seeded synthetic bars: a geometric random walk, for benchmarks, speed checks and strategy smoke tests.
//!
//! The same parameters and seed give the same bars, bit for bit, on a given platform.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::model::{BarSeries, Symbol, Timestamp};

/// Parameters of a geometric random walk.
#[derive(Clone, Copy, Debug)]
pub struct RandomWalk {
    /// Symbol to name the series.
    pub symbol: Symbol,
    /// Number of bars.
    pub bars: usize,
    /// Open time of the first bar.
    pub start: Timestamp,
    /// Bar length in nanoseconds.
    pub interval_ns: i64,
    /// First open price.
    pub start_price: f64,
    /// Standard deviation of the log return per bar.
    pub volatility: f64,
    /// Decimal places prices are rounded to.
    pub price_decimals: u32,
    /// RNG seed.
    pub seed: u64,
}

impl RandomWalk {
    /// One-minute bars of a BTC-like price (start 20,000, 0.1 % per-minute volatility, cents).
    pub fn minute_bars(symbol: Symbol, bars: usize, seed: u64) -> Self {
        RandomWalk {
            symbol,
            bars,
            start: Timestamp(1_577_836_800_000_000_000), // 2020-01-01T00:00:00Z
            interval_ns: 60_000_000_000,
            start_price: 20_000.0,
            volatility: 0.001,
            price_decimals: 2,
            seed,
        }
    }

    /// Generates the bars: each open is the previous close, the close moves by `exp(σ·z)`, high and low extend
    /// beyond both by a half-normal wick, volume is uniform in [1, 100).
    pub fn generate(&self) -> BarSeries {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut s = BarSeries {
            symbol: self.symbol,
            interval: self.interval_ns,
            open_time: Vec::with_capacity(self.bars),
            open: Vec::with_capacity(self.bars),
            high: Vec::with_capacity(self.bars),
            low: Vec::with_capacity(self.bars),
            close: Vec::with_capacity(self.bars),
            volume: Vec::with_capacity(self.bars),
        };
        // Prices are whole ticks: x rounded to the nearest 10^-decimals, at least one tick.
        let ticks_per_unit = 10_f64.powi(self.price_decimals as i32);
        let round =
            |x: f64| Decimal::new(((x * ticks_per_unit).round() as i64).max(1), self.price_decimals).normalize();
        let mut close = self.start_price;
        for i in 0..self.bars {
            let open = close;
            let step: f64 = rng.sample(StandardNormal);
            close = open * (self.volatility * step).exp();
            let up: f64 = rng.sample::<f64, _>(StandardNormal).abs() * self.volatility / 2.0;
            let down: f64 = rng.sample::<f64, _>(StandardNormal).abs() * self.volatility / 2.0;
            let (o, c) = (round(open), round(close));
            let h = round(open.max(close) * (1.0 + up)).max(o).max(c);
            let l = round(open.min(close) * (1.0 - down)).min(o).min(c);
            s.open_time.push(Timestamp(self.start.0 + i as i64 * self.interval_ns));
            s.open.push(o);
            s.high.push(h);
            s.low.push(l);
            s.close.push(c);
            s.volume.push(Decimal::from(rng.random_range(100_u32..10_000)) / Decimal::ONE_HUNDRED);
            close = c.to_f64().unwrap_or(close);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_bars_and_bars_are_consistent() {
        let walk = RandomWalk::minute_bars(Symbol::new("SYN").unwrap(), 2_000, 7);
        let a = walk.generate();
        assert_eq!(a, walk.generate());
        assert_ne!(a, RandomWalk { seed: 8, ..walk }.generate());
        for i in 0..a.len() {
            assert!(a.low[i] > Decimal::ZERO);
            assert!(a.low[i] <= a.open[i].min(a.close[i]) && a.high[i] >= a.open[i].max(a.close[i]));
            if i > 0 {
                assert_eq!(a.open[i], a.close[i - 1], "each open is the previous close");
            }
        }
    }
}
