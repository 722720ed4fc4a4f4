//! A scenario's `sweep:` section: the parameter grid (lists or `start..end step s`), constraints between
//! parameters (`fast < slow`), optional seeded random search, the objective results are ranked by, and how a
//! walk-forward treats a position open at the end of a test window (`walk_forward.at_window_end`).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// The `sweep:` section as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSection {
    /// Parameter name → its values: a list (`[5, 10, 20]`) or a range (`5..50 step 5`, both ends included).
    pub params: BTreeMap<String, ParamValues>,
    /// Conditions every combination must meet, such as `fast < slow`.
    #[serde(default)]
    pub constraints: Vec<String>,
    /// Random search: run this many combinations drawn from the grid (seeded by the scenario's `seed`) instead of
    /// all of them.
    #[serde(default)]
    pub samples: Option<usize>,
    /// The metric results are ranked by (default `sharpe`).
    #[serde(default)]
    pub objective: Objective,
    /// How many of the best combinations `ctb sweep` prints (default 10).
    #[serde(default = "default_top")]
    pub top: usize,
    /// Settings of `ctb sweep --walk-forward`.
    #[serde(default)]
    pub walk_forward: WalkForwardSection,
}

/// The `sweep.walk_forward:` section.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalkForwardSection {
    /// What happens to a position still open when a test window ends (default `close`).
    #[serde(default)]
    pub at_window_end: AtWindowEnd,
}

/// What a walk-forward does with a position still open when a test window ends and the next one starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AtWindowEnd {
    /// Closed through the simulated venue like any order — working orders canceled, a market order per position
    /// filled by the scenario's fill model (at the window's last close, or at the next bar's open) with its
    /// slippage and taker fee — and its round trip kept; the next window starts flat from the cash that leaves.
    #[default]
    Close,
    /// Carried: the next window starts from this one's cash and positions (quantity, average price, the open round
    /// trip), with no trade at the boundary; a round trip spanning windows is recorded once, when it closes.
    Carry,
}

impl AtWindowEnd {
    /// The name as written in scenarios and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            AtWindowEnd::Close => "close",
            AtWindowEnd::Carry => "carry",
        }
    }
}

fn default_top() -> usize {
    10
}

/// A parameter's values as written: a list of numbers, or a range text.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum ParamValues {
    /// `[5, 10, 20]`.
    List(Vec<Decimal>),
    /// `5..50 step 5`.
    Range(String),
}

impl ParamValues {
    /// The values in the order written (a range ascending), checked: at least one, no duplicates.
    ///
    /// # Errors
    /// [`Error::Config`] naming `key` for a malformed range, a zero or negative step, or an empty or repeating list.
    pub fn expand(&self, key: &str) -> Result<Vec<Decimal>> {
        let bad = |why: String| Err(Error::Config(format!("sweep.params.{key}: {why}")));
        let values = match self {
            ParamValues::List(values) => values.clone(),
            ParamValues::Range(text) => {
                let Some((range, step)) = text.split_once("step") else {
                    return bad(format!("'{text}' is neither a list nor a range like '5..50 step 5'"));
                };
                let Some((start, end)) = range.split_once("..") else {
                    return bad(format!("'{text}' has no 'start..end'"));
                };
                let number = |s: &str| s.trim().parse::<Decimal>().ok();
                let (Some(start), Some(end), Some(step)) = (number(start), number(end), number(step)) else {
                    return bad(format!("'{text}': start, end and step must be numbers"));
                };
                if step <= Decimal::ZERO {
                    return bad(format!("'{text}': the step must be positive"));
                }
                if end < start {
                    return bad(format!("'{text}': the end is below the start"));
                }
                let count = ((end - start) / step).floor();
                if count > Decimal::from(1_000_000) {
                    return bad(format!("'{text}' has more than a million values"));
                }
                let count = count.try_into().unwrap_or(0u64);
                (0..=count).map(|k| start + step * Decimal::from(k)).collect()
            }
        };
        if values.is_empty() {
            return bad("no values".into());
        }
        let mut sorted = values.clone();
        sorted.sort();
        if sorted.windows(2).any(|w| w[0] == w[1]) {
            return bad("a value repeats".into());
        }
        Ok(values.into_iter().map(|v| v.normalize()).collect())
    }
}

/// The metric a sweep ranks by. All but `max_drawdown` rank higher values first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// Annualized Sharpe ratio.
    #[default]
    Sharpe,
    /// Annualized Sortino ratio.
    Sortino,
    /// CAGR / max drawdown.
    Calmar,
    /// Total return.
    TotalReturn,
    /// Compound annual growth rate.
    Cagr,
    /// Gross wins / gross losses.
    ProfitFactor,
    /// Share of winning round trips.
    WinRate,
    /// Deepest drawdown (lower is better).
    MaxDrawdown,
}

impl Objective {
    /// Whether the objective is a fraction (shown as a percentage) rather than a ratio.
    pub fn is_fraction(self) -> bool {
        matches!(self, Objective::TotalReturn | Objective::Cagr | Objective::WinRate | Objective::MaxDrawdown)
    }

    /// A score of this objective (larger is better, as [`crate::sweep::SweepRow::score`] gives it) as a trader
    /// reads it: a percentage for fractions (the max drawdown as its positive depth), else a ratio with three
    /// decimals; `n/a` when undefined.
    pub fn shown(self, score: Option<f64>) -> String {
        let value = score.map(|s| if self == Objective::MaxDrawdown { -s } else { s });
        if self.is_fraction() { crate::report::percent(value) } else { crate::report::ratio(value) }
    }

    /// The name as written in scenarios and `results.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            Objective::Sharpe => "sharpe",
            Objective::Sortino => "sortino",
            Objective::Calmar => "calmar",
            Objective::TotalReturn => "total_return",
            Objective::Cagr => "cagr",
            Objective::ProfitFactor => "profit_factor",
            Objective::WinRate => "win_rate",
            Objective::MaxDrawdown => "max_drawdown",
        }
    }
}

/// A comparison between two parameters, or a parameter and a number.
#[derive(Clone, Debug, PartialEq)]
pub struct Constraint {
    left: Operand,
    op: Comparison,
    right: Operand,
}

#[derive(Clone, Debug, PartialEq)]
enum Operand {
    Param(usize),
    Number(Decimal),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Comparison {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    NotEqual,
}

impl Constraint {
    /// Parses `a < b` (also `<=`, `>`, `>=`, `!=`), where each side is one of `names` or a number.
    ///
    /// # Errors
    /// [`Error::Config`] naming the constraint when it is malformed or names an unknown parameter.
    pub fn parse(text: &str, names: &[String]) -> Result<Self> {
        let bad = |why: &str| Error::Config(format!("sweep.constraints: '{text}': {why}"));
        let words: Vec<&str> = text.split_whitespace().collect();
        let [left, op, right] = words[..] else {
            return Err(bad("write it as 'a < b' (operators < <= > >= !=, spaces around them)"));
        };
        let op = match op {
            "<" => Comparison::Less,
            "<=" => Comparison::LessOrEqual,
            ">" => Comparison::Greater,
            ">=" => Comparison::GreaterOrEqual,
            "!=" => Comparison::NotEqual,
            _ => return Err(bad("the operator must be one of < <= > >= !=")),
        };
        let operand = |word: &str| match names.iter().position(|n| n == word) {
            Some(index) => Ok(Operand::Param(index)),
            None => word.parse::<Decimal>().map(Operand::Number).map_err(|_| {
                bad(&format!("'{word}' is neither a number nor a swept parameter ({})", names.join(", ")))
            }),
        };
        Ok(Constraint { left: operand(left)?, op, right: operand(right)? })
    }

    /// Whether the combination `values` (in the order of the parameter names) meets the constraint.
    pub fn holds(&self, values: &[Decimal]) -> bool {
        let value = |operand: &Operand| match *operand {
            Operand::Param(index) => values[index],
            Operand::Number(number) => number,
        };
        let (a, b) = (value(&self.left), value(&self.right));
        match self.op {
            Comparison::Less => a < b,
            Comparison::LessOrEqual => a <= b,
            Comparison::Greater => a > b,
            Comparison::GreaterOrEqual => a >= b,
            Comparison::NotEqual => a != b,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn ranges_include_both_ends_and_lists_keep_their_order() {
        let range = ParamValues::Range("5..50 step 5".into()).expand("fast").unwrap();
        assert_eq!(range, (1..=10).map(|k| Decimal::from(5 * k)).collect::<Vec<_>>());
        let fractional = ParamValues::Range("0.5..1.2 step 0.25".into()).expand("x").unwrap();
        assert_eq!(fractional, [dec!(0.5), dec!(0.75), dec!(1)], "1.25 is past the end");
        let list = ParamValues::List(vec![dec!(20), dec!(10)]).expand("slow").unwrap();
        assert_eq!(list, [dec!(20), dec!(10)]);
    }

    #[test]
    fn bad_ranges_and_lists_name_the_key() {
        for (values, words) in [
            (ParamValues::Range("5..50".into()), "neither a list nor a range"),
            (ParamValues::Range("5..x step 5".into()), "must be numbers"),
            (ParamValues::Range("5..50 step 0".into()), "step must be positive"),
            (ParamValues::Range("50..5 step 5".into()), "end is below the start"),
            (ParamValues::List(vec![]), "no values"),
            (ParamValues::List(vec![dec!(1), dec!(1.0)]), "repeats"),
        ] {
            let err = values.expand("fast").unwrap_err().to_string();
            assert!(err.contains("sweep.params.fast") && err.contains(words), "{err}");
        }
    }

    #[test]
    fn constraints_compare_parameters_and_numbers() {
        let names = vec!["fast".to_string(), "slow".to_string()];
        let less = Constraint::parse("fast < slow", &names).unwrap();
        assert!(less.holds(&[dec!(5), dec!(20)]) && !less.holds(&[dec!(20), dec!(20)]));
        let at_least = Constraint::parse("slow >= 40", &names).unwrap();
        assert!(at_least.holds(&[dec!(5), dec!(40)]) && !at_least.holds(&[dec!(5), dec!(39)]));
        for (text, words) in [("fast<slow", "write it as"), ("fast = slow", "operator"), ("fast < medium", "medium")] {
            let err = Constraint::parse(text, &names).unwrap_err().to_string();
            assert!(err.contains(words), "{err}");
        }
    }
}
