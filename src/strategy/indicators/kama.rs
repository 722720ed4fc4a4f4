//! Kaufman's adaptive moving average: an EMA whose speed follows how efficiently the price moved.

use super::Indicator;
use super::window::Ring;

/// Smoothing constant of the slowest EMA (30 periods), as TA-Lib fixes it.
const SLOW: f64 = 2.0 / (30.0 + 1.0);
/// Smoothing constant of the fastest EMA (2 periods) minus the slowest.
const SPREAD: f64 = 2.0 / (2.0 + 1.0) - SLOW;

/// Kaufman's adaptive moving average (TA-Lib `KAMA`). The efficiency ratio `er = |x − x[period]| / Σ|Δx|` over the
/// last `period` changes (1 when the path is flat or straight) sets `sc = (er × (2/3 − 2/31) + 2/31)²`, and
/// `kama += (x − kama) × sc`, starting from the input before the first value. The path is a running sum in TA-Lib's
/// order, and exactly 0 once every change in the window is 0 (no leftovers of the changes gone, and no absolute
/// threshold: the same efficiency at any price scale, as TA-Lib). Warm-up: `period`.
#[derive(Clone, Debug)]
pub struct Kama {
    /// The last `period + 1` inputs.
    window: Ring<f64>,
    /// Σ |Δx| over the window.
    path: f64,
    /// How many of the window's changes are not 0.
    moves: usize,
    value: Option<f64>,
}

impl Kama {
    /// KAMA whose efficiency ratio looks `period` changes back (at least one).
    pub fn new(period: usize) -> Self {
        Kama { window: Ring::new(period.max(1) + 1), path: 0.0, moves: 0, value: None }
    }
}

impl Indicator for Kama {
    type Input = f64;
    type Output = f64;

    #[inline]
    fn update(&mut self, x: f64) -> Option<f64> {
        let previous = self.window.back(0);
        let leaving = self.window.push(x);
        if let Some(previous) = previous {
            if let (Some(leaving), Some(oldest)) = (leaving, self.window.oldest()) {
                self.path -= (leaving - oldest).abs();
                self.moves -= usize::from(leaving != oldest);
            }
            self.path += (x - previous).abs();
            self.moves += usize::from(x != previous);
            if self.moves == 0 {
                self.path = 0.0;
            }
        }
        let oldest = self.window.oldest().filter(|_| self.window.is_full())?;
        let change = x - oldest;
        let efficiency = if self.path <= change || self.path == 0.0 { 1.0 } else { (change / self.path).abs() };
        let speed = efficiency * SPREAD + SLOW;
        let speed = speed * speed;
        let start = self.value.or(previous)?;
        let value = (x - start) * speed + start;
        self.value = Some(value);
        Some(value)
    }

    fn warm_up(&self) -> usize {
        self.window.capacity() - 1
    }

    fn reset(&mut self) {
        self.window.clear();
        self.path = 0.0;
        self.moves = 0;
        self.value = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kama_of_a_straight_line_moves_at_the_fastest_speed() {
        // period 2, inputs 1, 2, 3: er = |3 − 1| / (1 + 1) = 1, sc = (2/3)² = 4/9; kama = 2 + (3 − 2)·4/9
        let mut kama = Kama::new(2);
        assert_eq!((kama.update(1.0), kama.update(2.0)), (None, None));
        let got = kama.update(3.0).expect("warm");
        assert!((got - (2.0 + 4.0 / 9.0)).abs() < 1e-12);
    }

    #[test]
    fn kama_by_hand_on_a_choppy_path() {
        // period 2, inputs 1, 3, 2: er = |2 − 1| / (2 + 1) = 1/3; sc = (1/3·SPREAD + SLOW)²; kama = 3 + (2 − 3)·sc
        let mut kama = Kama::new(2);
        kama.update(1.0);
        kama.update(3.0);
        let sc = (SPREAD / 3.0 + SLOW).powi(2);
        let first = kama.update(2.0).expect("warm");
        assert!((first - (3.0 - sc)).abs() < 1e-12);
        // then 4: window 3, 2, 4; path |2 − 3| + |4 − 2| = 3, change 1: er 1/3 again
        let second = kama.update(4.0).expect("warm");
        assert!((second - (first + (4.0 - first) * sc)).abs() < 1e-12);
    }

    #[test]
    fn a_flat_window_has_a_path_of_exactly_zero_at_any_scale() {
        // after moves of 0.3 and 1e6 the running path keeps a leftover; flat again, it is exactly 0 (efficiency 1)
        for scale in [1.0, 1e-9, 1e-200] {
            let mut kama = Kama::new(2);
            for x in [1.0, 1.3, 1e6, 2.0, 2.0, 2.0] {
                kama.update(x * scale);
            }
            assert_eq!((kama.path, kama.moves), (0.0, 0), "at scale {scale:e}");
            // and a small move is a move at any scale: efficiency |Δ| / path (1, then 1/3)
            let (start, speed) = (kama.value.expect("warm"), (SPREAD / 3.0 + SLOW).powi(2));
            let (y, z) = (2.002 * scale, 2.001 * scale);
            kama.update(y);
            let got = kama.update(z).expect("warm");
            let first = start + (y - start) * (SPREAD + SLOW).powi(2);
            let expected = first + (z - first) * speed;
            assert!((got - expected).abs() <= 1e-9 * expected.abs(), "{got:e} against {expected:e} at {scale:e}");
        }
    }
}
