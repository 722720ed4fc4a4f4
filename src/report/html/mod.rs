//! `report.html`: one self-contained page per backtest that opens from disk with no network — pure inline SVG
//! drawn here, a small inline script (trade table, sorting, markers linked to trades) and inline CSS, under a
//! Content-Security-Policy that allows no request at all. Same run, same bytes: nothing depends on the time of
//! writing, numbers are formatted at fixed precision, money is shown as the exact decimals of the run.
//!
//! This file assembles the page; `data` holds its inputs, `folder` reads them back from a report folder, `series`
//! derives the drawn series, `charts` and `svg` draw them, `tables` writes the tables.

pub(crate) mod charts;
mod data;
mod folder;
mod series;
pub(crate) mod svg;
mod tables;

use std::fmt::Write;
use std::path::Path;

pub(crate) use charts::{money_label, percent_label};
pub use data::{BandPoint, FillRef, HtmlData, RiskMark, TradeRow};
pub use folder::read_report_folder;
pub(crate) use folder::read_robustness;
pub(crate) use folder::{RunCurve, read_run_curve};
pub use series::{
    Episode, Histogram, Point, SHARPE_WINDOW_DAYS, buy_and_hold, daily_returns, excursions, histogram, monthly_returns,
    rolling_sharpe, worst_drawdowns, yearly_returns,
};

use crate::error::{Error, Result};
use crate::model::BarSeries;
use charts::EquityLines;
pub(crate) use svg::{Frame, esc};
pub(crate) use tables::metric_rows;

/// The page's file name in a report folder.
pub const HTML_FILE: &str = "report.html";

/// The Content-Security-Policy of the page: inline script and style only, images only from `data:` — no request
/// can leave the file.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

/// Drawdown episodes shaded on the underwater chart.
const WORST_DRAWDOWNS: usize = 5;

/// Writes `report.html` of `data` (candles from `bars`) into `dir`.
///
/// # Errors
/// [`Error::Io`] when the file cannot be written.
pub fn write_html(dir: &Path, data: &HtmlData, bars: &[BarSeries]) -> Result<()> {
    let path = dir.join(HTML_FILE);
    std::fs::write(&path, render(data, bars)).map_err(|e| Error::io("writing", &path, e))
}

/// The page of `data`, its price charts drawn from `bars` (none without bars, as for a level-2 run).
pub fn render(data: &HtmlData, bars: &[BarSeries]) -> String {
    let text = |pointer: &str| data.summary.pointer(pointer).and_then(|v| v.as_str()).unwrap_or_default().to_string();
    let name = text("/scenario");
    let mut out = String::with_capacity(64 * 1024 + data.trades.len() * 128);
    page_start(&mut out, &format!("{name} — backtest report"), "");
    let _ = write!(
        out,
        r#"<header><h1>{}</h1><p>{} → {} · strategy <b>{}</b> · content hash <code>{}</code></p></header><main>"#,
        esc(&name),
        esc(&text("/period/start")),
        esc(&text("/period/end")),
        esc(&text("/strategy")),
        esc(&text("/content_hash")),
    );
    section(&mut out, "metrics", "Metrics", "", &tables::metrics_table(&data.summary, &data.quote));

    let mut spots = vec![None; data.trades.len()];
    for (i, series) in bars.iter().enumerate() {
        let (svg, on_chart) = charts::price_chart(i, series, &data.trades);
        for (spot, found) in spots.iter_mut().zip(on_chart) {
            *spot = spot.or(found);
        }
        let how = if charts::candles_fit(series.len()) {
            "candles"
        } else {
            "high–low range per pixel column and the close"
        };
        let legend = format!(
            "{} bars, {how}; ▲ buy, ▼ sell: entries green (long) or red (short), exits dark — click a marker to find its trade",
            series.len()
        );
        section(&mut out, &format!("price-{i}-section"), &format!("Price — {}", series.symbol), &legend, &svg);
    }

    let times: Vec<_> = data.equity.iter().map(|p| p.0).collect();
    let hold: Vec<Point> = times.iter().copied().zip(buy_and_hold(data.starting_equity, bars, &times)).collect();
    let lines = EquityLines { equity: &data.equity, buy_and_hold: &hold, band: &data.band, risk: &data.risk_events };
    let mut legend = format!(
        "equity ({}) and buy-and-hold of the same symbols (the starting cash split equally, bought at the first open, no fees); {} risk event(s) as dashed lines",
        data.quote,
        data.risk_events.len()
    );
    if !data.band.is_empty() {
        legend.push_str(
            "; the shaded band spans the equity under the adverse and the optimistic bar-path rule (ambiguous bars)",
        );
    }
    section(
        &mut out,
        "equity-section",
        "Equity against buy-and-hold",
        &legend,
        &charts::equity_chart(&lines, &data.quote),
    );

    let mut peak = data.starting_equity;
    let drawdown: Vec<Point> = data
        .equity
        .iter()
        .map(|&(t, v)| {
            peak = peak.max(v);
            (t, if peak > 0.0 { (v / peak - 1.0) * 100.0 } else { 0.0 })
        })
        .collect();
    let episodes = worst_drawdowns(data.start, data.starting_equity, &data.equity, WORST_DRAWDOWNS);
    section(
        &mut out,
        "underwater-section",
        "Underwater (drawdown from the running peak)",
        "the five deepest drawdowns shaded and ranked, from peak to recovery",
        &charts::underwater_chart(&drawdown, &episodes, &data.risk_events),
    );

    let months = monthly_returns(data.starting_equity, &data.equity);
    let years = yearly_returns(data.starting_equity, &data.equity);
    section(
        &mut out,
        "monthly-section",
        "Monthly returns",
        "UTC calendar months; a close at midnight on the 1st ends the previous month",
        &tables::monthly_table(&months, &years),
    );

    let daily = daily_returns(data.starting_equity, &data.equity);
    let values: Vec<f64> = daily.iter().map(|p| p.1).collect();
    let bins = ((values.len() as f64).sqrt().ceil() as usize).clamp(8, 40);
    if let Some(h) = histogram(&values, bins) {
        let legend = format!("{} UTC days, {bins} bins", values.len());
        section(
            &mut out,
            "distribution-section",
            "Distribution of daily returns",
            &legend,
            &charts::distribution_chart(&h),
        );
    }
    let rolling = rolling_sharpe(&daily, SHARPE_WINDOW_DAYS);
    let legend = format!("Sharpe ratio of the last {SHARPE_WINDOW_DAYS} daily returns, annualized with √365");
    let chart = charts::rolling_sharpe_chart(&rolling);
    let chart = if chart.is_empty() {
        format!(r#"<p class="none">The run is shorter than {} days.</p>"#, SHARPE_WINDOW_DAYS + 1)
    } else {
        chart
    };
    section(&mut out, "sharpe-section", "Rolling Sharpe ratio", &legend, &chart);

    let legend = format!(
        "{} closed round trips; click a heading to sort; MAE/MFE: worst and best price against the entry from the entry bar to the exit, in %; exit order: the type of the order that closed the trip",
        data.trades.len()
    );
    section(&mut out, "trades-section", "Trades", &legend, &tables::trade_table());
    if !data.robustness.is_empty() {
        let body: String = data.robustness.iter().map(tables::text_table).collect();
        let legend = "ctb robust's measures of luck (robust.json): a seeded Monte Carlo of the trade sequence and a block bootstrap of the bar returns (5/50/95 %), the probabilistic and, with a sweep, deflated Sharpe ratio and the probability of backtest overfitting, and the run again with fees and slippage ×1, ×2, ×5";
        section(&mut out, "robustness-section", "Robustness", legend, &body);
    }
    section(
        &mut out,
        "scenario-section",
        "Scenario",
        "the exact scenario text of the run",
        &format!("<pre>{}</pre>", esc(&data.scenario_text)),
    );
    let _ = write!(
        out,
        r#"</main><script type="application/json" id="trade-data">{}</script><script>{}</script></body></html>"#,
        tables::trades_json(&data.trades, bars, &spots),
        include_str!("page.js"),
    );
    out.push('\n');
    out
}

/// Appends the start of a page up to its `<body>` tag: the no-request policy, the `title`, the error recorder
/// (`errors.js`, which the browser test reads) and the report's CSS followed by `extra_css`. Every page of the
/// reports (a backtest's, a sweep's, a walk-forward's) starts so.
pub(crate) fn page_start(out: &mut String, title: &str, extra_css: &str) {
    let _ = write!(
        out,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{}</title><script>{}</script><style>{}{extra_css}</style></head><body>"#,
        esc(title),
        include_str!("errors.js"),
        include_str!("page.css"),
    );
}

/// Appends a `<section>` with a heading, a one-line legend and `body`.
pub(crate) fn section(out: &mut String, id: &str, title: &str, legend: &str, body: &str) {
    let _ = write!(out, r#"<section id="{id}"><h2>{}</h2>"#, esc(title));
    if !legend.is_empty() {
        let _ = write!(out, r#"<p class="legend">{}</p>"#, esc(legend));
    }
    out.push_str(body);
    out.push_str("</section>");
}
