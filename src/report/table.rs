//! The summary table `ctb backtest` prints.

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

use super::summary::Summary;

fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{:.2} %", v * 100.0))
}

fn ratio(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.3}"))
}

/// Renders the headline numbers of `summary` as a two-column table.
pub fn summary_table(summary: &Summary, quote: &str) -> String {
    let m = &summary.metrics;
    let dd = &m.max_drawdown;
    let recovered = if dd.recovery_time.is_some() { "" } else { ", not recovered" };
    let rows: Vec<(&str, String)> = vec![
        (
            "Period",
            format!(
                "{} → {} ({} bars of {})",
                summary.period.start, summary.period.end, summary.period.marks, summary.period.interval
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
    ];
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(vec![Cell::new(&summary.scenario), Cell::new("")]);
    for (name, value) in rows {
        table.add_row(vec![Cell::new(name), Cell::new(value).set_alignment(CellAlignment::Right)]);
    }
    table.to_string()
}
