//! Crosses of two series: one series moving from at or below the other to above it, or the mirror. Compared with
//! the series' own ordering, so exact values (fixed-point prices, [`super::Mean`]s) cross exactly.

use super::Indicator;

/// Whether `a` crossed above `b`: it was at or below (`a[-1] <= b[-1]`) and is now above (`a > b`).
#[inline]
pub fn crosses_above<T: PartialOrd>(previous: (T, T), current: (T, T)) -> bool {
    previous.0 <= previous.1 && current.0 > current.1
}

/// Whether `a` crossed below `b`: it was at or above (`a[-1] >= b[-1]`) and is now below (`a < b`).
#[inline]
pub fn crosses_below<T: PartialOrd>(previous: (T, T), current: (T, T)) -> bool {
    previous.0 >= previous.1 && current.0 < current.1
}

/// What a pair of series did at an update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrossKind {
    /// The first crossed above the second ([`crosses_above`]).
    Above,
    /// The first crossed below the second ([`crosses_below`]).
    Below,
    /// Neither.
    Neither,
}

/// Crosses of two series fed as `(a, b)` pairs, by [`crosses_above`] and [`crosses_below`] against the previous
/// pair. Warm-up: 1 (the first pair has nothing to cross from).
#[derive(Clone, Debug)]
pub struct Cross<T> {
    previous: Option<(T, T)>,
}

impl<T> Cross<T> {
    /// A detector with no pair seen.
    pub fn new() -> Self {
        Cross { previous: None }
    }
}

impl<T> Default for Cross<T> {
    fn default() -> Self {
        Cross::new()
    }
}

impl<T: PartialOrd + Copy> Indicator for Cross<T> {
    type Input = (T, T);
    type Output = CrossKind;

    #[inline]
    fn update(&mut self, pair: (T, T)) -> Option<CrossKind> {
        let previous = self.previous.replace(pair)?;
        Some(if crosses_above(previous, pair) {
            CrossKind::Above
        } else if crosses_below(previous, pair) {
            CrossKind::Below
        } else {
            CrossKind::Neither
        })
    }

    fn warm_up(&self) -> usize {
        1
    }

    fn reset(&mut self) {
        self.previous = None;
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ExactSma, Mean};
    use super::*;

    #[test]
    fn a_touch_then_a_break_is_one_cross() {
        let mut cross = Cross::new();
        let got: Vec<_> =
            [(1, 3), (3, 3), (4, 3), (3, 3), (4, 3), (2, 3)].into_iter().map(|p| cross.update(p)).collect();
        use CrossKind::*;
        assert_eq!(got, vec![None, Some(Neither), Some(Above), Some(Neither), Some(Above), Some(Below)]);
    }

    #[test]
    fn equal_exact_averages_do_not_cross() {
        // closes 95, 92, 98: SMA2 95 = SMA3 95 (equal, exactly); then 95: SMA2 96.5 > SMA3 95; then 90: below
        let (mut fast, mut slow, mut cross) = (ExactSma::new(2), ExactSma::new(3), Cross::<Mean>::new());
        let mut got = Vec::new();
        for x in [9500, 9200, 9800, 9500, 9000] {
            if let (Some(f), Some(s)) = (fast.update(x), slow.update(x)) {
                got.push(cross.update((f, s)));
            }
        }
        assert_eq!(got, vec![None, Some(CrossKind::Above), Some(CrossKind::Below)]);
    }

    #[test]
    fn the_functions_read_the_pairs_in_order() {
        assert!(crosses_above((1.0, 2.0), (3.0, 2.0)) && !crosses_above((3.0, 2.0), (4.0, 2.0)));
        assert!(crosses_below((2.0, 2.0), (1.0, 2.0)) && !crosses_below((1.0, 2.0), (0.0, 2.0)));
    }
}
