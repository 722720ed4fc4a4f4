//! Risk rules that always work (issue 18), end to end: a scripted strategy sends the orders, the scenario's
//! engine, risk manager and simulated venue handle them, and every number is worked out by hand in the comments.
//! 1,000 USDT, 10 bps fees, lot 0.001, next-open fills, no drawdown limit; each test sets the other limits it needs.

mod common;

use rust_decimal::{Decimal, dec};

use cryptotradebot::config::Scenario;
use cryptotradebot::engine::RiskAction;
use cryptotradebot::model::{OrderQty, Side, Timestamp};
use cryptotradebot::risk::RiskRule;
use cryptotradebot::runner::{ScenarioRun, run_scenario};
use cryptotradebot::strategy::{Command, Context, OrderIntent, Strategy, StrategyRegistry, StreamInfo};

/// What the script does at the close of bar number `n` (0 = the first bar).
type Step = fn(n: usize, ctx: &Context<'_>) -> Vec<Command>;

struct Scripted {
    step: Step,
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
        commands.extend((self.step)(self.bars, ctx));
        self.bars += 1;
    }
}

/// The scenario over `bars.csv`; `{risk}` is replaced by the test's limits.
const SCENARIO: &str = "name: risk_hand_worked
data:
  - { path: bars.csv, format: csv, symbol: TESTUSDT }
strategy: { kind: scripted }
exchange:
  fee_bps: { maker: 10, taker: 10 }
  fill_model: next_open
  instruments:
    TESTUSDT: { tick_size: 0.01, lot_size: 0.001, min_notional: 1 }
portfolio: { quote: USDT, starting_cash: 1000 }
risk: { max_drawdown_percent: 100, {risk} }
";

/// Runs `bars` (csv: timestamp,open,high,low,close,volume) with the script and the extra `risk` limits.
fn run(bars: &str, risk: &str, step: Step) -> ScenarioRun {
    let mut registry = StrategyRegistry::builtin();
    registry.register("scripted", move |_| Ok(Box::new(Scripted { step, bars: 0 }))).unwrap();
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), "bars.csv", bars);
    let path = common::write(dir.path(), "scenario.yaml", &SCENARIO.replace("{risk}", risk));
    let scenario = Scenario::load_with(&path, &registry).unwrap();
    run_scenario(&scenario, &dir.path().join("report")).unwrap()
}

fn market(ctx: &Context<'_>, side: Side, quantity: Decimal) -> Command {
    Command::Submit(OrderIntent::market(ctx.venue, ctx.symbol, side, OrderQty::Base(quantity)))
}

/// Midnight UTC of 2024-01-01 plus `days` days.
fn day(days: i64) -> Timestamp {
    Timestamp((1_704_067_200 + days * 86_400) * 1_000_000_000)
}

fn fills(run: &ScenarioRun) -> Vec<(Timestamp, Side, Decimal, Decimal)> {
    run.result.log.fills.iter().map(|f| (f.fill.time, f.fill.side, f.fill.quantity, f.fill.price)).collect()
}

/// Daily bars from 2024-01-01; each closes at 00:00 UTC of the next day.
const DAILY: &str = "timestamp,open,high,low,close,volume
2024-01-01T00:00:00Z,100,100,100,100,1
2024-01-02T00:00:00Z,100,100,100,100,1
2024-01-03T00:00:00Z,100,100,90,90,1
2024-01-04T00:00:00Z,90,91,90,91,1
2024-01-05T00:00:00Z,91,92,91,92,1
";

#[test]
fn on_daily_bars_a_days_loss_against_the_previous_close_trips_the_daily_limit() {
    // Bar 0 closes (01-02 00:00): buy 9 at market → fills at bar 1's open 100: 900 + fee 0.9, cash 99.1.
    // Marks: 01-02 1,000; 01-03 99.1 + 9 × 100 = 999.1; 01-04 99.1 + 9 × 90 = 909.1 — 90 / 999.1 = 9.0081 % below
    // the last mark of the day before, beyond the 5 % limit: the daily limit is recorded at 01-04 00:00 and the buy
    // of 0.5 sent at that close is refused. On 01-05 the day starts at 909.1 (99.1 + 9 × 91 = 918.1 is a gain):
    // the buy sent at that close passes and fills at bar 4's open 91.
    let run = run(DAILY, "max_position_size_percent: 100, max_daily_loss_percent: 5", |n, ctx| match n {
        0 => vec![market(ctx, Side::Buy, dec!(9))],
        2 | 3 => vec![market(ctx, Side::Buy, dec!(0.5))],
        _ => vec![],
    });
    let events = &run.result.log.risk_events;
    let limit = events.iter().find(|e| e.action == RiskAction::DailyLimit).expect("a daily limit");
    assert_eq!(limit.time, day(3));
    // (The marks carry the venue's six decimals: 909.100000.)
    assert!(limit.reason.starts_with("equity 909.1"), "{}", limit.reason);
    assert!(limit.reason.contains("is 9.0081 % below the day's start 999.1"), "{}", limit.reason);
    let refused: Vec<_> =
        events.iter().filter(|e| e.rule == RiskRule::DailyLoss && e.action == RiskAction::Rejected).collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].time, day(3));
    assert_eq!(run.summary.risk.daily_limits, 1);
    assert_eq!(fills(&run), [(day(1), Side::Buy, dec!(9), dec!(100)), (day(4), Side::Buy, dec!(0.5), dec!(91))]);
}

/// Hourly bars from 2024-01-01 00:00, every price 100: a limit sell at 110 never fills.
const FLAT: &str = "timestamp,open,high,low,close,volume
2024-01-01T00:00:00Z,100,100,100,100,1
2024-01-01T01:00:00Z,100,100,100,100,1
2024-01-01T02:00:00Z,100,100,100,100,1
2024-01-01T03:00:00Z,100,100,100,100,1
2024-01-01T04:00:00Z,100,100,100,100,1
";

/// The open time of hourly bar `h` (and the close of bar `h - 1`).
fn hour(h: i64) -> Timestamp {
    Timestamp((1_704_067_200 + h * 3600) * 1_000_000_000)
}

#[test]
fn a_working_sell_does_not_free_room_for_more_buying_on_a_long() {
    // Position limit 50 %. Bar 0: buy 4 at market → fills at bar 1's open 100: 400 + fee 0.4, cash 599.6, equity
    // 999.6. Bar 1: a limit sell of the 4 at 110 (a take-profit; it reduces, and never fills on these bars).
    // Bar 2: buy 4 more. The 4 held stay held until the sell fills, which it may never do: the limit is
    // 50 % × 999.6 = 499.8, 400 of it taken, so the buy is cut to 99.8 / 100 = 0.998. Netting the working sell
    // against the long (4 − 4 = 0) let all 4 through: a long of 8, 800 = 80 % of equity.
    let run = run(FLAT, "max_position_size_percent: 50, max_daily_loss_percent: 100", |n, ctx| match n {
        0 | 2 => vec![market(ctx, Side::Buy, dec!(4))],
        1 => vec![Command::Submit(OrderIntent::limit(ctx.venue, ctx.symbol, Side::Sell, dec!(4), dec!(110)))],
        _ => vec![],
    });
    let events = &run.result.log.risk_events;
    assert_eq!(events.len(), 1, "{events:?}");
    let resize = &events[0];
    assert_eq!((resize.time, resize.rule, resize.action), (hour(3), RiskRule::PositionSize, RiskAction::Resized));
    assert_eq!(resize.adjusted_size, Some(dec!(0.998)));
    assert!(resize.reason.starts_with("resized from 4 to 0.998: max_position_size_percent 50 %"), "{}", resize.reason);
    assert_eq!(fills(&run), [(hour(1), Side::Buy, dec!(4), dec!(100)), (hour(3), Side::Buy, dec!(0.998), dec!(100))]);
}

#[test]
fn a_buy_that_fits_the_cash_only_without_its_fee_is_cut_to_fit_with_it() {
    // 1,000 USDT, 10 bps taker fee. Bar 0 (close 100): buy 10 at market — 1,000 of notional, 1,001 with its fee.
    // The cash buys 1,000 / (100 × 1.001) = 9.99000999… → 9.99 by the lot: 999 + fee 0.999 = 999.999, cash
    // 0.001. Checked without the fee the order passed whole, and the venue refused its fill (1,000 plus fee 1 is
    // more than 1,000).
    let run = run(FLAT, "max_position_size_percent: 100, max_daily_loss_percent: 100", |n, ctx| match n {
        0 => vec![market(ctx, Side::Buy, dec!(10))],
        _ => vec![],
    });
    let events = &run.result.log.risk_events;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!((events[0].rule, events[0].action), (RiskRule::Balance, RiskAction::Resized));
    assert_eq!(events[0].adjusted_size, Some(dec!(9.99)));
    assert_eq!(events[0].reason, "resized from 10 to 9.99: available balance 1000 with a fee of 0.1 %");
    let fill = run.result.log.fills.first().map(|f| (f.fill.quantity, f.fill.price, f.fill.fee));
    assert_eq!(fill, Some((dec!(9.99), dec!(100), dec!(0.999))));
    assert_eq!(run.result.portfolio.cash(), dec!(0.001));
}

#[test]
fn a_second_buy_counts_the_fee_the_first_one_will_pay() {
    // Bar 0: two market buys of 5 (500 each, 500.5 with the fee). The first passes; it commits 500.5 of the
    // 1,000, leaving 499.5, which buys 499.5 / 100.1 = 4.99000999… → 4.99 (499 + 0.499 = 499.499). Both fill at
    // bar 1's open 100: cash 1,000 − 500.5 − 499.499 = 0.001. Committing only the notional (500) left 500 for the
    // second buy: 5 passed, and the venue refused its fill for the missing 0.5 of fee.
    let run = run(FLAT, "max_position_size_percent: 100, max_daily_loss_percent: 100", |n, ctx| match n {
        0 => vec![market(ctx, Side::Buy, dec!(5)), market(ctx, Side::Buy, dec!(5))],
        _ => vec![],
    });
    let events = &run.result.log.risk_events;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!((events[0].rule, events[0].adjusted_size), (RiskRule::Balance, Some(dec!(4.99))));
    assert_eq!(fills(&run), [(hour(1), Side::Buy, dec!(5), dec!(100)), (hour(1), Side::Buy, dec!(4.99), dec!(100))]);
    assert_eq!(run.result.portfolio.cash(), dec!(0.001));
}
