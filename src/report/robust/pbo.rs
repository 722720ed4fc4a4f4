//! The probability of backtest overfitting by combinatorially symmetric cross-validation (Bailey, Borwein, López de
//! Prado & Zhu, "The Probability of Backtest Overfitting", 2015).
//!
//! The `T` periods of the `N` combinations' returns are cut into `S` (even) consecutive blocks, sizes differing by at
//! most one, the first `T mod S` blocks one period longer (numpy's `array_split`). For every choice of `S/2` blocks
//! as in-sample, in lexicographic order of the chosen block numbers (`itertools.combinations`), the rest being
//! out-of-sample:
//!
//! * each combination's performance on either half is its Sharpe ratio `mean / sample stdev` over the half's periods
//!   (one without variance counts 0 if its mean is 0, ±∞ by the sign of its mean otherwise);
//! * `n*` is the best in-sample combination (the first of equals);
//! * its out-of-sample rank `r` among the `N` (1 = worst; equals share their average rank) gives `ω = r / (N + 1)`
//!   and the logit `λ = ln(ω / (1 − ω))`.
//!
//! PBO is the share of splits with `λ ≤ 0`: how often the in-sample winner does no better than the median out of
//! sample. Nothing is random.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The default number of blocks `S`.
pub const DEFAULT_PBO_BLOCKS: usize = 16;

/// Most blocks allowed: `C(24, 12)` = 2 704 156 splits.
const MAX_BLOCKS: usize = 24;

/// The outcome of the cross-validation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PboSummary {
    /// Combinations compared (`N`).
    pub combinations: usize,
    /// Periods of each combination's returns (`T`).
    pub periods: usize,
    /// Blocks the periods were cut into (`S`).
    pub blocks: usize,
    /// Splits evaluated: `C(S, S/2)`.
    pub splits: usize,
    /// Probability of backtest overfitting: the share of logits ≤ 0.
    pub pbo: f64,
    /// Each split's logit `λ`, in the splits' lexicographic order.
    pub logits: Vec<f64>,
    /// Each split's best in-sample combination `n*` (an index into the input), in the same order.
    pub best_in_sample: Vec<usize>,
}

/// Count, mean, sum of squared deviations and range of some returns, mergeable without loss of precision (Chan,
/// Golub & LeVeque's pairwise update), so a half's moments are the merge of its blocks'.
#[derive(Clone, Copy, Debug)]
struct Moments {
    count: f64,
    mean: f64,
    squares: f64,
    least: f64,
    greatest: f64,
}

impl Moments {
    /// The moments of no values.
    const EMPTY: Moments =
        Moments { count: 0.0, mean: 0.0, squares: 0.0, least: f64::INFINITY, greatest: f64::NEG_INFINITY };

    fn of(values: &[f64]) -> Self {
        values
            .iter()
            .fold(Moments::EMPTY, |m, &v| m.merge(Moments { count: 1.0, mean: v, squares: 0.0, least: v, greatest: v }))
    }

    fn merge(self, other: Moments) -> Moments {
        if self.count == 0.0 {
            return other;
        }
        let count = self.count + other.count;
        let delta = other.mean - self.mean;
        Moments {
            count,
            mean: self.mean + delta * other.count / count,
            squares: self.squares + other.squares + delta * delta * self.count * other.count / count,
            least: self.least.min(other.least),
            greatest: self.greatest.max(other.greatest),
        }
    }

    /// The Sharpe ratio `mean / sample stdev`; without variance (all values equal) 0, or ±∞ by the mean's sign.
    fn sharpe(self) -> f64 {
        if self.least < self.greatest {
            self.mean / (self.squares / (self.count - 1.0)).sqrt()
        } else if self.mean == 0.0 {
            0.0
        } else {
            f64::INFINITY.copysign(self.mean)
        }
    }
}

/// The probability of backtest overfitting of `returns` — one series of per-period returns per combination, all of
/// the same length `T` — over `blocks` blocks ([`DEFAULT_PBO_BLOCKS`] is the paper's 16).
///
/// # Errors
/// [`Error::Config`] when `blocks` is odd, 0 or above 24; [`Error::Validation`] with fewer than 2 combinations,
/// series of different lengths, a value that is not finite, or fewer than 2 periods per block.
pub fn pbo_cscv<S: AsRef<[f64]>>(returns: &[S], blocks: usize) -> Result<PboSummary> {
    let (combinations, periods) = check(returns, blocks)?;
    let bounds = block_bounds(periods, blocks);
    // moments[b][n]: combination n's moments over block b
    let moments: Vec<Vec<Moments>> =
        bounds.windows(2).map(|w| returns.iter().map(|s| Moments::of(&s.as_ref()[w[0]..w[1]])).collect()).collect();
    let half = blocks / 2;
    let mut chosen: Vec<usize> = (0..half).collect();
    let (mut logits, mut best_in_sample) = (Vec::new(), Vec::new());
    loop {
        let mut in_sample = vec![Moments::EMPTY; combinations];
        let mut out_of_sample = vec![Moments::EMPTY; combinations];
        for (b, block) in moments.iter().enumerate() {
            let half = if chosen.contains(&b) { &mut in_sample } else { &mut out_of_sample };
            half.iter_mut().zip(block).for_each(|(total, &m)| *total = total.merge(m));
        }
        let best = first_best(in_sample.iter().map(|m| m.sharpe()));
        let outside: Vec<f64> = out_of_sample.iter().map(|m| m.sharpe()).collect();
        let omega = average_rank(&outside, best) / (combinations as f64 + 1.0);
        logits.push((omega / (1.0 - omega)).ln());
        best_in_sample.push(best);
        if !next_combination(&mut chosen, blocks) {
            break;
        }
    }
    let overfit = logits.iter().filter(|&&l| l <= 0.0).count();
    Ok(PboSummary {
        combinations,
        periods,
        blocks,
        splits: logits.len(),
        pbo: overfit as f64 / logits.len() as f64,
        logits,
        best_in_sample,
    })
}

/// The number of combinations and periods of valid input.
fn check<S: AsRef<[f64]>>(returns: &[S], blocks: usize) -> Result<(usize, usize)> {
    if blocks == 0 || !blocks.is_multiple_of(2) || blocks > MAX_BLOCKS {
        return Err(Error::Config(format!("PBO: the number of blocks must be even, 2 to {MAX_BLOCKS}; got {blocks}")));
    }
    if returns.len() < 2 {
        return Err(Error::Validation(format!("PBO: need at least 2 combinations to compare, got {}", returns.len())));
    }
    let periods = returns[0].as_ref().len();
    for (n, series) in returns.iter().enumerate() {
        let series = series.as_ref();
        if series.len() != periods {
            return Err(Error::Validation(format!(
                "PBO: combination {n} has {} periods, combination 0 has {periods}",
                series.len()
            )));
        }
        if let Some(t) = series.iter().position(|v| !v.is_finite()) {
            return Err(Error::Validation(format!("PBO: combination {n}, period {t} is {}", series[t])));
        }
    }
    if periods < 2 * blocks {
        return Err(Error::Validation(format!(
            "PBO: {periods} periods are too few for {blocks} blocks (need at least 2 per block, {})",
            2 * blocks
        )));
    }
    Ok((returns.len(), periods))
}

/// The `blocks + 1` period boundaries of `blocks` consecutive blocks of `periods`, the first `periods mod blocks`
/// one longer.
fn block_bounds(periods: usize, blocks: usize) -> Vec<usize> {
    let (size, longer) = (periods / blocks, periods % blocks);
    (0..=blocks).map(|b| b * size + b.min(longer)).collect()
}

/// The index of the first greatest of `values`.
fn first_best(values: impl Iterator<Item = f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (i, v) in values.enumerate() {
        if i == 0 || v > best.1 {
            best = (i, v);
        }
    }
    best.0
}

/// The rank of `values[at]` among `values`, 1 for the least, equals sharing their average rank.
fn average_rank(values: &[f64], at: usize) -> f64 {
    let v = values[at];
    let below = values.iter().filter(|&&x| x < v).count();
    let equal = values.iter().filter(|&&x| x == v).count();
    below as f64 + (equal as f64 + 1.0) / 2.0
}

/// Advances `chosen` (strictly increasing, below `n`) to the next combination in lexicographic order; `false` after
/// the last.
fn next_combination(chosen: &mut [usize], n: usize) -> bool {
    let k = chosen.len();
    let Some(i) = (0..k).rev().find(|&i| chosen[i] < n - k + i) else {
        return false;
    };
    chosen[i] += 1;
    for j in i + 1..k {
        chosen[j] = chosen[j - 1] + 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combinations_come_in_lexicographic_order() {
        let mut chosen = vec![0, 1];
        let mut seen = vec![chosen.clone()];
        while next_combination(&mut chosen, 4) {
            seen.push(chosen.clone());
        }
        assert_eq!(seen, [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]);
    }

    #[test]
    fn blocks_split_as_numpy_array_split() {
        assert_eq!(block_bounds(10, 4), [0, 3, 6, 8, 10]);
        assert_eq!(block_bounds(8, 4), [0, 2, 4, 6, 8]);
    }

    #[test]
    fn merged_moments_equal_moments_of_the_whole() {
        let values = [0.01, -0.02, 0.03, 0.005, -0.01, 0.02, 0.0];
        let merged = Moments::of(&values[..3]).merge(Moments::of(&values[3..]));
        let whole = Moments::of(&values);
        assert!((merged.mean - whole.mean).abs() < 1e-17 && (merged.squares - whole.squares).abs() < 1e-17);
        assert_eq!(Moments::of(&[0.0, 0.0]).sharpe(), 0.0);
        assert_eq!(Moments::of(&[-0.1, -0.1, -0.1]).sharpe(), f64::NEG_INFINITY);
    }

    #[test]
    fn ranks_average_over_equals_and_the_first_best_wins() {
        assert_eq!(average_rank(&[0.1, 0.3, 0.3, -0.2], 1), 3.5);
        assert_eq!(average_rank(&[0.1, 0.3, 0.3, -0.2], 3), 1.0);
        assert_eq!(first_best([0.2, 0.5, 0.5].into_iter()), 1);
    }

    #[test]
    fn bad_inputs_are_refused() {
        let two = [vec![0.1, 0.2, 0.3, 0.4], vec![0.2, 0.1, 0.0, 0.3]];
        assert!(matches!(pbo_cscv(&two, 3), Err(Error::Config(_))));
        assert!(matches!(pbo_cscv(&two, 0), Err(Error::Config(_))));
        assert!(matches!(pbo_cscv(&two, 4), Err(Error::Validation(_))));
        assert!(matches!(pbo_cscv(&two[..1], 2), Err(Error::Validation(_))));
        assert!(matches!(pbo_cscv(&[vec![0.1; 4], vec![0.1; 5]], 2), Err(Error::Validation(_))));
        assert!(pbo_cscv(&two, 2).is_ok());
    }
}
