//! A sweep's results: one row per combination with the metrics ranking needs, written to and read back from
//! `results.csv` (the merge of shards reads the partial files), and ranked by the objective; and one
//! walk-forward window's choice and result, with what happened at its end.

use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

use super::spec::Objective;
use crate::error::{Error, Result};
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

use crate::model::{NANOS_PER_DAY, Timestamp};
use crate::report::{Metrics, percent};

/// What a sweep keeps of one run: the summary metrics, no curves.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SweepMetrics {
    /// Equity at the last mark.
    pub final_equity: Decimal,
    /// `final / start − 1`.
    pub total_return: f64,
    /// Compound annual growth rate.
    pub cagr: Option<f64>,
    /// Annualized Sharpe ratio.
    pub sharpe: Option<f64>,
    /// Annualized Sortino ratio.
    pub sortino: Option<f64>,
    /// CAGR / max drawdown.
    pub calmar: Option<f64>,
    /// Deepest drawdown, as a fraction.
    pub max_drawdown: f64,
    /// How long the deepest drawdown lasted (to recovery, or to the end), in days.
    pub max_drawdown_days: f64,
    /// Share of winning round trips.
    pub win_rate: Option<f64>,
    /// Gross wins / gross losses.
    pub profit_factor: Option<f64>,
    /// Share of marks with positions.
    pub exposure: f64,
    /// Closed round trips.
    pub trades: usize,
    /// Fees paid.
    pub fees: Decimal,
    /// Net PnL of the closed round trips.
    pub net_pnl: Decimal,
}

impl From<&Metrics> for SweepMetrics {
    fn from(m: &Metrics) -> Self {
        SweepMetrics {
            final_equity: m.final_equity,
            total_return: m.total_return,
            cagr: m.cagr,
            sharpe: m.sharpe,
            sortino: m.sortino,
            calmar: m.calmar,
            max_drawdown: m.max_drawdown.depth,
            max_drawdown_days: m.max_drawdown.duration_ns as f64 / NANOS_PER_DAY as f64,
            win_rate: m.win_rate,
            profit_factor: m.profit_factor,
            exposure: m.exposure,
            trades: m.trades,
            fees: m.fees,
            net_pnl: m.closed_trades_net_pnl,
        }
    }
}

/// The metric columns of `results.csv`, after `combination` and the parameters.
pub const METRIC_COLUMNS: [&str; 14] = [
    "final_equity",
    "total_return",
    "cagr",
    "sharpe",
    "sortino",
    "calmar",
    "max_drawdown",
    "max_drawdown_days",
    "win_rate",
    "profit_factor",
    "exposure",
    "trades",
    "fees",
    "net_pnl",
];

/// One combination's result.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepRow {
    /// The combination's number in the grid.
    pub number: usize,
    /// Its parameter values, in the grid's name order.
    pub values: Vec<Decimal>,
    /// What its run measured.
    pub metrics: SweepMetrics,
}

impl SweepRow {
    /// The value of `objective`, larger is better; `None` when undefined for this run.
    pub fn score(&self, objective: Objective) -> Option<f64> {
        let m = &self.metrics;
        let value = match objective {
            Objective::Sharpe => m.sharpe,
            Objective::Sortino => m.sortino,
            Objective::Calmar => m.calmar,
            Objective::TotalReturn => Some(m.total_return),
            Objective::Cagr => m.cagr,
            Objective::ProfitFactor => m.profit_factor,
            Objective::WinRate => m.win_rate,
            Objective::MaxDrawdown => Some(-m.max_drawdown),
        };
        value.filter(|v| v.is_finite())
    }
}

/// One window's choice and out-of-sample result.
#[derive(Clone, Debug, Serialize)]
pub struct WindowResult {
    /// Window number, from 0.
    pub window: usize,
    /// First bar open of the training window.
    pub train_from: Timestamp,
    /// End of the training window = start of the test window.
    pub test_from: Timestamp,
    /// End of the test window.
    pub test_to: Timestamp,
    /// The combination chosen on the training window (its number in the grid).
    pub combination: usize,
    /// Its parameters, by name.
    pub params: serde_json::Value,
    /// Its objective on the training window (in sample).
    pub train_score: Option<f64>,
    /// Its objective on the test window (out of sample).
    pub test_score: Option<f64>,
    /// Equity at the start and at the end of the test window (for `at_window_end: close`, after the closing fills).
    pub test_equity: (Decimal, Decimal),
    /// What happened to the positions open when the test window ended.
    pub end: WindowEnd,
}

/// What a walk-forward did with the positions open at the end of one test window.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct WindowEnd {
    /// Closing fills at the window's end (`at_window_end: close`).
    pub closing_fills: usize,
    /// The fees those fills paid, in the quote asset.
    pub fees: Decimal,
    /// What their prices cost against the fill model's price (the last close, or the next bar's open).
    pub slippage: Decimal,
    /// Base quantities carried into the next window, by symbol (`at_window_end: carry`).
    pub carried: std::collections::BTreeMap<String, Decimal>,
    /// Base quantities the closes at the window's end left open (refused, or capped by the bar's volume), carried
    /// into the next window, by symbol (`at_window_end: close`).
    pub unclosed: std::collections::BTreeMap<String, Decimal>,
}

/// The rows best first by `objective`; undefined scores last; ties by combination number.
pub fn rank(rows: &[SweepRow], objective: Objective) -> Vec<&SweepRow> {
    let mut ranked: Vec<&SweepRow> = rows.iter().collect();
    ranked.sort_by(|a, b| match (a.score(objective), b.score(objective)) {
        (Some(x), Some(y)) => y.total_cmp(&x).then(a.number.cmp(&b.number)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.number.cmp(&b.number),
    });
    ranked
}

/// `results.csv` text of `rows` (in the order given): `combination`, the parameters by `names`, the metrics.
/// Floats print in their shortest exact form, so the file reads back to the same values.
pub fn results_csv(names: &[String], rows: &[SweepRow]) -> String {
    let mut out = String::from("combination");
    for name in names.iter().map(String::as_str).chain(METRIC_COLUMNS) {
        out.push(',');
        out.push_str(name);
    }
    out.push('\n');
    for row in rows {
        out.push_str(&row.number.to_string());
        for value in &row.values {
            let _ = write!(out, ",{value}");
        }
        for field in metric_fields(&row.metrics) {
            out.push(',');
            out.push_str(&field);
        }
        out.push('\n');
    }
    out
}

/// The metrics' fields of a `results.csv` row, in the order of [`METRIC_COLUMNS`]: exact decimals, floats in their
/// shortest exact form, empty when undefined.
pub fn metric_fields(m: &SweepMetrics) -> [String; 14] {
    let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    [
        m.final_equity.to_string(),
        m.total_return.to_string(),
        opt(m.cagr),
        opt(m.sharpe),
        opt(m.sortino),
        opt(m.calmar),
        m.max_drawdown.to_string(),
        m.max_drawdown_days.to_string(),
        opt(m.win_rate),
        opt(m.profit_factor),
        m.exposure.to_string(),
        m.trades.to_string(),
        m.fees.to_string(),
        m.net_pnl.to_string(),
    ]
}

/// Reads a `results.csv` (or a shard's partial file) written by [`results_csv`] for parameters `names`.
///
/// # Errors
/// [`Error::Io`] when unreadable; [`Error::Data`] naming the file, line and column for anything else.
pub fn read_results(path: &Path, names: &[String]) -> Result<Vec<SweepRow>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("reading", path, e))?;
    let mut lines = text.lines();
    let expected = results_csv(names, &[]);
    if lines.next() != expected.lines().next() {
        return Err(Error::Data(format!(
            "{}: line 1: the header does not match this sweep's parameters ({})",
            path.display(),
            names.join(", ")
        )));
    }
    let mut rows = Vec::new();
    for (i, line) in lines.enumerate() {
        let at = |column: &str, why: &str| Error::Data(format!("{}: line {}: {column}: {why}", path.display(), i + 2));
        let cells: Vec<&str> = line.split(',').collect();
        if cells.len() != 1 + names.len() + METRIC_COLUMNS.len() {
            return Err(at("row", "wrong number of columns"));
        }
        let number = cells[0].parse().map_err(|_| at("combination", "not a number"))?;
        let values = names
            .iter()
            .zip(&cells[1..])
            .map(|(name, cell)| cell.parse::<Decimal>().map_err(|_| at(name, "not a number")))
            .collect::<Result<Vec<_>>>()?;
        let metric = &cells[1 + names.len()..];
        let column = |k: usize| (METRIC_COLUMNS[k], metric[k]);
        let float = |k: usize| {
            let (name, cell) = column(k);
            cell.parse::<f64>().map_err(|_| at(name, "not a number"))
        };
        let optional = |k: usize| if metric[k].is_empty() { Ok(None) } else { float(k).map(Some) };
        let decimal = |k: usize| {
            let (name, cell) = column(k);
            cell.parse::<Decimal>().map_err(|_| at(name, "not a number"))
        };
        let metrics = SweepMetrics {
            final_equity: decimal(0)?,
            total_return: float(1)?,
            cagr: optional(2)?,
            sharpe: optional(3)?,
            sortino: optional(4)?,
            calmar: optional(5)?,
            max_drawdown: float(6)?,
            max_drawdown_days: float(7)?,
            win_rate: optional(8)?,
            profit_factor: optional(9)?,
            exposure: float(10)?,
            trades: metric[11].parse().map_err(|_| at("trades", "not a number"))?,
            fees: decimal(12)?,
            net_pnl: decimal(13)?,
        };
        rows.push(SweepRow { number, values, metrics });
    }
    Ok(rows)
}

/// The table `ctb sweep` prints: `rows` (best first) with their rank, parameters, objective and key metrics.
pub fn top_table(names: &[String], objective: Objective, rows: &[SweepRow]) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    let mut header = vec!["rank".to_string(), "combination".to_string()];
    header.extend(names.iter().cloned());
    header.extend([objective.as_str(), "total return", "max drawdown", "trades", "final equity"].map(String::from));
    table.set_header(header);
    for (rank, row) in rows.iter().enumerate() {
        let m = &row.metrics;
        let mut cells = vec![(rank + 1).to_string(), row.number.to_string()];
        cells.extend(row.values.iter().map(Decimal::to_string));
        cells.push(objective.shown(row.score(objective)));
        cells.extend([
            percent(Some(m.total_return)),
            percent(Some(m.max_drawdown)),
            m.trades.to_string(),
            m.final_equity.round_dp(4).to_string(),
        ]);
        table.add_row(cells.into_iter().map(|c| Cell::new(c).set_alignment(CellAlignment::Right)));
    }
    table.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn row(number: usize, sharpe: Option<f64>) -> SweepRow {
        SweepRow {
            number,
            values: vec![Decimal::from(number), dec!(0.5)],
            metrics: SweepMetrics {
                final_equity: dec!(10123.456),
                total_return: 0.1 + number as f64 / 3.0,
                cagr: None,
                sharpe,
                sortino: Some(1.0 / 3.0),
                calmar: None,
                max_drawdown: 0.25,
                max_drawdown_days: 1.5,
                win_rate: Some(0.5),
                profit_factor: None,
                exposure: 0.125,
                trades: number,
                fees: dec!(1.25),
                net_pnl: dec!(-3.5),
            },
        }
    }

    #[test]
    fn ranking_puts_the_best_first_undefined_last_and_breaks_ties_by_number() {
        let rows = [row(0, Some(1.0)), row(1, None), row(2, Some(2.0)), row(3, Some(1.0))];
        let order: Vec<usize> = rank(&rows, Objective::Sharpe).iter().map(|r| r.number).collect();
        assert_eq!(order, [2, 0, 3, 1]);
        let by_drawdown: Vec<usize> = rank(&rows, Objective::MaxDrawdown).iter().map(|r| r.number).collect();
        assert_eq!(by_drawdown, [0, 1, 2, 3], "all equal: by number");
    }

    #[test]
    fn results_read_back_exactly() {
        let names = vec!["fast".to_string(), "x".to_string()];
        let rows = vec![row(0, Some(1.0 / 7.0)), row(5, None)];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.csv");
        std::fs::write(&path, results_csv(&names, &rows)).unwrap();
        assert_eq!(read_results(&path, &names).unwrap(), rows);
        let err = read_results(&path, &["slow".to_string(), "x".to_string()]).unwrap_err().to_string();
        assert!(err.contains("line 1") && err.contains("header"), "{err}");
    }
}
