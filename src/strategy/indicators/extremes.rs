//! The highest and lowest value of a sliding window in amortised O(1) — O(window) for one update in the worst case,
//! when a new extreme drops every value queued — through a monotonic queue in a preallocated ring ([`Extremum`]),
//! and the indicators on it, [`Highest`] and [`Lowest`] (TA-Lib `MAX`/`MIN`; exact over `i64`).

use super::Indicator;

/// The extreme of the last `window` values: a queue of the values that can still become the extreme, strictly
/// monotonic from the oldest, each with its input number. A new value drops the ones it ties or beats (so among
/// equal extremes the newest is kept, as TA-Lib's `AROON` picks it); the front expires when it leaves the window.
/// Storage: `window` slots, allocated once.
#[derive(Clone, Debug)]
pub(super) struct Extremum<T, const MAX: bool> {
    slots: Vec<(u64, T)>,
    head: usize,
    len: usize,
    /// Inputs seen.
    count: u64,
}

impl<T: Copy + PartialOrd + Default, const MAX: bool> Extremum<T, MAX> {
    /// An extreme over windows of `window` values (at least one).
    pub(super) fn new(window: usize) -> Self {
        Extremum { slots: vec![(0, T::default()); window.max(1)], head: 0, len: 0, count: 0 }
    }

    #[inline]
    fn slot(&self, i: usize) -> usize {
        (self.head + i) % self.slots.len()
    }

    /// Adds `value`; once `window` values are in, the window's extreme and its age (0: the newest input).
    #[inline]
    pub(super) fn push(&mut self, value: T) -> Option<(T, usize)> {
        let index = self.count;
        let window = self.slots.len() as u64;
        self.count += 1;
        if self.len > 0 && self.slots[self.head].0 + window <= index {
            self.head = self.slot(1);
            self.len -= 1;
        }
        while self.len > 0 {
            let (_, last) = self.slots[self.slot(self.len - 1)];
            let beaten = if MAX { value >= last } else { value <= last };
            if !beaten {
                break;
            }
            self.len -= 1;
        }
        let back = self.slot(self.len);
        self.slots[back] = (index, value);
        self.len += 1;
        let (at, extreme) = self.slots[self.head];
        (self.count >= window).then(|| (extreme, (index - at) as usize))
    }

    /// Window length.
    pub(super) fn window(&self) -> usize {
        self.slots.len()
    }

    /// Forgets every value.
    pub(super) fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
        self.count = 0;
    }
}

/// The extreme of the last `period` values as an indicator, in its two kinds [`Highest`] and [`Lowest`]: amortised
/// O(1) per value, O(`period`) worst case. Warm-up: `period − 1`.
#[derive(Clone, Debug)]
pub struct Extreme<T, const MAX: bool> {
    queue: Extremum<T, MAX>,
}

/// The highest of the last `period` values (TA-Lib `MAX`), exact for `i64` fixed-point prices; amortised O(1),
/// O(`period`) worst case. Warm-up: `period − 1`.
pub type Highest<T> = Extreme<T, true>;

/// The lowest of the last `period` values (TA-Lib `MIN`), exact for `i64` fixed-point prices; amortised O(1),
/// O(`period`) worst case. Warm-up: `period − 1`.
pub type Lowest<T> = Extreme<T, false>;

impl<T: Copy + PartialOrd + Default, const MAX: bool> Extreme<T, MAX> {
    /// The extreme over `period` values (at least one).
    pub fn new(period: usize) -> Self {
        Extreme { queue: Extremum::new(period) }
    }
}

impl<T: Copy + PartialOrd + Default, const MAX: bool> Indicator for Extreme<T, MAX> {
    type Input = T;
    type Output = T;

    #[inline]
    fn update(&mut self, x: T) -> Option<T> {
        self.queue.push(x).map(|(value, _)| value)
    }

    fn warm_up(&self) -> usize {
        self.queue.window() - 1
    }

    fn reset(&mut self) {
        self.queue.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn highest_and_lowest_by_hand() {
        let xs = [5_i64, 3, 8, 1, 1, 7];
        let mut high = Highest::new(3);
        let mut low = Lowest::new(3);
        let highs: Vec<_> = xs.iter().map(|&x| high.update(x)).collect();
        let lows: Vec<_> = xs.iter().map(|&x| low.update(x)).collect();
        assert_eq!(highs, vec![None, None, Some(8), Some(8), Some(8), Some(7)]);
        assert_eq!(lows, vec![None, None, Some(3), Some(1), Some(1), Some(1)]);
    }

    #[test]
    fn among_equal_extremes_the_newest_is_kept() {
        let mut queue = Extremum::<i64, true>::new(3);
        queue.push(4);
        queue.push(4);
        assert_eq!(queue.push(2), Some((4, 1)), "the second 4 is one input old");
    }

    proptest! {
        #[test]
        fn extremes_equal_the_window_scanned(
            xs in proptest::collection::vec(-50_i64..50, 1..200), period in 1usize..12,
        ) {
            let (mut high, mut low) = (Highest::new(period), Lowest::new(period));
            for (i, &x) in xs.iter().enumerate() {
                let window = &xs[(i + 1).saturating_sub(period)..=i];
                let full = i + 1 >= period;
                prop_assert_eq!(high.update(x), window.iter().max().copied().filter(|_| full));
                prop_assert_eq!(low.update(x), window.iter().min().copied().filter(|_| full));
            }
        }
    }
}
