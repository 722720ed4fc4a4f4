//! The correlation rule's data: per-symbol rolling windows of close-to-close returns, their Pearson correlation,
//! and the groups of held assets correlated above the threshold. Statistics in `f64`: they only group assets.

use crate::model::Symbol;

/// A symbol's last `window` returns, and the same window standardized for correlations.
#[derive(Clone, Debug)]
struct Series {
    symbol: Symbol,
    last_close: Option<f64>,
    /// Ring buffer of the returns; `next` is the slot the next one goes to.
    returns: Vec<f64>,
    next: usize,
    filled: usize,
    /// Once the window is full and has variance: `(r − mean) / √Σ(r − mean)²` for each return, oldest first, so
    /// that the Pearson correlation of two series is the dot product of their vectors.
    standardized: Option<Vec<f64>>,
}

/// Rolling return windows for every symbol seen.
#[derive(Clone, Debug)]
pub struct ReturnWindows {
    window: usize,
    series: Vec<Series>,
}

impl ReturnWindows {
    /// Windows of `window` returns.
    pub fn new(window: usize) -> Self {
        ReturnWindows { window: window.max(2), series: Vec::new() }
    }

    /// Adds `symbol`'s latest close. The work of a correlation that depends on one series only (mean, spread) is
    /// done here, once per close, so that each correlation asked for by an order check is a single dot product.
    pub fn on_close(&mut self, symbol: Symbol, close: f64) {
        let window = self.window;
        let index = match self.series.iter().position(|s| s.symbol == symbol) {
            Some(i) => i,
            None => {
                let empty = Series {
                    symbol,
                    last_close: None,
                    returns: vec![0.0; window],
                    next: 0,
                    filled: 0,
                    standardized: None,
                };
                self.series.push(empty);
                self.series.len() - 1
            }
        };
        let s = &mut self.series[index];
        if let Some(previous) = s.last_close.filter(|p| *p > 0.0) {
            s.returns[s.next] = close / previous - 1.0;
            s.next = (s.next + 1) % window;
            s.filled = (s.filled + 1).min(window);
            if s.filled == window {
                s.standardize();
            }
        }
        s.last_close = Some(close);
    }

    /// Pearson correlation of the two symbols' returns over their common full window; `None` until both windows
    /// are full or when either series has no variance. Returns are paired by age (the k-th newest of each).
    pub fn correlation(&self, a: Symbol, b: Symbol) -> Option<f64> {
        let find = |symbol| self.series.iter().find(|s| s.symbol == symbol)?.standardized.as_deref();
        Some(dot(find(a)?, find(b)?))
    }
}

impl Series {
    /// Recomputes the standardized window from the ring (reusing its buffer).
    fn standardize(&mut self) {
        let (newer, older) = self.returns.split_at(self.next);
        let n = self.returns.len() as f64;
        let mean = older.iter().chain(newer).sum::<f64>() / n;
        let spread = older.iter().chain(newer).map(|r| (r - mean) * (r - mean)).sum::<f64>().sqrt();
        if spread <= 0.0 || !spread.is_finite() {
            self.standardized = None;
            return;
        }
        let out = self.standardized.get_or_insert_with(|| Vec::with_capacity(self.returns.len()));
        out.clear();
        out.extend(older.iter().chain(newer).map(|r| (r - mean) / spread));
    }
}

/// Σ xᵢyᵢ over two equally long slices, in four interleaved partial sums (a fixed order, so the same bytes on every
/// machine) to keep the floating-point additions from waiting on one another.
fn dot(x: &[f64], y: &[f64]) -> f64 {
    let (xs, ys) = (x.chunks_exact(4), y.chunks_exact(4));
    let tail: f64 = xs.remainder().iter().zip(ys.remainder()).map(|(a, b)| a * b).sum();
    let mut lanes = [0.0; 4];
    for (a, b) in xs.zip(ys) {
        for k in 0..4 {
            lanes[k] += a[k] * b[k];
        }
    }
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sym(name: &str) -> Symbol {
        Symbol::new(name).unwrap()
    }

    #[test]
    fn correlation_of_moving_together_apart_and_opposite() {
        let mut w = ReturnWindows::new(4);
        let a = [100.0, 101.0, 99.0, 102.0, 101.0];
        for (i, &p) in a.iter().enumerate() {
            w.on_close(sym("A"), p);
            w.on_close(sym("B"), p * 2.0); // same returns
            w.on_close(sym("C"), 200.0 - p + if i % 2 == 0 { 0.0 } else { 0.5 });
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
        for (&pa, &pb) in a.iter().zip(&b) {
            w.on_close(sym("A"), pa);
            w.on_close(sym("B"), pb);
        }
        let rolling = w.correlation(sym("A"), sym("B")).unwrap();
        assert!((rolling - pearson(&a, &b, 7)).abs() < 1e-12, "{rolling} vs {}", pearson(&a, &b, 7));
        assert_eq!(w.correlation(sym("A"), sym("A")).map(|r| (r - 1.0).abs() < 1e-12), Some(true));
    }

    #[test]
    fn no_correlation_until_the_window_is_full() {
        let mut w = ReturnWindows::new(5);
        for p in [1.0, 2.0, 3.0] {
            w.on_close(sym("A"), p);
            w.on_close(sym("B"), p);
        }
        assert_eq!(w.correlation(sym("A"), sym("B")), None);
    }
}
