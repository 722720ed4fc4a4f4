//! Robustness statistics of a run or a sweep: how much of a result could be luck or selection.
//!
//! * [`trade_monte_carlo`]: the closed trades resampled with replacement — spread of final equity and drawdown;
//! * [`block_bootstrap`]: circular block bootstrap of the bar returns — spread of total return, Sharpe, drawdown;
//! * [`probabilistic_sharpe`] and [`deflated_sharpe`]: the probability that the true Sharpe ratio beats a benchmark,
//!   and that benchmark raised to what the best of a sweep's trials would show by chance;
//! * [`pbo_cscv`]: the probability of backtest overfitting of a sweep by combinatorially symmetric cross-validation.
//!
//! Percentiles interpolate linearly between order statistics (numpy's default); drawdowns are in percent, returns
//! fractions. Randomness comes only from a ChaCha8 generator seeded by the caller, so a seed gives the same summary,
//! bit for bit, and every summary serialises to the same JSON. Statistics are `f64`: they decide nothing. The formulas
//! and conventions are in each submodule; `scripts/robust_reference.py` checks them independently.

mod bootstrap;
mod monte_carlo;
mod normal;
mod pbo;
mod sharpe;
mod stats;

pub use bootstrap::{
    BootstrapStatistics, BootstrapSummary, block_bootstrap, block_resamples, bootstrap_statistics, default_block_length,
};
pub use monte_carlo::{MonteCarloSummary, trade_monte_carlo, trade_resamples, trade_statistics};
pub use normal::{normal_cdf, normal_quantile};
pub use pbo::{DEFAULT_PBO_BLOCKS, PboSummary, pbo_cscv};
pub use sharpe::{DeflatedSharpe, SharpeProbability, deflated_sharpe, probabilistic_sharpe};
pub use stats::Percentiles;
