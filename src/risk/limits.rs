//! [`RiskLimits`]: the seed's risk limits, their defaults, their validation, and the seed's YAML file format.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The seed's risk limits (`config/risk_management.yaml`, key `risk_limits`). Percentages are in percent
/// (`10.0` means 10 %). Every field has the seed's default, so a file or scenario may set only some of them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskLimits {
    /// Largest position notional, as a percentage of portfolio value.
    pub max_position_size_percent: Decimal,
    /// Loss from the day's start value that stops new risk for the rest of the UTC day.
    pub max_daily_loss_percent: Decimal,
    /// Drawdown from the equity peak that halts trading.
    pub max_drawdown_percent: Decimal,
    /// Largest gross exposure as a multiple of equity.
    pub max_leverage: Decimal,
    /// Most positions open at once.
    pub max_open_positions: u32,
    /// Largest summed exposure of correlated assets, as a percentage of equity.
    pub max_correlation_exposure: Decimal,
    /// Default stop-loss distance from entry, in percent.
    pub stop_loss_percent: Decimal,
    /// Default take-profit distance from entry, in percent.
    pub take_profit_percent: Decimal,
    /// Smallest reward-to-risk ratio an entry may have.
    pub min_risk_reward_ratio: Decimal,
    /// Losing round trips in a row that start a cooling-off period.
    pub max_consecutive_losses: u32,
    /// Length of the cooling-off period, in hours of engine time.
    pub cooling_off_period_hours: u32,
}

impl Default for RiskLimits {
    /// The seed's values.
    fn default() -> Self {
        RiskLimits {
            max_position_size_percent: Decimal::from(10),
            max_daily_loss_percent: Decimal::from(5),
            max_drawdown_percent: Decimal::from(15),
            max_leverage: Decimal::from(3),
            max_open_positions: 10,
            max_correlation_exposure: Decimal::from(30),
            stop_loss_percent: Decimal::from(2),
            take_profit_percent: Decimal::from(6),
            min_risk_reward_ratio: Decimal::from(2),
            max_consecutive_losses: 5,
            cooling_off_period_hours: 24,
        }
    }
}

/// Environment variables that override a risk file's limits, as in the seed's `.env`, with the key each sets.
pub const ENV_OVERRIDES: [(&str, &str); 3] = [
    ("MAX_POSITION_SIZE_PERCENT", "max_position_size_percent"),
    ("MAX_DAILY_LOSS_PERCENT", "max_daily_loss_percent"),
    ("MAX_DRAWDOWN_PERCENT", "max_drawdown_percent"),
];

impl RiskLimits {
    /// Applies the [`ENV_OVERRIDES`] found by `lookup` (`std::env::var` in the binary; a table in tests) and checks
    /// the result. Returns the limits and one line per override applied, for the report.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the variable when its value is not a number, or the key when it is out of range.
    pub fn with_env_overrides(mut self, lookup: impl Fn(&str) -> Option<String>) -> Result<(Self, Vec<String>)> {
        let mut applied = Vec::new();
        for (variable, key) in ENV_OVERRIDES {
            let Some(text) = lookup(variable) else { continue };
            let value = crate::data::parse_decimal(&text).ok_or_else(|| {
                Error::Validation(format!("environment variable {variable}='{text}' is not a number"))
            })?;
            let field = match key {
                "max_position_size_percent" => &mut self.max_position_size_percent,
                "max_daily_loss_percent" => &mut self.max_daily_loss_percent,
                _ => &mut self.max_drawdown_percent,
            };
            applied.push(format!("risk limit {key} = {value} from {variable} (was {field})"));
            *field = value;
        }
        self.validate().map_err(|e| e.context("after environment overrides"))?;
        Ok((self, applied))
    }

    /// Checks every limit is in range.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first key out of range and why.
    pub fn validate(&self) -> Result<()> {
        let hundred = Decimal::ONE_HUNDRED;
        let fail = |key: &str, why: String| Err(Error::Validation(format!("risk limit {key} {why}")));
        let positive = [
            ("max_position_size_percent", self.max_position_size_percent),
            ("max_daily_loss_percent", self.max_daily_loss_percent),
            ("max_drawdown_percent", self.max_drawdown_percent),
            ("max_leverage", self.max_leverage),
            ("max_correlation_exposure", self.max_correlation_exposure),
            ("stop_loss_percent", self.stop_loss_percent),
            ("take_profit_percent", self.take_profit_percent),
        ];
        for (key, value) in positive {
            if value <= Decimal::ZERO {
                return fail(key, format!("must be positive, got {value}"));
            }
        }
        for (key, value) in [
            ("max_daily_loss_percent", self.max_daily_loss_percent),
            ("max_drawdown_percent", self.max_drawdown_percent),
            ("stop_loss_percent", self.stop_loss_percent),
        ] {
            if value > hundred {
                return fail(key, format!("is a percentage of equity and cannot exceed 100, got {value}"));
            }
        }
        let most_exposure = hundred * self.max_leverage;
        if self.max_position_size_percent > most_exposure {
            return fail(
                "max_position_size_percent",
                format!("({}) cannot exceed 100 × max_leverage ({most_exposure})", self.max_position_size_percent),
            );
        }
        if self.stop_loss_percent >= self.take_profit_percent {
            return fail(
                "stop_loss_percent",
                format!(
                    "({}) must be below take_profit_percent ({})",
                    self.stop_loss_percent, self.take_profit_percent
                ),
            );
        }
        if self.min_risk_reward_ratio < Decimal::ZERO {
            return fail("min_risk_reward_ratio", format!("must not be negative, got {}", self.min_risk_reward_ratio));
        }
        if self.max_open_positions == 0 {
            return fail("max_open_positions", "must be at least 1".into());
        }
        if self.max_consecutive_losses == 0 {
            return fail("max_consecutive_losses", "must be at least 1".into());
        }
        if self.cooling_off_period_hours > MAX_COOLING_OFF_HOURS {
            return fail(
                "cooling_off_period_hours",
                format!(
                    "must be at most {MAX_COOLING_OFF_HOURS} (about a century), got {}",
                    self.cooling_off_period_hours
                ),
            );
        }
        Ok(())
    }
}

/// The longest cool-off a limit may set, in hours: about a century, well inside the nanosecond clock (whose range
/// ends after about 292 years), so that no cool-off can wrap into the past.
pub const MAX_COOLING_OFF_HOURS: u32 = 876_000;

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use rust_decimal::dec;

    #[test]
    fn environment_variables_override_the_file_and_are_checked() {
        let env = |name: &str| match name {
            "MAX_DRAWDOWN_PERCENT" => Some("7.5".to_string()),
            "MAX_POSITION_SIZE_PERCENT" => Some("25".to_string()),
            _ => None,
        };
        let (limits, applied) = RiskLimits::default().with_env_overrides(env).unwrap();
        assert_eq!((limits.max_drawdown_percent, limits.max_position_size_percent), (dec!(7.5), dec!(25)));
        assert_eq!(limits.max_daily_loss_percent, dec!(5), "unset variables leave the file's value");
        assert_eq!(applied.len(), 2);
        let bad =
            RiskLimits::default().with_env_overrides(|n: &str| (n == "MAX_DAILY_LOSS_PERCENT").then(|| "five".into()));
        assert!(bad.unwrap_err().to_string().contains("MAX_DAILY_LOSS_PERCENT='five'"));
        let negative =
            RiskLimits::default().with_env_overrides(|n: &str| (n == "MAX_DRAWDOWN_PERCENT").then(|| "-1".into()));
        assert!(negative.unwrap_err().to_string().contains("max_drawdown_percent"));
    }

    #[test]
    fn defaults_are_the_seeds_values_and_valid() {
        let l = RiskLimits::default();
        assert_eq!(l.max_position_size_percent, dec!(10.0));
        assert_eq!(l.max_drawdown_percent, dec!(15.0));
        assert_eq!(l.cooling_off_period_hours, 24);
        l.validate().unwrap();
    }

    #[rstest]
    #[case(RiskLimits { max_daily_loss_percent: dec!(-1), ..RiskLimits::default() }, "max_daily_loss_percent")]
    #[case(RiskLimits { stop_loss_percent: dec!(7), ..RiskLimits::default() }, "stop_loss_percent")]
    #[case(RiskLimits { max_open_positions: 0, ..RiskLimits::default() }, "max_open_positions")]
    #[case(RiskLimits { max_position_size_percent: dec!(301), ..RiskLimits::default() }, "max_position_size_percent")]
    #[case(RiskLimits { cooling_off_period_hours: 2_562_048, ..RiskLimits::default() }, "cooling_off_period_hours")]
    fn out_of_range_limits_are_validation_errors_naming_the_key(#[case] limits: RiskLimits, #[case] key: &str) {
        let err = limits.validate().unwrap_err();
        assert!(matches!(err, Error::Validation(_)), "{err:?}");
        assert!(err.to_string().contains(key), "{err}");
    }
}
