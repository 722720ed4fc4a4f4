//! The liquidity part of a report: the participation cap and impact model of the bar venues that set them, and
//! what they did — fills the cap cut short, orders it limited, and what impact cost.

use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

use crate::venue::sim::{BarLiquidity, LiquidityStats, MarketImpact};

/// `summary.json`'s `liquidity` section (present when a venue sets `exchange.liquidity`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LiquidityReport {
    /// The rules of each venue that sets them, by venue name.
    pub rules: BTreeMap<String, BarLiquidity>,
    /// Fills the cap cut short of their order's rest (the rest kept working, or expired by its time in force).
    pub partial_fills: u64,
    /// Orders the cap limited in at least one bar.
    pub capped_orders: u64,
    /// Taking fills whose price the impact model moved.
    pub impact_fills: u64,
    /// Σ |fill price − price without impact| × quantity, in the quote asset.
    pub impact_cost: Decimal,
}

impl LiquidityReport {
    /// The section for `stats` (`None`: no venue sets rules) under `rules` (venue name → its rules).
    pub fn of(stats: Option<LiquidityStats>, rules: &[(String, BarLiquidity)]) -> Option<LiquidityReport> {
        let stats = stats?;
        Some(LiquidityReport {
            rules: rules.iter().filter(|(_, r)| !r.is_off()).cloned().collect(),
            partial_fills: stats.partial_fills,
            capped_orders: stats.capped_orders,
            impact_fills: stats.impact_fills,
            impact_cost: stats.impact_cost.normalize(),
        })
    }

    /// The summary table's line: each venue's rules, then what they did (the count of impact fills is in
    /// `summary.json`).
    pub fn line(&self, quote: &str) -> String {
        let rules: Vec<String> = self
            .rules
            .iter()
            .map(|(venue, r)| {
                let mut parts = Vec::new();
                if let Some(percent) = r.max_volume_percent {
                    parts.push(format!("cap {} % of bar volume", percent.normalize()));
                }
                if let Some(MarketImpact::SquareRoot { coefficient }) = r.impact {
                    parts.push(format!("square-root impact {}", coefficient.normalize()));
                }
                let rules = parts.join(", ");
                if self.rules.len() > 1 { format!("{venue}: {rules}") } else { rules }
            })
            .collect();
        let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        format!(
            "{}; {} of {}; impact cost {} {quote}",
            rules.join("; "),
            plural(self.partial_fills, "partial fill", "partial fills"),
            plural(self.capped_orders, "capped order", "capped orders"),
            self.impact_cost.round_dp(4),
        )
    }
}
