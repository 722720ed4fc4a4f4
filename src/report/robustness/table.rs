//! The tables of a robustness report — the distributions (5/50/95 %), the probabilities, the cost rows — as plain
//! text cells ([`robust_tables`]), which `ctb robust` prints in the terminal ([`robust_table`]) and `report.html`
//! shows in its robustness section.

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

use super::{RobustReport, Section, show_params};
use crate::report::robust::Percentiles;
use crate::report::{percent, ratio};

/// A table as text cells: a header and rows; every column but the first holds numbers (aligned right).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextTable {
    /// Column headings.
    pub header: Vec<String>,
    /// Rows of cells (a row may be shorter than the header: a reason spanning the rest).
    pub rows: Vec<Vec<String>>,
}

/// A table of `header` and `rows`.
fn table(header: Vec<String>, rows: Vec<Vec<String>>) -> TextTable {
    TextTable { header, rows }
}

/// `table` drawn for the terminal, every column but the first aligned right.
fn terminal(table: &TextTable) -> String {
    let mut out = Table::new();
    out.load_preset(UTF8_FULL_CONDENSED).set_header(cells(table.header.clone()));
    for row in &table.rows {
        out.add_row(cells(row.clone()));
    }
    out.to_string()
}

/// The cells of a row: the first as it is, the others aligned right.
fn cells(row: Vec<String>) -> Vec<Cell> {
    let mut cells = row.into_iter();
    let first = cells.next().map(Cell::new);
    first.into_iter().chain(cells.map(|c| Cell::new(c).set_alignment(CellAlignment::Right))).collect()
}

/// A row of `name` and the three percentiles of `p`, each shown by `show`.
fn percentile_row(name: String, p: &Percentiles, show: impl Fn(f64) -> String) -> Vec<String> {
    vec![name, show(p.p5), show(p.p50), show(p.p95)]
}

/// A row saying why `what` is not there.
fn unavailable(what: &str, why: &str) -> Vec<String> {
    vec![format!("{what}: unavailable"), why.to_string()]
}

/// An amount of money, to the cent.
fn money(value: f64) -> String {
    format!("{value:.2}")
}

/// The percent figure of a drawdown already in percent.
fn pct(value: f64) -> String {
    format!("{value:.2} %")
}

/// The 5/50/95 % table of the Monte Carlo and the bootstrap.
fn distributions(report: &RobustReport, quote: &str) -> TextTable {
    let mut rows = Vec::new();
    match &report.monte_carlo {
        Section::Computed(mc) => {
            let what = format!("Monte Carlo of {} trades", mc.trades);
            rows.push(percentile_row(format!("{what}: final equity ({quote})"), &mc.final_equity, money));
            rows.push(percentile_row(format!("{what}: max drawdown"), &mc.max_drawdown_pct, pct));
        }
        Section::Unavailable { unavailable: why } => rows.push(unavailable("Monte Carlo of the trades", why)),
    }
    match &report.bootstrap {
        Section::Computed(b) => {
            let s = &b.statistics;
            let what = format!("Bootstrap of {} bars, blocks of {}", s.periods, b.block_length);
            rows.push(percentile_row(format!("{what}: total return"), &s.total_return, |v| percent(Some(v))));
            match &s.sharpe {
                Some(sharpe) => rows.push(percentile_row(format!("{what}: Sharpe"), sharpe, |v| ratio(Some(v)))),
                None => rows.push(unavailable(&format!("{what}: Sharpe"), "no resample has variance")),
            }
            rows.push(percentile_row(format!("{what}: max drawdown"), &s.max_drawdown_pct, pct));
        }
        Section::Unavailable { unavailable: why } => rows.push(unavailable("Bootstrap of the bar returns", why)),
    }
    let title = format!("{} — seed {}, {} resamples", report.scenario, report.seed, report.resamples);
    table(vec![title, "5 %".into(), "50 %".into(), "95 %".into()], rows)
}

/// The probabilities: of a loss (Monte Carlo), PSR, DSR (of the backtest and of the sweep's best) and PBO.
fn probabilities(report: &RobustReport) -> TextTable {
    let annual = report.periods_per_year.sqrt();
    let mut rows = Vec::new();
    if let Some(mc) = report.monte_carlo.computed() {
        let what = "Monte Carlo: final equity below the start".to_string();
        rows.push(vec![what, percent(Some(mc.probability_below_start))]);
    }
    match &report.probabilistic_sharpe {
        Section::Computed(psr) => rows.push(vec![
            format!("PSR: true Sharpe above 0 (Sharpe {:.3} over {} bars)", psr.sharpe * annual, psr.periods),
            percent(Some(psr.probability)),
        ]),
        Section::Unavailable { unavailable: why } => rows.push(unavailable("PSR", why)),
    }
    if let Some(sweep) = &report.sweep {
        match &sweep.deflated_sharpe {
            Section::Computed(dsr) => rows.push(vec![
                format!(
                    "DSR of the backtest: true Sharpe above {:.3}, the expected best of {} trials by luck",
                    dsr.psr.benchmark_sharpe * annual,
                    dsr.trials
                ),
                percent(Some(dsr.psr.probability)),
            ]),
            Section::Unavailable { unavailable: why } => rows.push(unavailable("DSR of the backtest", why)),
        }
        let best = &sweep.best;
        let what = format!("DSR of the best by {} ({})", best.objective, show_params(&best.params));
        match &best.deflated_sharpe {
            Section::Computed(dsr) => rows.push(vec![
                format!("{what}: Sharpe {:.3} above {:.3}", dsr.psr.sharpe * annual, dsr.psr.benchmark_sharpe * annual),
                percent(Some(dsr.psr.probability)),
            ]),
            Section::Unavailable { unavailable: why } => rows.push(unavailable(&what, why)),
        }
        match &sweep.pbo {
            Section::Computed(pbo) => rows.push(vec![
                format!(
                    "PBO: {} combinations, {} days in {} blocks, {} splits",
                    pbo.combinations, pbo.periods, pbo.blocks, pbo.splits
                ),
                percent(Some(pbo.pbo)),
            ]),
            Section::Unavailable { unavailable: why } => rows.push(unavailable("PBO", why)),
        }
    }
    table(vec!["Probability".into(), String::new()], rows)
}

/// The cost sensitivity rows.
fn costs(report: &RobustReport, quote: &str) -> TextTable {
    let rows = report
        .costs
        .iter()
        .map(|row| {
            vec![
                format!("×{}", row.multiplier),
                format!("{} {quote}", row.final_equity.round_dp(4)),
                percent(Some(row.total_return)),
                ratio(row.sharpe),
                row.trades.to_string(),
                format!("{} {quote}", row.fees.round_dp(4)),
            ]
        })
        .collect();
    let header = ["Fees and slippage", "Final equity", "Total return", "Sharpe", "Trades", "Fees"];
    table(header.map(String::from).to_vec(), rows)
}

/// The tables of `report`, money in `quote`: the distributions, the probabilities, the cost rows.
pub fn robust_tables(report: &RobustReport, quote: &str) -> Vec<TextTable> {
    vec![distributions(report, quote), probabilities(report), costs(report, quote)]
}

/// The terminal summary of `report`, money in `quote`.
pub fn robust_table(report: &RobustReport, quote: &str) -> String {
    robust_tables(report, quote).iter().map(terminal).collect::<Vec<_>>().join("\n")
}
