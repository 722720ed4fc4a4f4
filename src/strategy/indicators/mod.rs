//! The indicator library: streaming indicators behind one [`Indicator`] trait, and the exact fixed-point helpers
//! ([`to_fixed`], [`SmaPair`]) the built-in strategies compare prices with.
//!
//! Every indicator takes one input at a time, allocates only in `new`, and keeps all of its state in itself: a
//! clone continues exactly as the original would, and [`Indicator::reset`] returns it to the state `new` made. Most
//! answer in O(1). Those on the highest/lowest of a window — [`Highest`], [`Lowest`], [`Donchian`], [`Stochastic`],
//! [`WilliamsR`], [`StochRsi`], [`Aroon`] — are amortised O(1) through a preallocated monotonic ring, O(period) for
//! one update in the worst case (a new extreme dropping the whole ring). Those that recompute their sums over the
//! window once every `period` inputs so that rounding cannot accumulate — [`StdDev`], [`Bollinger`], [`ZScore`],
//! [`LinRegSlope`], [`RollingVwap`], [`Mfi`] — are O(1) on the other inputs and O(period) on that one (amortised
//! O(1)). [`Cci`] is O(period) on every input: its mean deviation needs the whole window.
//!
//! [`Indicator::warm_up`] is how many inputs it takes before its first value, which is TA-Lib's lookback for the
//! indicators TA-Lib has; the values follow TA-Lib's definitions (seeds and smoothing included) to 1e-9 (checked in
//! `tests/indicators_golden.rs` against vectors `scripts/indicator_goldens.py` made, on the shipped prices and on
//! them scaled by 1e-9). Zero tests are scale-free, as TA-Lib's own are: a divisor or a variance is compared with 0
//! itself, and a window sum is exactly 0 once only zeros are left in it, so an indicator answers alike on prices
//! scaled by any power of ten (PPO alone keeps TA-Lib's band of 1e-14 around 0 for its slow average).
//!
//! Where a comparison decides a trade on prices — moving averages of prices, highest/lowest, Donchian channels and
//! the crosses of such series — there is an exact variant on integer fixed point ([`to_fixed`] units, `i128`
//! sums): [`ExactSma`] (an exact [`Mean`]), [`Highest`]/[`Lowest`] and [`Donchian`] over `i64`, and
//! [`crosses_above`]/[`crosses_below`]/[`Cross`], which compare whatever they are given exactly when it is exact.
//! Everything else is `f64` statistics over [`Candle`]s or closes; inputs must be finite.

mod aroon;
mod averages;
mod bands;
mod cci;
mod cross;
mod directional;
mod exact;
mod extremes;
mod kama;
mod layered;
mod macd;
mod momentum;
mod rsi;
mod statistics;
mod stochastic;
mod volatility;
mod volume;
mod vwap;
mod wilder;
mod window;

use crate::model::{Bar, Timestamp};
use std::cmp::Ordering;

pub use crate::model::exact::to_fixed;
pub use aroon::{Aroon, AroonValue};
pub use averages::{Ema, Sma, Wma};
pub use bands::{Bollinger, BollingerValue, Donchian, DonchianValue, Keltner, KeltnerValue};
pub use cci::Cci;
pub use cross::{Cross, CrossKind, crosses_above, crosses_below};
pub use directional::{Adx, AdxValue, Dmi, DmiValue};
pub use exact::{ExactSma, Mean};
pub use extremes::{Extreme, Highest, Lowest};
pub use kama::Kama;
pub use layered::{Dema, Hma, Tema};
pub use macd::{Macd, MacdValue, Ppo};
pub use momentum::{Momentum, Roc};
pub use rsi::Rsi;
pub use statistics::{LinRegSlope, StdDev, ZScore};
pub use stochastic::{StochRsi, Stochastic, StochasticValue, WilliamsR};
pub use volatility::{Atr, Natr, TrueRange};
pub use volume::{Mfi, Obv};
pub use vwap::{RollingVwap, SessionVwap};

/// The longest window (period) a strategy's parameters may give, in bars: an indicator's buffers are allocated when
/// it is built, so a larger one is refused before anything is allocated (a million 1-minute bars are about 23 months).
pub const MAX_PERIOD: usize = 1_000_000;

/// A streaming indicator: one input at a time, a value once warmed up.
pub trait Indicator {
    /// What one update takes: a close (`f64`, or `i64` fixed point for the exact indicators) or a [`Candle`].
    type Input;
    /// What it answers once warmed up.
    type Output;

    /// Adds `input`; returns the indicator's value after it, or `None` while warming up.
    fn update(&mut self, input: Self::Input) -> Option<Self::Output>;

    /// How many inputs come before the first value (TA-Lib's lookback): the value of input number `warm_up()`
    /// (counting from 0) is the first `Some`.
    fn warm_up(&self) -> usize;

    /// Forgets every input: afterwards the indicator behaves as it did when new.
    fn reset(&mut self);
}

/// One bar as the `f64` indicators see it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candle {
    /// Start of the bar (the session VWAP's day boundary is read from it).
    pub open_time: Timestamp,
    /// Highest price.
    pub high: f64,
    /// Lowest price.
    pub low: f64,
    /// Last price.
    pub close: f64,
    /// Traded base volume.
    pub volume: f64,
}

impl Candle {
    /// The typical price `(high + low + close) / 3`, as TA-Lib computes it.
    #[inline]
    pub fn typical(&self) -> f64 {
        (self.high + self.low + self.close) / 3.0
    }
}

impl From<&Bar> for Candle {
    fn from(bar: &Bar) -> Self {
        use crate::model::exact::to_f64;
        Candle {
            open_time: bar.open_time,
            high: to_f64(bar.high),
            low: to_f64(bar.low),
            close: to_f64(bar.close),
            volume: to_f64(bar.volume),
        }
    }
}

/// A bar's high and low in exact fixed point ([`to_fixed`] units), the input of [`Donchian`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HighLow {
    /// Highest price, in units of `10^-scale`.
    pub high: i64,
    /// Lowest price, in units of `10^-scale`.
    pub low: i64,
}

impl HighLow {
    /// A bar's high and low in units of `10^-scale`, when both are exact at that scale and fit an `i64`.
    pub fn from_bar(bar: &Bar, scale: u32) -> Option<Self> {
        Some(HighLow { high: to_fixed(bar.high, scale)?, low: to_fixed(bar.low, scale)? })
    }
}

/// The nearest `f64` to a fixed-point value in units of `10^-scale`: one correctly rounded division while
/// `|value| < 2⁵³` and `scale` ≤ 22, so the same `f64` as parsing the value's decimal text. The view of the exact
/// indicators' values.
#[inline]
pub fn from_fixed(value: i64, scale: u32) -> f64 {
    value as f64 / 10f64.powi(scale as i32)
}

/// Two simple moving averages of one series, a fast one inside a slow one, kept as exact running integer sums over
/// one ring buffer of the last `slow` values: O(1) per value, one write, and ties compare equal.
#[derive(Clone, Debug)]
pub struct SmaPair {
    ring: Vec<i64>,
    fast: usize,
    next: usize,
    fast_out: usize,
    warmup: usize,
    fast_sum: i128,
    slow_sum: i128,
}

impl SmaPair {
    /// Averages over the last `fast` and the last `slow` values (`1 <= fast <= slow`).
    pub fn new(fast: usize, slow: usize) -> Self {
        let slow = slow.max(1);
        let fast = fast.clamp(1, slow);
        SmaPair { ring: vec![0; slow], fast, next: 0, fast_out: slow - fast, warmup: slow, fast_sum: 0, slow_sum: 0 }
    }

    /// Adds `value`. Once `slow` values have been seen, returns how the fast average compares with the slow one,
    /// by cross-multiplying the sums (`fast_sum × slow` against `slow_sum × fast`), exactly.
    #[inline]
    pub fn push(&mut self, value: i64) -> Option<Ordering> {
        let slow = self.ring.len();
        // The value leaving the slow window is the one in the slot about to be overwritten; the one leaving the
        // fast window was pushed `fast` values ago. Slots not yet written hold 0, so warm-up needs no special case.
        let leaving_slow = self.ring[self.next];
        let leaving_fast = self.ring[self.fast_out];
        self.ring[self.next] = value;
        self.slow_sum += i128::from(value) - i128::from(leaving_slow);
        self.fast_sum += i128::from(value) - i128::from(leaving_fast);
        self.next = if self.next + 1 == slow { 0 } else { self.next + 1 };
        self.fast_out = if self.fast_out + 1 == slow { 0 } else { self.fast_out + 1 };
        if self.warmup > 0 {
            self.warmup -= 1;
            if self.warmup > 0 {
                return None;
            }
        }
        Some((self.fast_sum * slow as i128).cmp(&(self.slow_sum * self.fast as i128)))
    }
}

/// Helpers the indicators' unit tests share.
#[cfg(test)]
mod test_support {
    use super::{Candle, Indicator};
    use crate::model::Timestamp;

    /// Every value `indicator` gives over `inputs`.
    pub(super) fn feed<I: Indicator>(
        mut indicator: I,
        inputs: impl IntoIterator<Item = I::Input>,
    ) -> Vec<Option<I::Output>> {
        inputs.into_iter().map(|x| indicator.update(x)).collect()
    }

    /// A bar of one volume unit at time 0.
    pub(super) fn candle(high: f64, low: f64, close: f64) -> Candle {
        Candle { open_time: Timestamp(0), high, low, close, volume: 1.0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal::dec;

    #[test]
    fn fixed_point_is_exact_or_refused() {
        assert_eq!(to_fixed(dec!(16541.77), 2), Some(1_654_177));
        assert_eq!(to_fixed(dec!(16541.7), 2), Some(1_654_170));
        assert_eq!(to_fixed(dec!(1.234), 2), None, "more decimals than the scale cannot be exact");
        assert_eq!(to_fixed(dec!(1e20), 2), None, "too large for i64");
    }

    proptest! {
        #[test]
        fn sma_pair_compares_like_averages_computed_directly(
            values in proptest::collection::vec(-1_000_000_i64..1_000_000, 1..200), fast in 1usize..10, extra in 0usize..10,
        ) {
            let slow = fast + extra;
            let mut pair = SmaPair::new(fast, slow);
            for (i, &v) in values.iter().enumerate() {
                let got = pair.push(v);
                let expected = (i + 1 >= slow).then(|| {
                    let sum = |n: usize| values[i + 1 - n..=i].iter().map(|&x| i128::from(x)).sum::<i128>();
                    (sum(fast) * slow as i128).cmp(&(sum(slow) * fast as i128))
                });
                prop_assert_eq!(got, expected, "after value {}", i);
            }
        }
    }

    #[test]
    fn bars_convert_exactly_or_not_at_all() {
        let bar = Bar {
            open_time: Timestamp(3_600_000_000_000),
            close_time: Timestamp(7_200_000_000_000),
            open: dec!(16541.77),
            high: dec!(16545.7),
            low: dec!(16508.39),
            close: dec!(16529.67),
            volume: dec!(4364.8357),
        };
        assert_eq!(HighLow::from_bar(&bar, 2), Some(HighLow { high: 1_654_570, low: 1_650_839 }));
        assert_eq!(HighLow::from_bar(&bar, 1), None, "16508.39 is not exact in tenths");
        let candle = Candle::from(&bar);
        assert_eq!((candle.open_time, candle.high, candle.volume), (bar.open_time, 16545.7, 4364.8357));
        assert_eq!(candle.typical(), (16545.7 + 16508.39 + 16529.67) / 3.0);
        assert_eq!(from_fixed(1_654_570, 2), 16545.7, "the same f64 as the decimal text");
    }

    #[test]
    fn equal_averages_compare_equal() {
        // closes 95, 92, 98: SMA2 of the last two = 95, SMA3 = 95
        let mut pair = SmaPair::new(2, 3);
        assert_eq!(pair.push(9500), None);
        assert_eq!(pair.push(9200), None);
        assert_eq!(pair.push(9800), Some(Ordering::Equal));
    }
}
