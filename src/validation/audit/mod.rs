//! The audit of a bar strategy (`ctb audit SCENARIO`): evidence that it decides without look-ahead and within the
//! warm-up it states. A decision is one command the strategy gives — an order submitted (time, symbol, side,
//! type, quantity, price, stop, trail, time in force, bracket), a cancel, an amendment — as it gave it, before the
//! risk manager; two decisions are the same when every field is.
//!
//! 1. **The full run.** The scenario's backtest over all its data, every decision recorded with what the strategy
//!    was shown at each call (bars, position, cash, equity, its open orders).
//! 2. **Cuts (no look-ahead).** The backtest again, through the same engine and simulated venue, on the data cut
//!    after a bar: [`AuditOptions::cuts`] cut points drawn with [`AuditOptions::seed`] (ChaCha8), one in each of
//!    as many equal stretches of the bars after every stream's first. Every decision of a cut run must equal the
//!    full run's decisions before the cut, one for one and in order: a strategy that decides the same whether or
//!    not later bars exist cannot have used them.
//! 3. **Late starts (warm-up).** With `k` the warm-up ([`AuditOptions::warm_up`], else the strategy's
//!    [`crate::strategy::Strategy::warm_up_bars`]), a fresh strategy is started `k` and `2k` bars into the data
//!    (1 and 2 when `k` is 0) — its history windows and indicators empty there — and shown, open loop, the bars
//!    and the account the full run had at each call (so what it holds cannot drift with its own fills: only what
//!    it remembers of the market can differ). Its decisions from `2k` bars after its start on (bars `3k + 1` and
//!    `4k + 1`, counting from 1) must equal the full run's; the table also says from which bar on they agree. The
//!    margin of a second `k` is for indicators whose memory fades rather than ends (EMA, RSI, ATR): their values
//!    from a late start converge but are not equal after `k` bars.
//!
//! Bars are counted on the scenario's time line: the distinct close times of all its streams (for one stream,
//! its bars). What it cannot see: a strategy that reads the data files, or anything else, on its own — the cuts
//! change only what the engine shows it.

mod record;

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use std::collections::BTreeSet;
use std::sync::Arc;

pub use record::Decision;
use record::{Recorder, replay_open_loop};

use crate::engine::{BacktestSetup, prepare_market, run_prepared_with_blocking};
use crate::error::{Error, Result};
use crate::model::{BarSeries, Timestamp};
use crate::strategy::Strategy;

/// Cut points when none are asked for.
pub const DEFAULT_CUTS: usize = 5;

/// What to audit with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditOptions {
    /// Seed of the cut points.
    pub seed: u64,
    /// How many cut points (at least 1; fewer when the data has fewer bars).
    pub cuts: usize,
    /// The warm-up to check, in bars; `None`: the strategy's own.
    pub warm_up: Option<usize>,
}

/// Where two lists of decisions first differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// Position in the compared range (0: its first decision).
    pub index: usize,
    /// The full run's decision there (`None`: it had no more).
    pub full: Option<Decision>,
    /// The rerun's decision there (`None`: it had no more).
    pub rerun: Option<Decision>,
}

impl std::fmt::Display for Difference {
    /// Both decisions as [`Decision`] shows them; should the two read the same (a field it does not show), in full.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |d: &Option<Decision>| d.map_or("nothing".to_string(), |d| d.to_string());
        let (full, rerun) = (show(&self.full), show(&self.rerun));
        if full == rerun {
            return write!(f, "decision {}: full run {:?}; rerun {:?}", self.index + 1, self.full, self.rerun);
        }
        write!(f, "decision {}: full run {full}; rerun {rerun}", self.index + 1)
    }
}

/// One rerun and its comparison with the full run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// What was rerun: `cut after bar 321` or `start at bar 31`.
    pub name: String,
    /// Which decisions were compared.
    pub compared: String,
    /// How many decisions of the full run that range holds.
    pub decisions: usize,
    /// Where they differ, if they do.
    pub difference: Option<Difference>,
    /// For a late start: the first bar from which every decision agrees with the full run's.
    pub agrees_from: Option<usize>,
}

/// The outcome of [`audit`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditReport {
    /// The strategy's kind.
    pub strategy: String,
    /// Bars on the time line.
    pub bars: usize,
    /// Decisions of the full run.
    pub decisions: usize,
    /// The warm-up checked, in bars.
    pub warm_up: usize,
    /// The strategy's own statement of it.
    pub stated_warm_up: usize,
    /// The cut points' seed.
    pub seed: u64,
    /// Every rerun, cuts first.
    pub checks: Vec<Check>,
}

impl AuditReport {
    /// Whether every rerun decided as the full run did.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.difference.is_none())
    }

    /// The checks as a table: what was rerun, what was compared, how many decisions, and the result.
    pub fn table(&self) -> String {
        let mut table = Table::new();
        table.load_preset(UTF8_FULL_CONDENSED).set_header(["check", "compared", "decisions", "result"]);
        for check in &self.checks {
            let result = match (&check.difference, check.agrees_from) {
                (Some(difference), _) => format!("DIFFERS at {difference}"),
                (None, Some(bar)) => format!("same (agrees from bar {bar})"),
                (None, None) => "same".to_string(),
            };
            table.add_row([check.name.clone(), check.compared.clone(), check.decisions.to_string(), result]);
        }
        table.to_string()
    }
}

/// Audits the strategy of `setup` on `series` (see the module's documentation).
///
/// # Errors
/// [`Error::Config`] for no cut points; [`Error::Data`] for fewer than two bars; as the backtest's and the
/// strategy's (a late start builds the strategy again and starts it on the same streams).
pub fn audit(setup: &BacktestSetup, series: Vec<BarSeries>, options: &AuditOptions) -> Result<AuditReport> {
    if options.cuts == 0 {
        return Err(Error::Config("the audit needs at least one cut point".into()));
    }
    let times = time_line(&series);
    if times.len() < 2 {
        return Err(Error::Data(format!("the audit needs two bars or more; the data has {}", times.len())));
    }
    let full_market = Arc::new(prepare_market(setup, series.clone())?);
    let mut recorder = Recorder::new(setup.build_strategy()?, true);
    run_prepared_with_blocking(setup, full_market, &mut recorder)?;
    let strategy = recorder.name().to_string();
    let stated_warm_up = recorder.warm_up_bars();
    let (full, recording) = recorder.finish();
    let warm_up = options.warm_up.unwrap_or(stated_warm_up);
    let mut checks = Vec::new();

    for cut in cut_points(&series, &times, options) {
        let end = times[cut];
        let kept = series.iter().map(|s| s.between(Timestamp(i64::MIN), Timestamp(end.0.saturating_sub(s.interval))));
        let mut rerun = Recorder::new(setup.build_strategy()?, false);
        run_prepared_with_blocking(setup, Arc::new(prepare_market(setup, kept.collect())?), &mut rerun)?;
        let expected: Vec<Decision> = full.iter().filter(|d| d.time < end).copied().collect();
        checks.push(Check {
            name: format!("cut after bar {cut}"),
            compared: format!("decisions before {end}"),
            decisions: expected.len(),
            difference: first_difference(&expected, &rerun.decisions),
            agrees_from: None,
        });
    }

    let step = warm_up.max(1);
    for start in [step, step.saturating_mul(2)] {
        let Some(&from) = times.get(start) else {
            checks.push(Check {
                name: format!("start at bar {}", start.saturating_add(1)),
                compared: format!("none: the data has {} bars", times.len()),
                decisions: 0,
                difference: None,
                agrees_from: None,
            });
            continue;
        };
        let rerun = replay_open_loop(&recording, setup.build_strategy()?, from)?;
        let compare_from = start.saturating_add(warm_up.saturating_mul(2));
        let after = |list: &[Decision], time: Timestamp| list.iter().filter(|d| d.time >= time).copied().collect();
        let (expected, found): (Vec<Decision>, Vec<Decision>) = match times.get(compare_from) {
            Some(&time) => (after(&full, time), after(&rerun, time)),
            None => (Vec::new(), Vec::new()),
        };
        let late: Vec<Decision> = after(&full, from);
        checks.push(Check {
            name: format!("start at bar {}", start + 1),
            compared: match times.get(compare_from) {
                Some(time) => format!("decisions from bar {} ({time}) on", compare_from + 1),
                None => format!("none: bar {} is past the data's {}", compare_from.saturating_add(1), times.len()),
            },
            decisions: expected.len(),
            difference: first_difference(&expected, &found),
            agrees_from: Some(agreement_from(&times, start, &late, &rerun)),
        });
    }
    Ok(AuditReport {
        strategy,
        bars: times.len(),
        decisions: full.len(),
        warm_up,
        stated_warm_up,
        seed: options.seed,
        checks,
    })
}

/// The distinct close times of every bar of `series`, in order: the scenario's time line.
fn time_line(series: &[BarSeries]) -> Vec<Timestamp> {
    let all: BTreeSet<Timestamp> = series.iter().flat_map(|s| (0..s.len()).map(|i| s.close_time(i))).collect();
    all.into_iter().collect()
}

/// The cut points: indices into `times` (the first bar left out) after every stream's first bar, one drawn with
/// the seed in each of `cuts` equal stretches of those bars (so they spread over the whole data; fewer when there
/// are fewer bars), in increasing order.
fn cut_points(series: &[BarSeries], times: &[Timestamp], options: &AuditOptions) -> Vec<usize> {
    let started = series.iter().filter(|s| !s.is_empty()).map(|s| s.close_time(0)).max().unwrap_or_default();
    let first = times.partition_point(|t| *t <= started).max(1);
    let span = times.len().saturating_sub(first);
    let cuts = options.cuts.min(span);
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    (0..cuts).map(|k| first + rng.random_range(k * span / cuts..(k + 1) * span / cuts)).collect()
}

/// Where `rerun` first differs from `full`, element by element; `None` when they are equal.
fn first_difference(full: &[Decision], rerun: &[Decision]) -> Option<Difference> {
    let index = (0..full.len().max(rerun.len())).find(|&i| full.get(i) != rerun.get(i))?;
    Some(Difference { index, full: full.get(index).copied(), rerun: rerun.get(index).copied() })
}

/// The first bar (1-based, on `times`) from which the decisions of `full` and `rerun` agree at every later bar, for
/// a rerun started at bar index `start`.
fn agreement_from(times: &[Timestamp], start: usize, full: &[Decision], rerun: &[Decision]) -> usize {
    let at = |list: &[Decision], time: Timestamp| -> Vec<Decision> {
        list.iter().filter(|d| d.time == time).copied().collect()
    };
    let last_difference = (start..times.len()).rev().find(|&i| at(full, times[i]) != at(rerun, times[i]));
    last_difference.map_or(start, |i| i + 1) + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{OrderQty, Side, Symbol, VenueId};
    use crate::strategy::{Command, OrderIntent};

    fn decision(hour: i64, side: Side) -> Decision {
        let symbol = Symbol::new("BTCUSDT").unwrap();
        let intent = OrderIntent::market(VenueId(0), symbol, side, OrderQty::Base(rust_decimal::Decimal::ONE));
        Decision { time: Timestamp(hour * 3_600_000_000_000), command: Command::Submit(intent) }
    }

    fn series(bars: usize) -> BarSeries {
        let ones = vec![rust_decimal::Decimal::ONE; bars];
        BarSeries {
            symbol: Symbol::new("BTCUSDT").unwrap(),
            interval: 3_600_000_000_000,
            open_time: (0..bars as i64).map(|h| Timestamp(h * 3_600_000_000_000)).collect(),
            open: ones.clone(),
            high: ones.clone(),
            low: ones.clone(),
            close: ones.clone(),
            volume: ones,
        }
    }

    #[test]
    fn the_first_difference_names_the_position_and_both_decisions_or_what_one_list_lacks() {
        let (buy, sell) = (decision(1, Side::Buy), decision(2, Side::Sell));
        assert_eq!(first_difference(&[buy, sell], &[buy, sell]), None);
        let other = decision(3, Side::Sell);
        assert_eq!(
            first_difference(&[buy, sell], &[buy, other]),
            Some(Difference { index: 1, full: Some(sell), rerun: Some(other) })
        );
        assert_eq!(
            first_difference(&[buy], &[buy, sell]),
            Some(Difference { index: 1, full: None, rerun: Some(sell) })
        );
        let text = first_difference(&[buy], &[]).unwrap().to_string();
        assert_eq!(text, "decision 1: full run 1970-01-01T01:00:00Z BTCUSDT BUY MARKET 1; rerun nothing");
    }

    #[test]
    fn cut_points_fall_one_in_each_stretch_after_the_first_bar_and_repeat_with_their_seed() {
        let data = [series(100)];
        let times = time_line(&data);
        let options = AuditOptions { seed: 5, cuts: 5, warm_up: None };
        let cuts = cut_points(&data, &times, &options);
        assert_eq!(cuts.len(), 5);
        for (k, cut) in cuts.iter().enumerate() {
            assert!((1 + k * 99 / 5..1 + (k + 1) * 99 / 5).contains(cut), "cut {k}: {cut}");
        }
        assert_eq!(cut_points(&data, &times, &options), cuts);
        let few = [series(3)];
        assert_eq!(
            cut_points(&few, &time_line(&few), &options),
            [1, 2],
            "fewer bars than cuts: every bar after the first"
        );
    }

    #[test]
    fn agreement_starts_after_the_last_bar_where_the_decisions_differ() {
        let times: Vec<Timestamp> = (0..10).map(|h| Timestamp(h * 3_600_000_000_000)).collect();
        let full = [decision(3, Side::Buy), decision(6, Side::Sell), decision(8, Side::Buy)];
        // The late start missed the buy at bar index 3 and so the sell at 6 too; from index 7 on they agree.
        let rerun = [decision(5, Side::Buy), decision(8, Side::Buy)];
        assert_eq!(agreement_from(&times, 2, &full, &rerun), 8, "bar 8 (1-based) is index 7");
        assert_eq!(agreement_from(&times, 2, &full, &full), 3, "agreeing from the start: the start's own bar");
    }
}
