//! Fixed-size windows the indicators share: a preallocated ring of the last `n` inputs, a running sum over it in
//! TA-Lib's order of operations, a shifted window for sums that must not drift, and the running mean and population
//! variance built on it.

/// The last `capacity` values, oldest first, in storage allocated once.
#[derive(Clone, Debug)]
pub(super) struct Ring<T> {
    slots: Vec<T>,
    /// Index of the oldest value.
    head: usize,
    len: usize,
}

impl<T: Copy + Default> Ring<T> {
    /// An empty ring of `capacity` slots (at least one).
    pub(super) fn new(capacity: usize) -> Self {
        Ring { slots: vec![T::default(); capacity.max(1)], head: 0, len: 0 }
    }

    /// Appends `value`; when the ring was full, the oldest value leaves and is returned.
    #[inline]
    pub(super) fn push(&mut self, value: T) -> Option<T> {
        let capacity = self.slots.len();
        if self.len < capacity {
            let slot = (self.head + self.len) % capacity;
            self.slots[slot] = value;
            self.len += 1;
            None
        } else {
            let leaving = std::mem::replace(&mut self.slots[self.head], value);
            self.head = if self.head + 1 == capacity { 0 } else { self.head + 1 };
            Some(leaving)
        }
    }

    /// The value `age` pushes ago (0: the newest), if the ring holds it.
    #[inline]
    pub(super) fn back(&self, age: usize) -> Option<T> {
        (age < self.len).then(|| self.slots[(self.head + self.len - 1 - age) % self.slots.len()])
    }

    /// The oldest value held.
    #[inline]
    pub(super) fn oldest(&self) -> Option<T> {
        (self.len > 0).then(|| self.slots[self.head])
    }

    /// Whether `capacity` values are held.
    #[inline]
    pub(super) fn is_full(&self) -> bool {
        self.len == self.slots.len()
    }

    /// Number of values held.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Number of slots.
    #[inline]
    pub(super) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// The values held, oldest first.
    pub(super) fn iter(&self) -> impl Iterator<Item = T> + '_ {
        (0..self.len).map(move |i| self.slots[(self.head + i) % self.slots.len()])
    }

    /// Drops every value (the storage stays).
    pub(super) fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }
}

/// The sum of the last `n` values, kept the way TA-Lib's SMA keeps it: the sum of the newest `n - 1` values plus the
/// new one is the window's total, and the value about to leave is taken off right after, so that long series drift
/// exactly as TA-Lib's do.
#[derive(Clone, Debug)]
pub(super) struct RollingSum {
    ring: Ring<f64>,
    /// Sum of the newest `n - 1` values held.
    partial: f64,
}

impl RollingSum {
    /// A sum over windows of `n` values (at least one).
    pub(super) fn new(n: usize) -> Self {
        RollingSum { ring: Ring::new(n), partial: 0.0 }
    }

    /// Adds `value`; once `n` values are in, the sum of the last `n`.
    #[inline]
    pub(super) fn push(&mut self, value: f64) -> Option<f64> {
        let total = self.partial + value;
        self.ring.push(value);
        if self.ring.is_full() {
            self.partial = total - self.ring.oldest().unwrap_or(0.0);
            Some(total)
        } else {
            self.partial = total;
            None
        }
    }

    /// Window length `n`.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.ring.capacity()
    }

    /// Forgets every value.
    pub(super) fn clear(&mut self) {
        self.ring.clear();
        self.partial = 0.0;
    }
}

/// A window of the last `n` inputs held relative to a shift near them, for sums that must neither drift nor cancel:
/// statistics of `x − shift` lose no digits to the size of `x`, and every `n` inputs the shift moves to the newest
/// input and the owner recomputes its sums over [`Shifted::values`] (O(n) once per `n` inputs: amortised O(1)),
/// so rounding errors never accumulate beyond one window's worth.
#[derive(Clone, Debug)]
pub(super) struct Shifted {
    ring: Ring<f64>,
    shift: f64,
    /// Inputs since the shift last moved.
    since: usize,
}

impl Shifted {
    /// A window of `n` inputs (at least one).
    pub(super) fn new(n: usize) -> Self {
        Shifted { ring: Ring::new(n), shift: 0.0, since: 0 }
    }

    /// Adds `x`; returns `(x − shift, the leaving input − shift)` and whether the shift just moved — then the
    /// returned values are meaningless and the owner recomputes its sums over [`Shifted::values`] instead.
    #[inline]
    pub(super) fn push(&mut self, x: f64) -> (f64, Option<f64>, bool) {
        if self.ring.len() == 0 {
            self.shift = x;
        }
        let leaving = self.ring.push(x).map(|old| old - self.shift);
        self.since += 1;
        let rebased = self.since >= self.ring.capacity();
        if rebased {
            self.since = 0;
            self.shift = x;
        }
        (x - self.shift, leaving, rebased)
    }

    /// The inputs held minus the shift, oldest first.
    pub(super) fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.ring.iter().map(move |x| x - self.shift)
    }

    /// What the values are relative to.
    #[inline]
    pub(super) fn shift(&self) -> f64 {
        self.shift
    }

    /// Whether `n` inputs are held.
    #[inline]
    pub(super) fn is_full(&self) -> bool {
        self.ring.is_full()
    }

    /// Number of inputs held.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.ring.len()
    }

    /// Window length `n`.
    #[inline]
    pub(super) fn capacity(&self) -> usize {
        self.ring.capacity()
    }

    /// Forgets every input.
    pub(super) fn clear(&mut self) {
        self.ring.clear();
        self.shift = 0.0;
        self.since = 0;
    }
}

/// Running mean and population variance of the last `n` values, `E[d²] − E[d]²` over the shifted values
/// `d = x − shift` of a [`Shifted`] window: as accurate as a two-pass computation (TA-Lib's `STDDEV` to 1e-9 where a
/// running `E[x²] − E[x]²` of prices near 20,000 would not be).
#[derive(Clone, Debug)]
pub(super) struct Moments {
    window: Shifted,
    sum: f64,
    squares: f64,
}

impl Moments {
    /// Moments over windows of `n` values (at least one).
    pub(super) fn new(n: usize) -> Self {
        Moments { window: Shifted::new(n), sum: 0.0, squares: 0.0 }
    }

    /// Adds `value`; once `n` values are in, `(mean, variance)` of the last `n`.
    #[inline]
    pub(super) fn push(&mut self, value: f64) -> Option<(f64, f64)> {
        let (d, leaving, rebased) = self.window.push(value);
        if rebased {
            (self.sum, self.squares) = self.window.values().fold((0.0, 0.0), |(s, q), d| (s + d, q + d * d));
        } else {
            self.sum += d;
            self.squares += d * d;
            if let Some(l) = leaving {
                self.sum -= l;
                self.squares -= l * l;
            }
        }
        if !self.window.is_full() {
            return None;
        }
        let n = self.window.capacity() as f64;
        let mean = self.sum / n;
        Some((self.window.shift() + mean, self.squares / n - mean * mean))
    }

    /// Window length `n`.
    pub(super) fn len(&self) -> usize {
        self.window.capacity()
    }

    /// Forgets every value.
    pub(super) fn clear(&mut self) {
        self.window.clear();
        self.sum = 0.0;
        self.squares = 0.0;
    }
}

/// TA-Lib's standard deviation from a variance: its square root, or 0 when below 1e-8 (`TA_IS_ZERO_OR_NEG`).
#[inline]
pub(super) fn std_dev_of(variance: f64) -> f64 {
    if variance < 1e-8 { 0.0 } else { variance.sqrt() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_keeps_the_last_values_oldest_first() {
        let mut ring = Ring::new(3);
        assert_eq!((ring.push(1), ring.push(2), ring.push(3)), (None, None, None));
        assert_eq!(ring.push(4), Some(1), "the oldest leaves once full");
        assert_eq!(ring.iter().collect::<Vec<_>>(), vec![2, 3, 4]);
        assert_eq!((ring.back(0), ring.back(2), ring.back(3)), (Some(4), Some(2), None));
        ring.clear();
        assert_eq!((ring.oldest(), ring.push(7), ring.back(0)), (None, None, Some(7)));
    }

    #[test]
    fn rolling_sum_is_the_sum_of_the_last_n() {
        let mut sum = RollingSum::new(3);
        let got: Vec<_> = [1.0, 2.0, 3.0, 4.0, 10.0].into_iter().map(|x| sum.push(x)).collect();
        assert_eq!(got, vec![None, None, Some(6.0), Some(9.0), Some(17.0)]);
    }

    #[test]
    fn moments_are_population_mean_and_variance() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, population variance 4
        let mut moments = Moments::new(8);
        let last = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0].into_iter().map(|x| moments.push(x)).last();
        assert_eq!(last, Some(Some((5.0, 4.0))));
        assert_eq!(std_dev_of(4.0), 2.0);
        assert_eq!(std_dev_of(1e-9), 0.0, "TA-Lib reads a variance below 1e-8 as zero");
    }

    #[test]
    fn moments_of_large_values_keep_their_digits_over_long_series() {
        // σ of 1e9 + (0, 1, 2): √(2/3), which E[x²] − E[x]² of the raw values loses entirely
        let mut moments = Moments::new(3);
        let mut last = None;
        for i in 0..10_000 {
            last = moments.push(1e9 + f64::from(i % 3));
        }
        let (mean, variance) = last.expect("full");
        assert_eq!(mean, 1e9 + 1.0);
        assert!((variance - 2.0 / 3.0).abs() < 1e-9, "{variance}");
    }

    #[test]
    fn the_shift_moves_every_n_inputs() {
        let mut window = Shifted::new(2);
        assert_eq!(window.push(10.0), (0.0, None, false));
        assert_eq!(window.push(11.0), (0.0, None, true), "rebased on the newest");
        assert_eq!(window.values().collect::<Vec<_>>(), vec![-1.0, 0.0]);
        assert_eq!(window.push(13.0), (2.0, Some(-1.0), false));
        assert_eq!((window.len(), window.shift()), (2, 11.0));
    }
}
