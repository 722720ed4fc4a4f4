//! Monte Carlo of the trade sequence: the closed trades' fractional returns resampled with replacement into new
//! sequences of the same length, each compounded from the starting equity. What luck in the order and the mix of
//! the trades could have made of the same edge: the spread of the final equity and of the deepest drawdown.
//!
//! The draws ([`trade_resamples`]) are separate from the statistics of given draws ([`trade_statistics`]), so the
//! statistics can be checked against another implementation on the same indices.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use super::stats::{Path, Percentiles, check_count, check_resamples, check_returns, compound, percentiles_of};
use crate::error::{Error, Result};

/// The distribution of outcomes over the resampled trade sequences.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MonteCarloSummary {
    /// Trades in each sequence (all of them, drawn with replacement).
    pub trades: usize,
    /// Sequences drawn.
    pub resamples: usize,
    /// Equity every sequence starts from.
    pub starting_equity: f64,
    /// Final equity: 5/50/95 % percentiles.
    pub final_equity: Percentiles,
    /// Deepest peak-to-trough drawdown of each compounded path (the start its first peak), in percent.
    pub max_drawdown_pct: Percentiles,
    /// Share of sequences that end strictly below the starting equity.
    pub probability_below_start: f64,
}

/// The Monte Carlo of `trade_returns` (each trade's net PnL over the equity before it: 0.02 = +2 %) from
/// `starting_equity`: `resamples` sequences drawn with replacement by a ChaCha8 generator seeded with `seed`.
/// The same arguments give the same summary, bit for bit.
///
/// # Errors
/// [`Error::Validation`] when there are no trades, a return is not finite or below −1, or the starting equity is not
/// a positive number; [`Error::Config`] when `resamples` is 0.
pub fn trade_monte_carlo(
    trade_returns: &[f64],
    starting_equity: f64,
    resamples: usize,
    seed: u64,
) -> Result<MonteCarloSummary> {
    check_count("trade Monte Carlo", resamples)?;
    let trades = trade_returns.len();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut row = Vec::with_capacity(trades);
    let paths = (0..resamples).map(|_| {
        draw_row(&mut rng, trades, &mut row);
        compound(trade_returns, &row)
    });
    summarise(trade_returns, starting_equity, paths)
}

/// The `resamples` index sequences [`trade_monte_carlo`] draws for `trades` trades with `seed`: row `k` lists, in
/// order, which trade comes at each position of sequence `k`.
///
/// # Errors
/// [`Error::Validation`] when `trades` is 0; [`Error::Config`] when `resamples` is 0.
pub fn trade_resamples(trades: usize, resamples: usize, seed: u64) -> Result<Vec<Vec<usize>>> {
    check_count("trade Monte Carlo", resamples)?;
    if trades == 0 {
        return Err(Error::Validation("trade Monte Carlo: no trades to resample".into()));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut rows = vec![Vec::with_capacity(trades); resamples];
    rows.iter_mut().for_each(|row| draw_row(&mut rng, trades, row));
    Ok(rows)
}

/// The summary of given trade sequences: row `k` of `resamples` is sequence `k`, as indices into `trade_returns`.
///
/// # Errors
/// As [`trade_monte_carlo`]; also [`Error::Validation`] when there are no rows, or a row's length is not the number of
/// trades or it holds an index beyond them.
pub fn trade_statistics(
    trade_returns: &[f64],
    starting_equity: f64,
    resamples: &[Vec<usize>],
) -> Result<MonteCarloSummary> {
    check_resamples("trade Monte Carlo", resamples, trade_returns.len())?;
    summarise(trade_returns, starting_equity, resamples.iter().map(|row| compound(trade_returns, row)))
}

/// One sequence of `trades` indices drawn uniformly with replacement, into `row`.
fn draw_row(rng: &mut ChaCha8Rng, trades: usize, row: &mut Vec<usize>) {
    row.clear();
    row.extend((0..trades).map(|_| rng.random_range(0..trades)));
}

/// The summary of the compounded `paths` of sequences of `trade_returns`, checked before the first path is taken.
fn summarise(
    trade_returns: &[f64],
    starting_equity: f64,
    paths: impl ExactSizeIterator<Item = Path>,
) -> Result<MonteCarloSummary> {
    const WHAT: &str = "trade Monte Carlo";
    check_returns(&format!("{WHAT}: trade returns"), trade_returns, 1)?;
    if !(starting_equity.is_finite() && starting_equity > 0.0) {
        return Err(Error::Validation(format!("{WHAT}: starting equity {starting_equity} is not a positive number")));
    }
    let count = paths.len();
    let (mut finals, mut drawdowns) = (Vec::with_capacity(count), Vec::with_capacity(count));
    for path in paths {
        finals.push(starting_equity * path.multiple);
        drawdowns.push(path.max_drawdown_pct);
    }
    let below = finals.iter().filter(|&&f| f < starting_equity).count();
    Ok(MonteCarloSummary {
        trades: trade_returns.len(),
        resamples: count,
        starting_equity,
        probability_below_start: below as f64 / count as f64,
        final_equity: percentiles_of(finals, WHAT)?,
        max_drawdown_pct: percentiles_of(drawdowns, WHAT)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_draw_is_a_full_length_sequence_of_valid_trades() {
        let rows = trade_resamples(5, 50, 3).expect("valid");
        assert_eq!(rows.len(), 50);
        assert!(rows.iter().all(|row| row.len() == 5 && row.iter().all(|&i| i < 5)));
        // with replacement: some sequence repeats a trade
        assert!(rows.iter().any(|row| (1..5).any(|j| row[..j].contains(&row[j]))));
    }

    #[test]
    fn the_seeded_summary_is_the_summary_of_the_seeded_draws() {
        let returns = [0.05, -0.02, 0.01, -0.04, 0.03];
        let rows = trade_resamples(returns.len(), 20, 11).expect("valid");
        assert_eq!(trade_monte_carlo(&returns, 1000.0, 20, 11).ok(), trade_statistics(&returns, 1000.0, &rows).ok());
    }

    #[test]
    fn bad_inputs_are_refused() {
        assert!(matches!(trade_monte_carlo(&[], 100.0, 10, 1), Err(Error::Validation(_))));
        assert!(matches!(trade_monte_carlo(&[0.1], 0.0, 10, 1), Err(Error::Validation(_))));
        assert!(matches!(trade_monte_carlo(&[0.1], 100.0, 0, 1), Err(Error::Config(_))));
        assert!(matches!(trade_resamples(0, 1, 1), Err(Error::Validation(_))));
    }
}
