//! [`RiskPolicy`]: how the engine applies the seed's limits — what happens on a halt, whether entries get
//! stop-loss / take-profit exits, Kelly sizing, and the correlation rule's window. A scenario's `risk_policy:`.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Kelly sizing: entries are sized to `fraction × (W − (1 − W) / R)` of equity, from the strategy's latest `window`
/// closed trades (win rate `W`, payoff `R` = average win / average loss, as returns on entry notional), never below
/// `floor_percent`: a size of zero would stop the strategy from trading, so no trade could ever revise the estimate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KellyPolicy {
    /// Share of the full Kelly fraction to use (½ by default: full Kelly is too aggressive for estimated edges).
    pub fraction: Decimal,
    /// Closed trades needed before the Kelly fraction is trusted.
    pub min_trades: u32,
    /// Position size, in percent of equity, used until `min_trades` trades exist.
    pub fallback_percent: Decimal,
    /// The least position size, in percent of equity, once Kelly is in use (0.5 % by default): what an entry gets
    /// when the estimated edge is below it or negative, so that the strategy keeps trading small and its next
    /// trades can lift the estimate again.
    pub floor_percent: Decimal,
    /// The closed trades Kelly is estimated from: the latest `window` (100 by default), so that old trades roll
    /// out and a strategy can recover from a losing streak. At least `min_trades` and 2.
    pub window: u32,
}

impl Default for KellyPolicy {
    fn default() -> Self {
        KellyPolicy {
            fraction: Decimal::new(5, 1),
            min_trades: 20,
            fallback_percent: Decimal::ONE,
            floor_percent: Decimal::new(5, 1),
            window: 100,
        }
    }
}

/// The correlation rule: correlation of per-bar returns over a rolling window; assets correlated above the
/// threshold form a group whose summed exposure is capped by `max_correlation_exposure`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CorrelationPolicy {
    /// Bars of returns the correlation is computed over.
    pub window: usize,
    /// Correlation at or above which two assets are one group.
    pub threshold: f64,
}

impl Default for CorrelationPolicy {
    fn default() -> Self {
        CorrelationPolicy { window: 100, threshold: 0.7 }
    }
}

/// Stop-loss and take-profit exits attached to every entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExitPolicy {
    /// Attach the exits as orders at the venue (a bracket: they activate when the entry fills, and one cancels
    /// the other).
    pub attach: bool,
    /// With a volatility estimate, the stop sits this many volatilities from the entry.
    pub volatility_multiple: Decimal,
}

impl Default for ExitPolicy {
    fn default() -> Self {
        ExitPolicy { attach: false, volatility_multiple: Decimal::TWO }
    }
}

/// How the engine applies the limits. Everything is off or at its default unless the scenario says otherwise.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskPolicy {
    /// When the drawdown halt trips, close every open position (otherwise positions stay, and only reducing orders
    /// are accepted).
    pub flatten_on_halt: bool,
    /// Stop-loss / take-profit exits.
    pub exits: ExitPolicy,
    /// Kelly sizing of entries, when set.
    pub kelly: Option<KellyPolicy>,
    /// The correlation rule, when set (it needs at least two symbols).
    pub correlation: Option<CorrelationPolicy>,
}

/// The longest correlation window: each symbol keeps about twice as many closes, allocated when it starts.
pub const MAX_CORRELATION_WINDOW: usize = 1_000_000;

impl RiskPolicy {
    /// Checks every setting is in range.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the key.
    pub fn validate(&self) -> Result<()> {
        let fail = |key: &str, why: String| Err(Error::Validation(format!("risk_policy.{key} {why}")));
        if self.exits.volatility_multiple <= Decimal::ZERO {
            return fail("exits.volatility_multiple", "must be positive".into());
        }
        if let Some(k) = &self.kelly {
            if k.fraction <= Decimal::ZERO || k.fraction > Decimal::ONE {
                return fail("kelly.fraction", format!("must be in (0, 1], got {}", k.fraction));
            }
            if k.fallback_percent <= Decimal::ZERO || k.fallback_percent > Decimal::ONE_HUNDRED {
                return fail("kelly.fallback_percent", format!("must be in (0, 100], got {}", k.fallback_percent));
            }
            if k.floor_percent <= Decimal::ZERO || k.floor_percent > Decimal::ONE_HUNDRED {
                return fail(
                    "kelly.floor_percent",
                    format!(
                        "must be in (0, 100] (at zero a losing streak stops entries for good), got {}",
                        k.floor_percent
                    ),
                );
            }
            if k.window < 2 || k.window < k.min_trades {
                return fail(
                    "kelly.window",
                    format!("must be at least 2 and at least min_trades ({}), got {}", k.min_trades, k.window),
                );
            }
        }
        if let Some(c) = &self.correlation {
            if c.window < 3 {
                return fail("correlation.window", format!("must be at least 3 bars, got {}", c.window));
            }
            if c.window > MAX_CORRELATION_WINDOW {
                return fail(
                    "correlation.window",
                    format!("{} bars is more than the {MAX_CORRELATION_WINDOW} a window may hold", c.window),
                );
            }
            if !(c.threshold > 0.0 && c.threshold <= 1.0) {
                return fail("correlation.threshold", format!("must be in (0, 1], got {}", c.threshold));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn kelly(edit: impl Fn(&mut KellyPolicy)) -> Result<()> {
        let mut k = KellyPolicy::default();
        edit(&mut k);
        RiskPolicy { kelly: Some(k), ..RiskPolicy::default() }.validate()
    }

    #[test]
    fn kelly_needs_a_floor_above_zero_and_a_window_that_holds_min_trades() {
        assert!(kelly(|_| ()).is_ok());
        let floor = kelly(|k| k.floor_percent = dec!(0)).unwrap_err().to_string();
        assert!(floor.contains("risk_policy.kelly.floor_percent must be in (0, 100]"), "{floor}");
        assert!(kelly(|k| k.floor_percent = dec!(100.1)).is_err());
        let window = kelly(|k| k.window = 19).unwrap_err().to_string();
        assert!(window.contains("risk_policy.kelly.window must be at least 2 and at least min_trades (20), got 19"));
        assert!(kelly(|k| (k.window, k.min_trades) = (1, 0)).is_err());
        assert!(kelly(|k| (k.window, k.min_trades) = (2, 0)).is_ok());
    }
}
