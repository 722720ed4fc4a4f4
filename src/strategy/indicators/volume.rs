//! Volume-weighted flow: on-balance volume ([`Obv`]) and the money flow index ([`Mfi`]).

use super::window::WindowSum;
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
/// `period` flows (0 when the window holds no flow, as TA-Lib, whose result does not depend on the price
/// scale). The sums are compensated, recomputed over the window once every `period` flows and exactly 0 when no
/// flow of their side is left in it: O(1) per bar, O(`period`) once every `period` bars. Warm-up: `period`.
#[derive(Clone, Debug)]
pub struct Mfi {
    previous: Option<f64>,
    positive: WindowSum,
    negative: WindowSum,
}

impl Mfi {
    /// MFI over `period` flows (at least one).
    pub fn new(period: usize) -> Self {
        Mfi { previous: None, positive: WindowSum::new(period), negative: WindowSum::new(period) }
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
        Some(if total > 0.0 { 100.0 * (positive / total) } else { 0.0 })
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
        assert_eq!(quiet.update(bar(2.0, 0.1)), Some(100.0), "a small flow is a flow, at any price scale");
        assert_eq!(quiet.update(bar(2.0, 0.1)), Some(0.0), "no flow in the window: 0, as TA-Lib");
    }

    #[test]
    fn mfi_does_not_depend_on_the_price_scale_and_forgets_flows_gone() {
        // flows of 1e-9-priced bars are tiny but real; once only unchanged typical prices are left, exactly 0
        let closes = [16_529.67, 16_551.47, 16_548.19, 16_533.04, 16_521.85, 16_530.71, 16_530.71, 16_530.71];
        let volumes = [4364.8357, 3590.06669, 3318.84038, 4242.0805, 4285.00909, 3717.37178, 1.0, 1.0];
        let run = |scale: f64| {
            let mut mfi = Mfi::new(2);
            closes.iter().zip(volumes).map(|(&c, v)| mfi.update(bar(c * scale, v))).collect::<Vec<_>>()
        };
        let (plain, scaled) = (run(1.0), run(1e-9));
        assert_eq!(plain[7], Some(0.0), "a window of unchanged typical prices has no flow");
        for (p, s) in plain.iter().zip(&scaled) {
            assert!(p.zip(*s).is_none_or(|(p, s)| (p - s).abs() < 1e-9), "{p:?} against {s:?}");
            assert_eq!(p.is_some(), s.is_some());
        }
        assert!(scaled[2].is_some_and(|m| m > 1.0 && m < 99.0), "a mixed window: {scaled:?}");
    }
}
