//! The summary table `ctb backtest` prints.

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

use super::summary::Summary;

/// A fraction as a percentage with two decimals, `n/a` when undefined.
pub fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{:.2} %", v * 100.0))
}

/// A ratio with three decimals, `n/a` when undefined.
pub fn ratio(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.3}"))
}

/// The risk manager's work in one line: limits the environment overrode (a session and its replay), halt, daily
/// limits, cool-offs, then decisions by rule.
fn risk_line(summary: &Summary) -> String {
    let risk = &summary.risk;
    let mut parts = Vec::new();
    if let Some(time) = risk.halted_at {
        parts.push(format!("halted at {time}"));
    }
    if risk.daily_limits > 0 {
        parts.push(format!("daily loss limit on {} day(s)", risk.daily_limits));
    }
    if risk.cool_offs > 0 {
        parts.push(format!("{} cool-off(s)", risk.cool_offs));
    }
    for action in ["rejected", "resized"] {
        let by_rule: Vec<String> = risk
            .events
            .iter()
            .filter_map(|(rule, actions)| actions.get(action).map(|n| format!("{rule} {n}")))
            .collect();
        if !by_rule.is_empty() {
            parts.push(format!("{action}: {}", by_rule.join(", ")));
        }
    }
    let work = if parts.is_empty() { "no limit reached, no order changed".into() } else { parts.join("; ") };
    if risk.env_overrides.is_empty() {
        return work;
    }
    format!("{}; {work}", risk.env_overrides.join("; "))
}

/// The bar-path rule and, when it decided anything, the equity interval.
fn bar_path_line(summary: &Summary, quote: &str) -> String {
    let b = &summary.bar_path;
    let name = |v: serde_json::Result<serde_json::Value>| v.ok().and_then(|v| v.as_str().map(str::to_string));
    let path = name(serde_json::to_value(b.rule)).unwrap_or_default();
    let exits = name(serde_json::to_value(b.mid_bar_exits)).unwrap_or_default().replace('_', " ");
    let rule = match b.detail {
        true => format!("{path}, detail data inside bars (else mid-bar exits: {exits})"),
        false => format!("{path}, mid-bar exits: {exits}"),
    };
    if b.ambiguous_bars == 0 {
        return format!("{rule}; no ambiguous bar");
    }
    format!(
        "{rule}; {} ambiguous bar{}: final equity {} (adverse) to {} {quote} (optimistic)",
        b.ambiguous_bars,
        if b.ambiguous_bars == 1 { "" } else { "s" },
        b.final_equity_adverse.round_dp(4),
        b.final_equity_optimistic.round_dp(4)
    )
}

/// Renders the headline numbers of `summary` as a two-column table.
pub fn summary_table(summary: &Summary, quote: &str) -> String {
    let m = &summary.metrics;
    let dd = &m.max_drawdown;
    let recovered = if dd.recovery_time.is_some() { "" } else { ", not recovered" };
    let mut rows: Vec<(&str, String)> = vec![
        (
            "Period",
            // Level-2 runs mark the equity once a second (and at bar closes): marks, not bars.
            format!(
                "{} → {} ({} {} {})",
                summary.period.start,
                summary.period.end,
                summary.period.marks,
                if summary.book.is_some() { "marks, every" } else { "bars of" },
                summary.period.interval
            ),
        ),
        ("Final equity", format!("{} {quote}", m.final_equity.round_dp(4))),
        ("Total return", percent(Some(m.total_return))),
        ("CAGR", percent(m.cagr)),
        ("Sharpe", ratio(m.sharpe)),
        ("Sortino", ratio(m.sortino)),
        ("Calmar", ratio(m.calmar)),
        ("Max drawdown", percent(Some(dd.depth))),
        ("Max drawdown duration", format!("{}{recovered}", dd.duration)),
        ("Win rate", percent(m.win_rate)),
        ("Profit factor", ratio(m.profit_factor)),
        ("Exposure", percent(Some(m.exposure))),
        ("Trades (closed round trips)", m.trades.to_string()),
        ("Fees", format!("{} {quote}", m.fees.round_dp(4))),
        (
            "Orders",
            format!(
                "{} submitted, {} filled, {} rejected by risk, {} by venue, {} resized, {} open",
                summary.orders.submitted,
                summary.orders.filled,
                summary.orders.rejected_by_risk,
                summary.orders.rejected_by_venue,
                summary.orders.resized_by_risk,
                summary.orders.open_at_end
            ),
        ),
        ("Risk", risk_line(summary)),
        ("Bar path", bar_path_line(summary, quote)),
    ];
    if let Some(liquidity) = &summary.liquidity {
        rows.push(("Liquidity", liquidity.line(quote)));
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(vec![Cell::new(&summary.scenario), Cell::new("")]);
    for (name, value) in rows {
        table.add_row(vec![Cell::new(name), Cell::new(value).set_alignment(CellAlignment::Right)]);
    }
    table.to_string()
}
