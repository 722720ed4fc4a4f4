//! `summary.json`: what was run (scenario, inputs, content hash) and what came out (metrics, order and risk counts,
//! open positions, data-quality warnings). No wall-clock time appears in it, so two runs give the same bytes.

use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

use super::book::BookReport;
use super::curve::Curve;
use super::liquidity::LiquidityReport;
use super::metrics::{Metrics, run_metrics};
use crate::data::{DataFormat, SeriesQuality};
use crate::engine::{BacktestResult, EquityPoint, RiskAction, RiskEvent};
use crate::error::{Error, Result};
use crate::model::{BarSeries, OrderStatus, Symbol, Timestamp, format_duration};
use crate::portfolio::Position;
use crate::risk::{RiskLimits, RiskPolicy};
use crate::venue::sim::{BarLiquidity, BarPath, MidBarExits, SimConfig};

/// One input file as the scenario names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InputFile {
    /// Path as written in the scenario.
    pub path: String,
    /// Layout.
    pub format: DataFormat,
    /// Symbol.
    pub symbol: Symbol,
}

/// Everything a report is made from.
pub struct ReportInput<'a> {
    /// Scenario name.
    pub name: &'a str,
    /// Exact scenario text.
    pub scenario_text: &'a str,
    /// SHA-256 of scenario and inputs.
    pub content_hash: &'a str,
    /// Data files.
    pub inputs: Vec<InputFile>,
    /// Strategy kind.
    pub strategy: &'a str,
    /// Strategy parameters.
    pub params: &'a serde_json::Value,
    /// Scenario seed.
    pub seed: u64,
    /// Venue names by venue index.
    pub venue_names: Vec<String>,
    /// Each venue's liquidity rules of bars (participation cap, impact), by name.
    pub liquidity_rules: Vec<(String, BarLiquidity)>,
    /// The risk limits in force (after environment overrides).
    pub risk_limits: &'a RiskLimits,
    /// How the engine applied them.
    pub risk_policy: &'a RiskPolicy,
    /// Environment overrides applied to the risk file, one line each.
    pub risk_overrides: &'a [String],
    /// Quality of each loaded series.
    pub quality: &'a [SeriesQuality],
    /// Open time of the first bar.
    pub start: Timestamp,
    /// Bar interval (of the first series), nanoseconds.
    pub interval_ns: i64,
    /// The run.
    pub result: &'a BacktestResult,
    /// The bar-path rule and, when it decided anything, the final equity under the adverse and optimistic rules.
    pub bar_path: BarPathReport,
    /// Starting cash of the portfolio (for the level-2 section's PnL).
    pub starting_cash: Decimal,
    /// The bars the run replayed (the price charts of `report.html`); empty for a level-2 run.
    pub bars: &'a [BarSeries],
    /// The equity curves under the adverse and the optimistic bar-path rule, when ambiguous bars made them differ.
    pub bar_path_curves: Option<&'a BarPathCurves>,
}

/// The equity at every mark under each bar-path rule (`equity_bar_paths.csv`, the band of `report.html`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BarPathCurves {
    /// Every ambiguous bar resolved against the trader.
    pub adverse: Vec<EquityPoint>,
    /// Every ambiguous bar resolved for the trader.
    pub optimistic: Vec<EquityPoint>,
}

/// The path assumed inside bars and what it decided: the interval the data cannot narrow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BarPathReport {
    /// The rule the run used.
    pub rule: BarPath,
    /// What the exits of an entry filled inside a bar did where no detail data said.
    pub mid_bar_exits: MidBarExits,
    /// Whether finer bars (`detail:`) decided what happened inside the bars they cover.
    pub detail: bool,
    /// Bars in which both orders of a one-cancels-the-other pair could have executed (the rule chose).
    pub ambiguous_bars: u64,
    /// Final equity with every such bar resolved against the trader.
    pub final_equity_adverse: Decimal,
    /// Final equity with every such bar resolved for the trader.
    pub final_equity_optimistic: Decimal,
}

impl BarPathReport {
    /// The report of a run on a venue configured as `sim` (with `detail` data or not) that met `ambiguous_bars`,
    /// ending at `adverse` and `optimistic` equity under the two rules.
    pub fn new(sim: &SimConfig, detail: bool, ambiguous_bars: u64, adverse: Decimal, optimistic: Decimal) -> Self {
        BarPathReport {
            rule: sim.bar_path,
            mid_bar_exits: sim.mid_bar_exits,
            detail,
            ambiguous_bars,
            final_equity_adverse: adverse,
            final_equity_optimistic: optimistic,
        }
    }
}

/// The replayed period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Period {
    /// Open of the first bar.
    pub start: Timestamp,
    /// Last mark (close of the last bar).
    pub end: Timestamp,
    /// Number of equity marks.
    pub marks: usize,
    /// Bar interval, e.g. `1h`.
    pub interval: String,
}

/// Counts of orders by outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrderCounts {
    /// Orders created.
    pub submitted: usize,
    /// Completely filled.
    pub filled: usize,
    /// Refused by the risk manager.
    pub rejected_by_risk: usize,
    /// Refused by the venue (filters, balance).
    pub rejected_by_venue: usize,
    /// Still open when the data ended.
    pub open_at_end: usize,
    /// Sent out smaller than asked, by the risk manager.
    pub resized_by_risk: usize,
}

/// What the risk manager was set to and what it did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RiskSummary {
    /// The limits in force, after environment overrides.
    pub limits: RiskLimits,
    /// How the engine applied them (flatten on halt, exits, Kelly, correlation).
    pub policy: RiskPolicy,
    /// Environment variables that overrode the risk file, one line each.
    pub env_overrides: Vec<String>,
    /// Count of decisions and limits reached, by rule and then by action (`resized`, `rejected`, `halted`,
    /// `daily_limit`, `cooling_off`).
    pub events: BTreeMap<&'static str, BTreeMap<&'static str, usize>>,
    /// When the drawdown emergency stop tripped, if it did.
    pub halted_at: Option<Timestamp>,
    /// Days on which the daily loss limit was reached.
    pub daily_limits: usize,
    /// Cool-offs started after losing streaks.
    pub cool_offs: usize,
}

impl RiskSummary {
    fn build(input: &ReportInput<'_>, events: &[RiskEvent]) -> Self {
        let mut counts: BTreeMap<&'static str, BTreeMap<&'static str, usize>> = BTreeMap::new();
        for e in events {
            *counts.entry(e.rule.as_str()).or_default().entry(e.action.as_str()).or_default() += 1;
        }
        let count = |action| events.iter().filter(|e| e.action == action).count();
        RiskSummary {
            limits: input.risk_limits.clone(),
            policy: input.risk_policy.clone(),
            env_overrides: input.risk_overrides.to_vec(),
            events: counts,
            halted_at: events.iter().find(|e| e.action == RiskAction::Halted).map(|e| e.time),
            daily_limits: count(RiskAction::DailyLimit),
            cool_offs: count(RiskAction::CoolingOff),
        }
    }
}

/// The content of `summary.json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// `sha256:` + hex digest of the scenario text and every input file.
    pub content_hash: String,
    /// Data files.
    pub inputs: Vec<InputFile>,
    /// Strategy kind.
    pub strategy: String,
    /// Strategy parameters.
    pub params: serde_json::Value,
    /// Scenario seed.
    pub seed: u64,
    /// Replayed period.
    pub period: Period,
    /// Performance.
    pub metrics: Metrics,
    /// Orders by outcome.
    pub orders: OrderCounts,
    /// The risk manager's settings and decisions.
    pub risk: RiskSummary,
    /// The bar-path rule, the ambiguous bars and the equity interval they leave.
    pub bar_path: BarPathReport,
    /// How orders met the book (level-2 runs only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub book: Option<BookReport>,
    /// The liquidity rules of bars and what they did (only when a venue sets them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liquidity: Option<LiquidityReport>,
    /// Positions still open at the end (marked at the last close).
    pub open_positions: Vec<Position>,
    /// Balances the venue holds at the end.
    pub venue_balances: BTreeMap<String, Decimal>,
    /// Grid quality of each series.
    pub data_quality: Vec<SeriesQuality>,
    /// Data warnings (gaps, irregular spacing).
    pub warnings: Vec<String>,
}

impl Summary {
    /// The text of `summary.json`: pretty JSON and a final newline (what `--json` prints).
    ///
    /// # Errors
    /// [`Error::Data`] when the summary cannot be encoded.
    pub fn to_json(&self) -> Result<String> {
        let mut json = serde_json::to_string_pretty(self).map_err(|e| Error::Data(format!("encoding summary: {e}")))?;
        json.push('\n');
        Ok(json)
    }

    /// Builds the summary of `input`, whose equity curve is `curve`.
    pub fn build(input: &ReportInput<'_>, curve: &Curve<'_>) -> Self {
        let r = input.result;
        let log = &r.log;
        let rejected_by_risk = log.risk_events.iter().filter(|e| e.action == RiskAction::Rejected).count();
        let rejected = log.count_orders(OrderStatus::Rejected);
        let metrics = run_metrics(r, curve, input.start, input.interval_ns);
        Summary {
            scenario: input.name.to_string(),
            content_hash: format!("sha256:{}", input.content_hash),
            inputs: input.inputs.clone(),
            strategy: input.strategy.to_string(),
            params: input.params.clone(),
            seed: input.seed,
            period: Period {
                start: input.start,
                end: log.equity.last().map_or(input.start, |p| p.time),
                marks: log.equity.len(),
                interval: format_duration(input.interval_ns),
            },
            metrics,
            orders: OrderCounts {
                submitted: log.orders.len(),
                filled: log.count_orders(OrderStatus::Filled),
                rejected_by_risk,
                rejected_by_venue: rejected - rejected_by_risk,
                open_at_end: log.orders.iter().filter(|o| !o.report.status.is_final()).count(),
                resized_by_risk: log.risk_events.iter().filter(|e| e.action == RiskAction::Resized).count(),
            },
            risk: RiskSummary::build(input, &log.risk_events),
            bar_path: BarPathReport {
                final_equity_adverse: input.bar_path.final_equity_adverse.normalize(),
                final_equity_optimistic: input.bar_path.final_equity_optimistic.normalize(),
                ..input.bar_path.clone()
            },
            book: BookReport::of(r, input.starting_cash),
            liquidity: LiquidityReport::of(r.liquidity, &input.liquidity_rules),
            open_positions: r.portfolio.positions().iter().filter(|p| !p.quantity.is_zero()).cloned().collect(),
            venue_balances: r.venue_balances.iter().map(|(k, v)| (k.clone(), v.normalize())).collect(),
            data_quality: input.quality.to_vec(),
            warnings: input.quality.iter().flat_map(SeriesQuality::warnings).collect(),
        }
    }
}
