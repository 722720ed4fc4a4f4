//! The seed's `MAX_*` environment variables over a scenario's risk limits. A paper or live session applies them
//! (and says so in its summary); a backtest never does, so a `.env` left in a folder cannot quietly change what a
//! backtest measures: it names the variables it left out instead.

use super::Scenario;
use crate::error::Result;
use crate::risk::ENV_OVERRIDES;

impl Scenario {
    /// The scenario with the [`ENV_OVERRIDES`] that `lookup` finds applied to its risk limits (`std::env::var` in
    /// the binary; the recorded values when a session's recording is replayed). The applied variables are kept in
    /// [`Scenario::risk_env`] and described, one line each, in [`Scenario::risk_overrides`].
    ///
    /// # Errors
    /// [`crate::Error::Validation`] naming the scenario and the variable whose value is not a number, or the key
    /// it leaves out of range.
    pub fn with_risk_overrides(mut self, lookup: impl Fn(&str) -> Option<String>) -> Result<Scenario> {
        let (limits, applied) =
            self.setup.risk.clone().with_env_overrides(&lookup).map_err(|e| e.context(self.path.display()))?;
        self.setup.risk = limits;
        self.risk_overrides = applied;
        self.risk_env = set_overrides(&lookup);
        Ok(self)
    }
}

/// The override variables `lookup` holds, as `(name, value)` in [`ENV_OVERRIDES`] order.
pub fn set_overrides(lookup: impl Fn(&str) -> Option<String>) -> Vec<(String, String)> {
    ENV_OVERRIDES.iter().filter_map(|(name, _)| lookup(name).map(|value| (name.to_string(), value))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;
    use std::path::Path;

    const SCENARIO: &str = "name: t
data:
  - { path: bars.csv, format: csv, symbol: BTCUSDT }
strategy: { kind: sma_cross, params: { fast: 2, slow: 3 } }
exchange:
  instruments:
    BTCUSDT: { tick_size: 0.01, lot_size: 0.001, min_notional: 1 }
portfolio: { quote: USDT, starting_cash: 1000 }
";

    #[test]
    fn loading_a_scenario_applies_no_environment_override_and_a_session_applies_them_on_request() {
        let scenario = Scenario::parse(Path::new("s.yaml"), SCENARIO.into()).expect("scenario");
        let before = scenario.setup.risk.max_drawdown_percent;
        assert!(scenario.risk_overrides.is_empty() && scenario.risk_env.is_empty());
        let env = |name: &str| (name == "MAX_DRAWDOWN_PERCENT").then(|| "7.5".to_string());
        let session = scenario.with_risk_overrides(env).expect("overrides");
        assert_eq!(session.setup.risk.max_drawdown_percent, dec!(7.5));
        assert_ne!(before, dec!(7.5));
        assert_eq!(session.risk_env, vec![("MAX_DRAWDOWN_PERCENT".to_string(), "7.5".to_string())]);
        assert_eq!(session.risk_overrides.len(), 1);
    }

    #[test]
    fn an_override_that_is_not_a_number_names_the_scenario_and_the_variable() {
        let scenario = Scenario::parse(Path::new("s.yaml"), SCENARIO.into()).expect("scenario");
        let env = |name: &str| (name == "MAX_DAILY_LOSS_PERCENT").then(|| "five".to_string());
        let error = scenario.with_risk_overrides(env).expect_err("refused").to_string();
        assert!(error.contains("s.yaml") && error.contains("MAX_DAILY_LOSS_PERCENT='five'"), "{error}");
    }
}
