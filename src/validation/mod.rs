//! The validation gate: a scenario's backtest (and, if named, a paper session's parity with the replay of its
//! recording) measured against the thresholds of its `validation:` section. `ctb validate` writes the outcome to
//! `reports/<name>/validation.json` with the scenario's content hash; `ctb live` starts only from a passing record
//! whose hash is the scenario's current one. [`audit`] is `ctb audit`: a strategy's decisions checked for
//! look-ahead and warm-up.

pub mod audit;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::path::Path;

use crate::error::{Error, Result};
use crate::report::Summary;

/// The thresholds of a scenario's `validation:` section; each one given is checked.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Closed round trips, at least.
    #[serde(default)]
    pub min_trades: Option<usize>,
    /// Fills, at least.
    #[serde(default)]
    pub min_fills: Option<usize>,
    /// Maximum drawdown in percent, at most.
    #[serde(default)]
    pub max_drawdown_percent: Option<Decimal>,
    /// Sharpe ratio, at least (undefined counts as failing).
    #[serde(default)]
    pub min_sharpe: Option<f64>,
    /// Total return in percent, at least.
    #[serde(default)]
    pub min_total_return_percent: Option<Decimal>,
    /// A paper session of this scenario whose journal must equal the replay of its recording.
    #[serde(default)]
    pub paper_session: Option<String>,
}

/// One threshold's outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// The threshold's key.
    pub name: String,
    /// Its value in the scenario.
    pub threshold: String,
    /// What the run measured.
    pub value: String,
    /// Whether it holds.
    pub passed: bool,
}

/// `validation.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValidationRecord {
    /// Scenario name.
    pub scenario: String,
    /// `sha256:` content hash of the scenario and its inputs when validated.
    pub content_hash: String,
    /// Every check passed (and there was at least one).
    pub passed: bool,
    /// The checks, in the order of the section's keys.
    pub checks: Vec<Check>,
}

impl Thresholds {
    /// The checks of `summary` (and, when a paper session is named, `parity`: the differences between its
    /// journal and the replay).
    pub fn check(&self, summary: &Summary, fills: usize, parity: Option<&[String]>) -> Vec<Check> {
        let mut checks = Vec::new();
        let mut add = |name: &str, threshold: String, value: String, passed: bool| {
            checks.push(Check { name: name.into(), threshold, value, passed });
        };
        let m = &summary.metrics;
        if let Some(min) = self.min_trades {
            add("min_trades", min.to_string(), m.trades.to_string(), m.trades >= min);
        }
        if let Some(min) = self.min_fills {
            add("min_fills", min.to_string(), fills.to_string(), fills >= min);
        }
        if let Some(max) = self.max_drawdown_percent {
            let depth = Decimal::try_from(m.max_drawdown.depth * 100.0).unwrap_or(Decimal::MAX).round_dp(4);
            add("max_drawdown_percent", max.to_string(), depth.to_string(), depth <= max);
        }
        if let Some(min) = self.min_sharpe {
            let value = m.sharpe.map_or("undefined".into(), |s| format!("{s:.4}"));
            add("min_sharpe", min.to_string(), value, m.sharpe.is_some_and(|s| s >= min));
        }
        if let Some(min) = self.min_total_return_percent {
            let value = Decimal::try_from(m.total_return * 100.0).unwrap_or(Decimal::MIN).round_dp(4);
            add("min_total_return_percent", min.to_string(), value.to_string(), value >= min);
        }
        if let Some(session) = &self.paper_session {
            let (value, passed) = match parity {
                Some([]) => ("identical".to_string(), true),
                Some(differences) => {
                    (format!("{} difference(s): {}", differences.len(), differences.join("; ")), false)
                }
                None => ("not checked".to_string(), false),
            };
            add("paper_session", session.clone(), value, passed);
        }
        checks
    }
}

impl ValidationRecord {
    /// The record of `checks` for scenario `scenario` with `content_hash`.
    pub fn new(scenario: &str, content_hash: &str, checks: Vec<Check>) -> Self {
        let passed = !checks.is_empty() && checks.iter().all(|c| c.passed);
        ValidationRecord { scenario: scenario.into(), content_hash: content_hash.into(), passed, checks }
    }

    /// Writes the record as `dir/validation.json`.
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be written.
    pub fn write(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
        let path = dir.join("validation.json");
        std::fs::write(&path, self.to_json()?).map_err(|e| Error::io("writing", &path, e))
    }

    /// The text of `validation.json`: pretty JSON and a final newline (what `ctb validate --json` prints).
    ///
    /// # Errors
    /// [`Error::Data`] when the record cannot be encoded.
    pub fn to_json(&self) -> Result<String> {
        let text = serde_json::to_string_pretty(self).map_err(|e| Error::Data(format!("validation.json: {e}")))?;
        Ok(text + "\n")
    }

    /// Reads `dir/validation.json`, if there is one.
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be read; [`Error::Data`] when it is not a validation record.
    pub fn read(dir: &Path) -> Result<Option<Self>> {
        let path = dir.join("validation.json");
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| Error::Data(format!("{}: not a validation record: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("reading", &path, e)),
        }
    }
}
