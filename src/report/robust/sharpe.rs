//! The probabilistic Sharpe ratio (Bailey & López de Prado, "The Sharpe Ratio Efficient Frontier", 2012) and the
//! deflated Sharpe ratio (Bailey & López de Prado, "The Deflated Sharpe Ratio", 2014).
//!
//! Conventions: `SR` is the per-period (not annualised) Sharpe ratio `mean / sample stdev` (divisor `n − 1`, as in
//! `report::Metrics`, risk-free rate 0) of the `n` returns; `γ₃` is their skewness `m₃ / m₂^{3/2}` and `γ₄` their
//! kurtosis `m₄ / m₂²` (not excess: 3 for a normal distribution), with `m_k` the central moments with divisor `n`
//! (scipy's `skew` and `kurtosis(fisher=False)`, both `bias=True`). Then
//!
//! `PSR(SR*) = Φ((SR − SR*)·√(n − 1) / √(1 − γ₃·SR + (γ₄ − 1)/4·SR²))`,
//!
//! the probability that the true Sharpe ratio exceeds the benchmark `SR*`, given the sample's length and shape.
//! The deflated Sharpe ratio is the PSR against the Sharpe ratio the best of `N` trials of no skill would show:
//!
//! `SR* = √V·((1 − γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e)))`,
//!
//! `γ` the Euler–Mascheroni constant, `V` the sample variance (divisor `N − 1`) of the trials' Sharpe ratios.

use serde::{Deserialize, Serialize};

use super::normal::{normal_cdf, normal_quantile};
use super::stats::{check_finite, mean_and_sample_std};
use crate::error::{Error, Result};

/// The Euler–Mascheroni constant.
const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

/// A probabilistic Sharpe ratio and what went into it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharpeProbability {
    /// Returns measured.
    pub periods: usize,
    /// Their per-period Sharpe ratio.
    pub sharpe: f64,
    /// The per-period benchmark Sharpe ratio `SR*`.
    pub benchmark_sharpe: f64,
    /// Skewness of the returns.
    pub skewness: f64,
    /// Kurtosis of the returns (3 for a normal distribution).
    pub kurtosis: f64,
    /// `PSR(SR*)`: the probability that the true Sharpe ratio exceeds `SR*`.
    pub probability: f64,
}

/// A deflated Sharpe ratio: the PSR against the expected best Sharpe ratio of the trials.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeflatedSharpe {
    /// Trials (`N`).
    pub trials: usize,
    /// Sample variance of the trials' per-period Sharpe ratios (`V`).
    pub trial_sharpe_variance: f64,
    /// The PSR, its `benchmark_sharpe` the expected maximum `SR*` and its `probability` the deflated Sharpe ratio.
    #[serde(flatten)]
    pub psr: SharpeProbability,
}

/// The probabilistic Sharpe ratio of per-period `returns` against the per-period `benchmark_sharpe` (an annualised
/// one divided by `√periods_per_year`).
///
/// # Errors
/// [`Error::Validation`] with fewer than 2 returns, a value that is not finite, returns without variance, or a
/// sample whose estimated Sharpe variance `1 − γ₃·SR + (γ₄ − 1)/4·SR²` is not positive.
pub fn probabilistic_sharpe(returns: &[f64], benchmark_sharpe: f64) -> Result<SharpeProbability> {
    check_finite("probabilistic Sharpe ratio: returns", returns, 2)?;
    check_finite("probabilistic Sharpe ratio: benchmark", &[benchmark_sharpe], 1)?;
    let n = returns.len() as f64;
    let (mean, std) = mean_and_sample_std(returns.iter().copied());
    if std <= 0.0 {
        return Err(Error::Validation("probabilistic Sharpe ratio: the returns have no variance".into()));
    }
    let central = |k: i32| returns.iter().map(|r| (r - mean).powi(k)).sum::<f64>() / n;
    let m2 = central(2);
    let (skewness, kurtosis) = (central(3) / m2.powf(1.5), central(4) / (m2 * m2));
    let sharpe = mean / std;
    let radicand = 1.0 - skewness * sharpe + (kurtosis - 1.0) / 4.0 * sharpe * sharpe;
    if radicand <= 0.0 {
        return Err(Error::Validation(format!(
            "probabilistic Sharpe ratio: the estimated variance of the Sharpe ratio ({radicand}) is not positive"
        )));
    }
    let probability = normal_cdf((sharpe - benchmark_sharpe) * (n - 1.0).sqrt() / radicand.sqrt());
    Ok(SharpeProbability { periods: returns.len(), sharpe, benchmark_sharpe, skewness, kurtosis, probability })
}

/// The deflated Sharpe ratio of per-period `returns`, chosen as the best of trials whose per-period Sharpe ratios
/// are `trial_sharpes` — one per trial actually run (every combination of the sweep, this one included), since `N`
/// is their count.
///
/// # Errors
/// [`Error::Validation`] with fewer than 2 trials or a trial's Sharpe ratio not finite, and as
/// [`probabilistic_sharpe`].
pub fn deflated_sharpe(returns: &[f64], trial_sharpes: &[f64]) -> Result<DeflatedSharpe> {
    check_finite("deflated Sharpe ratio: trial Sharpe ratios", trial_sharpes, 2)?;
    let trials = trial_sharpes.len() as f64;
    let (_, spread) = mean_and_sample_std(trial_sharpes.iter().copied());
    let expected_max = spread
        * ((1.0 - EULER_GAMMA) * normal_quantile(1.0 - 1.0 / trials)
            + EULER_GAMMA * normal_quantile(1.0 - 1.0 / (trials * std::f64::consts::E)));
    Ok(DeflatedSharpe {
        trials: trial_sharpes.len(),
        trial_sharpe_variance: spread * spread,
        psr: probabilistic_sharpe(returns, expected_max)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symmetric_sample_at_its_own_sharpe_has_even_odds() {
        // skewness 0 for a symmetric sample; PSR(SR) = Φ(0) = ½
        let returns = [0.01, 0.03, 0.02, 0.0, 0.04];
        let own = probabilistic_sharpe(&returns, 0.0).expect("valid").sharpe;
        let psr = probabilistic_sharpe(&returns, own).expect("valid");
        assert!(psr.skewness.abs() < 1e-12 && (psr.probability - 0.5).abs() < 1e-15, "{psr:?}");
        // the kurtosis of 0, 1, 2, 3, 4 (scaled): m4/m2² = 6.8/4 = 1.7
        assert!((psr.kurtosis - 1.7).abs() < 1e-12);
    }

    #[test]
    fn more_trials_raise_the_bar() {
        let returns = [0.01, -0.005, 0.02, 0.0, 0.015, -0.01, 0.03];
        let few = deflated_sharpe(&returns, &[0.1, 0.3]).expect("valid");
        let many = deflated_sharpe(&returns, &[0.1, 0.3, 0.1, 0.3, 0.1, 0.3, 0.1, 0.3]).expect("valid");
        assert!(many.psr.benchmark_sharpe > few.psr.benchmark_sharpe);
        assert!(many.psr.probability < few.psr.probability);
    }

    #[test]
    fn degenerate_samples_are_refused() {
        assert!(matches!(probabilistic_sharpe(&[0.01], 0.0), Err(Error::Validation(_))));
        assert!(matches!(probabilistic_sharpe(&[0.01, 0.01], 0.0), Err(Error::Validation(_))));
        assert!(matches!(probabilistic_sharpe(&[0.01, 0.02], f64::NAN), Err(Error::Validation(_))));
        assert!(matches!(deflated_sharpe(&[0.01, 0.02], &[0.1]), Err(Error::Validation(_))));
    }
}
