//! `ctb audit`: the built-in strategies and the examples' pass it on the shipped scenarios; a strategy that reads
//! bars ahead of time is caught by the cut reruns, and one whose decisions depend on where the data started (a
//! warm-up it does not state) by the late starts — each an error (exit status 1) naming the first decision that
//! differs. A check the data is too short for is NOT CHECKED, with the reason, and the audit fails on it too.

mod common;

#[path = "../examples/mean_reversion/strategy.rs"]
#[allow(dead_code)]
mod mean_reversion;
#[path = "../examples/momentum_rotation/strategy.rs"]
#[allow(dead_code)]
mod momentum_rotation;

use clap::Parser;
use rust_decimal::Decimal;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use common::mock_candles::shipped_bars;
use cryptotradebot::cli::{Cli, run_args};
use cryptotradebot::config::Scenario;
use cryptotradebot::model::{Bar, OrderQty, Side, Timestamp};
use cryptotradebot::strategy::{Command, Context, Event, OrderIntent, Strategy, StrategyRegistry, StreamInfo};
use cryptotradebot::validation::audit::{AuditOptions, AuditReport, DEFAULT_CUTS, Outcome};

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

/// The rows of the audit's table whose check starts with `check`.
fn rows<'a>(out: &'a str, check: &str) -> Vec<&'a str> {
    out.lines().filter(|line| line.starts_with(&format!("│ {check}"))).collect()
}

#[rstest::rstest]
#[case("btc_sma_cross", "sma_cross", 1416, 31)]
#[case("btc_sma_rules", "rules", 1416, 31)]
// RSI(14): its first value on bar 15, and Wilder's averages keep the seed with weight (13/14)^m: below 1e-9
// after 280 more bars.
#[case("btc_rsi_rules", "rules", 1416, 15 + 280)]
// Two streams of 5-second bars; BTCUSDT's SMA(8) read one bar back outlasts ETHUSDT's SMA(5).
#[case("btc_eth_rules", "rules", 129, 9)]
fn the_built_in_strategies_pass_the_audit_on_the_shipped_scenarios(
    #[case] name: &str,
    #[case] kind: &str,
    #[case] bars: usize,
    #[case] warm_up: usize,
) {
    let work = tempfile::tempdir().unwrap();
    let scenario = common::repo(&format!("scenarios/{name}.yaml")).display().to_string();
    let (ok, out, err) = common::ctb(work.path(), &["audit", &scenario]);
    assert!(ok, "{out}\n{err}");
    let heading = format!("audit of {name} ({kind}): {bars} bars, ");
    assert!(out.starts_with(&heading), "{out}");
    assert!(out.contains(&format!("warm-up {warm_up} bars (as the strategy states it)")), "{out}");
    // Five cuts and two late starts, every one run and the same as the full run.
    assert_eq!(rows(&out, "cut after bar ").len(), 5, "{out}");
    assert_eq!(out.matches("┆ same").count(), 7, "{out}");
    assert!(!out.contains("DIFFERS") && !out.contains("NOT CHECKED"), "{out}");
    // The streams' bars close together, so bars of each stream are bars of the time line: the late starts begin
    // after k and 2k bars and are compared from their k-th bar on, the warm-up stated, not 2k bars later.
    let starts = rows(&out, "start ");
    assert_eq!(starts.len(), 2, "{out}");
    let k = warm_up;
    assert!(starts[0].contains(&format!("start at bar {} ({k} bars in)", k + 1)), "{out}");
    assert!(starts[0].contains(&format!("decisions from bar {} (", 2 * k)), "{out}");
    assert!(starts[1].contains(&format!("start at bar {} ({} bars in)", 2 * k + 1, 2 * k)), "{out}");
    assert!(starts[1].contains(&format!("decisions from bar {} (", 3 * k)), "{out}");
    assert!(out.contains("passed: no decision changed"), "{out}");
}

#[test]
fn the_atr_trend_rules_have_a_warm_up_longer_than_a_third_of_the_shipped_data_so_the_second_late_start_is_not_checked()
{
    // EMA(50) read one bar back: 49 bars before its first value, 519 until the seed weighs less than 1e-9
    // ((49/51)^519), and a lag of 1: 570 bars. The first late start is checked and agrees; the second, 1,140 bars
    // in, would need 1,710 of the 1,416 bars: the audit says so and fails.
    let work = tempfile::tempdir().unwrap();
    let scenario = common::repo("scenarios/btc_atr_trend_rules.yaml").display().to_string();
    let (ok, out, err) = common::ctb(work.path(), &["audit", &scenario]);
    assert!(!ok, "{out}");
    assert!(out.contains("warm-up 570 bars (as the strategy states it)"), "{out}");
    assert_eq!(out.matches("┆ same").count(), 6, "{out}");
    let starts = rows(&out, "start ");
    assert!(starts[0].contains("start at bar 571 (570 bars in)") && starts[0].contains("decisions from bar 1140 ("));
    assert!(starts[0].contains("┆ same"), "{out}");
    let reason = "the data has 1416 bars of BTCUSDT; a start 1140 bars in and a warm-up of 570 need 1140 + 570 = 1710";
    assert!(starts[1].contains(&format!("NOT CHECKED: {reason}")), "{out}");
    assert_eq!(
        err.trim(),
        format!("error: ValidationError: audit of btc_atr_trend_rules: not checked, start 1140 bars in: {reason}")
    );
}

/// The audit of `scenarios/NAME.yaml` with `registry`, through the library, as `ctb audit` runs it.
fn report(registry: &StrategyRegistry, path: &std::path::Path) -> AuditReport {
    let scenario = Scenario::load_with(path, registry).unwrap();
    let (series, _) = scenario.load_market_data().unwrap();
    let options = AuditOptions { seed: scenario.seed, cuts: DEFAULT_CUTS, warm_up: None };
    cryptotradebot::validation::audit::audit(&scenario.setup, series, &options).unwrap()
}

#[rstest::rstest]
// Time slices over two streams: the open-loop replay shows the late start each slice's cash and both positions.
#[case("btc_eth_rotation", momentum_rotation::registry(), 129, 13)]
// A bracket on every entry, its σ from f64 statistics rounded to the closes' decimals.
#[case("btc_mean_reversion", mean_reversion::registry(), 1416, 48)]
fn the_examples_pass_the_audit_with_every_check_run(
    #[case] name: &str,
    #[case] registry: StrategyRegistry,
    #[case] bars: usize,
    #[case] warm_up: usize,
) {
    let report = report(&registry, &common::repo(&format!("scenarios/{name}.yaml")));
    assert_eq!((report.bars, report.warm_up, report.stated_warm_up), (bars, warm_up, warm_up));
    assert!(report.decisions > 20, "{} decisions", report.decisions);
    assert_eq!(report.checks.len(), 7, "{}", report.table());
    assert!(report.checks.iter().all(|c| c.outcome == Outcome::Same), "{}", report.table());
    assert!(report.passed());
    let starts: Vec<&str> = report.checks[5..].iter().map(|c| c.name.as_str()).collect();
    let (k1, k2) = (warm_up + 1, 2 * warm_up + 1);
    assert_eq!(
        starts,
        [format!("start at bar {k1} ({warm_up} bars in)"), format!("start at bar {k2} ({} bars in)", 2 * warm_up)]
    );
    assert!(
        report.checks[5..].iter().all(|c| c.decisions > 0),
        "each late start compares decisions: {}",
        report.table()
    );
    // And through the command line: `ctb audit` with the example's registry passes.
    let scenario = common::repo(&format!("scenarios/{name}.yaml")).display().to_string();
    audit(&registry, &[&scenario]).expect("the example passes");
}

#[test]
fn late_starts_and_their_comparisons_count_the_bars_of_each_stream_not_of_the_merged_time_line() {
    // BTCUSDT hourly and, as a second symbol, every other of those hours as two-hour bars: the time line has the
    // hourly bars, ETHUSDT half as many. The rules read close[3]: a warm-up of 4 bars of each stream.
    let work = tempfile::tempdir().unwrap();
    let klines = std::fs::read_to_string(common::repo("data/binance/BTCUSDT-1h-2023-01.csv")).unwrap();
    let mut lines = klines.lines();
    let header = lines.next().unwrap();
    let two_hourly: Vec<&str> = lines.step_by(2).collect();
    common::write(work.path(), "ETH-2h.csv", &format!("{header}\n{}\n", two_hourly.join("\n")));
    let data = common::repo("data/binance/BTCUSDT-1h-2023-01.csv").display().to_string();
    let text = format!(
        "name: two_intervals\nseed: 3\ndata:\n  - {{ path: {data}, format: binance_klines, symbol: BTCUSDT }}\n  \
         - {{ path: ETH-2h.csv, format: binance_klines, symbol: ETHUSDT }}\nstrategy:\n  kind: rules\n  params:\n    \
         entry: close > close[3]\n    exit: close < close[3]\n    sizing: {{ percent_of_equity: 45 }}\nexchange:\n  \
         name: binance\n  fee_bps: {{ maker: 10, taker: 10 }}\n  fill_model: next_open\n  instruments:\n    \
         BTCUSDT: {{ base: BTC, quote: USDT, tick_size: 0.01, lot_size: 0.00001, min_notional: 5 }}\n    \
         ETHUSDT: {{ base: ETH, quote: USDT, tick_size: 0.01, lot_size: 0.00001, min_notional: 5 }}\nportfolio:\n  \
         quote: USDT\n  starting_cash: 10000\nrisk:\n  max_position_size_percent: 50\n  max_daily_loss_percent: 100\n  \
         max_drawdown_percent: 100\n  max_consecutive_losses: 1000\n"
    );
    let path = common::write(work.path(), "two_intervals.yaml", &text);
    let report = report(&StrategyRegistry::builtin(), &path);
    assert_eq!((report.bars, report.warm_up), (744, 4), "{}", report.table());
    assert!(report.passed(), "{}", report.table());
    // 4 bars in: ETHUSDT's fourth closes at hour 8, so the start is at hour 9 (bar 9 of the time line; BTCUSDT
    // skips 8 of its bars). By the time ETHUSDT has had 4 more (hours 10 to 16), the decisions must agree: bar 16.
    // 8 bars in: after ETHUSDT's eighth (hour 16), at bar 17; compared from its twelfth, hour 24.
    let starts: Vec<(&str, &str)> = report.checks[5..].iter().map(|c| (c.name.as_str(), c.compared.as_str())).collect();
    assert_eq!(starts[0].0, "start at bar 9 (4 bars in)");
    assert!(starts[0].1.starts_with("decisions from bar 16 (2023-01-01T16:00:00Z)"), "{starts:?}");
    assert_eq!(starts[1].0, "start at bar 17 (8 bars in)");
    assert!(starts[1].1.starts_with("decisions from bar 24 (2023-01-02T00:00:00Z)"), "{starts:?}");
    assert!(report.checks[5..].iter().all(|c| c.decisions > 0), "{}", report.table());
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
    assert!(
        message.contains("reruns decided differently; first, start at bar 2 (1 bar in): decision 1: full run"),
        "{message}"
    );
    assert!(!message.contains("cut after"), "{message}");
}

#[test]
fn a_warm_up_the_data_is_too_short_for_is_not_checked_and_fails_the_audit_saying_why() {
    let work = tempfile::tempdir().unwrap();
    let scenario = scenario_of(work.path(), "record_high");
    // Stating the warm-up as the whole data leaves no bar to start at, let alone to compare: not a pass.
    let error = audit(&leaky_registry(), &[&scenario, "--warm-up", "1416"]).expect_err("nothing was compared");
    let message = error.to_string();
    assert!(matches!(error, cryptotradebot::Error::Validation(_)), "{message}");
    assert!(
        message.contains(
            "not checked, start 1416 bars in: the data has 1416 bars of BTCUSDT; a start 1416 bars in leaves none; \
             not checked, start 2832 bars in: the data has 1416 bars of BTCUSDT; a start 2832 bars in leaves none"
        ),
        "{message}"
    );
    assert!(!message.contains("decided differently"), "the cuts ran and agree: {message}");
    let huge = usize::MAX.to_string();
    let message = audit(&leaky_registry(), &[&scenario, "--warm-up", &huge]).expect_err("no overflow").to_string();
    assert!(message.contains(&format!("not checked, start {huge} bars in: the data has 1416 bars")), "{message}");

    // 40 hours of BTCUSDT and SMA(10)/SMA(30): a warm-up of 31 needs 31 + 31 bars for the first late start and
    // 62 + 31 for the second; and 50 cut points, of which there are only 39 bars to cut at.
    let klines = std::fs::read_to_string(common::repo("data/binance/BTCUSDT-1h-2023-01.csv")).unwrap();
    let short: Vec<&str> = klines.lines().take(41).collect();
    common::write(work.path(), "BTCUSDT-40h.csv", &(short.join("\n") + "\n"));
    let text = std::fs::read_to_string(common::repo("scenarios/btc_sma_cross.yaml")).unwrap();
    let data = text.find("data:").unwrap();
    let strategy = text.find("strategy:").unwrap();
    let text = format!(
        "{}data:\n  - {{ path: BTCUSDT-40h.csv, format: binance_klines, symbol: BTCUSDT }}\n{}",
        &text[..data],
        &text[strategy..]
    );
    let short_scenario = common::write(work.path(), "short.yaml", &text).display().to_string();
    let (ok, out, err) = common::ctb(work.path(), &["audit", &short_scenario, "--cuts", "50"]);
    assert!(!ok, "{out}");
    assert_eq!(rows(&out, "cut after bar ").len(), 39, "{out}");
    let first = "the data has 40 bars of BTCUSDT; a start 31 bars in and a warm-up of 31 need 31 + 31 = 62";
    let second = "the data has 40 bars of BTCUSDT; a start 62 bars in leaves none";
    let cuts = "50 cut points asked for, and the data has only 39 bars after every stream's first to cut at";
    for reason in [first, second, cuts] {
        assert!(out.contains(&format!("NOT CHECKED: {reason}")), "{reason}\n{out}");
    }
    assert!(!out.contains("passed"), "{out}");
    assert_eq!(
        err.trim(),
        format!(
            "error: ValidationError: audit of btc_sma_cross: not checked, cuts 40 to 50: {cuts}; not checked, \
             start 31 bars in: {first}; not checked, start 62 bars in: {second}"
        )
    );
    // Through `main_with`'s path: exit status 1.
    let args = ["ctb", "audit", short_scenario.as_str()];
    assert_eq!(run_args(args, &StrategyRegistry::builtin()), ExitCode::FAILURE);
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
