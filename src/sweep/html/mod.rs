//! The sweep's pages, self-contained like a backtest's `report.html` (inline SVG, CSS and script under the same
//! no-request policy, same sweep → same bytes): `sweep/report.html` with the objective over the parameters (a
//! heatmap for two, a bar chart for one) and the ranking of every combination, and `walk_forward/report.html`
//! (see `walk_forward.rs`). This file assembles the sweep page and writes the tables both pages share; `chart.rs`
//! draws the objective's chart, `tables.rs` the table cells both pages share.

mod chart;
mod tables;
mod walk_forward;

use rust_decimal::Decimal;
use std::fmt::Write;
use std::path::Path;

use super::grid::Grid;
use super::results::{SweepRow, metric_fields, rank};
use super::spec::{Objective, SweepSection};
use crate::error::{Error, Result};
use crate::report::html::svg::esc;
use crate::report::html::{HTML_FILE, page_start, section};
use chart::Combination;
use tables::{METRIC_HEADINGS, cell, heading, metric_cells, metric_headings, objective_column, shown};

pub use walk_forward::{WalkForwardPage, WindowCurves, write_walk_forward_page};

/// Combinations the page draws one by one (a heatmap cell or bar with its tooltip, about 1 KB each); a larger grid
/// gets no chart on the page (`heatmap.png` and `results.csv` hold every combination), so the page stays small.
const MAX_DRAWN: usize = 10_000;

/// Rows of the ranking table at most, best first; `results.csv` holds every row.
const MAX_RANKED_ROWS: usize = 1_000;

/// What `sweep/report.html` shows.
pub struct SweepPage<'a> {
    /// The scenario's name.
    pub name: &'a str,
    /// The scenario's `sweep:` section (objective, constraints, sampling).
    pub section: &'a SweepSection,
    /// Every combination of the sweep.
    pub grid: &'a Grid,
    /// The finished combinations' results, in combination order.
    pub rows: &'a [SweepRow],
    /// Combinations whose full run is kept, with the relative link of its `report.html`.
    pub kept: &'a [(usize, String)],
}

/// Writes `report.html` of `page` into `dir` (the sweep folder).
///
/// # Errors
/// [`Error::Io`] when the file cannot be written.
pub fn write_sweep_page(dir: &Path, page: &SweepPage<'_>) -> Result<()> {
    let path = dir.join(HTML_FILE);
    std::fs::write(&path, render(page)).map_err(|e| Error::io("writing", &path, e))
}

/// The sweep page of `page`.
fn render(page: &SweepPage<'_>) -> String {
    let (names, objective) = (&page.grid.names, page.section.objective);
    let ranked = rank(page.rows, objective);
    let link = |n: usize| kept_link(page.kept, n);
    let mut out = String::with_capacity(32 * 1024 + page.rows.len() * 1024);
    let title = format!("{} — parameter sweep", page.name);
    page_start(&mut out, &title, include_str!("sweep.css"));
    let distinct: Vec<String> = (0..names.len())
        .map(|k| {
            let mut values: Vec<Decimal> = page.grid.combinations.iter().map(|c| c[k]).collect();
            values.sort();
            values.dedup();
            format!("{} ({} values)", names[k], values.len())
        })
        .collect();
    let mut grid = format!("{} combinations of {}", page.grid.combinations.len(), distinct.join(" × "));
    if !page.section.constraints.is_empty() {
        let _ = write!(grid, " meeting {}", page.section.constraints.join(", "));
    }
    if let Some(samples) = page.section.samples {
        let _ = write!(grid, ", a seeded random sample of {samples}");
    }
    let _ = write!(
        out,
        r#"<header><h1>{}</h1><p>objective <b>{}</b> ({}) · grid: {} · finished <b>{}</b> of {}"#,
        esc(&title),
        objective.as_str(),
        if objective == Objective::MaxDrawdown { "smaller is better" } else { "larger is better" },
        esc(&grid),
        page.rows.len(),
        page.grid.combinations.len(),
    );
    match ranked.first() {
        Some(best) if best.score(objective).is_some() => {
            let _ = write!(out, " · best: combination {} ({})", best.number, esc(&page.grid.describe(&best.values)));
            if let Some(href) = link(best.number) {
                let _ = write!(out, r#" — <a href="{}">its full report</a>"#, esc(href));
            }
        }
        Some(_) => out.push_str(" · no combination has a defined objective"),
        None => {}
    }
    out.push_str("</p></header><main>");

    if page.grid.combinations.len() > MAX_DRAWN {
        let body = format!(
            r#"<p class="none">The grid has {} combinations, more than the {MAX_DRAWN} this page draws one by one: heatmap.png (for two parameters) and results.csv hold them all.</p>"#,
            page.grid.combinations.len()
        );
        section(&mut out, "objective-section", "Objective", "", &body);
    } else {
        objective_section(&mut out, page, &ranked);
    }

    let how_many = if page.rows.len() > MAX_RANKED_ROWS {
        format!("the best {MAX_RANKED_ROWS} of {} finished combinations (results.csv holds them all)", page.rows.len())
    } else {
        format!("{} finished combinations", page.rows.len())
    };
    let legend = format!(
        "{how_many}, best first by {} (ties to the lower combination number, undefined last); click a heading to sort; rows of kept runs are shaded and link to their report",
        objective.as_str()
    );
    let shown = &ranked[..ranked.len().min(MAX_RANKED_ROWS)];
    section(&mut out, "ranking-section", "Ranking", &legend, &ranking_table(page, shown));
    let _ =
        write!(out, r#"</main><div id="tip" hidden></div><script>{}</script></body></html>"#, include_str!("sweep.js"));
    out.push('\n');
    out
}

/// The link to the kept run of combination `number`, if its run is kept.
fn kept_link(kept: &[(usize, String)], number: usize) -> Option<&str> {
    kept.iter().find(|k| k.0 == number).map(|k| k.1.as_str())
}

/// The chart of the objective over the parameters, each combination with its tooltip (at most [`MAX_DRAWN`]).
fn objective_section(out: &mut String, page: &SweepPage<'_>, ranked: &[&SweepRow]) {
    let (names, objective) = (&page.grid.names, page.section.objective);
    let link = |n: usize| kept_link(page.kept, n);
    let column = objective_column(objective);
    let by_number: Vec<Option<&SweepRow>> = {
        let mut found = vec![None; page.grid.combinations.len()];
        for row in page.rows {
            if let Some(slot) = found.get_mut(row.number) {
                *slot = Some(row);
            }
        }
        found
    };
    let mut rank_of = vec![None; page.grid.combinations.len()];
    for (r, row) in ranked.iter().enumerate() {
        if let Some(slot) = rank_of.get_mut(row.number) {
            *slot = Some(r + 1);
        }
    }
    let combinations: Vec<Combination<'_>> = page
        .grid
        .combinations
        .iter()
        .enumerate()
        .map(|(number, values)| {
            let row = by_number[number];
            let fields = row.map(|r| metric_fields(&r.metrics));
            let mut tip = format!("combination {number}: {}", page.grid.describe(values));
            match (&fields, rank_of[number]) {
                (Some(fields), Some(r)) => {
                    let _ = write!(tip, "\nrank {r} of {}", page.rows.len());
                    for (field, (title, how)) in fields.iter().zip(METRIC_HEADINGS) {
                        let _ = write!(tip, "\n{title}: {}", shown(field, how));
                    }
                }
                _ => tip.push_str("\nnot run (the sweep was stopped before it)"),
            }
            if link(number).is_some() {
                tip.push_str("\nits run is kept: click to open its report");
            }
            Combination {
                number,
                values,
                score: row.and_then(|r| r.score(objective)),
                raw: fields.map(|f| f[column].clone()),
                link: link(number),
                tip,
            }
        })
        .collect();
    let kept: Vec<String> = page.kept.iter().map(|(n, href)| format!("combination {n} ({href})")).collect();
    let kept = if kept.is_empty() { "no run is kept".to_string() } else { format!("kept: {}", kept.join(", ")) };
    let (title, legend, body) = chart::objective_chart(names, objective, &combinations);
    let find = if page.rows.len() > MAX_RANKED_ROWS {
        format!("click it to find its row below (the ranking lists the best {MAX_RANKED_ROWS})")
    } else {
        "click it to find its row below".to_string()
    };
    let legend = format!(
        "{legend}; hover a cell for its parameters and metrics, {find}; {kept}, outlined in black — click to open its report"
    );
    section(out, "objective-section", &title, &legend, &body);
}

/// The ranking table: every row of `ranked` (best first) with its rank, number, parameters and metrics; each cell
/// sorts by the exact field of `results.csv`.
fn ranking_table(page: &SweepPage<'_>, ranked: &[&SweepRow]) -> String {
    let objective = page.section.objective;
    let mut out = String::from(r#"<table id="ranking" class="trades sortable"><thead><tr>"#);
    heading(&mut out, "Rank", false, false);
    heading(&mut out, "Combination", false, false);
    for name in &page.grid.names {
        heading(&mut out, name, false, false);
    }
    metric_headings(&mut out, objective);
    out.push_str("</tr></thead><tbody>");
    for (r, row) in ranked.iter().enumerate() {
        let kept = kept_link(page.kept, row.number);
        let class = if kept.is_some() { r#" class="kept""# } else { "" };
        let _ = write!(out, r#"<tr id="combination-{n}"{class} data-n="{n}">"#, n = row.number);
        let r = (r + 1).to_string();
        cell(&mut out, &r, &r, false);
        match kept {
            Some(href) => {
                let _ = write!(out, r#"<td data-v="{n}"><a href="{}">{n}</a></td>"#, esc(href), n = row.number);
            }
            None => cell(&mut out, &row.number.to_string(), &row.number.to_string(), false),
        }
        for value in &row.values {
            cell(&mut out, &value.to_string(), &value.to_string(), false);
        }
        metric_cells(&mut out, &row.metrics, objective);
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::SweepMetrics;
    use rust_decimal::dec;
    use std::collections::BTreeMap;

    fn section(objective: Objective) -> SweepSection {
        SweepSection {
            params: BTreeMap::new(),
            constraints: Vec::new(),
            samples: None,
            objective,
            top: 10,
            walk_forward: Default::default(),
        }
    }

    fn row(number: usize, values: &[Decimal], sharpe: Option<f64>) -> SweepRow {
        SweepRow {
            number,
            values: values.to_vec(),
            metrics: SweepMetrics {
                final_equity: dec!(10100.5),
                total_return: 0.01005,
                cagr: None,
                sharpe,
                sortino: None,
                calmar: None,
                max_drawdown: 0.02,
                max_drawdown_days: 1.25,
                win_rate: Some(0.5),
                profit_factor: None,
                exposure: 0.5,
                trades: 3,
                fees: dec!(1.5),
                net_pnl: dec!(100.5),
            },
        }
    }

    #[test]
    fn every_combination_is_a_cell_whether_scored_undefined_or_not_run() {
        let combinations = vec![vec![dec!(1), dec!(10)], vec![dec!(1), dec!(20)], vec![dec!(2), dec!(10)]];
        let grid = Grid { names: vec!["a".into(), "b".into()], combinations };
        let rows = [row(0, &[dec!(1), dec!(10)], Some(0.5)), row(2, &[dec!(2), dec!(10)], None)];
        let kept = [(0, "best/report.html".to_string())];
        let section = section(Objective::Sharpe);
        let html = render(&SweepPage { name: "t<1>", section: &section, grid: &grid, rows: &rows, kept: &kept });
        assert_eq!(html.matches(r#"<rect class="cell"#).count(), 3, "2 × 2 less the pair not in the grid");
        assert!(html.contains(r#"<a href="best/report.html"><rect class="cell kept" data-n="0" data-value="0.5""#));
        assert!(html.contains(r#"<rect class="cell missing" data-n="1" x="#), "not run: no value");
        assert!(html.contains(r#"<rect class="cell undefined" data-n="2" data-value="" x="#));
        assert!(
            html.contains("finished <b>2</b> of 3") && html.contains("<title>t&lt;1&gt; — parameter sweep</title>")
        );
        let ranking = &html[html.find(r#"<table id="ranking""#).unwrap()..];
        let order: Vec<_> = ranking
            .match_indices("<tr id=\"combination-")
            .map(|(i, m)| &ranking[i + m.len()..i + m.len() + 1])
            .collect();
        assert_eq!(order, ["0", "2"], "the undefined score ranks last; the unrun combination has no row");
    }

    #[test]
    fn a_grid_larger_than_the_page_draws_has_no_chart_and_only_the_best_rows() {
        let n = MAX_DRAWN + 1;
        let combinations: Vec<Vec<Decimal>> = (0..n).map(|i| vec![Decimal::from(i % 101), Decimal::from(i)]).collect();
        let grid = Grid { names: vec!["a".into(), "b".into()], combinations };
        let rows: Vec<SweepRow> = (0..n).map(|i| row(i, &grid.combinations[i], Some(i as f64 / n as f64))).collect();
        let section = section(Objective::Sharpe);
        let html = render(&SweepPage { name: "big", section: &section, grid: &grid, rows: &rows, kept: &[] });
        assert_eq!(html.matches(r#"<rect class="cell"#).count(), 0, "no cell drawn");
        assert!(html.contains(&format!("The grid has {n} combinations, more than the {MAX_DRAWN} this page draws")));
        assert_eq!(html.matches("<tr id=\"combination-").count(), MAX_RANKED_ROWS);
        let best = format!("<tr id=\"combination-{}\"", n - 1);
        assert!(html.contains(&best), "the best (the largest Sharpe) is among the rows");
        assert!(html.contains(&format!("the best {MAX_RANKED_ROWS} of {n} finished combinations")));
        assert!(html.len() < 3 << 20, "{} bytes", html.len());
    }

    #[test]
    fn a_grid_the_page_draws_but_longer_than_the_ranking_says_which_rows_it_lists() {
        let n = MAX_RANKED_ROWS + 500;
        let combinations: Vec<Vec<Decimal>> = (0..n).map(|i| vec![Decimal::from(i % 50), Decimal::from(i)]).collect();
        let grid = Grid { names: vec!["a".into(), "b".into()], combinations };
        let rows: Vec<SweepRow> = (0..n).map(|i| row(i, &grid.combinations[i], Some(i as f64))).collect();
        let section = section(Objective::Sharpe);
        let html = render(&SweepPage { name: "mid", section: &section, grid: &grid, rows: &rows, kept: &[] });
        assert_eq!(html.matches(r#"<rect class="cell"#).count(), n, "every combination is drawn");
        assert_eq!(html.matches("<tr id=\"combination-").count(), MAX_RANKED_ROWS);
        assert!(html.contains(&format!("(the ranking lists the best {MAX_RANKED_ROWS})")));
        assert!(html.contains(&format!("the best {MAX_RANKED_ROWS} of {n} finished combinations")));
    }

    #[test]
    fn a_sweep_without_a_defined_objective_names_no_best() {
        let grid = Grid { names: vec!["a".into()], combinations: vec![vec![dec!(1)], vec![dec!(2)]] };
        let rows = [row(0, &[dec!(1)], None), row(1, &[dec!(2)], None)];
        let section = section(Objective::Sharpe);
        let html = render(&SweepPage { name: "t", section: &section, grid: &grid, rows: &rows, kept: &[] });
        assert!(html.contains("no combination has a defined objective") && !html.contains("best: combination"));
    }

    #[test]
    fn three_parameters_get_no_heatmap_but_every_row() {
        let grid = Grid {
            names: vec!["a".into(), "b".into(), "c".into()],
            combinations: vec![vec![dec!(1); 3], vec![dec!(2); 3]],
        };
        let rows = [row(0, &[dec!(1); 3], Some(1.0)), row(1, &[dec!(2); 3], Some(2.0))];
        let section = section(Objective::MaxDrawdown);
        let html = render(&SweepPage { name: "t", section: &section, grid: &grid, rows: &rows, kept: &[] });
        assert!(html.contains("A heatmap shows one or two parameters; this sweep has 3 (a, b, c)"));
        assert!(!html.contains(r#"class="cell"#) && html.contains("no run is kept"));
        assert!(html.contains("objective <b>max_drawdown</b> (smaller is better)"));
        assert_eq!(html.matches("<tr id=\"combination-").count(), 2);
    }
}
