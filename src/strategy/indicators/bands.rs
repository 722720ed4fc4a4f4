//! Channels around the price: Bollinger bands with %B ([`Bollinger`]), Keltner channels ([`Keltner`]) and
//! Donchian channels ([`Donchian`], exact in fixed point).

use super::averages::Ema;
use super::exact::Mean;
use super::extremes::{Highest, Lowest};
use super::volatility::Atr;
use super::window::{Moments, std_dev_of};
use super::{Candle, HighLow, Indicator};

/// Bollinger bands and where the input sits in them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BollingerValue {
    /// Middle + `k` σ.
    pub upper: f64,
    /// The simple moving average.
    pub middle: f64,
    /// Middle − `k` σ.
    pub lower: f64,
    /// %B: `(x − lower) / (upper − lower)`, 0.5 when the bands are one line.
    pub percent_b: f64,
}

/// Bollinger bands (TA-Lib `BBANDS` with an SMA and equal deviations up and down): the SMA of the last `period`
/// values ± `k` population standard deviations (as [`super::StdDev`]), and %B. O(1) per input, and O(`period`)
/// once every `period` inputs, when the running sums are recomputed over the window. Warm-up: `period − 1`.
#[derive(Clone, Debug)]
pub struct Bollinger {
    moments: Moments,
    k: f64,
}

impl Bollinger {
    /// Bands over `period` values (at least one), `k` deviations wide on each side.
    pub fn new(period: usize, k: f64) -> Self {
        Bollinger { moments: Moments::new(period), k }
    }
}

impl Indicator for Bollinger {
    type Input = f64;
    type Output = BollingerValue;

    #[inline]
    fn update(&mut self, x: f64) -> Option<BollingerValue> {
        let (middle, variance) = self.moments.push(x)?;
        let width = std_dev_of(variance) * self.k;
        let (upper, lower) = (middle + width, middle - width);
        let percent_b = if upper != lower { (x - lower) / (upper - lower) } else { 0.5 };
        Some(BollingerValue { upper, middle, lower, percent_b })
    }

    fn warm_up(&self) -> usize {
        self.moments.len() - 1
    }

    fn reset(&mut self) {
        self.moments.clear();
    }
}

/// Keltner channel lines.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KeltnerValue {
    /// Middle + `k` ATR.
    pub upper: f64,
    /// EMA of the close.
    pub middle: f64,
    /// Middle − `k` ATR.
    pub lower: f64,
}

/// Keltner channels: the EMA of the close over `ema_period` bars ± `k` × the ATR over `atr_period` bars (both as
/// TA-Lib's `EMA` and `ATR`). Warm-up: `max(ema_period − 1, atr_period)`.
#[derive(Clone, Debug)]
pub struct Keltner {
    middle: Ema,
    atr: Atr,
    k: f64,
}

impl Keltner {
    /// Channels around an EMA over `ema_period` bars, `k` ATRs over `atr_period` bars wide on each side.
    pub fn new(ema_period: usize, atr_period: usize, k: f64) -> Self {
        Keltner { middle: Ema::new(ema_period), atr: Atr::new(atr_period), k }
    }
}

impl Indicator for Keltner {
    type Input = Candle;
    type Output = KeltnerValue;

    #[inline]
    fn update(&mut self, bar: Candle) -> Option<KeltnerValue> {
        let middle = self.middle.update(bar.close);
        let atr = self.atr.update(bar);
        let (middle, width) = (middle?, self.k * atr?);
        Some(KeltnerValue { upper: middle + width, middle, lower: middle - width })
    }

    fn warm_up(&self) -> usize {
        self.middle.warm_up().max(self.atr.warm_up())
    }

    fn reset(&mut self) {
        self.middle.reset();
        self.atr.reset();
    }
}

/// Donchian channel lines, exact in fixed point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DonchianValue {
    /// Highest high of the window.
    pub upper: i64,
    /// Lowest low of the window.
    pub lower: i64,
}

impl DonchianValue {
    /// The middle line `(upper + lower) / 2`, exactly.
    pub fn middle(&self) -> Mean {
        Mean::new(i128::from(self.upper) + i128::from(self.lower), 2)
    }
}

/// Donchian channels over the last `period` bars: the highest high and the lowest low (TA-Lib `MAX` of the highs,
/// `MIN` of the lows), exact on fixed-point prices. Amortised O(1) per bar, O(`period`) worst case. Warm-up:
/// `period − 1`.
#[derive(Clone, Debug)]
pub struct Donchian {
    upper: Highest<i64>,
    lower: Lowest<i64>,
}

impl Donchian {
    /// Channels over `period` bars (at least one).
    pub fn new(period: usize) -> Self {
        Donchian { upper: Highest::new(period), lower: Lowest::new(period) }
    }
}

impl Indicator for Donchian {
    type Input = HighLow;
    type Output = DonchianValue;

    #[inline]
    fn update(&mut self, bar: HighLow) -> Option<DonchianValue> {
        let upper = self.upper.update(bar.high);
        let lower = self.lower.update(bar.low);
        Some(DonchianValue { upper: upper?, lower: lower? })
    }

    fn warm_up(&self) -> usize {
        self.upper.warm_up()
    }

    fn reset(&mut self) {
        self.upper.reset();
        self.lower.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::candle;
    use super::*;

    #[test]
    fn bollinger_by_hand() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, σ 2; k = 2 → 1 .. 9; 9 sits at the top: %B 1
        let mut bands = Bollinger::new(8, 2.0);
        let last = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0].into_iter().filter_map(|x| bands.update(x)).last();
        assert_eq!(last, Some(BollingerValue { upper: 9.0, middle: 5.0, lower: 1.0, percent_b: 1.0 }));
        let mut flat = Bollinger::new(2, 2.0);
        flat.update(3.0);
        assert_eq!(flat.update(3.0).map(|b| b.percent_b), Some(0.5), "one line: the middle");
    }

    #[test]
    fn keltner_by_hand() {
        // EMA(2) of closes 9, 11, 8 (k = 2/3): seed 10, then 10 − 2·2/3 = 26/3. ATR(2): true ranges 3, 4 → 3.5.
        let mut keltner = Keltner::new(2, 2, 2.0);
        assert_eq!(keltner.warm_up(), 2);
        let got: Vec<_> = [candle(10.0, 8.0, 9.0), candle(12.0, 9.0, 11.0), candle(11.0, 7.0, 8.0)]
            .into_iter()
            .map(|c| keltner.update(c))
            .collect();
        assert_eq!(got[..2], [None, None]);
        let value = got[2].expect("warm");
        assert!((value.middle - 26.0 / 3.0).abs() < 1e-12);
        assert!((value.upper - (26.0 / 3.0 + 7.0)).abs() < 1e-12 && (value.lower - (26.0 / 3.0 - 7.0)).abs() < 1e-12);
    }

    #[test]
    fn donchian_by_hand_and_its_middle_exact() {
        let mut channel = Donchian::new(2);
        let bars = [HighLow { high: 105, low: 100 }, HighLow { high: 104, low: 98 }, HighLow { high: 103, low: 99 }];
        let got: Vec<_> = bars.into_iter().map(|b| channel.update(b)).collect();
        assert_eq!(got[0], None);
        assert_eq!(got[1], Some(DonchianValue { upper: 105, lower: 98 }));
        assert_eq!(got[2], Some(DonchianValue { upper: 104, lower: 98 }));
        let middle = got[1].expect("warm").middle();
        assert_eq!((middle.sum(), middle.count(), middle.cmp_value(101)), (203, 2, std::cmp::Ordering::Greater));
    }
}
