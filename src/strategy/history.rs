//! [`BarHistory`]: the last N closed bars of one stream, kept by the engine for the strategy (its history window).

use crate::model::Bar;

/// A ring of the last `capacity` bars of a stream, newest first when read. Pushing never allocates.
#[derive(Clone, Debug, Default)]
pub struct BarHistory {
    ring: Vec<Bar>,
    capacity: usize,
    next: usize,
}

impl BarHistory {
    /// Keeps the last `capacity` bars (0: none).
    pub fn new(capacity: usize) -> Self {
        BarHistory { ring: Vec::with_capacity(capacity), capacity, next: 0 }
    }

    /// Adds the bar that just closed, dropping the oldest when full.
    #[inline]
    pub fn push(&mut self, bar: Bar) {
        if self.capacity == 0 {
            return;
        }
        if self.ring.len() < self.capacity {
            self.ring.push(bar);
        } else {
            self.ring[self.next] = bar;
        }
        self.next = (self.next + 1) % self.capacity;
    }

    /// The bar `back` bars ago: 0 is the bar that just closed, 1 the one before; `None` beyond what is kept.
    pub fn get(&self, back: usize) -> Option<&Bar> {
        if back >= self.ring.len() {
            return None;
        }
        let index = (self.next + self.capacity - 1 - back) % self.capacity;
        self.ring.get(index)
    }

    /// Bars kept so far (at most the capacity).
    pub fn len(&self) -> usize {
        self.ring.len()
    }

    /// True before the first bar.
    pub fn is_empty(&self) -> bool {
        self.ring.is_empty()
    }

    /// The kept bars, newest first.
    pub fn iter(&self) -> impl Iterator<Item = &Bar> + '_ {
        (0..self.ring.len()).filter_map(move |back| self.get(back))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Timestamp;
    use rust_decimal::Decimal;

    fn bar(close: i64) -> Bar {
        let p = Decimal::from(close);
        Bar {
            open_time: Timestamp(close),
            close_time: Timestamp(close + 1),
            open: p,
            high: p,
            low: p,
            close: p,
            volume: Decimal::ONE,
        }
    }

    #[test]
    fn the_window_holds_the_last_bars_newest_first() {
        let mut h = BarHistory::new(3);
        assert!(h.is_empty() && h.get(0).is_none());
        for close in 1..=5 {
            h.push(bar(close));
        }
        let closes: Vec<i64> = h.iter().map(|b| b.open_time.0).collect();
        assert_eq!(closes, [5, 4, 3]);
        assert_eq!(h.get(1).map(|b| b.open_time.0), Some(4));
        assert!(h.get(3).is_none());
        let mut none = BarHistory::new(0);
        none.push(bar(1));
        assert!(none.is_empty());
    }
}
