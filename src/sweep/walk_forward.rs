//! Walk-forward analysis: the sweep is run on a training window, its best combination then trades the test window
//! that follows, and the windows roll forward by the test length. The test windows' equity is stitched into one
//! out-of-sample curve: each test run starts from what the previous one ended with, its strategy warmed up on the
//! training window's bars — it sees them but does not trade on them.
//!
//! A position still open when a test window ends (but the last, which ends with the data, as any backtest does) is,
//! as the scenario's `sweep.walk_forward.at_window_end` says, either closed through the simulated venue (`close`,
//! the default: working orders canceled, a market order filled by the fill model — at the window's last close or
//! at the next bar's open — paying its slippage and taker fee; the round trip is kept, and the next window starts
//! flat from the cash left), or carried (`carry`: the next window starts from the cash and positions, with their
//! average prices and open round trips, and its first mark continues from the previous window's last). What a close
//! leaves open (refused by the venue, or capped by the bar's volume) is carried as under `carry` and reported as
//! unclosed, never turned into cash for free. Each venue starts a window holding what it held at the end of the
//! window before. Under the `close` fill model, a window after the first trades from the first bar close after its
//! test start: the decision on the close at that instant filled in the window before.
//!
//! Windows, with `T` the training and `S` the test length: window k trains on `[t0 + kS, t0 + kS + T)` and tests on
//! `[t0 + kS + T, t0 + kS + T + S)`, the last test window cut at the end of the data. A window only ever sees bars
//! that open inside it, so no test bar is used for training.

use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::grid::Shard;
use super::html::{WalkForwardPage, WindowCurves, write_walk_forward_page};
use super::results::{SweepMetrics, SweepRow, WindowEnd, WindowResult, rank};
use super::run::{Sweep, combination_params};
use super::spec::AtWindowEnd;
use super::window_files::{WindowEnds, fills_csv, windows_csv};
use super::{SweepPlan, write};
use crate::engine::{
    BacktestResult, BacktestSetup, Carried, CashChange, FillRecord, RunLog, WindowPlan, run_prepared,
    run_prepared_window,
};
use crate::error::{Error, Result};
use crate::model::exact::to_f64;
use crate::model::{NANOS_PER_DAY, Timestamp};
use crate::report::html::Point;
use crate::report::{
    Chart, ChartStyle, Curve, Metrics, compute_metrics, draw_chart, exposed_marks, run_metrics, write_equity,
    write_trades,
};
use crate::venue::sim::FillModel;

/// A window length: a number of bars, or a duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Span {
    /// This many bars of the data's interval.
    Bars(u64),
    /// Nanoseconds.
    Duration(i64),
}

impl Span {
    fn parse(text: &str) -> Option<Span> {
        if let Ok(bars) = text.parse::<u64>() {
            return (bars > 0).then_some(Span::Bars(bars));
        }
        let unit = match text.chars().last()? {
            'm' => 60_000_000_000,
            'h' => 3_600_000_000_000,
            'd' => NANOS_PER_DAY,
            'w' => 7 * NANOS_PER_DAY,
            _ => return None,
        };
        let count: i64 = text[..text.len() - 1].parse().ok().filter(|n| *n > 0)?;
        count.checked_mul(unit).map(Span::Duration)
    }

    fn nanos(self, interval_ns: i64) -> i64 {
        match self {
            Span::Bars(bars) => i64::try_from(bars).unwrap_or(i64::MAX).saturating_mul(interval_ns),
            Span::Duration(ns) => ns,
        }
    }
}

/// `--walk-forward train=…,test=…`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalkForward {
    /// Training window length.
    pub train: Span,
    /// Test window length (and the step between windows).
    pub test: Span,
}

impl WalkForward {
    /// Parses `train=2000,test=500` (bars) or `train=30d,test=7d` (durations in m, h, d or w).
    ///
    /// # Errors
    /// [`Error::Config`] naming what is malformed.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = || {
            Error::Config(format!(
                "--walk-forward '{text}': write train=N,test=M with N and M bars (2000) or durations (30d, 12h, 90m, 2w)"
            ))
        };
        let (mut train, mut test) = (None, None);
        for part in text.split(',') {
            match part.trim().split_once('=') {
                Some(("train", value)) => train = Some(Span::parse(value.trim()).ok_or_else(bad)?),
                Some(("test", value)) => test = Some(Span::parse(value.trim()).ok_or_else(bad)?),
                _ => return Err(bad()),
            }
        }
        Ok(WalkForward { train: train.ok_or_else(bad)?, test: test.ok_or_else(bad)? })
    }

    /// The windows over data from `start` to `end` with bars of `interval_ns`: (train from, test from, test to).
    pub fn windows(
        &self,
        start: Timestamp,
        end: Timestamp,
        interval_ns: i64,
    ) -> Vec<(Timestamp, Timestamp, Timestamp)> {
        let (train, test) = (self.train.nanos(interval_ns), self.test.nanos(interval_ns));
        let mut windows = Vec::new();
        let mut from = start.0;
        while let Some(test_from) = from.checked_add(train).filter(|t| *t < end.0) {
            let test_to = test_from.saturating_add(test).min(end.0);
            windows.push((Timestamp(from), Timestamp(test_from), Timestamp(test_to)));
            from = from.saturating_add(test);
        }
        windows
    }
}

/// `walk_forward/summary.json`.
#[derive(Serialize)]
struct WalkForwardSummary<'a> {
    scenario: &'a str,
    objective: &'static str,
    at_window_end: &'a WindowEnds,
    windows: &'a [WindowResult],
    metrics: &'a Metrics,
}

/// What a walk-forward run produced.
pub struct WalkForwardOutcome {
    /// Every window, in time order.
    pub windows: Vec<WindowResult>,
    /// Metrics of the stitched out-of-sample curve.
    pub metrics: Metrics,
    /// What happened to positions open at the windows' ends, summed.
    pub ends: WindowEnds,
    /// The text of its `summary.json` (what `ctb sweep --walk-forward … --json` prints).
    pub summary_json: String,
    /// Files written.
    pub files: Vec<PathBuf>,
}

impl SweepPlan<'_> {
    /// The windows `spec` gives over this plan's data: (train from, test from, test to).
    pub fn walk_forward_windows(&self, spec: WalkForward) -> Vec<(Timestamp, Timestamp, Timestamp)> {
        self.market.span().map(|(start, end, interval)| spec.windows(start, end, interval)).unwrap_or_default()
    }

    /// Runs the walk-forward analysis and writes `out_dir/walk_forward/`: `windows.csv`, `summary.json` (what
    /// happened at the windows' ends, the windows and the stitched curve's metrics), `equity.csv`, `trades.csv`,
    /// `fills.csv`, `equity.png` and `drawdown.png` (each with an SVG beside it) and `report.html`. Once `stop` is set, the windows finished so far are written. Besides
    /// its training sweep, each window runs its chosen combination once more on the training span, for the page's
    /// in-sample curve.
    ///
    /// # Errors
    /// [`Error::Config`] when the data does not fit one training window plus a test bar; a failing run.
    pub fn walk_forward(
        &self,
        spec: WalkForward,
        out_dir: &Path,
        stop: &AtomicBool,
        progress: &(dyn Fn() + Sync),
    ) -> Result<WalkForwardOutcome> {
        for (name, span) in [("train", spec.train), ("test", spec.test)] {
            if span.nanos(self.interval_ns) < self.interval_ns {
                return Err(Error::Config(format!(
                    "--walk-forward: {name} is shorter than one bar of the data ({}): a window must hold a bar",
                    crate::model::format_duration(self.interval_ns)
                )));
            }
        }
        let windows = self.walk_forward_windows(spec);
        if windows.is_empty() {
            return Err(Error::Config("--walk-forward: the data is not longer than one training window".into()));
        }
        let interval_ns = self.interval_ns;
        let setup = self.setup;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|e| Error::Io { context: "starting the async runtime".into(), source: e })?;
        let mode = self.section.walk_forward.at_window_end;
        let fill_model = setup.venues.first().map(|v| v.sim.fill_model).unwrap_or_default();
        let mut stitched = RunLog::default();
        let mut stitched_fills: Vec<(usize, FillRecord, bool)> = Vec::new();
        let (mut equity, mut fees) = (setup.starting_cash, Decimal::ZERO);
        let mut carried: Option<Carried> = None;
        let (mut results, mut curves) = (Vec::new(), Vec::new());
        for (window, &(train_from, test_from, test_to)) in windows.iter().enumerate() {
            let train = Sweep {
                setup,
                market: Arc::new(self.market.between(train_from, test_from)),
                grid: &self.grid,
                start: train_from,
                interval_ns,
            };
            let rows = train.run(Shard::ALL, stop, progress)?;
            // A stopped window's sweep is incomplete: its winner would not be the window's best.
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let Some(best) = rank(&rows, self.section.objective).first().map(|r| (*r).clone()) else { break };
            let params = combination_params(&setup.params, &self.grid.names, &best.values);
            let in_sample_setup = BacktestSetup { params: params.clone(), ..setup.clone() };
            let in_sample = runtime.block_on(run_prepared(&in_sample_setup, train.market.clone()))?;
            let (in_sample, _) = measured(&in_sample, train_from, interval_ns);
            // The strategy warms up on the training window (the past) and trades from the test window's start. The
            // last window ends with the data: what it holds then is valued at the last close, as in any backtest.
            let close_at_end = mode == AtWindowEnd::Close && window + 1 < windows.len();
            // Under close fills, the decision on the bar closing at `test_from` filled at that close in the window
            // before (its last): it is not taken a second time here.
            let trade_from = match (fill_model, window) {
                (FillModel::Close, 1..) => Timestamp(test_from.0.saturating_add(1)),
                _ => test_from,
            };
            let plan = WindowPlan { trade_from, trade_to: test_to, carried: carried.take(), close_at_end };
            let test_market = Arc::new(match close_at_end {
                true => self.market.between_and_next(train_from, test_to),
                false => self.market.between(train_from, test_to),
            });
            let test_setup = BacktestSetup { params: params.clone(), ..setup.with_starting_cash(equity) };
            let (result, closed) = runtime.block_on(run_prepared_window(&test_setup, test_market, &plan))?;
            let offset = stitched.equity.len();
            stitched.cash_changes.push(CashChange { from_mark: offset, cash: equity });
            stitched.cash_changes.extend(
                result.log.cash_changes.iter().map(|c| CashChange { from_mark: c.from_mark + offset, cash: c.cash }),
            );
            stitched.equity.extend_from_slice(&result.log.equity);
            stitched.round_trips.extend_from_slice(&result.log.round_trips);
            stitched_fills
                .extend(result.log.fills.iter().map(|r| (window, *r, closed.orders.contains(&r.fill.order_id))));
            fees += result.portfolio.fees_paid();
            let ended = result.log.equity.last().map_or(equity, |p| p.equity());
            let mut end = WindowEnd {
                closing_fills: stitched_fills.iter().filter(|(w, _, at_end)| *w == window && *at_end).count(),
                fees: closed.fees,
                slippage: closed.slippage,
                ..WindowEnd::default()
            };
            let open: BTreeMap<String, Decimal> =
                result.portfolio.holdings().positions().map(|p| (p.symbol.to_string(), p.quantity)).collect();
            // The next window starts from what this one ended with, each venue from its own balances: what a close
            // left open (refused, or capped by the bar's volume) is carried as it is, not turned into cash for free.
            carried = Some(result.carried());
            match mode {
                AtWindowEnd::Carry => end.carried = open,
                AtWindowEnd::Close if close_at_end => end.unclosed = open,
                AtWindowEnd::Close => {}
            }
            let (out_of_sample, test_metrics) = measured(&result, test_from, interval_ns);
            let tested = SweepRow { metrics: test_metrics, ..best.clone() };
            curves.push(WindowCurves::new(&in_sample, &out_of_sample));
            results.push(WindowResult {
                window,
                train_from,
                test_from,
                test_to,
                combination: best.number,
                params,
                train_score: best.score(self.section.objective),
                test_score: tested.score(self.section.objective),
                test_equity: (equity, ended),
                end,
            });
            equity = ended;
        }
        let first_test = windows[0].1;
        let curve = Curve::new(setup.starting_cash, &stitched.equity);
        let exposed = exposed_marks(&stitched, setup.starting_cash);
        let metrics = compute_metrics(&curve, first_test, interval_ns, exposed, &stitched.round_trips, fees);

        let dir = out_dir.join("walk_forward");
        std::fs::create_dir_all(&dir).map_err(|e| Error::io("creating", &dir, e))?;
        let ends = WindowEnds::of(mode, fill_model, &results);
        let summary = WalkForwardSummary {
            scenario: self.name,
            objective: self.section.objective.as_str(),
            at_window_end: &ends,
            windows: &results,
            metrics: &metrics,
        };
        let mut json = serde_json::to_string_pretty(&summary).map_err(|e| Error::Data(format!("encoding: {e}")))?;
        json.push('\n');
        write(&dir.join("summary.json"), &json)?;
        write(&dir.join("windows.csv"), &windows_csv(&self.grid.names, &results))?;
        write_equity(&dir.join("equity.csv"), &stitched, &curve)?;
        write_trades(&dir.join("trades.csv"), &stitched.round_trips)?;
        let venue_name = |v: usize| setup.venues.get(v).map_or_else(|| v.to_string(), |venue| venue.name.clone());
        write(&dir.join("fills.csv"), &fills_csv(&stitched_fills, &venue_name))?;
        let times = stitched.equity.iter().map(|p| p.time);
        let start_point = (first_test, crate::model::exact::to_f64(setup.starting_cash));
        let points: Vec<_> =
            std::iter::once(start_point).chain(times.clone().zip(curve.values.iter().copied())).collect();
        let underwater: Vec<_> =
            std::iter::once((first_test, 0.0)).chain(times.zip(curve.drawdown_pct.iter().map(|d| -d))).collect();
        let title = format!("{} — walk-forward out-of-sample", self.name);
        for (name, y_label, points, style) in [
            ("equity.png", format!("Equity ({})", setup.quote), &points, ChartStyle::Line),
            ("drawdown.png", "Drawdown (%)".to_string(), &underwater, ChartStyle::Underwater),
        ] {
            draw_chart(&dir.join(name), &Chart { title: &title, y_label: &y_label, points, style })?;
        }
        write_walk_forward_page(
            &dir,
            &WalkForwardPage {
                name: self.name,
                objective: self.section.objective,
                names: &self.grid.names,
                windows: &results,
                curves: &curves,
                stitched: &points,
                metrics: &SweepMetrics::from(&metrics),
                quote: &setup.quote,
                ends: &ends,
            },
        )?;
        let files = [
            "summary.json",
            "windows.csv",
            "equity.csv",
            "trades.csv",
            "fills.csv",
            "equity.png",
            "equity.svg",
            "drawdown.png",
            "drawdown.svg",
            "report.html",
        ]
        .map(|f| dir.join(f))
        .to_vec();
        Ok(WalkForwardOutcome { windows: results, metrics, ends, summary_json: json, files })
    }
}

/// The equity of `result`, a run from `from`, as drawn (its starting cash at `from`, then every mark), and its
/// metrics.
fn measured(result: &BacktestResult, from: Timestamp, interval_ns: i64) -> (Vec<Point>, SweepMetrics) {
    let curve = Curve::new(result.portfolio.starting_cash(), &result.log.equity);
    let metrics = SweepMetrics::from(&run_metrics(result, &curve, from, interval_ns));
    let start = (from, to_f64(result.portfolio.starting_cash()));
    let marks = result.log.equity.iter().map(|p| p.time).zip(curve.values.iter().copied());
    (std::iter::once(start).chain(marks).collect(), metrics)
}
