//! Parameter sweeps: a scenario's `sweep:` grid (or a seeded random sample of it) run through the same engine in
//! parallel, ranked by an objective, with the best combination's full report and, for two parameters, a heatmap.
//! A sweep can be split into shards (`--shard i/n`) run by separate processes or machines; merging their partial
//! files gives exactly the `results.csv` of an unsharded run.
//!
//! Files, under `<report folder>/sweep/`: `results.csv` (one row per combination, in combination order),
//! `shard-<i>-of-<n>.csv` (a shard's rows, same layout), `best/` (the best combination's report), `heatmap.png`
//! and `heatmap.svg`, `report.html` (the heatmap and the ranking, see `html/`).

mod grid;
mod html;
mod results;
mod run;
mod spec;
mod walk_forward;
mod window_files;

use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

pub use grid::{Grid, Shard};
pub use results::{SweepMetrics, SweepRow, WindowEnd, WindowResult, rank, read_results, results_csv, top_table};
pub use run::{Sweep, combination_params};
pub use spec::{AtWindowEnd, Constraint, Objective, ParamValues, SweepSection, WalkForwardSection};

pub use walk_forward::{Span, WalkForward, WalkForwardOutcome};
pub use window_files::{WindowEnds, windows_table};

use crate::engine::{BacktestResult, BacktestSetup, MarketData, prepare_market};
use crate::error::{Error, Result};
use crate::model::{BarSeries, Timestamp};
use crate::report::html::HTML_FILE;
use crate::report::{Curve, Heatmap, Summary, draw_heatmap};
use html::{SweepPage, write_sweep_page};

/// Writes the full report of one combination (its `strategy.params`) into a folder and returns its summary: how
/// the edge that read the scenario runs it end to end.
pub type BestReport<'a> = Box<dyn Fn(&serde_json::Value, &Path) -> Result<Summary> + Sync + 'a>;

/// What a sweep takes of a scenario, as plain settings: read and checked at the edge (`runner::plan_sweep`).
pub struct SweepStudy<'a> {
    /// The scenario's name (titles).
    pub name: &'a str,
    /// The run every combination varies the strategy parameters of.
    pub setup: &'a BacktestSetup,
    /// The scenario's `sweep:` section.
    pub section: &'a SweepSection,
    /// The scenario's seed (a random sample of the grid draws with it).
    pub seed: u64,
    /// The market data, loaded.
    pub series: Vec<BarSeries>,
    /// Runs the best combination with its full report.
    pub best_report: BestReport<'a>,
}

/// A scenario's sweep with its data loaded, ready to run.
pub struct SweepPlan<'a> {
    name: &'a str,
    setup: &'a BacktestSetup,
    best_report: BestReport<'a>,
    section: &'a SweepSection,
    grid: Grid,
    market: Arc<MarketData>,
    start: Timestamp,
    interval_ns: i64,
}

/// What a finished (or merged) sweep wrote and found.
pub struct SweepOutcome {
    /// Parameter names, in column order.
    pub names: Vec<String>,
    /// The objective results were ranked by.
    pub objective: Objective,
    /// The best combinations, best first (as many as the section's `top`).
    pub top: Vec<SweepRow>,
    /// Combinations that ran (all of them unless interrupted or sharded).
    pub finished: usize,
    /// Combinations of the grid.
    pub total: usize,
    /// The best combination's report summary, when the full results were written.
    pub best: Option<Summary>,
    /// Files written, in the order written.
    pub files: Vec<PathBuf>,
}

impl SweepOutcome {
    /// The outcome as JSON (what `ctb sweep --json` prints), keys in a fixed order: the objective, the counts,
    /// which shard ran and whether a stop cut it short, the parameter names, the best combinations best first —
    /// each with its number, parameters by name, score and metrics — the best combination's summary (as its
    /// `summary.json` holds it) and the files written. Undefined or non-finite numbers are `null`.
    ///
    /// # Errors
    /// [`Error::Data`] when it cannot be encoded.
    pub fn to_json(&self, shard: Shard, interrupted: bool) -> Result<String> {
        let top = self
            .top
            .iter()
            .map(|row| TopJson {
                combination: row.number,
                params: self.names.iter().map(String::as_str).zip(row.values.iter().map(Decimal::to_string)).collect(),
                score: row.score(self.objective),
                metrics: &row.metrics,
            })
            .collect();
        let json = OutcomeJson {
            objective: self.objective.as_str(),
            combinations: self.total,
            finished: self.finished,
            shard: ShardJson { index: shard.index, count: shard.count },
            interrupted,
            parameters: &self.names,
            top,
            best: self.best.as_ref(),
            files: self.files.iter().map(|f| f.display().to_string()).collect(),
        };
        let text = serde_json::to_string_pretty(&json).map_err(|e| Error::Data(format!("encoding the sweep: {e}")))?;
        Ok(text + "\n")
    }
}

/// [`SweepOutcome::to_json`]'s document, fields in print order.
#[derive(Serialize)]
struct OutcomeJson<'a> {
    objective: &'a str,
    combinations: usize,
    finished: usize,
    shard: ShardJson,
    interrupted: bool,
    parameters: &'a [String],
    top: Vec<TopJson<'a>>,
    best: Option<&'a Summary>,
    files: Vec<String>,
}

/// Which shard of how many ran (0 of 1: the whole grid).
#[derive(Serialize)]
struct ShardJson {
    index: usize,
    count: usize,
}

/// One of the best combinations.
#[derive(Serialize)]
struct TopJson<'a> {
    combination: usize,
    /// Parameter values by name (names sort as the grid orders them).
    params: BTreeMap<&'a str, String>,
    score: Option<f64>,
    metrics: &'a SweepMetrics,
}

impl<'a> SweepPlan<'a> {
    /// Expands the grid, loads and checks the data, and checks that the strategy accepts every combination.
    ///
    /// # Errors
    /// [`Error::Config`] when a combination is refused or the data does not fit the setup; [`Error::Data`]
    /// without bars.
    pub fn prepare(study: SweepStudy<'a>) -> Result<Self> {
        let SweepStudy { name, setup, section, seed, series, best_report } = study;
        let grid = Grid::expand(section, seed)?;
        let market = Arc::new(prepare_market(setup, series)?);
        let (start, _, interval_ns) = market.span().ok_or_else(|| Error::Data("no bars".into()))?;
        let plan = SweepPlan { name, setup, best_report, section, grid, market, start, interval_ns };
        plan.sweep().check()?;
        Ok(plan)
    }

    /// The combinations.
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    fn sweep(&self) -> Sweep<'_> {
        Sweep {
            setup: self.setup,
            market: self.market.clone(),
            grid: &self.grid,
            start: self.start,
            interval_ns: self.interval_ns,
        }
    }

    /// Runs the combinations of `shard` (calling `progress` after each; none starts once `stop` is set) and writes
    /// the results under `out_dir/sweep/`: for the whole sweep `results.csv`, the best combination's report and the
    /// heatmap; for one shard of several, its partial file only.
    ///
    /// # Errors
    /// A failing run, naming its combination; [`Error::Io`] when a file cannot be written.
    pub fn run(
        &self,
        out_dir: &Path,
        shard: Shard,
        stop: &AtomicBool,
        progress: &(dyn Fn() + Sync),
    ) -> Result<SweepOutcome> {
        let rows = self.sweep().run(shard, stop, progress)?;
        let dir = sweep_dir(out_dir)?;
        if shard.count > 1 {
            let path = dir.join(format!("shard-{}-of-{}.csv", shard.index, shard.count));
            write(&path, &results_csv(&self.grid.names, &rows))?;
            return Ok(self.outcome(&rows, None, vec![path]));
        }
        self.finish(&dir, rows)
    }

    /// Runs every combination (calling `progress` after each; none starts once `stop` is set) and writes nothing:
    /// each finished combination's row with what `keep` takes of its run, in combination order. For studies of the
    /// sweep as a whole, such as `ctb robust`'s deflated Sharpe ratio and probability of backtest overfitting.
    ///
    /// # Errors
    /// A failing run, naming its combination.
    pub fn run_keeping<T: Send>(
        &self,
        stop: &AtomicBool,
        progress: &(dyn Fn() + Sync),
        keep: &(dyn Fn(&BacktestResult, &Curve<'_>) -> T + Sync),
    ) -> Result<Vec<(SweepRow, T)>> {
        self.sweep().run_keeping(Shard::ALL, stop, progress, keep)
    }

    /// Combines the shard files under `out_dir/sweep/` into `results.csv` (the same bytes an unsharded run writes)
    /// and writes the best combination's report and the heatmap.
    ///
    /// # Errors
    /// [`Error::Data`] when shards are missing, disagree on their count, or do not hold every combination once.
    pub fn merge(&self, out_dir: &Path) -> Result<SweepOutcome> {
        let dir = sweep_dir(out_dir)?;
        let shards = shard_files(&dir)?;
        let mut rows = Vec::new();
        for path in &shards {
            rows.extend(read_results(path, &self.grid.names)?);
        }
        rows.sort_by_key(|r| r.number);
        let complete = rows.len() == self.grid.combinations.len()
            && rows.iter().enumerate().all(|(i, r)| r.number == i && r.values == self.grid.combinations[i]);
        if !complete {
            let missing: Vec<String> = (0..self.grid.combinations.len())
                .filter(|n| rows.binary_search_by_key(n, |r| r.number).is_err())
                .take(10)
                .map(|n| n.to_string())
                .collect();
            return Err(Error::Data(format!(
                "{}: the shards hold {} rows for {} combinations (missing: {}); were they made from this scenario?",
                dir.display(),
                rows.len(),
                self.grid.combinations.len(),
                if missing.is_empty() { "none, but numbers or values differ".into() } else { missing.join(", ") }
            )));
        }
        self.finish(&dir, rows)
    }

    /// Writes `results.csv`, the best combination's report, the heatmap and `report.html` for `rows` (in
    /// combination order).
    fn finish(&self, dir: &Path, rows: Vec<SweepRow>) -> Result<SweepOutcome> {
        let results = dir.join("results.csv");
        write(&results, &results_csv(&self.grid.names, &rows))?;
        let mut files = vec![results];
        let best_row = rank(&rows, self.section.objective).first().map(|r| (*r).clone());
        let (mut best, mut kept) = (None, Vec::new());
        if let Some(row) = best_row {
            let params = combination_params(&self.setup.params, &self.grid.names, &row.values);
            let best_dir = dir.join("best");
            best = Some((self.best_report)(&params, &best_dir)?);
            files.push(best_dir);
            kept.push((row.number, format!("best/{HTML_FILE}")));
        }
        if let Some(map) = self.heatmap(&rows) {
            let path = dir.join("heatmap.png");
            draw_heatmap(&path, &map)?;
            let svg = path.with_extension("svg");
            files.extend([path, svg]);
        }
        let page = SweepPage { name: self.name, section: self.section, grid: &self.grid, rows: &rows, kept: &kept };
        write_sweep_page(dir, &page)?;
        files.push(dir.join(HTML_FILE));
        Ok(self.outcome(&rows, best, files))
    }

    /// The heatmap of a two-parameter sweep: the objective of each combination that has one.
    fn heatmap(&self, rows: &[SweepRow]) -> Option<Heatmap<'_>> {
        let [x_name, y_name] = &self.grid.names[..] else { return None };
        let axis = |k: usize| {
            let mut values: Vec<_> = self.grid.combinations.iter().map(|c| c[k]).collect();
            values.sort();
            values.dedup();
            values
        };
        let (xs, ys) = (axis(0), axis(1));
        let objective = self.section.objective;
        let cells = rows
            .iter()
            .filter_map(|r| {
                let score = r.score(objective)?;
                let value = if objective == Objective::MaxDrawdown { -score } else { score };
                Some((xs.binary_search(&r.values[0]).ok()?, ys.binary_search(&r.values[1]).ok()?, value))
            })
            .collect();
        let labels = |values: Vec<rust_decimal::Decimal>| values.iter().map(|v| v.to_string()).collect();
        Some(Heatmap {
            title: self.name,
            x: (x_name, labels(xs)),
            y: (y_name, labels(ys)),
            objective: objective.as_str(),
            cells,
            larger_is_better: objective != Objective::MaxDrawdown,
        })
    }

    fn outcome(&self, rows: &[SweepRow], best: Option<Summary>, files: Vec<PathBuf>) -> SweepOutcome {
        let top = rank(rows, self.section.objective).into_iter().take(self.section.top).cloned().collect();
        SweepOutcome {
            names: self.grid.names.clone(),
            objective: self.section.objective,
            top,
            finished: rows.len(),
            total: self.grid.combinations.len(),
            best,
            files,
        }
    }
}

/// `out_dir/sweep`, created.
fn sweep_dir(out_dir: &Path) -> Result<PathBuf> {
    let dir = out_dir.join("sweep");
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("creating", &dir, e))?;
    Ok(dir)
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Error::io("writing", path, e))
}

/// The `shard-<i>-of-<n>.csv` files in `dir`, by shard index, checked to be all `n` shards of one split.
fn shard_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io("reading", dir, e))?;
    let mut found: Vec<(usize, usize, PathBuf)> = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| Error::io("reading", dir, e))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let parsed = name
            .strip_prefix("shard-")
            .and_then(|rest| rest.strip_suffix(".csv"))
            .and_then(|rest| rest.split_once("-of-"))
            .and_then(|(i, n)| Some((i.parse().ok()?, n.parse().ok()?)));
        if let Some((index, count)) = parsed {
            found.push((count, index, path));
        }
    }
    found.sort();
    let Some(&(count, _, _)) = found.first() else {
        return Err(Error::Data(format!("{}: no shard-<i>-of-<n>.csv files to merge", dir.display())));
    };
    let indices: Vec<usize> = found.iter().map(|(n, i, _)| if *n == count { *i } else { usize::MAX }).collect();
    if indices != (0..count).collect::<Vec<_>>() {
        return Err(Error::Data(format!(
            "{}: expected shard-0-of-{count}.csv … shard-{}-of-{count}.csv, found {}",
            dir.display(),
            count - 1,
            found.iter().map(|(n, i, _)| format!("{i}/{n}")).collect::<Vec<_>>().join(", ")
        )));
    }
    Ok(found.into_iter().map(|(_, _, path)| path).collect())
}
