//! Fixed-size windows the indicators share: a preallocated ring of the last `n` inputs, a running sum over it in
//! TA-Lib's order of operations, a sum that neither drifts nor keeps leftovers of values gone ([`WindowSum`]), a
//! shifted window for sums that must not drift, and the running mean and population variance built on it.

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

/// The sum of the last `n` values that neither drifts nor keeps leftovers of values gone: a compensated
/// (Neumaier) running sum, so that a large value leaving does not leave its rounding error in the sum of the small
/// ones still in; recomputed over the window once every `n` values (O(n) then, O(1) otherwise: amortised O(1)) so
/// that errors never accumulate beyond one window's worth; and exactly 0 whenever the window holds no non-zero
/// value (a plain running `f64` sum keeps add/subtract leftovers of about 1e-16 × the values that left).
#[derive(Clone, Debug)]
pub(super) struct WindowSum {
    ring: Ring<f64>,
    sum: Compensated,
    /// Values in the window other than 0.
    nonzero: usize,
    /// Values since the sum was last recomputed.
    since: usize,
}

/// A sum with Neumaier's compensation: `sum + error` carries the bits each addition rounded away.
#[derive(Clone, Copy, Debug, Default)]
struct Compensated {
    sum: f64,
    error: f64,
}

impl Compensated {
    #[inline]
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        self.error += if self.sum.abs() >= x.abs() { (self.sum - t) + x } else { (x - t) + self.sum };
        self.sum = t;
    }

    #[inline]
    fn value(&self) -> f64 {
        self.sum + self.error
    }
}

impl WindowSum {
    /// A sum over windows of `n` values (at least one).
    pub(super) fn new(n: usize) -> Self {
        WindowSum { ring: Ring::new(n), sum: Compensated::default(), nonzero: 0, since: 0 }
    }

    /// Adds `value`; once `n` values are in, the sum of the last `n`.
    #[inline]
    pub(super) fn push(&mut self, value: f64) -> Option<f64> {
        if value != 0.0 {
            self.nonzero += 1;
        }
        self.sum.add(value);
        if let Some(leaving) = self.ring.push(value) {
            self.sum.add(-leaving);
            if leaving != 0.0 {
                self.nonzero -= 1;
            }
        }
        self.since += 1;
        if self.nonzero == 0 {
            self.sum = Compensated::default();
        } else if self.since >= self.ring.capacity() {
            self.since = 0;
            self.sum = Compensated::default();
            for x in self.ring.iter() {
                self.sum.add(x);
            }
        }
        self.ring.is_full().then(|| self.sum.value())
    }

    /// How many of the values in the window are not 0.
    #[inline]
    pub(super) fn nonzero(&self) -> usize {
        self.nonzero
    }

    /// Window length `n`.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.ring.capacity()
    }

    /// Forgets every value.
    pub(super) fn clear(&mut self) {
        self.ring.clear();
        self.sum = Compensated::default();
        self.nonzero = 0;
        self.since = 0;
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

    /// The newest input held.
    #[inline]
    pub(super) fn newest(&self) -> Option<f64> {
        self.ring.back(0)
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
/// running `E[x²] − E[x]²` of prices near 20,000 would not be), at any price scale. A window of `n` equal values
/// has variance exactly 0 (the running sums could keep leftovers of the values that left). O(1) per value, O(n)
/// once every `n` values when the sums are recomputed.
#[derive(Clone, Debug)]
pub(super) struct Moments {
    window: Shifted,
    sum: f64,
    squares: f64,
    /// How many of the newest values in a row equal the newest.
    run: usize,
}

impl Moments {
    /// Moments over windows of `n` values (at least one).
    pub(super) fn new(n: usize) -> Self {
        Moments { window: Shifted::new(n), sum: 0.0, squares: 0.0, run: 0 }
    }

    /// Adds `value`; once `n` values are in, `(mean, variance)` of the last `n`.
    #[inline]
    pub(super) fn push(&mut self, value: f64) -> Option<(f64, f64)> {
        self.run = if self.window.newest() == Some(value) { self.run.saturating_add(1) } else { 1 };
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
        let n = self.window.capacity();
        if self.run >= n {
            return Some((value, 0.0));
        }
        let mean = self.sum / n as f64;
        Some((self.window.shift() + mean, self.squares / n as f64 - mean * mean))
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
        self.run = 0;
    }
}

/// The standard deviation from a variance: its square root, or 0 when the variance is not positive (rounding can
/// leave a nearly flat window a variance just below 0). No absolute threshold: TA-Lib's `STDDEV` (C library 0.8.1,
/// in the Python package 0.8.2) takes the root of any positive variance, so the deviation scales with the prices
/// down to the smallest ones (0.4 read a variance below 1e-8 as 0).
#[inline]
pub(super) fn std_dev_of(variance: f64) -> f64 {
    if variance > 0.0 { variance.sqrt() } else { 0.0 }
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
        assert_eq!(std_dev_of(1e-30), 1e-15, "no absolute threshold: tiny prices have tiny deviations");
        assert_eq!((std_dev_of(0.0), std_dev_of(-1e-20)), (0.0, 0.0), "rounding below 0 reads as 0");
    }

    #[test]
    fn a_flat_window_has_variance_exactly_zero_after_a_spike_left() {
        // 1e6 and −3.3e5 leave leftovers in running sums; once four equal values are in, the variance is exactly 0
        // and the mean exactly the value, at any scale
        for scale in [1.0, 1e-9, 1e-100] {
            let mut moments = Moments::new(4);
            let xs = [0.1, 1e6, -3.3e5, 0.7, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3];
            let got: Vec<_> = xs.iter().map(|x| moments.push(x * scale)).collect();
            assert!(got[3..7].iter().all(|m| m.expect("full").1 > 0.0), "{got:?}");
            assert!(got[7..].iter().all(|&m| m == Some((0.3 * scale, 0.0))), "{got:?}");
        }
    }

    #[test]
    fn moments_scale_with_the_values() {
        // σ² of 1e-9 × (2, 4, 4, 4, 5, 5, 7, 9) is 4e-18, not a "zero" below some absolute threshold
        let mut moments = Moments::new(8);
        let last = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0].map(|x| x * 1e-9).into_iter().map(|x| moments.push(x));
        let (mean, variance) = last.last().flatten().expect("full");
        assert!((mean - 5e-9).abs() < 1e-24 && (variance - 4e-18).abs() < 1e-30, "{mean} {variance}");
        assert!((std_dev_of(variance) - 2e-9).abs() < 1e-24);
    }

    #[test]
    fn window_sum_keeps_small_values_exact_after_a_large_one_left() {
        // 1e12 leaves: a plain running sum would answer 0.003 ± 1e-4, the compensated one to the last bits
        let mut sum = WindowSum::new(5);
        let got: Vec<_> = [1e12, 0.001, 0.001, 0.001, 0.0, 0.0].into_iter().filter_map(|x| sum.push(x)).collect();
        assert_eq!(got.len(), 2);
        assert!((got[0] - 1e12).abs() < 0.01 && (got[1] - 0.003).abs() < 1e-17, "{got:?}");
    }

    #[test]
    fn window_sum_is_exactly_zero_once_only_zeros_are_left() {
        // a running f64 sum of these keeps a leftover of about 1e-10 once they have left the window
        let xs = [4364.8357, 3590.06669, 3318.84038, 4242.0805, 0.1, 0.2, 0.3, 0.0, 0.0, 0.0, 0.0];
        let mut running = RollingSum::new(4);
        let leftover = xs.iter().map(|&x| running.push(x)).last().flatten().expect("full");
        let mut sum = WindowSum::new(4);
        let got: Vec<_> = xs.iter().map(|&x| sum.push(x)).collect();
        assert_eq!(got[..3], [None; 3]);
        assert_eq!((got[10], sum.nonzero()), (Some(0.0), 0), "the running sum left {leftover:e}");
        for (i, g) in got.iter().enumerate().skip(3) {
            let plain: f64 = xs[i - 3..=i].iter().sum();
            assert!((g.expect("full") - plain).abs() <= 1e-15 * plain, "{i}: {g:?} {plain}");
        }
        sum.clear();
        assert_eq!((sum.push(2.0), sum.nonzero(), sum.len()), (None, 1, 4));
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
