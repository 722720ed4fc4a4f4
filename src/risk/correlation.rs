//! The correlation rule's data: per-symbol windows of closes with their times, and the Pearson correlation of two
//! symbols' returns paired by time — between consecutive close times both symbols have, so that each pair of
//! returns covers the same interval even when one symbol misses a bar. Statistics in `f64`: they only group assets.

use crate::model::{Symbol, Timestamp};

/// A symbol's latest closes and their times, in a ring.
#[derive(Clone, Debug)]
struct Series {
    symbol: Symbol,
    times: Vec<i64>,
    closes: Vec<f64>,
    /// The slot the next close goes to.
    next: usize,
    filled: usize,
}

impl Series {
    /// The time and close `age` closes before the latest (`age` < `filled`).
    #[inline]
    fn at(&self, age: usize) -> (i64, f64) {
        let len = self.closes.len();
        let slot = (self.next + len - 1 - age) % len;
        (self.times[slot], self.closes[slot])
    }
}

/// Rolling close windows for every symbol seen.
#[derive(Clone, Debug)]
pub struct ReturnWindows {
    window: usize,
    series: Vec<Series>,
}

impl ReturnWindows {
    /// Correlations over `window` returns. Each symbol keeps its latest `2 × window + 1` closes, so that up to
    /// `window` bars missing from one symbol's series still leave a full window of returns at common times.
    pub fn new(window: usize) -> Self {
        ReturnWindows { window: window.max(2), series: Vec::new() }
    }

    /// Adds `symbol`'s close at `time`. A close at the time of its latest replaces it; an older one, or one that is
    /// not a positive number, is ignored.
    pub fn on_close(&mut self, symbol: Symbol, time: Timestamp, close: f64) {
        if !(close > 0.0 && close.is_finite()) {
            return;
        }
        let capacity = 2 * self.window + 1;
        let index = match self.series.iter().position(|s| s.symbol == symbol) {
            Some(i) => i,
            None => {
                let empty =
                    Series { symbol, times: vec![0; capacity], closes: vec![0.0; capacity], next: 0, filled: 0 };
                self.series.push(empty);
                self.series.len() - 1
            }
        };
        let s = &mut self.series[index];
        if s.filled > 0 {
            let (latest, _) = s.at(0);
            if time.0 < latest {
                return;
            }
            if time.0 == latest {
                let slot = (s.next + capacity - 1) % capacity;
                s.closes[slot] = close;
                return;
            }
        }
        s.times[s.next] = time.0;
        s.closes[s.next] = close;
        s.next = (s.next + 1) % capacity;
        s.filled = (s.filled + 1).min(capacity);
    }

    /// Pearson correlation of the two symbols' returns between consecutive close times both have, over the latest
    /// `window` such returns; `None` until there are that many, or when either has no variance.
    pub fn correlation(&self, a: Symbol, b: Symbol) -> Option<f64> {
        let find = |symbol| self.series.iter().find(|s| s.symbol == symbol);
        let (a, b) = (find(a)?, find(b)?);
        let n = self.window;
        if paired_returns(a, b).take(n).count() < n {
            return None;
        }
        let (mut sum_x, mut sum_y) = (0.0, 0.0);
        for (x, y) in paired_returns(a, b).take(n) {
            sum_x += x;
            sum_y += y;
        }
        let (mean_x, mean_y) = (sum_x / n as f64, sum_y / n as f64);
        let (mut cov, mut var_x, mut var_y) = (0.0, 0.0, 0.0);
        for (x, y) in paired_returns(a, b).take(n) {
            let (dx, dy) = (x - mean_x, y - mean_y);
            cov += dx * dy;
            var_x += dx * dx;
            var_y += dy * dy;
        }
        let r = cov / (var_x * var_y).sqrt();
        (var_x > 0.0 && var_y > 0.0 && r.is_finite()).then_some(r)
    }
}

/// The closes of `a` and `b` at the times both have, newest first.
fn common_closes<'s>(a: &'s Series, b: &'s Series) -> impl Iterator<Item = (f64, f64)> + 's {
    let (mut age_a, mut age_b) = (0, 0);
    std::iter::from_fn(move || {
        while age_a < a.filled && age_b < b.filled {
            let ((time_a, close_a), (time_b, close_b)) = (a.at(age_a), b.at(age_b));
            if time_a == time_b {
                (age_a, age_b) = (age_a + 1, age_b + 1);
                return Some((close_a, close_b));
            }
            // The newer of the two times is missing from the other series: step past it.
            if time_a > time_b {
                age_a += 1;
            } else {
                age_b += 1;
            }
        }
        None
    })
}

/// The returns of `a` and `b` between consecutive common close times, newest first: each pair covers one interval.
fn paired_returns<'s>(a: &'s Series, b: &'s Series) -> impl Iterator<Item = (f64, f64)> + 's {
    let mut closes = common_closes(a, b);
    let mut newer = closes.next();
    std::iter::from_fn(move || {
        let (new_a, new_b) = newer?;
        let (old_a, old_b) = closes.next()?;
        newer = Some((old_a, old_b));
        Some((new_a / old_a - 1.0, new_b / old_b - 1.0))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sym(name: &str) -> Symbol {
        Symbol::new(name).unwrap()
    }

    fn at(i: usize) -> Timestamp {
        Timestamp(i as i64 * 60_000_000_000)
    }

    #[test]
    fn correlation_of_moving_together_apart_and_opposite() {
        let mut w = ReturnWindows::new(4);
        let a = [100.0, 101.0, 99.0, 102.0, 101.0];
        for (i, &p) in a.iter().enumerate() {
            w.on_close(sym("A"), at(i), p);
            w.on_close(sym("B"), at(i), p * 2.0); // same returns
            w.on_close(sym("C"), at(i), 200.0 - p + if i % 2 == 0 { 0.0 } else { 0.5 });
        }
        assert!((w.correlation(sym("A"), sym("B")).unwrap() - 1.0).abs() < 1e-12);
        assert!(w.correlation(sym("A"), sym("C")).unwrap() < -0.9);
    }

    /// The textbook two-pass formula over the last `n` returns of two close series.
    fn pearson(a: &[f64], b: &[f64], n: usize) -> f64 {
        let returns = |c: &[f64]| c.windows(2).map(|w| w[1] / w[0] - 1.0).collect::<Vec<_>>();
        let (x, y) = (returns(a), returns(b));
        let (x, y) = (&x[x.len() - n..], &y[y.len() - n..]);
        let (mx, my) = (x.iter().sum::<f64>() / n as f64, y.iter().sum::<f64>() / n as f64);
        let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
        let vx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
        let vy: f64 = y.iter().map(|b| (b - my) * (b - my)).sum();
        cov / (vx * vy).sqrt()
    }

    #[test]
    fn rolling_correlation_matches_the_textbook_formula_over_the_latest_window() {
        // 23 closes, window 7 (not a multiple of the four lanes), the ring wrapped several times.
        let a: Vec<f64> = (0..23).map(|i| 100.0 + (i as f64 * 0.7).sin() * 3.0 + i as f64 * 0.1).collect();
        let b: Vec<f64> = (0..23).map(|i| 50.0 + (i as f64 * 0.7 + 0.4).sin() * 2.0 - (i % 3) as f64 * 0.2).collect();
        let mut w = ReturnWindows::new(7);
        for (i, (&pa, &pb)) in a.iter().zip(&b).enumerate() {
            w.on_close(sym("A"), at(i), pa);
            w.on_close(sym("B"), at(i), pb);
        }
        let rolling = w.correlation(sym("A"), sym("B")).unwrap();
        assert!((rolling - pearson(&a, &b, 7)).abs() < 1e-12, "{rolling} vs {}", pearson(&a, &b, 7));
        assert_eq!(w.correlation(sym("A"), sym("A")).map(|r| (r - 1.0).abs() < 1e-12), Some(true));
    }

    #[test]
    fn no_correlation_until_the_window_is_full() {
        let mut w = ReturnWindows::new(5);
        for (i, p) in [1.0, 2.0, 3.0].into_iter().enumerate() {
            w.on_close(sym("A"), at(i), p);
            w.on_close(sym("B"), at(i), p);
        }
        assert_eq!(w.correlation(sym("A"), sym("B")), None);
    }

    #[test]
    fn a_missing_bar_pairs_the_returns_around_it_by_time() {
        // Window 3. A closes at minutes 0–4: 10, 11, 12, 11, 13; B misses minute 2 and is A × 3 otherwise. Common
        // times 0, 1, 3, 4: three returns, the same for both → 1. Positionally B's 1 → 3 return (33 → 33: 0)
        // would meet A's 2 → 3 (−1/12), and B's 0 → 1 A's 1 → 2.
        let mut w = ReturnWindows::new(3);
        for (i, p) in [10.0, 11.0, 12.0, 11.0, 13.0].into_iter().enumerate() {
            w.on_close(sym("A"), at(i), p);
            if i != 2 {
                w.on_close(sym("B"), at(i), p * 3.0);
            }
        }
        assert!((w.correlation(sym("A"), sym("B")).unwrap() - 1.0).abs() < 1e-12);
        // Up to `window` missing bars still leave a full window; a close older than the latest is ignored.
        w.on_close(sym("B"), at(1), 1.0);
        assert!((w.correlation(sym("A"), sym("B")).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn symbols_without_enough_common_times_have_no_correlation() {
        // A at even minutes, B at odd ones: nothing in common.
        let mut w = ReturnWindows::new(3);
        for i in 0..20 {
            let symbol = if i % 2 == 0 { "A" } else { "B" };
            w.on_close(sym(symbol), at(i), 100.0 + (i % 3) as f64);
        }
        assert_eq!(w.correlation(sym("A"), sym("B")), None);
    }
}
