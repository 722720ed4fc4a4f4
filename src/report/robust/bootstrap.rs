//! Circular moving-block bootstrap of per-bar equity returns (Politis & Romano 1992): a resampled series of the
//! original length is made of blocks of `b` consecutive bars, each starting at a bar drawn uniformly, wrapping from
//! the last bar to the first, the last block cut to fit. Blocks keep the short-range dependence (volatility
//! clusters, a position held over several bars) that resampling single bars would destroy; the fixed block length
//! (rather than the stationary bootstrap's random one) makes every resample's structure easy to check and reproduce.
//!
//! As in the trade Monte Carlo, the draws ([`block_resamples`]) are separate from the statistics of given draws
//! ([`bootstrap_statistics`]).

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use super::stats::{
    Path, Percentiles, check_count, check_resamples, check_returns, compound, mean_and_sample_std, percentiles_of,
};
use crate::error::{Error, Result};

/// The distribution of a run's statistics over bootstrap resamples of its bar returns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BootstrapStatistics {
    /// Bars in each resample (all of them).
    pub periods: usize,
    /// Resamples drawn.
    pub resamples: usize,
    /// Total return `Π(1 + r) − 1` as a fraction: 5/50/95 % percentiles.
    pub total_return: Percentiles,
    /// Annualised Sharpe ratio `mean / sample stdev × √periods_per_year` (as `report::Metrics`), over the resamples
    /// where it is defined; `None` if it is defined in none.
    pub sharpe: Option<Percentiles>,
    /// Resamples without variance, whose Sharpe ratio is undefined (left out of `sharpe`).
    pub sharpe_undefined: usize,
    /// Deepest peak-to-trough drawdown of each compounded resample (the start its first peak), in percent.
    pub max_drawdown_pct: Percentiles,
}

/// [`BootstrapStatistics`] with the block length they were drawn with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BootstrapSummary {
    /// Bars per block.
    pub block_length: usize,
    /// The statistics.
    #[serde(flatten)]
    pub statistics: BootstrapStatistics,
}

/// The default block length for `periods` bars: `⌈√periods⌉`.
pub fn default_block_length(periods: usize) -> usize {
    (1..=periods).find(|b| b * b >= periods).unwrap_or(periods)
}

/// The circular block bootstrap of `bar_returns` (each bar's equity over the previous one, minus 1; the first over
/// the starting equity): `resamples` series of blocks of `block` bars (`None`: [`default_block_length`]) drawn by a
/// ChaCha8 generator seeded with `seed`; Sharpe ratios annualised with `periods_per_year`. The same arguments give
/// the same summary, bit for bit.
///
/// # Errors
/// [`Error::Validation`] with fewer than 2 returns, a return not finite or below −1, or `periods_per_year` not a
/// positive number; [`Error::Config`] when `resamples` is 0 or the block length is 0 or longer than the series.
pub fn block_bootstrap(
    bar_returns: &[f64],
    periods_per_year: f64,
    block: Option<usize>,
    resamples: usize,
    seed: u64,
) -> Result<BootstrapSummary> {
    check_inputs(bar_returns, periods_per_year)?;
    let periods = bar_returns.len();
    let block_length = block.unwrap_or_else(|| default_block_length(periods));
    check_draw(periods, block_length, resamples)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut row = Vec::with_capacity(periods);
    let measures = (0..resamples).map(|_| {
        draw_row(&mut rng, periods, block_length, &mut row);
        measure(bar_returns, &row)
    });
    Ok(BootstrapSummary { block_length, statistics: summarise(bar_returns.len(), periods_per_year, measures)? })
}

/// The `resamples` index series [`block_bootstrap`] draws for `periods` bars in blocks of `block` with `seed`: row `k`
/// lists which bar comes at each position of resample `k`.
///
/// # Errors
/// [`Error::Config`] when `resamples` is 0 or `block` is 0 or longer than `periods`.
pub fn block_resamples(periods: usize, block: usize, resamples: usize, seed: u64) -> Result<Vec<Vec<usize>>> {
    check_draw(periods, block, resamples)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut rows = vec![Vec::with_capacity(periods); resamples];
    rows.iter_mut().for_each(|row| draw_row(&mut rng, periods, block, row));
    Ok(rows)
}

/// The statistics of given resamples: row `k` of `resamples` is resample `k`, as indices into `bar_returns`.
///
/// # Errors
/// As [`block_bootstrap`]; also [`Error::Validation`] when there are no rows, or a row's length is not the number of
/// returns or it holds an index beyond them.
pub fn bootstrap_statistics(
    bar_returns: &[f64],
    periods_per_year: f64,
    resamples: &[Vec<usize>],
) -> Result<BootstrapStatistics> {
    check_inputs(bar_returns, periods_per_year)?;
    check_resamples("block bootstrap", resamples, bar_returns.len())?;
    summarise(bar_returns.len(), periods_per_year, resamples.iter().map(|row| measure(bar_returns, row)))
}

/// That there are at least 2 bar returns, each finite and at least −1, and `periods_per_year` is positive.
fn check_inputs(bar_returns: &[f64], periods_per_year: f64) -> Result<()> {
    check_returns("block bootstrap: bar returns", bar_returns, 2)?;
    if !(periods_per_year.is_finite() && periods_per_year > 0.0) {
        return Err(Error::Validation(format!(
            "block bootstrap: periods per year {periods_per_year} is not a positive number"
        )));
    }
    Ok(())
}

/// That a draw of `resamples` series of `periods` bars in blocks of `block` can be made.
fn check_draw(periods: usize, block: usize, resamples: usize) -> Result<()> {
    check_count("block bootstrap", resamples)?;
    if block == 0 || block > periods {
        return Err(Error::Config(format!(
            "block bootstrap: block length {block} must be between 1 and the number of bars ({periods})"
        )));
    }
    Ok(())
}

/// One resample of `periods` indices in circular blocks of `block`, into `row`.
fn draw_row(rng: &mut ChaCha8Rng, periods: usize, block: usize, row: &mut Vec<usize>) {
    row.clear();
    while row.len() < periods {
        let start = rng.random_range(0..periods);
        let take = block.min(periods - row.len());
        row.extend((start..start + take).map(|i| i % periods));
    }
}

/// What one resample measures: its compounded path and its per-bar Sharpe ratio (`None` without variance).
struct Measure {
    path: Path,
    sharpe: Option<f64>,
}

/// The measures of the resample `row` (at least 2 valid indices) of `bar_returns`.
fn measure(bar_returns: &[f64], row: &[usize]) -> Measure {
    let (mean, std) = mean_and_sample_std(row.iter().map(|&i| bar_returns[i]));
    Measure { path: compound(bar_returns, row), sharpe: (std > 0.0).then(|| mean / std) }
}

/// The statistics of the `measures` of resamples of `periods` bars, Sharpe ratios annualised with
/// `periods_per_year`.
fn summarise(
    periods: usize,
    periods_per_year: f64,
    measures: impl ExactSizeIterator<Item = Measure>,
) -> Result<BootstrapStatistics> {
    const WHAT: &str = "block bootstrap";
    let (count, annualise) = (measures.len(), periods_per_year.sqrt());
    let (mut totals, mut drawdowns) = (Vec::with_capacity(count), Vec::with_capacity(count));
    let mut sharpes = Vec::with_capacity(count);
    for Measure { path, sharpe } in measures {
        totals.push(path.multiple - 1.0);
        drawdowns.push(path.max_drawdown_pct);
        sharpes.extend(sharpe.map(|s| s * annualise));
    }
    Ok(BootstrapStatistics {
        periods,
        resamples: count,
        sharpe_undefined: count - sharpes.len(),
        sharpe: Percentiles::of(sharpes),
        total_return: percentiles_of(totals, WHAT)?,
        max_drawdown_pct: percentiles_of(drawdowns, WHAT)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_block_is_the_ceiling_of_the_square_root() {
        assert_eq!([1, 2, 4, 5, 9, 10, 30].map(default_block_length), [1, 2, 2, 3, 3, 4, 6]);
    }

    #[test]
    fn resamples_are_circular_blocks_cut_to_the_series_length() {
        let (periods, block) = (10, 4);
        for row in block_resamples(periods, block, 40, 5).expect("valid") {
            assert_eq!(row.len(), periods);
            // blocks start at 0, 4, 8; inside a block each bar follows the one before, wrapping 9 -> 0
            for (position, pair) in row.windows(2).enumerate() {
                if (position + 1) % block != 0 {
                    assert_eq!(pair[1], (pair[0] + 1) % periods, "{row:?}");
                }
            }
        }
    }

    #[test]
    fn the_seeded_summary_is_the_summary_of_the_seeded_draws() {
        let returns = [0.01, -0.02, 0.015, 0.0, 0.03, -0.01, 0.005];
        let rows = block_resamples(returns.len(), 3, 25, 9).expect("valid");
        let summary = block_bootstrap(&returns, 365.0, Some(3), 25, 9).expect("valid");
        assert_eq!(Some(summary.statistics), bootstrap_statistics(&returns, 365.0, &rows).ok());
    }

    #[test]
    fn a_resample_without_variance_has_no_sharpe_ratio() {
        let statistics = bootstrap_statistics(&[0.01, 0.02], 365.0, &[vec![0, 0], vec![0, 1]]).expect("valid");
        assert_eq!(statistics.sharpe_undefined, 1);
        let only = 0.015 / (0.005_f64 * 0.005 * 2.0).sqrt() * 365.0_f64.sqrt();
        assert!(statistics.sharpe.is_some_and(|s| (s.p50 - only).abs() < 1e-9));
    }

    #[test]
    fn bad_inputs_are_refused() {
        assert!(matches!(block_bootstrap(&[0.1], 365.0, None, 10, 1), Err(Error::Validation(_))));
        assert!(matches!(block_bootstrap(&[0.1, 0.2], 0.0, None, 10, 1), Err(Error::Validation(_))));
        assert!(matches!(block_bootstrap(&[0.1, 0.2], 365.0, Some(3), 10, 1), Err(Error::Config(_))));
        assert!(matches!(block_resamples(5, 0, 1, 1), Err(Error::Config(_))));
    }
}
