//! The report's tables: the metrics (from `summary.json`), monthly returns (year × month), and the trade table —
//! its header here, its rows as a JSON array the page's script turns into rows and price-chart markers (a
//! million-bar run closes tens of thousands of trades; as JSON they cost a third of what table markup would).

use serde_json::{Value, json};
use std::fmt::Write;

use super::charts::MarkerSpot;
use super::data::TradeRow;
use super::svg::esc;
use crate::model::{BarSeries, NANOS_PER_SECOND};
use crate::report::robustness::TextTable;
use crate::report::{percent, ratio};

/// How a metric of `summary.json` reads.
#[derive(Clone, Copy)]
enum Shown {
    /// A fraction shown as a percentage.
    Percent,
    /// A ratio with three decimals.
    Ratio,
    /// Money in the quote asset.
    Money,
    /// As written.
    Plain,
}

/// The metrics table: label, JSON pointer into `summary.json`, and how it reads.
const METRICS: [(&str, &str, Shown); 22] = [
    ("Start", "/period/start", Shown::Plain),
    ("End", "/period/end", Shown::Plain),
    ("Marks (bars)", "/period/marks", Shown::Plain),
    ("Bar interval", "/period/interval", Shown::Plain),
    ("Starting equity", "/metrics/starting_equity", Shown::Money),
    ("Final equity", "/metrics/final_equity", Shown::Money),
    ("Total return", "/metrics/total_return", Shown::Percent),
    ("CAGR", "/metrics/cagr", Shown::Percent),
    ("Sharpe", "/metrics/sharpe", Shown::Ratio),
    ("Sortino", "/metrics/sortino", Shown::Ratio),
    ("Calmar", "/metrics/calmar", Shown::Ratio),
    ("Max drawdown", "/metrics/max_drawdown/depth", Shown::Percent),
    ("Max drawdown duration", "/metrics/max_drawdown/duration", Shown::Plain),
    ("Win rate", "/metrics/win_rate", Shown::Percent),
    ("Profit factor", "/metrics/profit_factor", Shown::Ratio),
    ("Exposure", "/metrics/exposure", Shown::Percent),
    ("Trades (closed round trips)", "/metrics/trades", Shown::Plain),
    ("Fees", "/metrics/fees", Shown::Money),
    ("Orders submitted", "/orders/submitted", Shown::Plain),
    ("Orders rejected by risk", "/orders/rejected_by_risk", Shown::Plain),
    ("Bar-path rule", "/bar_path/rule", Shown::Plain),
    ("Ambiguous bars", "/bar_path/ambiguous_bars", Shown::Plain),
];

/// `value` as text: strings without quotes, `null` as `n/a`.
fn plain(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "n/a".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The metrics of `summary` as `(label, text)` rows, money in `quote`: every metric of the table (`n/a` where the
/// summary has none), then the bar-path equity interval when ambiguous bars made it differ, and the liquidity
/// counts when a venue sets liquidity rules. Money reads exactly as
/// the summary holds it; fractions as percentages with two decimals, ratios with three.
pub(crate) fn metric_rows(summary: &Value, quote: &str) -> Vec<(&'static str, String)> {
    let mut rows: Vec<(&'static str, String)> = METRICS
        .iter()
        .map(|&(label, pointer, shown)| {
            let value = summary.pointer(pointer);
            let text = match shown {
                Shown::Percent => percent(value.and_then(Value::as_f64)),
                Shown::Ratio => ratio(value.and_then(Value::as_f64)),
                Shown::Money => format!("{} {quote}", plain(value)),
                Shown::Plain => plain(value),
            };
            (label, text)
        })
        .collect();
    if summary.pointer("/bar_path/ambiguous_bars").and_then(Value::as_u64).unwrap_or(0) > 0 {
        let at = |p| plain(summary.pointer(p));
        rows.push((
            "Final equity, bar-path interval",
            format!(
                "{} (adverse) to {} {quote} (optimistic)",
                at("/bar_path/final_equity_adverse"),
                at("/bar_path/final_equity_optimistic")
            ),
        ));
    }
    if summary.get("liquidity").is_some() {
        let at = |p| plain(summary.pointer(p));
        rows.push(("Partial fills (volume cap)", at("/liquidity/partial_fills")));
        rows.push(("Orders the cap limited", at("/liquidity/capped_orders")));
        rows.push((
            "Impact cost",
            format!("{} {quote} on {} fills", at("/liquidity/impact_cost"), at("/liquidity/impact_fills")),
        ));
    }
    rows
}

/// The metrics table of `summary`, money in `quote`.
pub fn metrics_table(summary: &Value, quote: &str) -> String {
    let mut out = String::from(r#"<table class="metrics"><tbody>"#);
    for (label, text) in metric_rows(summary, quote) {
        let _ = write!(out, "<tr><th>{}</th><td>{}</td></tr>", esc(label), esc(&text));
    }
    out.push_str("</tbody></table>");
    out
}

/// A table of text cells (a robustness table): the first column as labels, the others right-aligned numbers; a
/// row shorter than the header spans its last cell over the rest (a reason in place of numbers).
pub fn text_table(table: &TextTable) -> String {
    let mut out = String::from(r#"<table class="robust"><thead><tr>"#);
    for heading in &table.header {
        let _ = write!(out, "<th>{}</th>", esc(heading));
    }
    out.push_str("</tr></thead><tbody>");
    for row in &table.rows {
        out.push_str("<tr>");
        for (i, text) in row.iter().enumerate() {
            let tag = if i == 0 { "th" } else { "td" };
            let span = table.header.len().saturating_sub(row.len());
            if i + 1 == row.len() && span > 0 {
                let _ = write!(out, r#"<{tag} colspan="{}">{}</{tag}>"#, span + 1, esc(text));
            } else {
                let _ = write!(out, "<{tag}>{}</{tag}>", esc(text));
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// The monthly returns table: a row per year, a column per month and the year's return; empty months blank.
pub fn monthly_table(months: &[((i32, u32), f64)], years: &[(i32, f64)]) -> String {
    let mut out = String::from(r#"<table class="monthly"><thead><tr><th>Year</th>"#);
    for name in ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Year"] {
        let _ = write!(out, "<th>{name}</th>");
    }
    out.push_str("</tr></thead><tbody>");
    for &(year, year_return) in years {
        let _ = write!(out, "<tr><th>{year}</th>");
        for month in 1..=12 {
            match months.iter().find(|((y, m), _)| *y == year && *m == month) {
                Some(&(_, r)) => cell(&mut out, r),
                None => out.push_str("<td></td>"),
            }
        }
        cell(&mut out, year_return);
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// A return cell, shaded green for gains and red for losses in proportion to the size (full at ±20 %).
fn cell(out: &mut String, r: f64) {
    let strength = (r.abs() / 0.2).min(1.0) * 0.6;
    let (class, alpha) = if r >= 0.0 { ("gain", strength) } else { ("loss", strength) };
    let _ = write!(out, r#"<td class="{class}" style="--a:{alpha:.2}">{:.2} %</td>"#, r * 100.0);
}

/// The trade table's columns: data key and heading. Keys match the fields the page's script reads.
const TRADE_COLUMNS: [(&str, &str); 15] = [
    ("n", "#"),
    ("symbol", "Symbol"),
    ("dir", "Side"),
    ("entry", "Entry (UTC)"),
    ("exit", "Exit (UTC)"),
    ("duration", "Duration"),
    ("qty", "Quantity"),
    ("entry_price", "Entry price"),
    ("exit_price", "Exit price"),
    ("pnl", "Net PnL"),
    ("ret", "Return %"),
    ("fees", "Fees"),
    ("mae", "MAE %"),
    ("mfe", "MFE %"),
    ("exit_order", "Exit order"),
];

/// The trade table, empty: its header (click to sort), an empty body the script fills, and the button that shows
/// every row of a long run.
pub fn trade_table() -> String {
    let mut out = String::from(r#"<table id="trades" class="trades"><thead><tr>"#);
    for (key, heading) in TRADE_COLUMNS {
        let _ = write!(out, r#"<th data-key="{key}">{}</th>"#, esc(heading));
    }
    out.push_str(r#"</tr></thead><tbody></tbody></table><button id="more-trades" hidden></button>"#);
    out
}

/// The trades as a JSON array (for a `<script type="application/json">`): each
/// `[symbol, long, entry_s, exit_s, qty, entry_price, exit_price, pnl, ret, fees, mae, mfe, exit_order, spots]`,
/// times in seconds since the epoch, money as exact decimal strings, `spots` `[x_in, y_in, x_out, y_out]` on the
/// symbol's price chart (or `null`). MAE/MFE come from `bars` of the trade's symbol.
pub fn trades_json(trades: &[TradeRow], bars: &[BarSeries], spots: &[Option<MarkerSpot>]) -> String {
    let rows: Vec<Value> = trades
        .iter()
        .zip(spots.iter().chain(std::iter::repeat(&None)))
        .map(|(t, spot)| {
            let excursion = bars.iter().find(|s| s.symbol == t.symbol).and_then(|s| {
                super::series::excursions(s, t.long, (t.entry_time, t.entry_price), (t.exit_time, t.exit_price))
            });
            let text = |d: Option<rust_decimal::Decimal>| d.map_or(Value::Null, |d| Value::String(d.to_string()));
            let spot = spot.map_or(Value::Null, |((a, b), (c, d))| json!([round1(a), round1(b), round1(c), round1(d)]));
            json!([
                t.symbol.as_str(),
                u8::from(t.long),
                t.entry_time.0.div_euclid(NANOS_PER_SECOND),
                t.exit_time.0.div_euclid(NANOS_PER_SECOND),
                t.quantity.to_string(),
                t.entry_price.to_string(),
                t.exit_price.to_string(),
                t.net_pnl.to_string(),
                text(t.return_pct.map(|r| r.round_dp(2))),
                t.fees.to_string(),
                text(excursion.map(|e| e.0)),
                text(excursion.map(|e| e.1)),
                t.exit_order,
                spot,
            ])
        })
        .collect();
    // No `<` at all inside the script element (JSON allows `\u003c` in strings; outside them JSON has none):
    // neither `</script>` nor `<!--` can end it or change how the parser reads it.
    Value::Array(rows).to_string().replace('<', "\\u003c")
}

/// `v` rounded to one decimal (pixels), as JSON writes it.
fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}
