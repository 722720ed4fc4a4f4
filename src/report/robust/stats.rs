//! What the robustness statistics share: numpy-style percentiles, the compounded path of a resample (its final
//! multiple and deepest drawdown), sample moments, and the checks their inputs pass.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The 5th, 50th and 95th percentiles of a distribution, by linear interpolation between order statistics (numpy's
/// default, `method="linear"`): for sorted values `x₀ ≤ … ≤ x_{m−1}` and `h = (m − 1)·q`,
/// `P(q) = x_⌊h⌋ + (h − ⌊h⌋)·(x_⌊h⌋₊₁ − x_⌊h⌋)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    /// 5th percentile.
    pub p5: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
}

impl Percentiles {
    /// The percentiles of `values` (finite), or `None` if there are none.
    pub(super) fn of(mut values: Vec<f64>) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        values.sort_unstable_by(f64::total_cmp);
        Some(Percentiles {
            p5: percentile(&values, 0.05),
            p50: percentile(&values, 0.5),
            p95: percentile(&values, 0.95),
        })
    }
}

/// The `q`-quantile (`0 ≤ q ≤ 1`) of the non-empty `sorted` values, by linear interpolation.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let below = h.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    sorted[below] + (h - below as f64) * (sorted[above] - sorted[below])
}

/// Percentiles of the values of a statistic computed on at least one resample (checked by [`check_resamples`]).
pub(super) fn percentiles_of(values: Vec<f64>, what: &str) -> Result<Percentiles> {
    Percentiles::of(values).ok_or_else(|| Error::Validation(format!("{what}: no resamples to summarise")))
}

/// A compounded path: what it ends at and how deep it fell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Path {
    /// Final equity as a multiple of the start.
    pub multiple: f64,
    /// Deepest drawdown in percent: `max_t (1 − E_t / max_{s≤t} E_s) × 100`, the start being the first peak.
    pub max_drawdown_pct: f64,
}

/// The path of equity 1 compounded by `returns[i]` for `i` in `row`, in that order (indices checked by the caller).
pub(super) fn compound(returns: &[f64], row: &[usize]) -> Path {
    let (mut equity, mut peak, mut deepest) = (1.0_f64, 1.0_f64, 0.0_f64);
    for &i in row {
        equity *= 1.0 + returns[i];
        peak = peak.max(equity);
        deepest = deepest.max((1.0 - equity / peak) * 100.0);
    }
    Path { multiple: equity, max_drawdown_pct: deepest }
}

/// Mean and sample standard deviation (divisor `n − 1`) of at least two values; the deviation is exactly 0 when all
/// values are equal (their computed mean may not be, by rounding, which would give a spurious tiny deviation).
pub(super) fn mean_and_sample_std(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let (count, sum) = values.clone().fold((0usize, 0.0), |(n, s), v| (n + 1, s + v));
    let mean = sum / count as f64;
    if values.clone().next().is_some_and(|v0| values.clone().all(|v| v == v0)) {
        return (mean, 0.0);
    }
    let squares: f64 = values.map(|v| (v - mean) * (v - mean)).sum();
    (mean, (squares / (count as f64 - 1.0)).sqrt())
}

/// That `values` (called `what` in messages) are at least `min_len` finite numbers.
pub(super) fn check_finite(what: &str, values: &[f64], min_len: usize) -> Result<()> {
    if values.len() < min_len {
        return Err(Error::Validation(format!("{what}: need at least {min_len}, got {}", values.len())));
    }
    match values.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(Error::Validation(format!("{what}: value {i} is {}, not a finite number", values[i]))),
        None => Ok(()),
    }
}

/// That `returns` are at least `min_len` finite fractional returns of at least −100 % (equity cannot go below 0).
pub(super) fn check_returns(what: &str, returns: &[f64], min_len: usize) -> Result<()> {
    check_finite(what, returns, min_len)?;
    match returns.iter().position(|&r| r < -1.0) {
        Some(i) => Err(Error::Validation(format!(
            "{what}: return {i} is {} — below −1 (−100 %); returns are fractions of the equity before them",
            returns[i]
        ))),
        None => Ok(()),
    }
}

/// That `rows` is at least one resample, each of `len` indices below `len`.
pub(super) fn check_resamples(what: &str, rows: &[Vec<usize>], len: usize) -> Result<()> {
    if rows.is_empty() {
        return Err(Error::Validation(format!("{what}: need at least one resample")));
    }
    for (r, row) in rows.iter().enumerate() {
        if row.len() != len {
            return Err(Error::Validation(format!("{what}: resample {r} has {} indices, not {len}", row.len())));
        }
        if let Some(&i) = row.iter().find(|&&i| i >= len) {
            return Err(Error::Validation(format!("{what}: resample {r} has index {i}, beyond the {len} returns")));
        }
    }
    Ok(())
}

/// That a number of resamples asked for is at least one.
pub(super) fn check_count(what: &str, resamples: usize) -> Result<()> {
    if resamples == 0 {
        return Err(Error::Config(format!("{what}: the number of resamples must be at least 1")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_linearly_between_order_statistics() {
        // sorted 25, 55, 55, 121: h = 0.15, 1.5, 2.85 -> 25 + 0.15·30, 55, 55 + 0.85·66
        let p = Percentiles::of(vec![55.0, 121.0, 25.0, 55.0]).expect("four values");
        assert!((p.p5 - 29.5).abs() < 1e-12 && p.p50 == 55.0 && (p.p95 - 111.1).abs() < 1e-12, "{p:?}");
        assert_eq!(Percentiles::of(vec![7.0]), Some(Percentiles { p5: 7.0, p50: 7.0, p95: 7.0 }));
        assert_eq!(Percentiles::of(Vec::new()), None);
    }

    #[test]
    fn the_start_is_the_first_peak_of_a_path() {
        // 100 -> 50 -> 55: the deepest fall is from the start, 50 %
        let path = compound(&[0.1, -0.5], &[1, 0]);
        assert!((path.multiple - 0.55).abs() < 1e-15 && (path.max_drawdown_pct - 50.0).abs() < 1e-12, "{path:?}");
        assert_eq!(compound(&[0.1], &[0, 0]).max_drawdown_pct, 0.0);
    }

    #[test]
    fn equal_values_have_no_deviation_even_when_their_mean_rounds() {
        // 0.1 + 0.1 + 0.1 = 0.30000000000000004, / 3 ≠ 0.1
        assert_eq!(mean_and_sample_std([0.1; 3].into_iter()).1, 0.0);
        let (mean, std) = mean_and_sample_std([1.0, 2.0, 3.0].into_iter());
        assert_eq!((mean, std), (2.0, 1.0));
    }

    #[test]
    fn inputs_are_checked_with_messages_naming_them() {
        assert!(check_returns("trade returns", &[0.1, -1.5], 1).unwrap_err().to_string().contains("return 1"));
        assert!(check_finite("x", &[f64::NAN], 1).unwrap_err().to_string().contains("value 0 is NaN"));
        assert!(check_finite("x", &[], 1).is_err());
        assert!(check_resamples("mc", &[vec![0, 2]], 2).unwrap_err().to_string().contains("index 2"));
        assert!(check_resamples("mc", &[vec![0]], 2).is_err());
        assert!(check_count("mc", 0).is_err());
    }
}
