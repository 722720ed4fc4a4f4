//! Reports: metrics, `summary.json`, the CSV files, PNG and SVG charts, the offline `report.html` and the terminal
//! summary table; the comparison of several reports (`ctb report compare`); the robustness statistics and `ctb
//! robust`'s report of them.

mod book;
mod charts;
pub mod compare;
mod csv_files;
mod curve;
mod heatmap;
pub mod html;
mod liquidity;
mod metrics;
pub mod robust;
pub mod robustness;
mod summary;
mod table;

use std::path::Path;

pub use book::{BookReport, QueueWaits};
pub use charts::{Chart, ChartStyle, decimate, draw_chart};
pub use csv_files::{
    BAR_PATHS_FILE, write_bar_path_equity, write_equity, write_fills, write_orders, write_risk_events, write_trades,
};
pub use curve::Curve;
pub use heatmap::{Heatmap, draw_heatmap, heat_colour};
pub use liquidity::LiquidityReport;
pub use metrics::{Drawdown, Metrics, compute_metrics, exposed_marks, periods_per_year, run_metrics};
pub use summary::{BarPathCurves, BarPathReport, InputFile, OrderCounts, Period, ReportInput, RiskSummary, Summary};
pub use table::{percent, ratio, summary_table};

use crate::error::{Error, Result};

/// The files [`write_report`] creates in the report folder.
pub const REPORT_FILES: [&str; 12] = [
    "summary.json",
    "trades.csv",
    "fills.csv",
    "orders.csv",
    "risk_events.csv",
    "equity.csv",
    "equity.png",
    "equity.svg",
    "drawdown.png",
    "drawdown.svg",
    "scenario.yaml",
    html::HTML_FILE,
];

/// Writes the full report of a run into `dir` (created if needed) and returns its summary.
///
/// # Errors
/// [`Error::Io`] when a file cannot be written; [`Error::Data`] when a chart cannot be drawn.
pub fn write_report(dir: &Path, input: &ReportInput<'_>) -> Result<Summary> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
    let result = input.result;
    let curve = Curve::new(result.portfolio.starting_cash(), &result.log.equity);
    let summary = Summary::build(input, &curve);
    let json = summary.to_json()?;
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|e| Error::io("writing", &path, e))
    };
    write("summary.json", json.as_bytes())?;
    write("scenario.yaml", input.scenario_text.as_bytes())?;

    let venue_name = |i: usize| input.venue_names.get(i).cloned().unwrap_or_default();
    let quote = result.portfolio.quote();
    write_trades(&dir.join("trades.csv"), &result.log.round_trips)?;
    write_fills(&dir.join("fills.csv"), &result.log.fills, &venue_name, quote)?;
    write_orders(&dir.join("orders.csv"), &result.log.orders, &venue_name)?;
    write_risk_events(&dir.join("risk_events.csv"), &result.log.risk_events)?;
    write_equity(&dir.join("equity.csv"), &result.log, &curve)?;
    if let Some(curves) = input.bar_path_curves {
        write_bar_path_equity(&dir.join(BAR_PATHS_FILE), curves)?;
    }

    let times = || result.log.equity.iter().map(|p| p.time);
    let equity: Vec<_> = std::iter::once((input.start, crate::model::exact::to_f64(curve.starting_equity)))
        .chain(times().zip(curve.values.iter().copied()))
        .collect();
    let underwater: Vec<_> =
        std::iter::once((input.start, 0.0)).chain(times().zip(curve.drawdown_pct.iter().map(|d| -d))).collect();
    draw_chart(
        &dir.join("equity.png"),
        &Chart {
            title: &format!("{} — equity", input.name),
            y_label: &format!("Equity ({quote})"),
            points: &equity,
            style: ChartStyle::Line,
        },
    )?;
    draw_chart(
        &dir.join("drawdown.png"),
        &Chart {
            title: &format!("{} — drawdown", input.name),
            y_label: "Drawdown (%)",
            points: &underwater,
            style: ChartStyle::Underwater,
        },
    )?;
    let mut page = html::HtmlData::of_run(input, &curve, &json)?;
    // A robust.json that `ctb robust` left in this folder for these very inputs still describes this run.
    page.robustness = html::read_robustness(dir, &page.summary, &page.quote)?;
    html::write_html(dir, &page, input.bars)?;
    Ok(summary)
}
