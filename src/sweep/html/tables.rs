//! The table cells the sweep pages share: the metric columns of `results.csv` with their headings and how each
//! reads, header cells that sort as text or numbers, and cells that show a formatted value but sort by the exact
//! field (`data-v`), which the page's script reads.

use std::fmt::Write;

use crate::report::html::svg::esc;
use crate::report::{percent, ratio};
use crate::sweep::results::{METRIC_COLUMNS, SweepMetrics, metric_fields};
use crate::sweep::spec::Objective;

/// How a metric column of `results.csv` reads on the pages.
#[derive(Clone, Copy)]
pub(super) enum Shown {
    /// Exact decimals or a count, as written.
    AsWritten,
    /// A fraction as a percentage.
    Percent,
    /// A ratio with three decimals.
    Ratio,
    /// Days with one decimal.
    Days,
}

/// Heading and reading of each of [`METRIC_COLUMNS`], in that order.
pub(super) const METRIC_HEADINGS: [(&str, Shown); 14] = [
    ("Final equity", Shown::AsWritten),
    ("Total return", Shown::Percent),
    ("CAGR", Shown::Percent),
    ("Sharpe", Shown::Ratio),
    ("Sortino", Shown::Ratio),
    ("Calmar", Shown::Ratio),
    ("Max drawdown", Shown::Percent),
    ("Max drawdown days", Shown::Days),
    ("Win rate", Shown::Percent),
    ("Profit factor", Shown::Ratio),
    ("Exposure", Shown::Percent),
    ("Trades", Shown::AsWritten),
    ("Fees", Shown::AsWritten),
    ("Net PnL", Shown::AsWritten),
];

/// A `results.csv` field as the pages show it.
pub(super) fn shown(field: &str, how: Shown) -> String {
    let number = field.parse::<f64>().ok();
    match how {
        Shown::AsWritten if field.is_empty() => "n/a".into(),
        Shown::AsWritten => field.to_string(),
        Shown::Percent => percent(number),
        Shown::Ratio => ratio(number),
        Shown::Days => number.map_or_else(|| "n/a".into(), |d| format!("{d:.1}")),
    }
}

/// The index of `objective`'s column among [`METRIC_COLUMNS`].
pub(super) fn objective_column(objective: Objective) -> usize {
    METRIC_COLUMNS.iter().position(|c| *c == objective.as_str()).unwrap_or(0)
}

/// A table header cell: `text` headings sort as text, the others as numbers; `objective` is highlighted.
pub(super) fn heading(out: &mut String, title: &str, text: bool, objective: bool) {
    let class = if objective { r#" class="objective""# } else { "" };
    let text = if text { " data-text" } else { "" };
    let _ = write!(out, "<th{class}{text}>{}</th>", esc(title));
}

/// A table cell showing `shown` that sorts by `raw`.
pub(super) fn cell(out: &mut String, raw: &str, shown: &str, objective: bool) {
    let class = if objective { r#" class="objective""# } else { "" };
    let _ = write!(out, r#"<td{class} data-v="{}">{}</td>"#, esc(raw), esc(shown));
}

/// The metric headings, the objective's highlighted.
pub(super) fn metric_headings(out: &mut String, objective: Objective) {
    for (k, (title, _)) in METRIC_HEADINGS.iter().enumerate() {
        heading(out, title, false, k == objective_column(objective));
    }
}

/// The metric cells of `metrics`, the objective's highlighted.
pub(super) fn metric_cells(out: &mut String, metrics: &SweepMetrics, objective: Objective) {
    for (k, (field, (_, how))) in metric_fields(metrics).iter().zip(METRIC_HEADINGS).enumerate() {
        cell(out, field, &shown(field, how), k == objective_column(objective));
    }
}
