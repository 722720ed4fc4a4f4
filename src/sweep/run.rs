//! Running a sweep: every combination of a shard through the same engine, in parallel with rayon, over one
//! read-only copy of the market data. Each worker thread keeps one async runtime and reuses the memory of its
//! previous run's log; a run keeps only its [`SweepMetrics`], so memory stays bounded whatever the grid.

use rayon::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::grid::{Grid, Shard};
use super::results::{SweepMetrics, SweepRow};
use crate::engine::{BacktestResult, BacktestSetup, MarketData, RunLog, run_prepared_reusing};
use crate::error::{Error, Result};
use crate::model::Timestamp;
use crate::report::{Curve, run_metrics};

/// A sweep ready to run.
pub struct Sweep<'a> {
    /// The scenario's backtest; each combination replaces the swept parameters in its `params`.
    pub setup: &'a BacktestSetup,
    /// The market data, loaded and checked once.
    pub market: Arc<MarketData>,
    /// The combinations.
    pub grid: &'a Grid,
    /// Open time of the first bar (for CAGR).
    pub start: Timestamp,
    /// Bar interval (for annualizing).
    pub interval_ns: i64,
}

/// A worker thread's reusable state: its runtime, and the memory of its last run's log and curve.
#[derive(Default)]
struct Worker {
    runtime: Option<tokio::runtime::Runtime>,
    spare_log: Option<RunLog>,
    curve_buffers: (Vec<f64>, Vec<f64>),
}

impl Sweep<'_> {
    /// The strategy parameters of combination `values`.
    pub fn params_of(&self, values: &[Decimal]) -> serde_json::Value {
        combination_params(&self.setup.params, &self.grid.names, values)
    }

    /// Checks that the strategy accepts every combination, before anything runs.
    ///
    /// # Errors
    /// [`Error::Config`] naming the first combination the strategy refuses, and why.
    pub fn check(&self) -> Result<()> {
        for (number, values) in self.grid.combinations.iter().enumerate() {
            (self.setup.strategies.build(&self.setup.strategy, &self.params_of(values))).map_err(|e| {
                Error::Config(format!("sweep combination {number} ({}): {e}", self.grid.describe(values)))
            })?;
        }
        Ok(())
    }

    /// Runs the combinations of `shard` in parallel, calling `progress` after each. Once `stop` is set, no new
    /// combination starts; the rows of those that finished are returned, in combination order.
    ///
    /// # Errors
    /// The first run that fails (a venue or configuration error), naming its combination.
    pub fn run(&self, shard: Shard, stop: &AtomicBool, progress: &(dyn Fn() + Sync)) -> Result<Vec<SweepRow>> {
        let rows = self.run_keeping(shard, stop, progress, &|_, _| ())?;
        Ok(rows.into_iter().map(|(row, ())| row).collect())
    }

    /// [`Sweep::run`], keeping with each row what `keep` takes of its run (the result and its equity curve) before
    /// the run's memory is reused: a per-day return series, say, rather than the whole log.
    ///
    /// # Errors
    /// As [`Sweep::run`].
    pub fn run_keeping<T: Send>(
        &self,
        shard: Shard,
        stop: &AtomicBool,
        progress: &(dyn Fn() + Sync),
        keep: &(dyn Fn(&BacktestResult, &Curve<'_>) -> T + Sync),
    ) -> Result<Vec<(SweepRow, T)>> {
        let numbers: Vec<usize> = self.grid.numbers(shard).collect();
        let rows: Vec<Option<(SweepRow, T)>> = numbers
            .par_iter()
            .map_init(Worker::default, |worker, &number| {
                if stop.load(Ordering::Relaxed) {
                    return Ok(None);
                }
                let row = self.run_one(worker, number, keep)?;
                progress();
                Ok(Some(row))
            })
            .collect::<Result<_>>()?;
        Ok(rows.into_iter().flatten().collect())
    }

    fn run_one<T>(
        &self,
        worker: &mut Worker,
        number: usize,
        keep: &(dyn Fn(&BacktestResult, &Curve<'_>) -> T + Sync),
    ) -> Result<(SweepRow, T)> {
        let values = &self.grid.combinations[number];
        let fail =
            |e: Error| Error::Config(format!("sweep combination {number} ({}): {e}", self.grid.describe(values)));
        let runtime = match &mut worker.runtime {
            Some(runtime) => runtime,
            empty => empty.insert(
                tokio::runtime::Builder::new_current_thread()
                    .build()
                    .map_err(|e| Error::Io { context: "starting the async runtime".into(), source: e })?,
            ),
        };
        let setup = BacktestSetup { params: self.params_of(values), ..self.setup.clone() };
        let log = worker.spare_log.take().unwrap_or_default();
        let result = runtime.block_on(run_prepared_reusing(&setup, self.market.clone(), log)).map_err(fail)?;
        let buffers = std::mem::take(&mut worker.curve_buffers);
        let curve = Curve::with_buffers(result.portfolio.starting_cash(), &result.log.equity, buffers);
        let metrics = SweepMetrics::from(&run_metrics(&result, &curve, self.start, self.interval_ns));
        let kept = keep(&result, &curve);
        worker.curve_buffers = curve.into_buffers();
        worker.spare_log = Some(result.log);
        Ok((SweepRow { number, values: values.clone(), metrics }, kept))
    }
}

/// The strategy parameters `base` (a scenario's `params`) with each of `names` set to its value in `values`.
pub fn combination_params(base: &serde_json::Value, names: &[String], values: &[Decimal]) -> serde_json::Value {
    let mut params = match base {
        serde_json::Value::Object(map) => map.clone(),
        _ => serde_json::Map::new(),
    };
    for (name, value) in names.iter().zip(values) {
        params.insert(name.clone(), json_number(*value));
    }
    serde_json::Value::Object(params)
}

/// A swept value as strategies read parameters: an integer when it is whole, otherwise a float.
fn json_number(value: Decimal) -> serde_json::Value {
    match value.fract().is_zero().then(|| value.to_i64()).flatten() {
        Some(whole) => serde_json::Value::from(whole),
        None => value.to_f64().map_or(serde_json::Value::Null, serde_json::Value::from),
    }
}
