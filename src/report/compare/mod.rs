//! `ctb report compare`: two or more backtest reports side by side. This file reads each folder (only its
//! `summary.json` and `equity.csv`), names the runs, and lays out the one metrics table the terminal and the page
//! both show; `page` writes `compare.html` with the equity curves overlaid.

mod page;

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::report::html::{RunCurve, metric_rows, read_run_curve};

pub use page::{render_compare, write_compare};

/// One run of a comparison: its folder, the name its column carries, its quote currency and its curve.
#[derive(Clone, Debug, PartialEq)]
pub struct ComparedRun {
    /// The report folder, as given.
    pub dir: PathBuf,
    /// The column heading: the scenario name, with the folder when another run has the same name.
    pub label: String,
    /// The quote currency the run's money is counted in.
    pub quote: String,
    /// Summary, start, starting equity and equity marks of the folder.
    pub(crate) curve: RunCurve,
}

impl ComparedRun {
    /// The scenario name `summary.json` records (empty when it has none).
    pub fn scenario(&self) -> &str {
        self.curve.summary.pointer("/scenario").and_then(|v| v.as_str()).unwrap_or_default()
    }
}

/// Reads the runs to compare: each folder with the quote currency its money is counted in, in the order given.
/// Columns are named by scenario name; runs sharing a name get their folder as well.
///
/// # Errors
/// [`Error::Validation`] for fewer than two folders; [`Error::Io`] when a folder's `summary.json` or `equity.csv`
/// is missing or unreadable; [`Error::Data`] naming the file (and for `equity.csv` the line and column) when one
/// does not read as a backtest writes it.
pub fn read_runs(folders: &[(PathBuf, String)]) -> Result<Vec<ComparedRun>> {
    if folders.len() < 2 {
        return Err(Error::Validation(format!(
            "a comparison needs two or more report folders, {} given",
            folders.len()
        )));
    }
    let mut runs = folders
        .iter()
        .map(|(dir, quote)| {
            Ok(ComparedRun {
                dir: dir.clone(),
                label: String::new(),
                quote: quote.clone(),
                curve: read_run_curve(dir)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let names: Vec<String> = runs.iter().map(|r| r.scenario().to_string()).collect();
    for (run, name) in runs.iter_mut().zip(&names) {
        let shared = names.iter().filter(|n| *n == name).count() > 1;
        run.label = if shared || name.is_empty() { format!("{name} ({})", run.dir.display()) } else { name.clone() };
    }
    Ok(runs)
}

/// The rows of the comparison: a label and one text per run. The folder, strategy and quote currency first, then
/// every metric of `report.html`'s table in its order (money exactly as each summary holds it, with its quote
/// currency); a metric only some runs have is blank for the others.
pub(crate) fn rows(runs: &[ComparedRun]) -> Vec<(String, Vec<String>)> {
    let text = |run: &ComparedRun, pointer: &str| {
        run.curve.summary.pointer(pointer).and_then(|v| v.as_str()).unwrap_or_default().to_string()
    };
    let mut out = vec![
        ("Folder".to_string(), runs.iter().map(|r| r.dir.display().to_string()).collect()),
        ("Strategy".to_string(), runs.iter().map(|r| text(r, "/strategy")).collect()),
        ("Quote currency".to_string(), runs.iter().map(|r| r.quote.clone()).collect()),
    ];
    let metrics: Vec<Vec<(&str, String)>> = runs.iter().map(|r| metric_rows(&r.curve.summary, &r.quote)).collect();
    // Labels in the order of the first run that has each: the fixed metrics, then the optional ones.
    let mut labels: Vec<&str> = Vec::new();
    for (label, _) in metrics.iter().flatten() {
        if !labels.contains(label) {
            labels.push(label);
        }
    }
    for label in labels {
        let cells = metrics
            .iter()
            .map(|m| m.iter().find(|(l, _)| *l == label).map(|(_, t)| t.clone()).unwrap_or_default())
            .collect();
        out.push((label.to_string(), cells));
    }
    out
}

/// The comparison as a terminal table: a column per run, a row per metric.
pub fn compare_table(runs: &[ComparedRun]) -> String {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_header(std::iter::once(Cell::new("")).chain(runs.iter().map(|r| Cell::new(&r.label))));
    for (label, cells) in rows(runs) {
        table.add_row(
            std::iter::once(Cell::new(label))
                .chain(cells.into_iter().map(|c| Cell::new(c).set_alignment(CellAlignment::Right))),
        );
    }
    table.to_string()
}

/// Whether every run counts its money in the same quote currency (so one money axis can hold them all).
pub(crate) fn one_quote(runs: &[ComparedRun]) -> Option<&str> {
    let first = runs.first()?.quote.as_str();
    runs.iter().all(|r| r.quote == first).then_some(first)
}
