//! How far prices travel per bar: the true range ([`TrueRange`]), its Wilder average ([`Atr`]) and that average in
//! percent of the close ([`Natr`]).

use super::wilder::WilderAverage;
use super::{Candle, Indicator};

/// True range (TA-Lib `TRANGE`): the largest of `high − low`, `|high − previous close|` and `|low − previous
/// close|`. Warm-up: 1 (the first bar has no previous close).
#[derive(Clone, Debug, Default)]
pub struct TrueRange {
    previous_close: Option<f64>,
}

impl TrueRange {
    /// A true range with no bar seen.
    pub fn new() -> Self {
        TrueRange::default()
    }
}

impl Indicator for TrueRange {
    type Input = Candle;
    type Output = f64;

    #[inline]
    fn update(&mut self, bar: Candle) -> Option<f64> {
        let close = self.previous_close.replace(bar.close)?;
        let mut range = bar.high - bar.low;
        for gap in [(bar.high - close).abs(), (bar.low - close).abs()] {
            if gap > range {
                range = gap;
            }
        }
        Some(range)
    }

    fn warm_up(&self) -> usize {
        1
    }

    fn reset(&mut self) {
        self.previous_close = None;
    }
}

/// Average true range (TA-Lib `ATR`): the Wilder average of the true range over `period` bars, seeded with the plain
/// mean of the first `period` true ranges. Warm-up: `period`.
#[derive(Clone, Debug)]
pub struct Atr {
    range: TrueRange,
    average: WilderAverage,
    period: usize,
}

impl Atr {
    /// ATR over `period` bars (at least one).
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Atr { range: TrueRange::new(), average: WilderAverage::new(period), period }
    }
}

impl Indicator for Atr {
    type Input = Candle;
    type Output = f64;

    #[inline]
    fn update(&mut self, bar: Candle) -> Option<f64> {
        let range = self.range.update(bar)?;
        self.average.push(range)
    }

    fn warm_up(&self) -> usize {
        self.range.warm_up() + self.period - 1
    }

    fn reset(&mut self) {
        self.range.reset();
        self.average.clear();
    }
}

/// Normalised average true range (TA-Lib `NATR`): `100 × ATR / close` (0 for a close of 0; no absolute threshold,
/// as TA-Lib). Warm-up: `period`.
#[derive(Clone, Debug)]
pub struct Natr {
    atr: Atr,
}

impl Natr {
    /// NATR over `period` bars (at least one).
    pub fn new(period: usize) -> Self {
        Natr { atr: Atr::new(period) }
    }
}

impl Indicator for Natr {
    type Input = Candle;
    type Output = f64;

    #[inline]
    fn update(&mut self, bar: Candle) -> Option<f64> {
        let atr = self.atr.update(bar)?;
        Some(if bar.close == 0.0 { 0.0 } else { (atr / bar.close) * 100.0 })
    }

    fn warm_up(&self) -> usize {
        self.atr.warm_up()
    }

    fn reset(&mut self) {
        self.atr.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::candle;
    use super::*;

    #[test]
    fn true_range_counts_the_gap_from_the_previous_close() {
        let mut tr = TrueRange::new();
        assert_eq!(tr.update(candle(10.0, 9.0, 10.0)), None);
        assert_eq!(tr.update(candle(11.0, 10.5, 11.0)), Some(1.0), "high − previous close");
        assert_eq!(tr.update(candle(9.0, 8.0, 8.5)), Some(3.0), "previous close − low");
        assert_eq!(tr.update(candle(12.0, 8.0, 9.0)), Some(4.0), "high − low");
    }

    #[test]
    fn atr_and_natr_by_hand() {
        // true ranges 1, 3, 4 (as above): ATR(2) seed (1 + 3)/2 = 2, then (2 + 4)/2 = 3; NATR = 100·3/9
        let bars = [candle(10.0, 9.0, 10.0), candle(11.0, 10.5, 11.0), candle(9.0, 8.0, 8.5), candle(12.0, 8.0, 9.0)];
        let (mut atr, mut natr) = (Atr::new(2), Natr::new(2));
        let atrs: Vec<_> = bars.iter().map(|&b| atr.update(b)).collect();
        assert_eq!(atrs, vec![None, None, Some(2.0), Some(3.0)]);
        assert_eq!(natr.warm_up(), 2);
        assert_eq!(bars.iter().filter_map(|&b| natr.update(b)).last(), Some((3.0 / 9.0) * 100.0));
        // at 1e-12 the close is below 1e-8 but a price all the same: the same NATR
        let mut small = Natr::new(2);
        let last = bars.iter().filter_map(|b| small.update(candle(b.high * 1e-12, b.low * 1e-12, b.close * 1e-12)));
        assert!((last.last().expect("warm") - 100.0 / 3.0).abs() < 1e-9);
    }
}
