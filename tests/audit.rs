//! `ctb audit`: the built-in strategies pass it on the shipped scenarios; a strategy that reads bars ahead of time
//! is caught by the cut reruns, and one whose decisions depend on where the data started (a warm-up it does not
//! state) by the late starts — each an error (exit status 1) naming the first decision that differs.

mod common;

use clap::Parser;
use rust_decimal::Decimal;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use common::mock_candles::shipped_bars;
use cryptotradebot::cli::{Cli, run_args};
use cryptotradebot::model::{Bar, OrderQty, Side, Timestamp};
use cryptotradebot::strategy::{Command, Context, Event, OrderIntent, Strategy, StrategyRegistry, StreamInfo};

/// `ctb audit ARGS` in this process with `registry`.
fn audit(registry: &StrategyRegistry, args: &[&str]) -> cryptotradebot::Result<()> {
    let cli = Cli::try_parse_from(["ctb", "audit"].iter().chain(args)).expect("arguments");
    cli.run(registry)
}

/// Buys with all its cash when the next bar will close higher, sells when it will close lower — if it knows the
/// next close; otherwise it follows the last bar (up: buy, down: sell). It knows the next close from a cache of
/// bars shared by every instance its factory builds, filled with each bar an instance sees: the first run fills
/// it honestly, and every later run in the process (a sweep's next combination, an audit's reruns) reads ahead in
/// it.
struct Peeker {
    seen: Arc<Mutex<Vec<Bar>>>,
}

impl Strategy for Peeker {
    fn name(&self) -> &str {
        "peeker"
    }
    fn on_start(&mut self, _streams: &[StreamInfo]) -> cryptotradebot::Result<()> {
        Ok(())
    }
    fn history_len(&self) -> usize {
        2
    }
    fn on_event(&mut self, ctx: &Context<'_>, commands: &mut Vec<Command>) {
        let Event::Bar(bar) = ctx.event else { return };
        let next = {
            let mut seen = self.seen.lock().unwrap();
            if seen.last().is_none_or(|last| last.close_time < bar.close_time) {
                seen.push(*bar);
            }
            seen.iter().find(|b| b.close_time > bar.close_time).map(|b| b.close)
        };
        let Some(previous) = ctx.history.get(1) else { return };
        let rises = next.map_or(bar.close > previous.close, |next| next > bar.close);
        let order = |side, qty| Command::Submit(OrderIntent::market(ctx.venue, ctx.symbol, side, qty));
        if !ctx.open_orders.is_empty() {
            return;
        }
        if ctx.position.is_zero() && rises && ctx.cash > Decimal::ZERO {
            commands.push(order(Side::Buy, OrderQty::Quote(ctx.cash)));
        } else if ctx.position > Decimal::ZERO && !rises {
            commands.push(order(Side::Sell, OrderQty::Base(ctx.position)));
        }
    }
}

/// Buys when a bar closes above every close it has seen, sells when one closes below every close it has seen;
/// it states a warm-up of one bar, but "every close it has seen" depends on where its data started.
struct RecordHigh {
    high: Option<Decimal>,
    low: Option<Decimal>,
}

impl Strategy for RecordHigh {
    fn name(&self) -> &str {
        "record_high"
    }
    fn on_start(&mut self, _streams: &[StreamInfo]) -> cryptotradebot::Result<()> {
        Ok(())
    }
    fn warm_up_bars(&self) -> usize {
        1
    }
    fn on_event(&mut self, ctx: &Context<'_>, commands: &mut Vec<Command>) {
        let Event::Bar(bar) = ctx.event else { return };
        let (high, low) = (self.high.replace(bar.close.max(self.high.unwrap_or(bar.close))), self.low);
        self.low = Some(bar.close.min(low.unwrap_or(bar.close)));
        let order = |side, qty| Command::Submit(OrderIntent::market(ctx.venue, ctx.symbol, side, qty));
        if ctx.position.is_zero() && high.is_some_and(|h| bar.close > h) && ctx.cash > Decimal::ZERO {
            commands.push(order(Side::Buy, OrderQty::Quote(ctx.cash)));
        } else if ctx.position > Decimal::ZERO && low.is_some_and(|l| bar.close < l) {
            commands.push(order(Side::Sell, OrderQty::Base(ctx.position)));
        }
    }
}

/// The built-ins, `peeker` (its cache shared by its instances) and `record_high`.
fn leaky_registry() -> StrategyRegistry {
    let mut registry = StrategyRegistry::builtin();
    let seen = Arc::new(Mutex::new(Vec::new()));
    registry.register("peeker", move |_| Ok(Box::new(Peeker { seen: Arc::clone(&seen) }))).unwrap();
    registry.register("record_high", |_| Ok(Box::new(RecordHigh { high: None, low: None }))).unwrap();
    registry
}

/// `scenarios/btc_sma_cross.yaml` with strategy `kind` (no parameters), written into `dir`.
fn scenario_of(dir: &std::path::Path, kind: &str) -> String {
    let text = std::fs::read_to_string(common::repo("scenarios/btc_sma_cross.yaml"))
        .unwrap()
        .replace("../data/", &format!("{}/", common::repo("data").display()));
    let strategy = text.find("strategy:").unwrap();
    let exchange = text.find("exchange:").unwrap();
    let text = format!("{}strategy:\n  kind: {kind}\n  params: {{}}\n{}", &text[..strategy], &text[exchange..]);
    common::write(dir, &format!("{kind}.yaml"), &text).display().to_string()
}

#[rstest::rstest]
#[case("btc_sma_cross", "sma_cross", 31)]
#[case("btc_sma_rules", "rules", 31)]
#[case("btc_rsi_rules", "rules", 15)]
fn the_built_in_strategies_pass_the_audit_on_the_shipped_scenarios(
    #[case] name: &str,
    #[case] kind: &str,
    #[case] warm_up: usize,
) {
    let work = tempfile::tempdir().unwrap();
    let scenario = common::repo(&format!("scenarios/{name}.yaml")).display().to_string();
    let (ok, out, err) = common::ctb(work.path(), &["audit", &scenario]);
    assert!(ok, "{out}\n{err}");
    let heading = format!("audit of {name} ({kind}): 1416 bars, ");
    assert!(out.starts_with(&heading), "{out}");
    assert!(out.contains(&format!("warm-up {warm_up} bars (as the strategy states it)")), "{out}");
    // Five cuts and two late starts, every one the same as the full run.
    assert_eq!(out.matches("│ cut after bar ").count(), 5, "{out}");
    assert_eq!(out.matches("│ start at bar ").count(), 2, "{out}");
    assert_eq!(out.matches("┆ same").count(), 7, "{out}");
    assert!(!out.contains("DIFFERS"), "{out}");
    assert!(out.contains(&format!("start at bar {}", warm_up + 1)), "{out}");
    assert!(out.contains(&format!("decisions from bar {} (", 3 * warm_up + 1)), "{out}");
    assert!(out.contains("passed: no decision changed"), "{out}");
}

#[test]
fn a_strategy_that_reads_bars_ahead_of_time_fails_the_audit_with_exit_status_1_naming_the_first_difference() {
    let work = tempfile::tempdir().unwrap();
    let registry = leaky_registry();
    let scenario = scenario_of(work.path(), "peeker");
    let error = audit(&registry, &[&scenario]).expect_err("the peeker reads ahead");
    let message = error.to_string();
    assert!(matches!(error, cryptotradebot::Error::Validation(_)), "{message}");
    // The full run filled the cache as it went, so it followed the last bar: its first decision is a buy at the
    // first close above the one before. The first cut rerun read ahead in the cache: its first buy is at the first
    // close below the next one. Both worked out here from the shipped bars.
    let bars = shipped_bars();
    let close = |i: usize| bars[i].ohlcv[3].parse::<Decimal>().unwrap();
    let close_time = |i: usize| Timestamp((bars[i].open_ms + 3_600_000) * 1_000_000);
    let momentum = (1..bars.len()).find(|&i| close(i) > close(i - 1)).unwrap();
    let peeked = (1..bars.len() - 1).find(|&i| close(i + 1) > close(i)).unwrap();
    assert_ne!(momentum, peeked, "the shipped bars tell the two rules apart at once");
    let buy = |i: usize| format!("{} BTCUSDT BUY MARKET quote 10000", close_time(i));
    let first = format!("decision 1: full run {}; rerun {}", buy(momentum), buy(peeked));
    assert!(
        message.contains("audit of btc_sma_cross: 7 of 7 reruns decided differently; first, cut after bar"),
        "{message}"
    );
    assert!(message.ends_with(&first), "{message}\nexpected: {first}");

    // Through `main_with`'s path, the same failure is exit status 1.
    let fresh = leaky_registry();
    let args = ["ctb", "audit", scenario.as_str()];
    assert_eq!(run_args(args, &fresh), ExitCode::FAILURE);
    let honest = common::repo("scenarios/btc_sma_cross.yaml").display().to_string();
    assert_eq!(run_args(["ctb", "audit", honest.as_str()], &fresh), ExitCode::SUCCESS);
}

#[test]
fn a_strategy_whose_decisions_depend_on_where_its_data_starts_fails_the_late_starts_but_not_the_cuts() {
    let work = tempfile::tempdir().unwrap();
    let scenario = scenario_of(work.path(), "record_high");
    let message = audit(&leaky_registry(), &[&scenario]).expect_err("record highs depend on the start").to_string();
    // It never reads ahead: the cuts agree. Started later, it sees other record highs and lows.
    assert!(message.contains("reruns decided differently; first, start at bar 2: decision 1: full run"), "{message}");
    assert!(!message.contains("cut after"), "{message}");
    // Stating the warm-up as the whole data leaves no bar to compare after a late start: it passes.
    audit(&leaky_registry(), &[&scenario, "--warm-up", "1416"]).expect("no late-start bar is left to compare");
    audit(&leaky_registry(), &[&scenario, "--warm-up", &usize::MAX.to_string()])
        .expect("a huge warm-up is no overflow");
}

#[test]
fn the_cut_points_come_from_the_seed_and_spread_over_the_data() {
    let work = tempfile::tempdir().unwrap();
    let scenario = common::repo("scenarios/btc_sma_cross.yaml").display().to_string();
    let cuts = |seed: &str| {
        let (ok, out, err) = common::ctb(work.path(), &["audit", &scenario, "--seed", seed, "--cuts", "7"]);
        assert!(ok, "{out}\n{err}");
        let bars: Vec<usize> = out
            .lines()
            .filter_map(|line| line.split("cut after bar ").nth(1))
            .map(|rest| rest.split_whitespace().next().unwrap().parse().unwrap())
            .collect();
        (bars, out)
    };
    let (first, out) = cuts("3");
    assert_eq!(first.len(), 7, "{out}");
    // One in each seventh of the 1,416 bars (after the first), in order.
    for (k, bar) in first.iter().enumerate() {
        assert!((1 + k * 1415 / 7..1 + (k + 1) * 1415 / 7).contains(bar), "cut {k} at bar {bar}: {out}");
    }
    assert_eq!(cuts("3"), (first.clone(), out), "the same seed, the same audit");
    assert_ne!(cuts("4").0, first, "another seed, other cut points");
}

#[test]
fn the_audit_refuses_level_2_scenarios_and_no_cut_points() {
    let work = tempfile::tempdir().unwrap();
    let l2 = common::repo("scenarios/btc_l2_market_maker.yaml").display().to_string();
    let (ok, _, err) = common::ctb(work.path(), &["audit", &l2]);
    assert!(!ok && err.contains("ctb audit checks strategies on bars"), "{err}");
    let bars = common::repo("scenarios/btc_sma_cross.yaml").display().to_string();
    let (ok, _, err) = common::ctb(work.path(), &["audit", &bars, "--cuts", "0"]);
    assert!(!ok && err.contains("at least one cut point"), "{err}");
}
