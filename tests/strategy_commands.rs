//! Orders a strategy places through the `Strategy` trait's commands — a stop, an amended stop, a cancel, a
//! trailing stop, brackets — worked by hand on the ten bars of `hand_worked_ten_bars.rs` (1,000 USDT, 10 bps fees,
//! lot 0.001, tick 0.01, next-open fills). Each run is a scripted strategy registered as the kind `scripted`; it
//! records the open orders it was shown at every bar.
//!
//! Closes 100, 98, 96, 102, 105, 101, 95, 92, 98, 103; lows 99, 97, 95, 96, 101, 100, 94, 90, 92, 97; highs 101,
//! 101, 99, 103, 106, 106, 101, 96, 99, 104; opens 100, 100, 98, 96, 102, 105, 101, 95, 92, 98.

mod common;

use rust_decimal::{Decimal, dec};
use std::sync::{Arc, Mutex};

use common::ten_bars::{BARS, SCENARIO, hour};
use cryptotradebot::config::Scenario;
use cryptotradebot::model::{OrderId, OrderQty, OrderStatus, OrderType, Side, Timestamp, Trail};
use cryptotradebot::runner::{ScenarioRun, run_scenario};
use cryptotradebot::strategy::{
    Command, Context, OpenOrder, OrderIntent, SliceContext, Strategy, StrategyRegistry, StreamInfo,
};

/// What the script does at bar number `n` (0 = the t0 bar just closed).
type Step = fn(n: usize, ctx: &Context<'_>) -> Vec<Command>;

struct Scripted {
    step: Step,
    seen: Arc<Mutex<Vec<Vec<OpenOrder>>>>,
    bars: usize,
}

impl Strategy for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }
    fn on_start(&mut self, _streams: &[StreamInfo]) -> cryptotradebot::Result<()> {
        Ok(())
    }
    fn on_event(&mut self, ctx: &Context<'_>, commands: &mut Vec<Command>) {
        self.seen.lock().unwrap().push(ctx.open_orders.to_vec());
        commands.extend((self.step)(self.bars, ctx));
        self.bars += 1;
    }
}

/// Runs the ten bars with the script; returns the run and the open orders shown at each bar.
fn run_script(step: Step) -> (ScenarioRun, Vec<Vec<OpenOrder>>) {
    run_script_on(SCENARIO, step)
}

/// [`run_script`] on `scenario` (the hand-worked one, edited).
fn run_script_on(scenario: &str, step: Step) -> (ScenarioRun, Vec<Vec<OpenOrder>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut registry = StrategyRegistry::builtin();
    let shared = Arc::clone(&seen);
    registry
        .register("scripted", move |_| Ok(Box::new(Scripted { step, seen: Arc::clone(&shared), bars: 0 })))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), "bars.csv", BARS);
    let text = scenario.replace("{ kind: sma_cross, params: { fast: 2, slow: 3 } }", "{ kind: scripted }");
    let path = common::write(dir.path(), "scenario.yaml", &text);
    let scenario = Scenario::load_with(&path, &registry).unwrap();
    let run = run_scenario(&scenario, &dir.path().join("report")).unwrap();
    let seen = seen.lock().unwrap().clone();
    (run, seen)
}

fn fills(run: &ScenarioRun) -> Vec<(Timestamp, Side, Decimal, Decimal, Decimal)> {
    run.result.log.fills.iter().map(|f| (f.fill.time, f.fill.side, f.fill.quantity, f.fill.price, f.fill.fee)).collect()
}

fn status(run: &ScenarioRun, id: u64) -> OrderStatus {
    run.result.log.orders[id as usize - 1].report.status
}

fn market(ctx: &Context<'_>, side: Side, quantity: Decimal) -> OrderIntent {
    OrderIntent::market(ctx.venue, ctx.symbol, side, OrderQty::Base(quantity))
}

/// The buy of 5 at the t1 open of 100: 500 USDT, fee 0.5, cash 499.5.
fn entry() -> (Timestamp, Side, Decimal, Decimal, Decimal) {
    (hour(1), Side::Buy, dec!(5), dec!(100), dec!(0.5))
}

#[test]
fn a_stop_sells_at_its_price_when_a_bar_falls_through_it() {
    // t1 close: sell stop at 96.5. t2 opens at 98 and falls to 95: sold at 96.5 = 482.5, fee 0.4825.
    let (run, _) = run_script(|n, ctx| match n {
        0 => vec![Command::Submit(market(ctx, Side::Buy, dec!(5)))],
        1 => vec![Command::Submit(OrderIntent::stop(ctx.venue, ctx.symbol, Side::Sell, dec!(5), dec!(96.5)))],
        _ => vec![],
    });
    assert_eq!(fills(&run), [entry(), (hour(2), Side::Sell, dec!(5), dec!(96.5), dec!(0.4825))]);
    // 499.5 + 482.5 − 0.4825
    assert_eq!(run.result.portfolio.cash(), dec!(981.5175));
}

#[test]
fn an_amended_stop_keeps_its_id_and_fills_at_its_new_price_and_size_and_a_canceled_limit_never_fills() {
    // t1 close: stop 5 at 94.5 (order 2). t2 close: it is shown working, untouched (t2 low 95); amended to 3 at 95.5.
    // t5 close: buy limit 1 at 91 (order 3). t6 (low 94) sells 3 at 95.5 = 286.5, fee 0.2865; the limit stays (94 >
    // 91). t6 close: canceled, so t7's low of 90 does not fill it.
    let (run, seen) = run_script(|n, ctx| {
        let (venue, symbol) = (ctx.venue, ctx.symbol);
        match n {
            0 => vec![Command::Submit(market(ctx, Side::Buy, dec!(5)))],
            1 => vec![Command::Submit(OrderIntent::stop(venue, symbol, Side::Sell, dec!(5), dec!(94.5)))],
            2 => {
                let id = ctx.open_orders[0].id;
                vec![Command::Amend { venue, symbol, order_id: id, quantity: Some(dec!(3)), price: Some(dec!(95.5)) }]
            }
            5 => vec![Command::Submit(OrderIntent::limit(venue, symbol, Side::Buy, dec!(1), dec!(91)))],
            6 => vec![Command::Cancel { venue, symbol, order_id: ctx.open_orders[0].id }],
            _ => vec![],
        }
    });
    let stop = |price, remaining| OpenOrder {
        id: OrderId(2),
        side: Side::Sell,
        order_type: OrderType::StopMarket,
        status: OrderStatus::New,
        price,
        remaining,
    };
    assert_eq!(seen[2], [stop(dec!(94.5), dec!(5))]);
    assert_eq!(seen[3], [stop(dec!(95.5), dec!(3))], "the amendment is what the strategy sees next");
    let limit = OpenOrder {
        id: OrderId(3),
        order_type: OrderType::Limit,
        side: Side::Buy,
        price: dec!(91),
        remaining: dec!(1),
        ..stop(dec!(0), dec!(0))
    };
    assert_eq!(seen[6], [limit], "the stop has filled; the limit works");
    assert!(seen[7].is_empty(), "canceled");
    assert_eq!(fills(&run), [entry(), (hour(6), Side::Sell, dec!(3), dec!(95.5), dec!(0.2865))]);
    assert_eq!((status(&run, 2), status(&run, 3)), (OrderStatus::Filled, OrderStatus::Canceled));
    let amended = &run.result.log.orders[1].report.request;
    assert_eq!((amended.quantity, amended.stop_price), (OrderQty::Base(dec!(3)), Some(dec!(95.5))));
    // 499.5 + 286.5 − 0.2865; 2 left
    assert_eq!(run.result.portfolio.cash(), dec!(785.7135));
    assert_eq!(run.result.portfolio.position(0).quantity, dec!(2));
}

#[test]
fn a_trailing_stop_follows_the_highs_and_sells_when_the_price_falls_back_by_its_trail() {
    // t1 close (98): trail 3.5 → stop 94.5. After t2 (high 99) 95.5, t3 (103) 99.5, t4 (106) 102.5; t2–t4 lows (95,
    // 96, 101) stay above the stop of their time. t5 opens at 105 and falls to 100: sold at 102.5 = 512.5, fee 0.5125.
    let (run, seen) = run_script(|n, ctx| match n {
        0 => vec![Command::Submit(market(ctx, Side::Buy, dec!(5)))],
        1 => {
            let trail = Trail::Amount(dec!(3.5));
            vec![Command::Submit(OrderIntent::trailing_stop(ctx.venue, ctx.symbol, Side::Sell, dec!(5), trail))]
        }
        _ => vec![],
    });
    assert_eq!(seen[4].iter().map(|o| o.order_type).collect::<Vec<_>>(), [OrderType::TrailingStop]);
    assert_eq!(fills(&run), [entry(), (hour(5), Side::Sell, dec!(5), dec!(102.5), dec!(0.5125))]);
    // 499.5 + 512.5 − 0.5125
    assert_eq!(run.result.portfolio.cash(), dec!(1011.4875));
}

#[test]
fn a_bracket_places_its_exits_when_the_entry_fills_and_the_first_reached_cancels_the_other() {
    // Stop-loss side. t0 close: buy 5 with a bracket of 4 / 5 → entry 100 at the t1 open, stop 96, take-profit 105.
    // The rest of t1 (97–101) reaches neither; t2 (open 98, low 95) sells at 96 = 480, fee 0.48.
    let (run, seen) = run_script(|n, ctx| match n {
        0 => vec![Command::Submit(market(ctx, Side::Buy, dec!(5)).with_bracket(dec!(4), dec!(5)))],
        _ => vec![],
    });
    assert_eq!(fills(&run), [entry(), (hour(2), Side::Sell, dec!(5), dec!(96), dec!(0.48))]);
    let exits: Vec<_> = run.result.log.orders[1..]
        .iter()
        .map(|o| (o.report.request.order_type, o.report.request.stop_price, o.report.status))
        .collect();
    assert_eq!(
        exits,
        [
            (OrderType::StopMarket, Some(dec!(96)), OrderStatus::Filled),
            (OrderType::TakeProfitMarket, Some(dec!(105)), OrderStatus::Canceled)
        ]
    );
    assert!(seen[1].is_empty(), "a bracket's exits are not the strategy's open orders");
    // 499.5 + 480 − 0.48
    assert_eq!(run.result.portfolio.cash(), dec!(979.02));

    // Take-profit side. t2 close: buy 5 with a bracket of 4 / 6 → entry 96 at the t3 open (480, fee 0.48), stop 92,
    // take-profit 102, which the rest of t3 (high 103, low 96) reaches: sold at 102 = 510, fee 0.51.
    let (run, _) = run_script(|n, ctx| match n {
        2 => vec![Command::Submit(market(ctx, Side::Buy, dec!(5)).with_bracket(dec!(4), dec!(6)))],
        _ => vec![],
    });
    assert_eq!(
        fills(&run),
        [(hour(3), Side::Buy, dec!(5), dec!(96), dec!(0.48)), (hour(3), Side::Sell, dec!(5), dec!(102), dec!(0.51))]
    );
    // 1000 − 480.48 + 509.49
    assert_eq!(run.result.portfolio.cash(), dec!(1029.01));
}

#[test]
fn a_bracket_with_a_distance_that_is_not_positive_is_refused_and_nothing_is_sent() {
    let (run, _) = run_script(|n, ctx| match n {
        0 => vec![Command::Submit(market(ctx, Side::Buy, dec!(5)).with_bracket(dec!(0), dec!(5)))],
        _ => vec![],
    });
    assert!(fills(&run).is_empty());
    assert!(run.result.log.orders.is_empty(), "refused before it was recorded: {:?}", run.result.log.orders);
}

#[test]
fn an_amendment_that_grows_an_order_beyond_the_risk_limits_is_refused_and_the_order_stays_as_it_was() {
    // Positions limited to 50 % of equity (500 USDT). t0 close: buy limit 1 at 91 (order 1; t1's low of 97 leaves it
    // working). t1 close: amended to 9 — 9 × 91 = 819 USDT, which the cash would pay but the limit refuses. t2
    // close: amended to 0.5, which any limit allows.
    let scenario = SCENARIO.replace("max_position_size_percent: 100", "max_position_size_percent: 50");
    let (run, seen) = run_script_on(&scenario, |n, ctx| {
        let (venue, symbol) = (ctx.venue, ctx.symbol);
        let amend =
            |quantity| Command::Amend { venue, symbol, order_id: OrderId(1), quantity: Some(quantity), price: None };
        match n {
            0 => vec![Command::Submit(OrderIntent::limit(venue, symbol, Side::Buy, dec!(1), dec!(91)))],
            1 => vec![amend(dec!(9))],
            2 => vec![amend(dec!(0.5))],
            _ => vec![],
        }
    });
    assert_eq!(
        seen[2].iter().map(|o| o.remaining).collect::<Vec<_>>(),
        [dec!(1)],
        "the refused amendment changed nothing"
    );
    assert_eq!(seen[3].iter().map(|o| o.remaining).collect::<Vec<_>>(), [dec!(0.5)]);
    let refusals: Vec<&str> = run.result.log.risk_events.iter().map(|e| e.reason.as_str()).collect();
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert!(refusals[0].starts_with("amending order 1:"), "{refusals:?}");
    // t7 (low 90) fills the 0.5 at 91: 45.5, fee 0.0455 (maker).
    assert_eq!(fills(&run), [(hour(7), Side::Buy, dec!(0.5), dec!(91), dec!(0.0455))]);
}

#[test]
fn raising_a_buys_price_by_amendment_counts_the_fee_the_larger_fill_will_pay() {
    // t0 close: buy limit 5 at 91 (t1's low of 97 leaves it working): it commits 455 + 0.455 fee of the 1,000.
    // t1 close: the price raised to 199.9 would spend 5 × 108.9 = 544.5 more, and 0.5445 more fee: 545.0445 of the
    // 544.545 left. Without its fee it would fit.
    let (run, seen) = run_script(|n, ctx| {
        let (venue, symbol) = (ctx.venue, ctx.symbol);
        match n {
            0 => vec![Command::Submit(OrderIntent::limit(venue, symbol, Side::Buy, dec!(5), dec!(91)))],
            1 => vec![Command::Amend { venue, symbol, order_id: OrderId(1), quantity: None, price: Some(dec!(199.9)) }],
            _ => vec![],
        }
    });
    let refusals: Vec<&str> = run.result.log.risk_events.iter().map(|e| e.reason.as_str()).collect();
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert!(refusals[0].starts_with("amending order 1:"), "{refusals:?}");
    assert_eq!(seen[2].iter().map(|o| o.price).collect::<Vec<_>>(), [dec!(91)], "the order kept its price");
}

#[test]
fn a_halt_that_flattens_cancels_the_strategys_resting_sell_and_closes_the_long_at_market() {
    // Drawdown limit 3 %. t0 close: buy 9 → 900 at the t1 open of 100, fee 0.9, cash 99.1. t1 close: a limit sell of
    // the 9 at 200, which no bar reaches. t2 close 96: equity 99.1 + 864 = 963.1, 3.69 % below the 1,000 peak: the
    // halt cancels the resting sell and sells the 9 at the t3 open of 96: 864, fee 0.864.
    let scenario = SCENARIO
        .replace("max_drawdown_percent: 100 }", "max_drawdown_percent: 3 }\nrisk_policy: { flatten_on_halt: true }");
    let (run, _) = run_script_on(&scenario, |n, ctx| {
        let (venue, symbol) = (ctx.venue, ctx.symbol);
        match n {
            0 => vec![Command::Submit(OrderIntent::market(venue, symbol, Side::Buy, OrderQty::Base(dec!(9))))],
            1 => vec![Command::Submit(OrderIntent::limit(venue, symbol, Side::Sell, dec!(9), dec!(200)))],
            _ => vec![],
        }
    });
    assert_eq!(
        fills(&run),
        [(hour(1), Side::Buy, dec!(9), dec!(100), dec!(0.9)), (hour(3), Side::Sell, dec!(9), dec!(96), dec!(0.864))]
    );
    assert_eq!(status(&run, 2), OrderStatus::Canceled);
    assert_eq!(run.result.portfolio.cash(), dec!(962.236));
}

#[test]
fn a_bracket_on_an_order_that_reduces_the_position_is_refused() {
    // Long 5 after t1; a sell of the 5 with a bracket would, once filled, place a buy stop and take-profit that open
    // a new long: refused before it is recorded, and the position stays.
    let (run, _) = run_script(|n, ctx| match n {
        0 => vec![Command::Submit(market(ctx, Side::Buy, dec!(5)))],
        1 => vec![Command::Submit(market(ctx, Side::Sell, dec!(5)).with_bracket(dec!(2), dec!(2)))],
        _ => vec![],
    });
    assert_eq!(fills(&run), [entry()]);
    assert_eq!(run.result.log.orders.len(), 1);
    assert_eq!(run.result.portfolio.position(0).quantity, dec!(5));
}

/// Records what it is shown: `bar <stream> <hour>` per event, `slice <hour>` per time slice.
struct Slices(Arc<Mutex<Vec<String>>>);

impl Strategy for Slices {
    fn name(&self) -> &str {
        "slices"
    }
    fn on_start(&mut self, _streams: &[StreamInfo]) -> cryptotradebot::Result<()> {
        Ok(())
    }
    fn wants_time_slices(&self) -> bool {
        true
    }
    fn on_event(&mut self, ctx: &Context<'_>, _commands: &mut Vec<Command>) {
        let hour = (ctx.time.0 - hour(0).0) / 3_600_000_000_000;
        self.0.lock().unwrap().push(format!("bar {} {hour}", ctx.stream));
    }
    fn on_time_slice(&mut self, ctx: &SliceContext<'_>, _commands: &mut Vec<Command>) {
        let hour = (ctx.time.0 - hour(0).0) / 3_600_000_000_000;
        self.0.lock().unwrap().push(format!("slice {hour}"));
    }
}

#[test]
fn a_time_slice_comes_once_every_streams_bar_of_that_time_is_in() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut registry = StrategyRegistry::builtin();
    let shared = Arc::clone(&seen);
    registry.register("slices", move |_| Ok(Box::new(Slices(Arc::clone(&shared))))).unwrap();
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), "bars.csv", BARS);
    common::write(dir.path(), "other.csv", BARS);
    let text = SCENARIO
        .replace("{ kind: sma_cross, params: { fast: 2, slow: 3 } }", "{ kind: slices }")
        .replace(
            "  - { path: bars.csv, format: csv, symbol: TESTUSDT }",
            "  - { path: bars.csv, format: csv, symbol: TESTUSDT }\n  - { path: other.csv, format: csv, symbol: OTHERUSDT }",
        )
        .replace(
            "    TESTUSDT: { tick_size: 0.01, lot_size: 0.001, min_notional: 1 }",
            "    TESTUSDT: { tick_size: 0.01, lot_size: 0.001, min_notional: 1 }\n    OTHERUSDT: { tick_size: 0.01, lot_size: 0.001, min_notional: 1 }",
        );
    let scenario = Scenario::load_with(&common::write(dir.path(), "scenario.yaml", &text), &registry).unwrap();
    run_scenario(&scenario, &dir.path().join("report")).unwrap();
    let seen = seen.lock().unwrap().clone();
    // Bar h closes at hour h + 1: both streams' bars, then the slice, for every hour.
    let expected: Vec<String> =
        (1..=10).flat_map(|h| [format!("bar 0 {h}"), format!("bar 1 {h}"), format!("slice {h}")]).collect();
    assert_eq!(seen, expected);
}
