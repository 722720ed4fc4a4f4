//! `walk_forward/report.html`: the metrics of the stitched out-of-sample curve, that curve with the window
//! boundaries marked, a table of the windows (training and test spans, the chosen parameters, the objective in and
//! out of sample, and the fees and slippage of closing positions at its end), what happened to positions open at
//! the windows' ends, and per window the chosen combination's equity on its training window beside its equity on
//! the test window that followed.

use rust_decimal::Decimal;
use std::fmt::Write;
use std::path::Path;

use super::tables::{cell, heading, metric_cells, metric_headings};
use crate::error::{Error, Result};
use crate::model::exact::to_f64;
use crate::report::decimate;
use crate::report::html::charts::{money_label, percent_label};
use crate::report::html::svg::{Frame, esc, plot_columns};
use crate::report::html::{HTML_FILE, Point, page_start, section};
use crate::sweep::results::{SweepMetrics, WindowResult};
use crate::sweep::spec::Objective;
use crate::sweep::window_files::WindowEnds;

/// One window's chosen combination's equity, each curve from the equity its run started with (a first point at
/// the run's start), decimated to the charts' pixel columns so that what a window keeps stays bounded.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowCurves {
    /// Its run on the training window: in sample.
    pub in_sample: Vec<Point>,
    /// Its run on the test window: out of sample.
    pub out_of_sample: Vec<Point>,
}

impl WindowCurves {
    /// The curves of a window, decimated for drawing.
    pub fn new(in_sample: &[Point], out_of_sample: &[Point]) -> Self {
        WindowCurves {
            in_sample: decimate(in_sample, plot_columns()),
            out_of_sample: decimate(out_of_sample, plot_columns()),
        }
    }
}

/// What `walk_forward/report.html` shows.
pub struct WalkForwardPage<'a> {
    /// The scenario's name.
    pub name: &'a str,
    /// The objective each training window's sweep ranked by.
    pub objective: Objective,
    /// The swept parameters' names.
    pub names: &'a [String],
    /// Every window, in time order.
    pub windows: &'a [WindowResult],
    /// Each window's curves, in the order of `windows`.
    pub curves: &'a [WindowCurves],
    /// The stitched out-of-sample equity, from its starting value.
    pub stitched: &'a [Point],
    /// The metrics of the stitched curve.
    pub metrics: &'a SweepMetrics,
    /// The quote asset (money).
    pub quote: &'a str,
    /// What happened to positions open at the windows' ends.
    pub ends: &'a WindowEnds,
}

/// Writes `report.html` of `page` into `dir` (the walk-forward folder).
///
/// # Errors
/// [`Error::Io`] when the file cannot be written.
pub fn write_walk_forward_page(dir: &Path, page: &WalkForwardPage<'_>) -> Result<()> {
    let path = dir.join(HTML_FILE);
    std::fs::write(&path, render(page)).map_err(|e| Error::io("writing", &path, e))
}

/// The return of a curve from its first point to its last, `None` for a curve without a positive start.
fn curve_return(points: &[Point]) -> Option<f64> {
    match (points.first(), points.last()) {
        (Some(first), Some(last)) if first.1 > 0.0 => Some(last.1 / first.1 - 1.0),
        _ => None,
    }
}

/// The return of a test window, exactly from its start and end equity.
fn test_return(w: &WindowResult) -> Option<f64> {
    let (from, to) = w.test_equity;
    (from > Decimal::ZERO).then(|| to.checked_div(from).map(|r| to_f64(r) - 1.0)).flatten()
}

/// `fast=20, slow=40` of a window's chosen parameters.
fn chosen(names: &[String], w: &WindowResult) -> String {
    let pairs: Vec<String> = names.iter().map(|n| format!("{n}={}", w.params[n])).collect();
    pairs.join(", ")
}

fn render(page: &WalkForwardPage<'_>) -> String {
    let objective = page.objective.as_str();
    let mut out = String::with_capacity(64 * 1024);
    let title = format!("{} — walk-forward", page.name);
    page_start(&mut out, &title, include_str!("sweep.css"));
    let _ = write!(
        out,
        r#"<header><h1>{}</h1><p>objective <b>{objective}</b> · {} window(s)"#,
        esc(&title),
        page.windows.len()
    );
    if let (Some(first), Some(last)) = (page.windows.first(), page.windows.last()) {
        let _ = write!(out, " · out of sample from {} to {}", first.test_from, last.test_to);
    }
    let _ = write!(out, r#"</p><p id="window-ends">{}</p></header><main>"#, esc(&page.ends.line(page.quote)));

    let mut table = String::from(r#"<table class="trades"><thead><tr>"#);
    metric_headings(&mut table, page.objective);
    table.push_str("</tr></thead><tbody><tr>");
    metric_cells(&mut table, page.metrics, page.objective);
    table.push_str("</tr></tbody></table>");
    section(&mut out, "metrics-section", "Out-of-sample metrics", "of the stitched curve of the test windows", &table);

    let legend = format!(
        "equity ({}) over the test windows, each starting from the equity the previous one ended with; dashed lines: where a window starts (hover for its choice)",
        page.quote
    );
    section(&mut out, "stitched-section", "Stitched out-of-sample equity", &legend, &stitched_chart(page));

    let legend = format!(
        "each window's sweep ran on its training span; the best combination by {objective} then traded the test span after it; click a heading to sort"
    );
    section(&mut out, "windows-section", "Windows", &legend, &windows_table(page));

    let mut charts = String::new();
    for (w, curves) in page.windows.iter().zip(page.curves) {
        let _ = write!(
            charts,
            "<h3>Window {}: {} · {objective} {} in sample, {} out of sample</h3>",
            w.window,
            esc(&chosen(page.names, w)),
            page.objective.shown(w.train_score),
            page.objective.shown(w.test_score),
        );
        charts.push_str(&window_chart(w, curves));
    }
    section(
        &mut out,
        "in-out-section",
        "In sample against out of sample, per window",
        "the chosen combination's return over its training span (in sample, orange) and then over the test span (out of sample, blue), each from the equity it started with; the dashed line is where testing starts",
        &charts,
    );
    let _ =
        write!(out, r#"</main><div id="tip" hidden></div><script>{}</script></body></html>"#, include_str!("sweep.js"));
    out.push('\n');
    out
}

/// The stitched out-of-sample equity with a dashed line where each window's test span starts.
fn stitched_chart(page: &WalkForwardPage<'_>) -> String {
    let (Some(first), Some(last)) = (page.stitched.first(), page.stitched.last()) else {
        return r#"<p class="none">No out-of-sample marks.</p>"#.into();
    };
    let (lo, hi) =
        page.stitched.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    let frame = Frame::timed(360.0, first.0, last.0, (lo, hi));
    let mut out = String::new();
    frame.open(&mut out, "stitched", &format!("stitched out-of-sample equity in {}", page.quote));
    frame.axes(&mut out, &frame.time_ticks(), &money_label(hi));
    for w in page.windows {
        let title = format!("window {}: test {} to {}; {}", w.window, w.test_from, w.test_to, chosen(page.names, w));
        frame.vertical(&mut out, w.test_from, "boundary", &title);
    }
    frame.line(&mut out, &decimate(page.stitched, frame.columns()), "equity");
    out.push_str("</svg>");
    out
}

/// The windows: spans, the chosen combination and parameters (as `windows.csv` writes them), the objective and
/// the return in and out of sample, the test span's equity.
fn windows_table(page: &WalkForwardPage<'_>) -> String {
    let objective = page.objective.as_str();
    let mut out = String::from(r#"<table id="windows" class="trades sortable"><thead><tr>"#);
    for (title, text) in
        [("Window", false), ("Train from", true), ("Test from", true), ("Test to", true), ("Combination", false)]
    {
        heading(&mut out, title, text, false);
    }
    for name in page.names {
        heading(&mut out, name, false, false);
    }
    heading(&mut out, &format!("In-sample {objective}"), false, true);
    heading(&mut out, &format!("Out-of-sample {objective}"), false, true);
    for title in [
        "In-sample return",
        "Out-of-sample return",
        "Test start equity",
        "Test end equity",
        "Window-end fees",
        "Window-end slippage",
    ] {
        heading(&mut out, title, false, false);
    }
    out.push_str("</tr></thead><tbody>");
    for (w, curves) in page.windows.iter().zip(page.curves) {
        let _ = write!(out, r#"<tr id="window-{}">"#, w.window);
        cell(&mut out, &w.window.to_string(), &w.window.to_string(), false);
        for t in [w.train_from, w.test_from, w.test_to] {
            cell(&mut out, &t.to_string(), &t.to_string(), false);
        }
        cell(&mut out, &w.combination.to_string(), &w.combination.to_string(), false);
        for name in page.names {
            let value = w.params[name].to_string();
            cell(&mut out, &value, &value, false);
        }
        for score in [w.train_score, w.test_score] {
            let raw = score.map(|s| s.to_string()).unwrap_or_default();
            cell(&mut out, &raw, &page.objective.shown(score), true);
        }
        for r in [curve_return(&curves.in_sample), test_return(w)] {
            let raw = r.map(|r| r.to_string()).unwrap_or_default();
            cell(&mut out, &raw, &crate::report::percent(r), false);
        }
        for amount in [w.test_equity.0, w.test_equity.1, w.end.fees, w.end.slippage] {
            cell(&mut out, &amount.to_string(), &amount.to_string(), false);
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// One window: the in-sample return over the training span, then the out-of-sample return over the test span.
fn window_chart(w: &WindowResult, curves: &WindowCurves) -> String {
    let returns = |points: &[Point]| -> Vec<Point> {
        let start = points.first().map_or(0.0, |p| p.1);
        points.iter().map(|&(t, v)| (t, if start > 0.0 { (v / start - 1.0) * 100.0 } else { 0.0 })).collect()
    };
    let (inside, outside) = (returns(&curves.in_sample), returns(&curves.out_of_sample));
    let (lo, hi) = inside.iter().chain(&outside).fold((0.0_f64, 0.0_f64), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    let frame = Frame::timed(220.0, w.train_from, w.test_to, (lo, hi));
    let mut out = String::new();
    frame.open(&mut out, &format!("window-{}-equity", w.window), &format!("window {} in and out of sample", w.window));
    frame.axes(&mut out, &frame.time_ticks(), &percent_label);
    frame.rule(&mut out, 0.0, "zero");
    frame.vertical(&mut out, w.test_from, "boundary", &format!("testing starts {}", w.test_from));
    frame.line(&mut out, &inside, "in-sample");
    frame.line(&mut out, &outside, "equity");
    out.push_str("</svg>");
    out
}
