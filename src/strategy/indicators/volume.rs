//! Volume-weighted flow: on-balance volume ([`Obv`]) and the money flow index ([`Mfi`]).

use super::window::RollingSum;
use super::{Candle, Indicator};

/// On-balance volume (TA-Lib `OBV`): starts at the first bar's volume, then adds the volume of a bar that closes
/// above the previous close and subtracts that of one closing below. Warm-up: 0.
#[derive(Clone, Debug, Default)]
pub struct Obv {
    previous: Option<(f64, f64)>,
}

impl Obv {
    /// OBV with no bar seen.
    pub fn new() -> Self {
        Obv::default()
    }
}

impl Indicator for Obv {
    type Input = Candle;
    type Output = f64;

    #[inline]
    fn update(&mut self, bar: Candle) -> Option<f64> {
        let obv = match self.previous {
            None => bar.volume,
            Some((close, obv)) if bar.close > close => obv + bar.volume,
            Some((close, obv)) if bar.close < close => obv - bar.volume,
            Some((_, obv)) => obv,
        };
        self.previous = Some((bar.close, obv));
        Some(obv)
    }

    fn warm_up(&self) -> usize {
        0
    }

    fn reset(&mut self) {
        self.previous = None;
    }
}

/// Money flow index (TA-Lib `MFI`): a bar's money flow is typical price × volume, positive when the typical price
/// rose from the previous bar's and negative when it fell; `100 × positive / (positive + negative)` over the last
/// `period` flows (0 when the total is below 1, as TA-Lib). Warm-up: `period`.
#[derive(Clone, Debug)]
pub struct Mfi {
    previous: Option<f64>,
    positive: RollingSum,
    negative: RollingSum,
}

impl Mfi {
    /// MFI over `period` flows (at least one).
    pub fn new(period: usize) -> Self {
        Mfi { previous: None, positive: RollingSum::new(period), negative: RollingSum::new(period) }
    }
}

impl Indicator for Mfi {
    type Input = Candle;
    type Output = f64;

    #[inline]
    fn update(&mut self, bar: Candle) -> Option<f64> {
        let typical = bar.typical();
        let previous = self.previous.replace(typical)?;
        let flow = typical * bar.volume;
        let (up, down) = if typical > previous {
            (flow, 0.0)
        } else if typical < previous {
            (0.0, flow)
        } else {
            (0.0, 0.0)
        };
        let positive = self.positive.push(up);
        let negative = self.negative.push(down);
        let (positive, negative) = (positive?, negative?);
        let total = positive + negative;
        Some(if total < 1.0 { 0.0 } else { 100.0 * (positive / total) })
    }

    fn warm_up(&self) -> usize {
        self.positive.len()
    }

    fn reset(&mut self) {
        self.previous = None;
        self.positive.clear();
        self.negative.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Timestamp;

    fn bar(close: f64, volume: f64) -> Candle {
        Candle { open_time: Timestamp(0), high: close, low: close, close, volume }
    }

    #[test]
    fn obv_by_hand() {
        let mut obv = Obv::new();
        let got: Vec<_> = [bar(10.0, 5.0), bar(11.0, 3.0), bar(11.0, 9.0), bar(9.0, 4.0)]
            .into_iter()
            .map(|b| obv.update(b))
            .collect();
        assert_eq!(got, vec![Some(5.0), Some(8.0), Some(8.0), Some(4.0)]);
    }

    #[test]
    fn mfi_by_hand() {
        // period 2. Typical 10 → 12 (flow +24) → 11 (flow −22) → 11 (none) : 100·24/46, then 0 flows of 22 only
        let mut mfi = Mfi::new(2);
        let got: Vec<_> = [bar(10.0, 1.0), bar(12.0, 2.0), bar(11.0, 2.0), bar(11.0, 7.0)]
            .into_iter()
            .map(|b| mfi.update(b))
            .collect();
        assert_eq!(got, vec![None, None, Some(100.0 * (24.0 / 46.0)), Some(0.0)]);
        let mut quiet = Mfi::new(1);
        quiet.update(bar(1.0, 0.1));
        assert_eq!(quiet.update(bar(2.0, 0.1)), Some(0.0), "a total flow below 1 reads as 0, as TA-Lib");
    }
}
