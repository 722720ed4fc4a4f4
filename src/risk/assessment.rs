//! [`PortfolioRisk`]: what `assess_portfolio_risk` reports, and the [`RiskLevel`] thresholds.
//!
//! Level: **Critical** when trading is halted, or the drawdown, the day's loss or the leverage has reached its
//! limit; **High** when one of them has used 75 % of its limit or a cool-off is running; **Medium** at 50 %;
//! **Low** otherwise.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::model::{Symbol, Timestamp};

/// Overall risk, from Low to Critical.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum RiskLevel {
    /// Every measure below half its limit.
    Low,
    /// Some measure at half its limit or more.
    Medium,
    /// Some measure at three quarters of its limit or more, or cooling off.
    High,
    /// Halted, or some measure at its limit.
    Critical,
}

impl RiskLevel {
    /// The level for the given uses of the limits (each a fraction of its limit: 1 = at the limit).
    pub fn from_usage(halted: bool, cooling_off: bool, usages: &[Decimal]) -> Self {
        let most = usages.iter().copied().max().unwrap_or_default();
        if halted || most >= Decimal::ONE {
            RiskLevel::Critical
        } else if cooling_off || most >= Decimal::new(75, 2) {
            RiskLevel::High
        } else if most >= Decimal::new(5, 1) {
            RiskLevel::Medium
        } else {
            RiskLevel::Low
        }
    }
}

/// The portfolio's risk now (the seed's `PortfolioRisk`). Percentages are in percent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PortfolioRisk {
    /// Overall level.
    pub risk_level: RiskLevel,
    /// Portfolio value assessed.
    pub portfolio_value: Decimal,
    /// Drawdown from the equity peak, in percent.
    pub current_drawdown: Decimal,
    /// Value change since the day's start.
    pub daily_pnl: Decimal,
    /// The same, in percent of the day's start value.
    pub daily_pnl_percent: Decimal,
    /// Σ |position notional|.
    pub gross_exposure: Decimal,
    /// Σ position notional (longs positive).
    pub net_exposure: Decimal,
    /// Gross exposure ÷ portfolio value.
    pub leverage: Decimal,
    /// Positions open.
    pub open_positions: usize,
    /// The held assets of the largest group correlated above the threshold (empty without the correlation rule).
    pub largest_correlated_group: Vec<Symbol>,
    /// That group's summed exposure, in percent of portfolio value.
    pub largest_correlated_exposure: Decimal,
    /// The drawdown halt's reason, when trading is halted.
    pub halted: Option<String>,
    /// Whether the day's loss limit has been reached.
    pub daily_limit_reached: bool,
    /// The end of a running cool-off.
    pub cooling_off_until: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn levels_follow_the_documented_thresholds() {
        assert_eq!(RiskLevel::from_usage(false, false, &[dec!(0.1), dec!(0.49)]), RiskLevel::Low);
        assert_eq!(RiskLevel::from_usage(false, false, &[dec!(0.5)]), RiskLevel::Medium);
        assert_eq!(RiskLevel::from_usage(false, false, &[dec!(0.75)]), RiskLevel::High);
        assert_eq!(RiskLevel::from_usage(false, true, &[dec!(0)]), RiskLevel::High);
        assert_eq!(RiskLevel::from_usage(false, false, &[dec!(1)]), RiskLevel::Critical);
        assert_eq!(RiskLevel::from_usage(true, false, &[]), RiskLevel::Critical);
    }
}
