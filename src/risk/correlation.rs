//! The correlation rule's data: per-symbol rolling windows of close-to-close returns, their Pearson correlation,
//! and the groups of held assets correlated above the threshold. Statistics in `f64`: they only group assets.

use crate::model::Symbol;

/// A symbol's last `window` returns.
#[derive(Clone, Debug)]
struct Series {
    symbol: Symbol,
    last_close: Option<f64>,
    returns: Vec<f64>,
    next: usize,
    filled: usize,
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

    /// Adds `symbol`'s latest close.
    pub fn on_close(&mut self, symbol: Symbol, close: f64) {
        let window = self.window;
        let index = match self.series.iter().position(|s| s.symbol == symbol) {
            Some(i) => i,
            None => {
                self.series.push(Series { symbol, last_close: None, returns: vec![0.0; window], next: 0, filled: 0 });
                self.series.len() - 1
            }
        };
        let s = &mut self.series[index];
        if let Some(previous) = s.last_close.filter(|p| *p > 0.0) {
            s.returns[s.next] = close / previous - 1.0;
            s.next = (s.next + 1) % window;
            s.filled = (s.filled + 1).min(window);
        }
        s.last_close = Some(close);
    }

    /// Pearson correlation of the two symbols' returns over their common full window; `None` until both windows
    /// are full or when either series has no variance. Returns are paired by age (the k-th newest of each).
    pub fn correlation(&self, a: Symbol, b: Symbol) -> Option<f64> {
        let find = |symbol| self.series.iter().find(|s| s.symbol == symbol && s.filled == self.window);
        let (x, y) = (find(a)?, find(b)?);
        let pairs = || x.oldest_first().zip(y.oldest_first());
        let n = self.window as f64;
        let (sx, sy) = pairs().fold((0.0, 0.0), |(sx, sy), (x, y)| (sx + x, sy + y));
        let (mx, my) = (sx / n, sy / n);
        let (mut cov, mut vx, mut vy) = (0.0, 0.0, 0.0);
        for (x, y) in pairs() {
            let (dx, dy) = (x - mx, y - my);
            cov += dx * dy;
            vx += dx * dx;
            vy += dy * dy;
        }
        (vx > 0.0 && vy > 0.0).then(|| cov / (vx * vy).sqrt())
    }
}

impl Series {
    /// The window's returns from the oldest to the newest.
    fn oldest_first(&self) -> impl Iterator<Item = f64> + '_ {
        let (newer, older) = self.returns.split_at(self.next);
        older.iter().chain(newer).copied()
    }
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
