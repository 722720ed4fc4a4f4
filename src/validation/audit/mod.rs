//! The audit of a bar strategy (`ctb audit SCENARIO`): evidence that it decides without look-ahead and within the
//! warm-up it states. A decision is one command the strategy gives — an order submitted (time, venue, symbol,
//! side, type, quantity, price, stop, trail, reduce-only, time in force, bracket, volatility), a cancel, an
//! amendment — as it gave it, before the risk manager; two decisions are the same when every field is.
//!
//! 1. **The full run.** The scenario's backtest over all its data, every decision recorded with what the strategy
//!    was shown at each call (bars, position, cash, equity, its open orders).
//! 2. **Cuts (no look-ahead).** The backtest again, through the same engine and simulated venue, on the data cut
//!    after a bar: [`AuditOptions::cuts`] cut points drawn with [`AuditOptions::seed`] (ChaCha8), one in each of
//!    as many equal stretches of the bars after every stream's first. Every decision of a cut run must equal the
//!    full run's decisions before the cut, one for one and in order: a strategy that decides the same whether or
//!    not later bars exist cannot have used them.
//! 3. **Late starts (warm-up).** With `k` the warm-up ([`AuditOptions::warm_up`], else the strategy's
//!    [`crate::strategy::Strategy::warm_up_bars`], read after the full run), a fresh strategy is started `k` and
//!    `2k` bars into the data (1 and 2 when `k` is 0), counted on each stream: it starts at the first time after
//!    every stream has had that many bars of its own — its history windows and indicators empty there — and is
//!    shown, open loop, the bars and the account the full run had at each call (so what it holds cannot drift with
//!    its own fills: only what it remembers of the market can differ). Its decisions must equal the full run's
//!    from the time by which every stream has had `k` bars of its own since that start on (its stated warm-up; from
//!    the start itself when `k` is 0). The table also says from which bar on they actually agree.
//!
//! A check the data is too short for — a late start and its warm-up past the end of a stream, fewer bars to cut
//! after than cut points asked for — is not run but reported as [`Outcome::NotChecked`] with the reason, and the
//! audit does not pass ([`AuditReport::passed`]): an audit passes only on what it checked.
//!
//! The table numbers bars on the scenario's time line: the distinct close times of all its streams (for one
//! stream, its bars), from 1. What it cannot see: a strategy that reads the data files, or anything else, on its
//! own — the cuts change only what the engine shows it. Decisions are compared exactly: a strategy on `f64`
//! indicators whose values from a late start converge to the full run's but never equal them passes when its
//! decisions agree from its warm-up on, which is what its warm-up claims.

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

/// How a check came out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The rerun decided as the full run did over the compared range.
    Same,
    /// It did not: where first.
    Differs(Box<Difference>),
    /// The check could not run on this data, and why (too few bars for the late start and its warm-up, no bar to
    /// cut after). An audit with such a check does not pass.
    NotChecked(String),
}

/// One rerun and its comparison with the full run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// What was rerun: `cut after bar 321` or `start at bar 32` (bars of the time line, from 1).
    pub name: String,
    /// Which decisions were compared.
    pub compared: String,
    /// How many decisions of the full run that range holds.
    pub decisions: usize,
    /// The comparison's outcome.
    pub outcome: Outcome,
    /// For a late start that ran: the first bar of the time line (from 1) from which every decision agrees with
    /// the full run's — where agreement actually began, which may be before the compared range.
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
    /// The warm-up checked, in bars of each stream.
    pub warm_up: usize,
    /// The strategy's own statement of it.
    pub stated_warm_up: usize,
    /// The cut points' seed.
    pub seed: u64,
    /// Every rerun, cuts first.
    pub checks: Vec<Check>,
}

impl AuditReport {
    /// Whether every check ran and every rerun decided as the full run did.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.outcome == Outcome::Same)
    }

    /// The checks whose rerun decided differently, each with where.
    pub fn differing(&self) -> impl Iterator<Item = (&Check, &Difference)> {
        self.checks.iter().filter_map(|c| match &c.outcome {
            Outcome::Differs(difference) => Some((c, difference.as_ref())),
            _ => None,
        })
    }

    /// The checks that could not run, each with why.
    pub fn not_checked(&self) -> impl Iterator<Item = (&Check, &str)> {
        self.checks.iter().filter_map(|c| match &c.outcome {
            Outcome::NotChecked(reason) => Some((c, reason.as_str())),
            _ => None,
        })
    }

    /// The checks as a table: what was rerun, what was compared, how many decisions, and the result.
    pub fn table(&self) -> String {
        let mut table = Table::new();
        table.load_preset(UTF8_FULL_CONDENSED).set_header(["check", "compared", "decisions", "result"]);
        for check in &self.checks {
            let result = match (&check.outcome, check.agrees_from) {
                (Outcome::Differs(difference), _) => format!("DIFFERS at {difference}"),
                (Outcome::NotChecked(reason), _) => format!("NOT CHECKED: {reason}"),
                (Outcome::Same, Some(bar)) if bar > self.bars => "same (agrees at no bar)".to_string(),
                (Outcome::Same, Some(bar)) => format!("same (agrees from bar {bar})"),
                (Outcome::Same, None) => "same".to_string(),
            };
            table.add_row([check.name.clone(), check.compared.clone(), check.decisions.to_string(), result]);
        }
        table.to_string()
    }
}

/// Audits the strategy of `setup` on `series` (see the module's documentation). Checks that cannot run on this
/// data are in the report as [`Outcome::NotChecked`]; the report then does not pass.
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

    let cuts = cut_points(&series, &times, options);
    for &cut in &cuts {
        let end = times[cut];
        let kept = series.iter().map(|s| s.between(Timestamp(i64::MIN), Timestamp(end.0.saturating_sub(s.interval))));
        let mut rerun = Recorder::new(setup.build_strategy()?, false);
        run_prepared_with_blocking(setup, Arc::new(prepare_market(setup, kept.collect())?), &mut rerun)?;
        let expected: Vec<Decision> = full.iter().filter(|d| d.time < end).copied().collect();
        let outcome =
            first_difference(&expected, &rerun.decisions).map_or(Outcome::Same, |d| Outcome::Differs(Box::new(d)));
        checks.push(Check {
            name: format!("cut after bar {cut}"),
            compared: format!("decisions before {end}"),
            decisions: expected.len(),
            outcome,
            agrees_from: None,
        });
    }
    if cuts.len() < options.cuts {
        // fewer bars to cut at than cut points asked for: those left are not checked
        let name = match cuts.len() {
            0 => "cuts".to_string(),
            done => format!("cuts {} to {}", done + 1, options.cuts),
        };
        checks.push(Check {
            name,
            compared: "none".to_string(),
            decisions: 0,
            outcome: Outcome::NotChecked(format!(
                "{} cut points asked for, and the data has {} after every stream's first to cut at",
                options.cuts,
                match cuts.len() {
                    0 => "no bar".to_string(),
                    n => format!("only {}", bars(n)),
                }
            )),
            agrees_from: None,
        });
    }

    let step = warm_up.max(1);
    for skip in [step, step.saturating_mul(2)] {
        let (from, compare) = match late_start(&series, &times, skip, warm_up) {
            Ok(points) => points,
            Err(reason) => {
                checks.push(Check {
                    name: format!("start {} in", bars(skip)),
                    compared: "none".to_string(),
                    decisions: 0,
                    outcome: Outcome::NotChecked(reason),
                    agrees_from: None,
                });
                continue;
            }
        };
        let rerun = replay_open_loop(&recording, setup.build_strategy()?, times[from])?;
        let since = |list: &[Decision], time: Timestamp| list[list.partition_point(|d| d.time < time)..].to_vec();
        let (expected, found) = (since(&full, times[compare]), since(&rerun, times[compare]));
        let agreement = match last_difference(&since(&full, times[from]), &rerun) {
            None => from,
            Some(time) => times.partition_point(|t| *t <= time),
        };
        checks.push(Check {
            name: format!("start at bar {} ({} in)", from + 1, bars(skip)),
            compared: format!("decisions from bar {} ({}) on", compare + 1, times[compare]),
            decisions: expected.len(),
            outcome: first_difference(&expected, &found).map_or(Outcome::Same, |d| Outcome::Differs(Box::new(d))),
            agrees_from: Some(agreement + 1),
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

/// A late start `skip` bars into every stream with a warm-up of `warm_up` bars, as indices into `times`: where it
/// starts (the first time after every stream has had `skip` bars of its own, so each skips at least `skip`) and
/// from where its decisions must equal the full run's (the time by which every stream has had `warm_up` bars of
/// its own since that start: its stated warm-up; the start itself for a warm-up of 0). `Err`: why the data is too
/// short for it, naming the stream.
fn late_start(
    series: &[BarSeries],
    times: &[Timestamp],
    skip: usize,
    warm_up: usize,
) -> std::result::Result<(usize, usize), String> {
    let mut skipped_by = Timestamp(i64::MIN);
    for s in series {
        if s.len() <= skip {
            return Err(format!(
                "the data has {} of {}; a start {} in leaves none",
                bars(s.len()),
                s.symbol,
                bars(skip)
            ));
        }
        if let Some(last) = skip.checked_sub(1) {
            skipped_by = skipped_by.max(s.close_time(last));
        }
    }
    let from = times.partition_point(|t| *t <= skipped_by);
    let mut settled = times[from];
    if warm_up > 0 {
        for s in series {
            let before = s.open_time.partition_point(|t| t.0.saturating_add(s.interval) < times[from].0);
            let needed = before.saturating_add(warm_up);
            if s.len() < needed {
                return Err(format!(
                    "the data has {} of {}; a start {} in and a warm-up of {warm_up} need {before} + {warm_up} = \
                     {needed}",
                    bars(s.len()),
                    s.symbol,
                    bars(before)
                ));
            }
            settled = settled.max(s.close_time(needed - 1));
        }
    }
    Ok((from, times.partition_point(|t| *t < settled)))
}

/// `1 bar`, `2 bars`.
fn bars(n: usize) -> String {
    if n == 1 { "1 bar".to_string() } else { format!("{n} bars") }
}

/// The distinct close times of every bar of `series`, in order: the scenario's time line.
fn time_line(series: &[BarSeries]) -> Vec<Timestamp> {
    let all: BTreeSet<Timestamp> = series.iter().flat_map(|s| (0..s.len()).map(|i| s.close_time(i))).collect();
    all.into_iter().collect()
}

/// The bars that may be cut after: the index into `times` of the first bar after every stream's first bar (at least
/// 1), and how many bars there are from it on.
fn cut_span(series: &[BarSeries], times: &[Timestamp]) -> (usize, usize) {
    let started = series.iter().filter(|s| !s.is_empty()).map(|s| s.close_time(0)).max().unwrap_or_default();
    let first = times.partition_point(|t| *t <= started).max(1);
    (first, times.len().saturating_sub(first))
}

/// The cut points: indices into `times` (the first bar left out) after every stream's first bar, one drawn with
/// the seed in each of `cuts` equal stretches of those bars (so they spread over the whole data; fewer when there
/// are fewer bars), in increasing order.
fn cut_points(series: &[BarSeries], times: &[Timestamp], options: &AuditOptions) -> Vec<usize> {
    let (first, span) = cut_span(series, times);
    let cuts = options.cuts.min(span);
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    (0..cuts).map(|k| first + rng.random_range(k * span / cuts..(k + 1) * span / cuts)).collect()
}

/// Where `rerun` first differs from `full`, element by element; `None` when they are equal.
fn first_difference(full: &[Decision], rerun: &[Decision]) -> Option<Difference> {
    let index = (0..full.len().max(rerun.len())).find(|&i| full.get(i) != rerun.get(i))?;
    Some(Difference { index, full: full.get(index).copied(), rerun: rerun.get(index).copied() })
}

/// The time of the last decision at which `full` and `rerun` differ, comparing the decisions of each time as a
/// group; `None` when they agree throughout. Both lists are in time order, and each is walked once.
fn last_difference(full: &[Decision], rerun: &[Decision]) -> Option<Timestamp> {
    let (mut f, mut r, mut last) = (full, rerun, None);
    while let Some(time) = match (f.first(), r.first()) {
        (Some(a), Some(b)) => Some(a.time.min(b.time)),
        (a, b) => a.or(b).map(|d| d.time),
    } {
        let (here_f, rest_f) = f.split_at(f.iter().take_while(|d| d.time == time).count());
        let (here_r, rest_r) = r.split_at(r.iter().take_while(|d| d.time == time).count());
        if here_f != here_r {
            last = Some(time);
        }
        (f, r) = (rest_f, rest_r);
    }
    last
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
    fn the_last_difference_is_the_last_time_whose_decisions_differ_walking_both_lists_once() {
        let full = [decision(3, Side::Buy), decision(6, Side::Sell), decision(8, Side::Buy)];
        // The late start missed the buy at hour 3 and so the sell at 6 too; from hour 7 on they agree.
        let rerun = [decision(5, Side::Buy), decision(8, Side::Buy)];
        assert_eq!(last_difference(&full, &rerun), Some(Timestamp(6 * 3_600_000_000_000)));
        assert_eq!(last_difference(&full, &full), None);
        assert_eq!(last_difference(&[], &[]), None);
        // Two decisions at one time against one: that time differs.
        let twice = [decision(3, Side::Buy), decision(3, Side::Buy), decision(6, Side::Sell), decision(8, Side::Buy)];
        assert_eq!(last_difference(&twice, &full), Some(Timestamp(3 * 3_600_000_000_000)));
        // Only the last time differs (the rerun has nothing there).
        assert_eq!(last_difference(&full, &full[..2]), Some(Timestamp(8 * 3_600_000_000_000)));
    }

    /// A series of `bars` bars of `symbol`, `interval` hours long, the first opening at hour `first`.
    fn stream(symbol: &str, bars: usize, first: i64, interval: i64) -> BarSeries {
        let hour = 3_600_000_000_000;
        BarSeries {
            symbol: Symbol::new(symbol).unwrap(),
            interval: interval * hour,
            open_time: (0..bars as i64).map(|i| Timestamp((first + i * interval) * hour)).collect(),
            ..series(bars)
        }
    }

    #[test]
    fn a_late_start_skips_the_bars_of_every_stream_and_compares_once_each_has_its_warm_up_of_its_own() {
        let hour = |h: i64| Timestamp(h * 3_600_000_000_000);
        // One stream of 10 hourly bars (closing at hours 1 to 10): 3 bars in, it starts at bar 4 (index 3); with
        // a warm-up of 3 it is compared from its third bar, bar 6 (index 5).
        let one = [stream("BTCUSDT", 10, 0, 1)];
        let times = time_line(&one);
        assert_eq!(late_start(&one, &times, 3, 3), Ok((3, 5)));
        assert_eq!(late_start(&one, &times, 3, 0), Ok((3, 3)), "no warm-up: compared from the start");
        assert_eq!(late_start(&one, &times, 6, 4), Ok((6, 9)), "its fourth bar is the last one");
        assert_eq!(
            late_start(&one, &times, 6, 5),
            Err("the data has 10 bars of BTCUSDT; a start 6 bars in and a warm-up of 5 need 6 + 5 = 11".into())
        );
        assert_eq!(
            late_start(&one, &times, 10, 1),
            Err("the data has 10 bars of BTCUSDT; a start 10 bars in leaves none".into())
        );
        assert!(late_start(&one, &times, usize::MAX, usize::MAX).is_err(), "no overflow");
        // BTC hourly from hour 0 (closes 1..=12) and ETH two-hourly from hour 0 (closes 2, 4, ..., 12): the time
        // line has 12 bars. Two bars in means after ETH's second (hour 4), not the time line's second (hour 2).
        let two = [stream("BTCUSDT", 12, 0, 1), stream("ETHUSDT", 6, 0, 2)];
        let times = time_line(&two);
        assert_eq!(times.len(), 12);
        let (from, compare) = late_start(&two, &times, 2, 2).unwrap();
        assert_eq!(times[from], hour(5), "BTC skips 4 bars, ETH 2");
        // From there, two bars of each: BTC's close at hours 5 and 6, ETH's at 6 and 8.
        assert_eq!(times[compare], hour(8));
        assert_eq!(
            late_start(&two, &times, 2, 5),
            Err("the data has 6 bars of ETHUSDT; a start 2 bars in and a warm-up of 5 need 2 + 5 = 7".into())
        );
    }
}
