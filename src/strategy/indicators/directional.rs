//! Wilder's directional movement: the directional indicators +DI and −DI ([`Dmi`]) and the average directional
//! index of their spread ([`Adx`]), as TA-Lib computes them.

use super::volatility::TrueRange;
use super::wilder::{WilderAverage, WilderSum};
use super::{Candle, Indicator};

/// +DI and −DI, in percent.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DmiValue {
    /// +DI: smoothed upward movement over the smoothed true range.
    pub plus: f64,
    /// −DI: smoothed downward movement over the smoothed true range.
    pub minus: f64,
}

/// Directional indicators (TA-Lib `PLUS_DI` and `MINUS_DI`): upward movement `high − previous high` counts when it
/// exceeds the downward `previous low − low` and is positive (and the other way round); both and the true range
/// are Wilder sums seeded with the sum of the first `period − 1` bars' values (TA-Lib's seed), and
/// `±DI = 100 × ±DM / TR` (both 0 while the smoothed true range is 0, i.e. the bars have not moved; no absolute
/// threshold, so the DIs of prices scaled by any power of ten are the same, as TA-Lib's). Warm-up: `period`.
#[derive(Clone, Debug)]
pub struct Dmi {
    range: TrueRange,
    previous: Option<(f64, f64)>,
    plus: WilderSum,
    minus: WilderSum,
    true_range: WilderSum,
    period: usize,
}

impl Dmi {
    /// ±DI over `period` bars (at least one).
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Dmi {
            range: TrueRange::new(),
            previous: None,
            plus: WilderSum::new(period),
            minus: WilderSum::new(period),
            true_range: WilderSum::new(period),
            period,
        }
    }
}

impl Indicator for Dmi {
    type Input = Candle;
    type Output = DmiValue;

    #[inline]
    fn update(&mut self, bar: Candle) -> Option<DmiValue> {
        let range = self.range.update(bar);
        let (high, low) = self.previous.replace((bar.high, bar.low))?;
        let (up, down) = (bar.high - high, low - bar.low);
        let (plus, minus) = if down > 0.0 && up < down {
            (0.0, down)
        } else if up > 0.0 && up > down {
            (up, 0.0)
        } else {
            (0.0, 0.0)
        };
        let plus = self.plus.push(plus);
        let minus = self.minus.push(minus);
        let true_range = self.true_range.push(range?)?;
        let (plus, minus) = (plus?, minus?);
        Some(if true_range <= 0.0 {
            DmiValue { plus: 0.0, minus: 0.0 }
        } else {
            DmiValue { plus: 100.0 * (plus / true_range), minus: 100.0 * (minus / true_range) }
        })
    }

    fn warm_up(&self) -> usize {
        self.range.warm_up() + self.period - 1
    }

    fn reset(&mut self) {
        self.range.reset();
        self.previous = None;
        self.plus.clear();
        self.minus.clear();
        self.true_range.clear();
    }
}

/// ADX with the directional indicators it is built from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdxValue {
    /// Average directional index.
    pub adx: f64,
    /// +DI.
    pub plus_di: f64,
    /// −DI.
    pub minus_di: f64,
}

/// Average directional index (TA-Lib `ADX`): `DX = 100 × |+DI − −DI| / (+DI + −DI)`, Wilder-averaged over `period`
/// DX values (seeded with their plain mean). A bar whose +DI + −DI is 0 has no DX: it adds nothing to the seed and
/// leaves the average as it was, as in TA-Lib (0.6 compares with 0 itself: DIs of 1e-25 still give a DX).
/// Warm-up: `2 × period − 1`.
#[derive(Clone, Debug)]
pub struct Adx {
    dmi: Dmi,
    average: WilderAverage,
}

impl Adx {
    /// ADX over `period` bars (at least one).
    pub fn new(period: usize) -> Self {
        Adx { dmi: Dmi::new(period), average: WilderAverage::new(period) }
    }
}

impl Indicator for Adx {
    type Input = Candle;
    type Output = AdxValue;

    #[inline]
    fn update(&mut self, bar: Candle) -> Option<AdxValue> {
        let di = self.dmi.update(bar)?;
        let total = di.plus + di.minus;
        let adx = if total > 0.0 {
            self.average.push(100.0 * ((di.minus - di.plus).abs() / total))
        } else if self.average.value().is_some() {
            self.average.value()
        } else {
            self.average.push(0.0)
        }?;
        Some(AdxValue { adx, plus_di: di.plus, minus_di: di.minus })
    }

    fn warm_up(&self) -> usize {
        self.dmi.warm_up() + self.dmi.period - 1
    }

    fn reset(&mut self) {
        self.dmi.reset();
        self.average.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::candle;
    use super::*;

    #[test]
    fn dmi_and_adx_by_hand() {
        // period 2. Bars (h, l, c): (10, 8, 9), (12, 9, 11), (11, 7, 8), (13, 10, 12)
        // bar 1: +DM 2, −DM 0 (−1), TR 3;  bar 2: up −1, down 2 → −DM 2, TR 4;  bar 3: up 2, down −3 → +DM 2, TR 5
        // Wilder sums (seed = first 1 value, then s − s/2 + x):
        //   bar 2: +DM 2 − 1 + 0 = 1, −DM 0 + 2 = 2, TR 3 − 1.5 + 4 = 5.5 → +DI 100/5.5, −DI 200/5.5; DX = 100/3
        //   bar 3: +DM 0.5 + 2 = 2.5, −DM 1, TR 2.75 + 5 = 7.75 → +DI 250/7.75, −DI 100/7.75; DX = 100·1.5/3.5
        // ADX(2) at bar 3 = (100/3 + 300/7)/2
        let bars = [candle(10.0, 8.0, 9.0), candle(12.0, 9.0, 11.0), candle(11.0, 7.0, 8.0), candle(13.0, 10.0, 12.0)];
        let mut dmi = Dmi::new(2);
        let dis: Vec<_> = bars.iter().map(|&b| dmi.update(b)).collect();
        assert_eq!(dmi.warm_up(), 2);
        assert_eq!(dis[..2], [None, None]);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        let di = dis[3].expect("warm");
        assert!(close(di.plus, 250.0 / 7.75) && close(di.minus, 100.0 / 7.75), "{di:?}");
        let mut adx = Adx::new(2);
        let adxs: Vec<_> = bars.iter().map(|&b| adx.update(b)).collect();
        assert_eq!(adx.warm_up(), 3);
        assert_eq!(adxs[..3], [None; 3]);
        assert!(close(adxs[3].expect("warm").adx, (100.0 / 3.0 + 300.0 / 7.0) / 2.0));
    }

    #[test]
    fn dmi_and_adx_do_not_depend_on_the_price_scale() {
        // the by-hand bars at 1e-12 have smoothed true ranges near 1e-11, which a 1e-8 threshold read as 0
        let bars = [candle(10.0, 8.0, 9.0), candle(12.0, 9.0, 11.0), candle(11.0, 7.0, 8.0), candle(13.0, 10.0, 12.0)];
        let small = bars.map(|b| candle(b.high * 1e-12, b.low * 1e-12, b.close * 1e-12));
        let (mut plain, mut scaled) = (Adx::new(2), Adx::new(2));
        for (b, s) in bars.into_iter().zip(small) {
            let (p, s) = (plain.update(b), scaled.update(s));
            assert_eq!(p.is_some(), s.is_some());
            if let Some((p, s)) = p.zip(s) {
                let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
                assert!(close(p.adx, s.adx) && close(p.plus_di, s.plus_di) && close(p.minus_di, s.minus_di), "{s:?}");
            }
        }
        // equal moves up and down, then 58 flat bars: the DMs die away at one rate, DX stays 100/3 and so does the
        // ADX; then a move of 1e-12 up: +DI ≈ 5e-11 ≫ −DI, a DX of ≈ 100 (a 1e-8 threshold on +DI + −DI skipped it)
        let mut bars = vec![candle(1.5, 0.5, 1.0), candle(2.0, 1.0, 1.5)];
        bars.extend([candle(1.5, 0.5, 1.0); 58]);
        bars.extend([candle(1.5 + 1e-12, 0.5 + 1e-12, 1.0); 3]);
        let mut adx = Adx::new(2);
        let got: Vec<_> = bars.into_iter().map(|b| adx.update(b)).collect();
        let flat = got[59].expect("warm");
        assert!((flat.adx - 100.0 / 3.0).abs() < 1e-9 && flat.plus_di + flat.minus_di < 1e-8, "{flat:?}");
        let moved = got[60].expect("warm");
        assert!(moved.plus_di > 1e-12 && moved.plus_di < 1e-8, "{moved:?}");
        assert!((moved.adx - (100.0 / 3.0 + 100.0) / 2.0).abs() < 1e-3, "{moved:?}");
    }

    #[test]
    fn a_flat_market_has_no_direction() {
        let mut adx = Adx::new(2);
        let last = (0..6).filter_map(|_| adx.update(candle(5.0, 5.0, 5.0))).last();
        assert_eq!(last, Some(AdxValue { adx: 0.0, plus_di: 0.0, minus_di: 0.0 }));
    }
}
