//! `compare.html`: the comparison as one self-contained page, built like `report.html` (its style, its
//! no-request policy, its SVG frame and decimation): the metrics side by side, then the equity curves overlaid.
//!
//! Two charts, because each answers what the other cannot. Equity in money shows what each run really holds, but
//! one money axis only means something in one currency, and runs that start with different cash sit apart on it:
//! it is drawn only when every run counts in the same quote currency. Return in percent from each run's starting
//! equity puts every run on the same footing whatever its cash or currency, so it is always drawn. Each run keeps
//! its colour (and, past the eighth, a dashed line) in both charts, the table's heading and the key.

use std::fmt::Write;
use std::path::Path;

use super::{ComparedRun, one_quote, rows};
use crate::error::{Error, Result};
use crate::report::decimate;
use crate::report::html::{Frame, Point, esc, money_label, page_start, percent_label, section};

/// Distinct line colours (`.run-0` … in `compare.css`); later runs reuse them dashed.
const COLOURS: usize = 8;

/// Writes the page of `runs` to `path`, creating its folder.
///
/// # Errors
/// [`Error::Io`] when the folder or the file cannot be written.
pub fn write_compare(path: &Path, runs: &[ComparedRun]) -> Result<()> {
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).map_err(|e| Error::io("creating", folder, e))?;
    }
    std::fs::write(path, render_compare(runs)).map_err(|e| Error::io("writing", path, e))
}

/// The page of `runs`: the same inputs give the same bytes.
pub fn render_compare(runs: &[ComparedRun]) -> String {
    let names: Vec<&str> = runs.iter().map(|r| r.label.as_str()).collect();
    let mut out =
        String::with_capacity(32 * 1024 + runs.iter().map(|r| r.curve.equity.len().min(4000) * 16).sum::<usize>());
    page_start(&mut out, &format!("{} — backtest comparison", names.join(" vs ")), include_str!("compare.css"));
    let _ = write!(
        out,
        "<header><h1>Comparison of {} backtests</h1><p>{}</p></header><main>",
        runs.len(),
        esc(&names.join(" · "))
    );
    section(&mut out, "metrics", "Metrics", "one column per run; money as each run's summary holds it", &table(runs));

    let key = key(runs);
    match one_quote(runs) {
        Some(quote) => {
            let lines: Vec<Vec<Point>> = runs.iter().map(equity).collect();
            let hi = lines.iter().flatten().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
            let chart = overlay("equity", &format!("equity in {quote}, overlaid"), &lines, &money_label(hi), false);
            let legend = format!("equity in {quote} at every mark of each run's equity.csv");
            section(&mut out, "equity-section", "Equity", &legend, &format!("{key}{chart}"));
        }
        None => {
            let quotes: Vec<&str> = runs.iter().map(|r| r.quote.as_str()).collect();
            let note = format!(
                r#"<p class="none">The runs count in different quote currencies ({}): one money axis cannot hold them; compare their returns below.</p>"#,
                esc(&quotes.join(", "))
            );
            section(&mut out, "equity-section", "Equity", "", &note);
        }
    }
    let lines: Vec<Vec<Point>> = runs.iter().map(returns).collect();
    let chart = overlay("returns", "return from the start in percent, overlaid", &lines, &percent_label, true);
    let legend = "return from each run's starting equity, in percent: equity / starting equity − 1";
    section(&mut out, "returns-section", "Return from the start", legend, &format!("{key}{chart}"));
    out.push_str("</main></body></html>\n");
    out
}

/// The classes of run `i`'s line: its colour, dashed once the colours are used up.
fn line_class(i: usize) -> String {
    let dashed = if i >= COLOURS { " dashed" } else { "" };
    format!("run run-{}{dashed}", i % COLOURS)
}

/// A short stroke in run `i`'s colour, for the key and the table's heading.
fn swatch(i: usize) -> String {
    format!(
        r#"<svg class="swatch" width="26" height="10" aria-hidden="true"><line class="{}" x1="1" x2="25" y1="5" y2="5"/></svg>"#,
        line_class(i)
    )
}

/// The key of the charts: each run's colour and name.
fn key(runs: &[ComparedRun]) -> String {
    let mut out = String::from(r#"<ul class="key">"#);
    for (i, run) in runs.iter().enumerate() {
        let _ = write!(out, "<li>{}{}</li>", swatch(i), esc(&run.label));
    }
    out.push_str("</ul>");
    out
}

/// The metrics table: a column per run headed by its colour and name, a row per metric.
fn table(runs: &[ComparedRun]) -> String {
    let mut out = String::from(r#"<div class="wide"><table class="compare"><thead><tr><th></th>"#);
    for (i, run) in runs.iter().enumerate() {
        let _ = write!(out, "<th>{}{}</th>", swatch(i), esc(&run.label));
    }
    out.push_str("</tr></thead><tbody>");
    for (label, cells) in rows(runs) {
        let _ = write!(out, "<tr><th>{}</th>", esc(&label));
        for cell in cells {
            let _ = write!(out, "<td>{}</td>", esc(&cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
    out
}

/// `run`'s equity from its start: the starting equity at the open of the first bar, then every mark (as the
/// backtest's own equity chart draws it).
fn equity(run: &ComparedRun) -> Vec<Point> {
    let curve = &run.curve;
    std::iter::once((curve.start, curve.starting_equity)).chain(curve.equity.iter().copied()).collect()
}

/// [`equity`] as percent return from the starting equity, so every line starts at 0 % (none when the starting
/// equity is not positive).
fn returns(run: &ComparedRun) -> Vec<Point> {
    let start = run.curve.starting_equity;
    if start <= 0.0 {
        return Vec::new();
    }
    equity(run).into_iter().map(|(t, v)| (t, (v / start - 1.0) * 100.0)).collect()
}

/// `lines` (one per run, any of them empty) overlaid on one time axis spanning them all, each decimated per pixel
/// column; a zero line under them when `zero`.
fn overlay(id: &str, label: &str, lines: &[Vec<Point>], y_label: &dyn Fn(f64) -> String, zero: bool) -> String {
    let all = || lines.iter().flatten();
    let (Some(t0), Some(t1)) = (all().map(|p| p.0).min(), all().map(|p| p.0).max()) else {
        return r#"<p class="none">No equity marks.</p>"#.into();
    };
    let floor = if zero { 0.0 } else { f64::INFINITY };
    let ceiling = if zero { 0.0 } else { f64::NEG_INFINITY };
    let (lo, hi) = all().fold((floor, ceiling), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    let frame = Frame::timed(360.0, t0, t1, (lo, hi));
    let mut out = String::new();
    frame.open(&mut out, id, label);
    frame.axes(&mut out, &frame.time_ticks(), y_label);
    if zero {
        frame.rule(&mut out, 0.0, "zero");
    }
    for (i, points) in lines.iter().enumerate() {
        let _ = write!(out, r#"<g data-run="{i}">"#);
        frame.line(&mut out, &decimate(points, frame.columns()), &line_class(i));
        out.push_str("</g>");
    }
    out.push_str("</svg>");
    out
}
