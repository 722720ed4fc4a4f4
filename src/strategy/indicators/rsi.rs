//! Wilder's relative strength index.

use super::Indicator;
use super::wilder::WilderAverage;

/// Relative strength index (TA-Lib `RSI`): Wilder averages of the gains and the losses between consecutive inputs,
/// each seeded with the plain mean of the first `period` changes, and `100 × gain / (gain + loss)` (0 when both are
/// 0, which for these sums of non-negative changes means no change at all; no absolute threshold, so the RSI of
/// prices scaled by any power of ten is the same, as TA-Lib's). Warm-up: `period`.
#[derive(Clone, Debug)]
pub struct Rsi {
    period: usize,
    previous: Option<f64>,
    gain: WilderAverage,
    loss: WilderAverage,
}

impl Rsi {
    /// RSI over `period` changes (at least one).
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Rsi { period, previous: None, gain: WilderAverage::new(period), loss: WilderAverage::new(period) }
    }
}

impl Indicator for Rsi {
    type Input = f64;
    type Output = f64;

    #[inline]
    fn update(&mut self, x: f64) -> Option<f64> {
        let previous = self.previous.replace(x)?;
        let change = x - previous;
        let (up, down) = if change < 0.0 { (0.0, -change) } else { (change, 0.0) };
        let gain = self.gain.push(up);
        let loss = self.loss.push(down);
        let (gain, loss) = (gain?, loss?);
        let total = gain + loss;
        Some(if total > 0.0 { 100.0 * (gain / total) } else { 0.0 })
    }

    fn warm_up(&self) -> usize {
        self.period
    }

    fn reset(&mut self) {
        self.previous = None;
        self.gain.clear();
        self.loss.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::feed;
    use super::*;

    #[test]
    fn rsi_by_hand() {
        // period 2: changes +2, −1 → gain 1, loss 0.5 → 100·1/1.5; then +3 → gain (1 + 3)/2 = 2, loss 0.25
        let mut rsi = Rsi::new(2);
        let got: Vec<_> = [10.0, 12.0, 11.0, 14.0].into_iter().map(|x| rsi.update(x)).collect();
        assert_eq!(got[..2], [None, None]);
        assert!((got[2].expect("warm") - 100.0 / 1.5).abs() < 1e-12);
        assert!((got[3].expect("warm") - 100.0 * 2.0 / 2.25).abs() < 1e-12);
    }

    #[test]
    fn rsi_of_a_flat_series_is_zero_as_talib() {
        let mut rsi = Rsi::new(3);
        assert_eq!([5.0; 5].into_iter().filter_map(|x| rsi.update(x)).collect::<Vec<_>>(), vec![0.0, 0.0]);
    }

    #[test]
    fn rsi_does_not_depend_on_the_price_scale() {
        // at ~2e-5 (BTC × 1e-9) the averages are ~1e-8: a threshold of 1e-8 read them as 0
        let xs = [16_529.67, 16_551.47, 16_548.19, 16_533.04, 16_521.85, 16_530.71, 16_539.79, 16_520.0];
        let run = |scale: f64| feed(Rsi::new(3), xs.iter().map(|x| x * scale));
        for (p, s) in run(1.0).into_iter().zip(run(1e-9)) {
            assert_eq!(p.is_some(), s.is_some());
            assert!(p.zip(s).is_none_or(|(p, s)| (p - s).abs() < 1e-9 && p > 0.0), "{p:?} against {s:?}");
        }
    }
}
