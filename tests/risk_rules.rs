//! Every rule of the risk manager on a hand-worked case. Numbers are worked out in the comments; the limits are the
//! seed's defaults unless a test says otherwise (10 % position, 5 % daily loss, 15 % drawdown, leverage 3, 10
//! positions, 30 % correlated exposure, stop 2 %, take-profit 6 %, reward/risk 2, 5 losses, 24 h cool-off).

use rust_decimal::Decimal;
use rust_decimal::dec;

use cryptotradebot::model::exact::PackedDecimal;
use cryptotradebot::model::{OrderQty, Side, Symbol, Timestamp};
use cryptotradebot::risk::{
    CorrelationPolicy, KellyPolicy, RiskDecision, RiskLevel, RiskLimits, RiskManager, RiskPolicy, RiskRule,
};

const HOUR: i64 = 3_600_000_000_000;

fn sym(name: &str) -> Symbol {
    Symbol::new(name).unwrap()
}

fn btc() -> Symbol {
    sym("BTCUSDT")
}

fn eth() -> Symbol {
    sym("ETHUSDT")
}

fn manager(limits: RiskLimits) -> RiskManager {
    RiskManager::new(limits)
}

fn hold(risk: &mut RiskManager, symbol: Symbol, quantity: Decimal, price: Decimal) {
    risk.update_position(symbol, quantity);
    risk.update_price(symbol, price);
}

fn mark(risk: &mut RiskManager, hour: i64, equity: Decimal) {
    risk.on_mark(Timestamp(hour * HOUR), PackedDecimal::from_decimal(equity));
}

/// Checks a base-quantity order with a portfolio value of 10,000 and a balance of 10,000.
fn check(risk: &RiskManager, symbol: Symbol, side: Side, quantity: Decimal, price: Decimal) -> RiskDecision {
    risk.check_order(symbol, side, OrderQty::Base(quantity), price, dec!(10000), dec!(10000))
}

fn assert_rejected(decision: &RiskDecision, rule: RiskRule, words: &str) {
    assert!(!decision.accepted, "expected a rejection, got {decision:?}");
    assert_eq!(decision.rule, Some(rule), "{}", decision.reason);
    assert!(decision.reason.contains(words), "reason `{}` lacks `{words}`", decision.reason);
    assert_eq!(decision.adjusted, Decimal::ZERO);
}

fn assert_resized(decision: &RiskDecision, rule: RiskRule, to: Decimal, words: &str) {
    assert!(decision.accepted, "expected a resize, got {decision:?}");
    assert_eq!(decision.rule, Some(rule), "{}", decision.reason);
    assert_eq!(decision.adjusted, to, "{}", decision.reason);
    assert!(decision.reason.contains(words), "reason `{}` lacks `{words}`", decision.reason);
}

fn limits_with_position_percent(percent: Decimal) -> RiskLimits {
    RiskLimits { max_position_size_percent: percent, ..RiskLimits::default() }
}

#[tokio::test]
async fn an_order_inside_every_limit_passes_unchanged() {
    // 0.01 × 50,000 = 500 ≤ 10 % of 10,000
    let (accepted, reason, adjusted) = manager(RiskLimits::default())
        .validate_order(btc(), Side::Buy, dec!(0.01), dec!(50000), dec!(10000), dec!(10000))
        .await;
    assert!(accepted);
    assert_eq!((reason.as_ref(), adjusted), ("within limits", dec!(0.01)));
}

#[test]
fn a_position_is_resized_to_the_position_limit() {
    // 10 % of 10,000 = 1,000 of notional: 1,000 / 50,000 = 0.02 BTC instead of 0.1
    let d = check(&manager(RiskLimits::default()), btc(), Side::Buy, dec!(0.1), dec!(50000));
    assert_resized(&d, RiskRule::PositionSize, dec!(0.02), "resized from 0.1 to 0.02: max_position_size_percent 10");
}

#[test]
fn the_position_limit_counts_what_is_already_held() {
    // 0.01 BTC held at 50,000 = 500; room 1,000 − 500 = 500 → 0.01 BTC of the 0.03 asked
    let mut risk = manager(RiskLimits::default());
    hold(&mut risk, btc(), dec!(0.01), dec!(50000));
    assert_resized(&check(&risk, btc(), Side::Buy, dec!(0.03), dec!(50000)), RiskRule::PositionSize, dec!(0.01), "");
}

#[test]
fn a_resize_rounds_down_to_the_lot_size() {
    // room 1,000 at 30,000 = 0.0333… → 0.033 with a lot of 0.001 (notional 990)
    let mut risk = manager(RiskLimits::default());
    risk.set_instrument(btc(), dec!(0.001), dec!(5));
    assert_resized(&check(&risk, btc(), Side::Buy, dec!(1), dec!(30000)), RiskRule::PositionSize, dec!(0.033), "");
}

#[test]
fn an_order_that_cannot_be_resized_above_the_exchange_minimum_is_rejected() {
    // portfolio 80: room 8 → 0.00016 → 0.0001 by the lot → notional 5, below the minimum 10
    let mut risk = manager(RiskLimits::default());
    risk.set_instrument(btc(), dec!(0.0001), dec!(10));
    let d = risk.check_order(btc(), Side::Buy, OrderQty::Base(dec!(0.01)), dec!(50000), dec!(80), dec!(80));
    assert_rejected(&d, RiskRule::ExchangeMinimum, "below the exchange minimum 10");
}

#[test]
fn a_buy_never_exceeds_the_available_balance() {
    // position limit 100 %: the balance of 2,000 is the tightest → 2,000 / 50,000 = 0.04
    let risk = manager(limits_with_position_percent(dec!(100)));
    let d = risk.check_order(btc(), Side::Buy, OrderQty::Base(dec!(0.1)), dec!(50000), dec!(10000), dec!(2000));
    assert_resized(&d, RiskRule::Balance, dec!(0.04), "available balance 2000");
}

#[test]
fn a_buys_balance_check_includes_its_fee() {
    // Taker 0.1 %: 1 BTC at 1,000 costs 1,001. With 1,001 free it passes whole; with 1,000.99 it is cut to what
    // 1,000.99 / 1,001 = 0.99999000… buys, 0.99999 by the lot of 0.00001 (999.99 + fee 0.99999 = 1,000.98999).
    let mut risk = manager(limits_with_position_percent(dec!(100)));
    risk.set_instrument(btc(), dec!(0.00001), dec!(5));
    risk.set_fee_rate(btc(), dec!(0.001));
    let at = |balance| risk.check_order(btc(), Side::Buy, OrderQty::Base(dec!(1)), dec!(1000), dec!(10000), balance);
    let whole = at(dec!(1001));
    assert!(whole.accepted && whole.rule.is_none() && whole.adjusted == dec!(1), "{whole:?}");
    assert_resized(
        &at(dec!(1000.99)),
        RiskRule::Balance,
        dec!(0.99999),
        "available balance 1000.99 with a fee of 0.1 %",
    );
    // A quote-sized buy spends its amount fee included (the venue sizes it so): 1,001 of 1,001 passes whole.
    let spend = risk.check_order(btc(), Side::Buy, OrderQty::Quote(dec!(1001)), dec!(1000), dec!(10000), dec!(1001));
    assert!(spend.accepted && spend.adjusted == dec!(1001), "{spend:?}");
}

#[test]
fn gross_exposure_never_exceeds_max_leverage_times_equity() {
    // leverage 1 × 10,000 with 4 ETH × 1,500 = 6,000 held: 4,000 left for a BTC short → 0.08 of the 0.2 asked
    let limits = RiskLimits { max_leverage: dec!(1), ..limits_with_position_percent(dec!(100)) };
    let mut risk = manager(limits);
    hold(&mut risk, eth(), dec!(4), dec!(1500));
    let d = check(&risk, btc(), Side::Sell, dec!(0.2), dec!(50000));
    assert_resized(&d, RiskRule::Leverage, dec!(0.08), "max_leverage 1 × 10000 with 6000 held elsewhere");
}

#[test]
fn working_buys_and_sells_each_count_on_their_own_side() {
    // Flat, quoting both sides at 50,000: a working buy of 0.02 and a working sell of 0.02, each 1,000 = the whole
    // 10 % of 10,000. Either may fill without the other, so each side is full: another buy or sell has no room.
    // Netted (0.02 − 0.02 = 0), both would pass in full and either fill would double the position.
    let mut risk = manager(RiskLimits::default());
    risk.update_price(btc(), dec!(50000));
    risk.update_working(btc(), dec!(0.02), dec!(0.02));
    let buy = check(&risk, btc(), Side::Buy, dec!(0.02), dec!(50000));
    assert_rejected(&buy, RiskRule::PositionSize, "leaves no room");
    let sell = check(&risk, btc(), Side::Sell, dec!(0.02), dec!(50000));
    assert_rejected(&sell, RiskRule::PositionSize, "leaves no room");
    // The symbol counts as an open position, and its exposure for leverage is the larger side: 1,000.
    assert_eq!(risk.open_positions(), 1);
}

#[test]
fn a_long_with_a_working_sell_still_holds_its_room_on_the_buy_side() {
    // 0.02 held (1,000, the whole 10 %) and a working sell of all of it: until the sell fills the long is there,
    // so a buy finds no room; netted, the two were flat and the buy of 0.02 passed.
    let mut risk = manager(RiskLimits::default());
    hold(&mut risk, btc(), dec!(0.02), dec!(50000));
    risk.update_working(btc(), Decimal::ZERO, dec!(0.02));
    assert_rejected(&check(&risk, btc(), Side::Buy, dec!(0.02), dec!(50000)), RiskRule::PositionSize, "leaves no room");
    // Leverage 1 elsewhere: the BTC long still counts 1,000 of gross exposure, leaving 9,000 for ETH: 6 of 10.
    let limits = RiskLimits { max_leverage: dec!(1), ..limits_with_position_percent(dec!(100)) };
    let mut risk = manager(limits);
    hold(&mut risk, btc(), dec!(0.02), dec!(50000));
    risk.update_working(btc(), Decimal::ZERO, dec!(0.02));
    let d = check(&risk, eth(), Side::Buy, dec!(10), dec!(1500));
    assert_resized(&d, RiskRule::Leverage, dec!(6), "max_leverage 1 × 10000 with 1000 held elsewhere");
}

#[test]
fn a_new_position_beyond_max_open_positions_is_rejected_but_adding_to_one_is_not() {
    let limits = RiskLimits { max_open_positions: 2, ..RiskLimits::default() };
    let mut risk = manager(limits);
    hold(&mut risk, btc(), dec!(0.01), dec!(50000));
    hold(&mut risk, eth(), dec!(0.1), dec!(2000));
    assert_rejected(
        &check(&risk, sym("SOLUSDT"), Side::Buy, dec!(1), dec!(20)),
        RiskRule::OpenPositions,
        "max_open_positions 2",
    );
    let add = check(&risk, btc(), Side::Buy, dec!(0.01), dec!(50000));
    assert!(add.accepted && add.adjusted == dec!(0.01), "{add:?}");
}

#[test]
fn reducing_orders_pass_even_while_halted_and_new_risk_does_not() {
    // peak 10,000; 15 % below is 8,500: a mark at 8,400 halts
    let mut risk = manager(RiskLimits::default());
    hold(&mut risk, btc(), dec!(0.1), dec!(50000));
    mark(&mut risk, 0, dec!(10000));
    mark(&mut risk, 1, dec!(8400));
    assert!(risk.halt().is_some());
    let sell = check(&risk, btc(), Side::Sell, dec!(0.05), dec!(50000));
    assert!(sell.accepted && sell.reduces && sell.adjusted == dec!(0.05), "{sell:?}");
    assert_rejected(
        &check(&risk, btc(), Side::Buy, dec!(0.001), dec!(50000)),
        RiskRule::Drawdown,
        "only reducing orders pass",
    );
    // Selling more than is held opens a short: new risk, refused.
    assert_rejected(&check(&risk, btc(), Side::Sell, dec!(0.2), dec!(50000)), RiskRule::Drawdown, "emergency stop");
}

#[tokio::test]
async fn check_emergency_stop_trips_at_max_drawdown_from_the_peak() {
    let mut risk = manager(RiskLimits::default());
    mark(&mut risk, 0, dec!(10000));
    assert_eq!(risk.check_emergency_stop(dec!(8500.01)).await, (false, String::new()));
    let (stop, reason) = risk.check_emergency_stop(dec!(8500)).await;
    assert!(stop && reason.contains("drawdown 15.0000 % from the peak 10000"), "{reason}");
    assert!(risk.check_emergency_stop(dec!(9999)).await.0, "the stop is latched");
}

#[test]
fn the_daily_loss_limit_blocks_new_risk_until_the_next_utc_day() {
    // day 0 starts at 10,000: 5 % below is 9,500
    let mut risk = manager(RiskLimits::default());
    mark(&mut risk, 0, dec!(10000));
    mark(&mut risk, 10, dec!(9500.01));
    assert!(check(&risk, btc(), Side::Buy, dec!(0.01), dec!(50000)).accepted);
    mark(&mut risk, 11, dec!(9500));
    assert_rejected(&check(&risk, btc(), Side::Buy, dec!(0.01), dec!(50000)), RiskRule::DailyLoss, "next UTC day");
    mark(&mut risk, 23, dec!(9600));
    assert!(!check(&risk, btc(), Side::Buy, dec!(0.01), dec!(50000)).accepted, "still the same UTC day");
    mark(&mut risk, 24, dec!(9600));
    assert!(check(&risk, btc(), Side::Buy, dec!(0.01), dec!(50000)).accepted, "a new day starts at 9,600");
}

#[test]
fn the_daily_loss_is_measured_from_the_previous_days_last_mark_so_the_bar_closing_at_midnight_counts() {
    // Daily bars: one mark per UTC day, each at 00:00. Start value 10,000 (the engine sets it at start()); the
    // close of day 1 marks 10,000, the close of day 2 marks 9,400: 6 % below the last mark of the day before, more
    // than the 5 % limit. Measured from its own first mark (9,400 against 9,400) the loss would be 0 % every day.
    let mut risk = manager(RiskLimits::default());
    risk.set_daily_start_value(dec!(10000));
    mark(&mut risk, 24, dec!(10000));
    assert!(check(&risk, btc(), Side::Buy, dec!(0.01), dec!(50000)).accepted);
    mark(&mut risk, 48, dec!(9400));
    assert_eq!(risk.daily_start_value(), Some(dec!(10000)), "day 2 starts where day 1 ended");
    let reason = risk.daily_limit_reason().unwrap_or_default().to_string();
    assert!(reason.contains("equity 9400 is 6.0000 % below the day's start 10000"), "{reason}");
    assert_rejected(&check(&risk, btc(), Side::Buy, dec!(0.01), dec!(50000)), RiskRule::DailyLoss, "next UTC day");
    // Day 3 starts at 9,400 (day 2's last mark); 9,000 is 4.26 % below it: trading again.
    mark(&mut risk, 72, dec!(9000));
    assert_eq!(risk.daily_start_value(), Some(dec!(9400)));
    assert!(check(&risk, btc(), Side::Buy, dec!(0.01), dec!(50000)).accepted);
}

#[test]
fn on_hourly_marks_the_hour_that_closes_at_midnight_is_measured_from_the_day_before() {
    // Marks at 22:00 and 23:00 of day 0 at 10,000; the bar closing at 00:00 of day 1 marks 9,500: 5 % down in
    // that hour, measured from 23:00's 10,000.
    let mut risk = manager(RiskLimits::default());
    mark(&mut risk, 22, dec!(10000));
    mark(&mut risk, 23, dec!(10000));
    mark(&mut risk, 24, dec!(9500));
    assert!(risk.daily_limit_reason().is_some_and(|r| r.contains("5.0000 % below the day's start 10000")));
}

#[test]
fn a_losing_streak_starts_a_cool_off_of_engine_time() {
    // five losers in a row at hours 1..=5: no entries until hour 5 + 24 = 29
    let mut risk = manager(RiskLimits::default());
    mark(&mut risk, 0, dec!(10000));
    for hour in 1..=4 {
        assert_eq!(risk.on_round_trip(Timestamp(hour * HOUR), dec!(-10), dec!(1000)), None);
    }
    assert_eq!(risk.on_round_trip(Timestamp(5 * HOUR), dec!(-10), dec!(1000)), Some(Timestamp(29 * HOUR)));
    mark(&mut risk, 28, dec!(9950));
    assert_rejected(
        &check(&risk, btc(), Side::Buy, dec!(0.01), dec!(50000)),
        RiskRule::ConsecutiveLosses,
        "5 losing trades",
    );
    mark(&mut risk, 29, dec!(9950));
    assert!(check(&risk, btc(), Side::Buy, dec!(0.01), dec!(50000)).accepted);
}

#[tokio::test]
async fn stop_loss_and_take_profit_default_to_two_and_six_percent() {
    let risk = manager(RiskLimits::default());
    assert_eq!(
        risk.calculate_stop_loss_take_profit(btc(), Side::Buy, dec!(50000), None).await,
        (dec!(49000), dec!(53000))
    );
    assert_eq!(
        risk.calculate_stop_loss_take_profit(btc(), Side::Sell, dec!(50000), None).await,
        (dec!(51000), dec!(47000))
    );
}

#[tokio::test]
async fn with_a_volatility_the_stop_sits_at_a_multiple_of_it() {
    // ATR 400 × 2 = 800 below 50,000; the target stays at 6 %
    let risk = manager(RiskLimits::default());
    let levels = risk.calculate_stop_loss_take_profit(btc(), Side::Buy, dec!(50000), Some(dec!(400))).await;
    assert_eq!(levels, (dec!(49200), dec!(53000)));
}

#[test]
fn an_entry_whose_exits_miss_the_reward_to_risk_ratio_is_rejected_with_the_ratio() {
    // ATR 1,000: stop 2,000 away, target 3,000 away: 1.5 < 2
    let risk = manager(RiskLimits::default());
    let refusal = risk.exit_distances(dec!(50000), Some(dec!(1000))).unwrap_err();
    assert_rejected(
        &refusal,
        RiskRule::RiskReward,
        "reward/risk 1.5 of the stop-loss / take-profit pair is below min_risk_reward_ratio 2",
    );
    assert!(risk.exit_distances(dec!(50000), Some(dec!(750))).is_ok(), "ATR 750: 3,000 / 1,500 = 2 passes");
}

fn kelly_manager(position_percent: Decimal) -> RiskManager {
    let kelly = KellyPolicy { fraction: dec!(0.5), min_trades: 5, fallback_percent: dec!(1), ..KellyPolicy::default() };
    manager(limits_with_position_percent(position_percent))
        .with_policy(RiskPolicy { kelly: Some(kelly), ..RiskPolicy::default() })
}

fn five_trades(risk: &mut RiskManager) {
    // +4 %, −2 %, +4 %, −2 %, +4 %: W = 0.6, R = 4 / 2 = 2, f* = 0.6 − 0.4 / 2 = 0.4; half Kelly = 20 %
    for (i, pnl) in [dec!(40), dec!(-20), dec!(40), dec!(-20), dec!(40)].into_iter().enumerate() {
        risk.on_round_trip(Timestamp(i as i64 * HOUR), pnl, dec!(1000));
    }
}

#[test]
fn kelly_sizes_entries_from_the_strategys_own_closed_trades() {
    // 20 % of 10,000 = 2,000 → 0.04 BTC, tighter than the 50 % position limit
    let mut risk = kelly_manager(dec!(50));
    five_trades(&mut risk);
    let d = check(&risk, btc(), Side::Buy, dec!(0.1), dec!(50000));
    assert_resized(&d, RiskRule::Kelly, dec!(0.04), "Kelly 0.5 × 0.4000 = 20.00 % of equity");
}

#[test]
fn kelly_uses_the_fixed_fraction_until_enough_trades_exist() {
    // 1 % of 10,000 = 100 → 0.002 BTC
    let d = check(&kelly_manager(dec!(50)), btc(), Side::Buy, dec!(0.1), dec!(50000));
    assert_resized(&d, RiskRule::Kelly, dec!(0.002), "0 of 5 trades needed for Kelly: fixed 1 %");
}

#[test]
fn kelly_never_exceeds_the_position_limit() {
    // Kelly allows 20 %, the position limit 10 %: 1,000 → 0.02
    let mut risk = kelly_manager(dec!(10));
    five_trades(&mut risk);
    assert_resized(&check(&risk, btc(), Side::Buy, dec!(0.1), dec!(50000)), RiskRule::PositionSize, dec!(0.02), "");
}

/// `trades` closed trades on 1,000 of notional: `true` a win of +4 %, `false` a loss of −2 %.
fn record(risk: &mut RiskManager, trades: &[bool]) {
    for (i, &win) in trades.iter().enumerate() {
        risk.on_round_trip(Timestamp(i as i64 * HOUR), if win { dec!(40) } else { dec!(-20) }, dec!(1000));
    }
}

#[test]
fn kelly_keeps_a_floor_after_a_losing_streak_so_it_can_trade_its_way_back() {
    // Four losses of −2 %: W = 0, Kelly −1. Sized to zero, no entry would ever go out and no trade would ever
    // close to change the estimate. The floor (floor_percent, 0.5 % by default) keeps entries at 0.5 % of 10,000 =
    // 50 → 0.001 BTC. Four wins of +4 % later: W = 4 / 8, R = 4 / 2 = 2, f* = 0.5 − 0.5 / 2 = 0.25; half Kelly
    // 12.5 % = 1,250 → 0.025 BTC.
    let kelly = KellyPolicy { fraction: dec!(0.5), min_trades: 4, fallback_percent: dec!(1), ..KellyPolicy::default() };
    let mut risk = manager(limits_with_position_percent(dec!(50)))
        .with_policy(RiskPolicy { kelly: Some(kelly), ..RiskPolicy::default() });
    record(&mut risk, &[false; 4]);
    let d = check(&risk, btc(), Side::Buy, dec!(0.1), dec!(50000));
    assert_resized(&d, RiskRule::Kelly, dec!(0.001), "below floor_percent 0.5 %");
    record(&mut risk, &[true; 4]);
    let d = check(&risk, btc(), Side::Buy, dec!(0.1), dec!(50000));
    assert_resized(&d, RiskRule::Kelly, dec!(0.025), "Kelly 0.5 × 0.2500 = 12.50 % of equity");
}

#[test]
fn kelly_is_estimated_over_its_window_of_latest_trades_so_old_losses_roll_out() {
    // window 6: four losses, then two wins: [L L L L W W], W = 1/3, R = 2, f* = 1/3 − (2/3) / 2 = 0 → the floor,
    // 0.5 % = 50 → 0.001 BTC. Two more wins push two losses out: [L L W W W W], W = 2/3, f* = 2/3 − (1/3) / 2 =
    // 0.5; half Kelly 25 % = 2,500 → 0.05 BTC (over all eight trades it would be 12.5 %).
    let kelly = KellyPolicy {
        fraction: dec!(0.5),
        min_trades: 4,
        fallback_percent: dec!(1),
        floor_percent: dec!(0.5),
        window: 6,
    };
    let mut risk = manager(limits_with_position_percent(dec!(50)))
        .with_policy(RiskPolicy { kelly: Some(kelly), ..RiskPolicy::default() });
    record(&mut risk, &[false, false, false, false, true, true]);
    assert_resized(&check(&risk, btc(), Side::Buy, dec!(0.1), dec!(50000)), RiskRule::Kelly, dec!(0.001), "floor");
    record(&mut risk, &[true, true]);
    let d = check(&risk, btc(), Side::Buy, dec!(0.1), dec!(50000));
    assert_resized(&d, RiskRule::Kelly, dec!(0.05), "Kelly 0.5 × 0.5000 = 25.00 % of equity");
}

fn correlated_manager() -> RiskManager {
    let correlation = CorrelationPolicy { window: 5, threshold: 0.7 };
    let mut risk = manager(limits_with_position_percent(dec!(25)))
        .with_policy(RiskPolicy { correlation: Some(correlation), ..RiskPolicy::default() });
    // BTC and ETH move by the same percentages (correlation 1); SOL moves against them.
    for (hour, step) in [100.0, 102.0, 101.0, 104.0, 103.0, 106.0].into_iter().enumerate() {
        let time = Timestamp(hour as i64 * HOUR);
        risk.on_close(btc(), time, step * 500.0);
        risk.on_close(eth(), time, step * 20.0);
        risk.on_close(sym("SOLUSDT"), time, 20_000.0 / step);
    }
    risk
}

#[test]
fn correlated_exposure_is_capped_at_max_correlation_exposure() {
    // 1 ETH at 2,000 held; cap 30 % of 10,000 = 3,000: 1,000 left for BTC → 0.02 of the 0.05 asked (the 25 %
    // position limit would allow 2,500)
    let mut risk = correlated_manager();
    hold(&mut risk, eth(), dec!(1), dec!(2000));
    let d = check(&risk, btc(), Side::Buy, dec!(0.05), dec!(50000));
    assert_resized(
        &d,
        RiskRule::Correlation,
        dec!(0.02),
        "max_correlation_exposure 30 % of 10000, with 2000 in ETHUSDT",
    );
}

#[test]
fn an_uncorrelated_asset_is_not_held_against_the_cap() {
    // SOL moves against ETH: 2,500 of SOL passes under the 25 % position limit
    let mut risk = correlated_manager();
    hold(&mut risk, eth(), dec!(1), dec!(2000));
    let d = check(&risk, sym("SOLUSDT"), Side::Buy, dec!(25), dec!(100));
    assert!(d.accepted && d.rule.is_none() && d.adjusted == dec!(25), "{d:?}");
}

/// The textbook Pearson correlation of the returns of two close series taken at the same times.
fn pearson_of_closes(a: &[f64], b: &[f64]) -> f64 {
    let returns = |c: &[f64]| c.windows(2).map(|w| w[1] / w[0] - 1.0).collect::<Vec<_>>();
    let (x, y) = (returns(a), returns(b));
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let cov: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    let vy: f64 = y.iter().map(|b| (b - my) * (b - my)).sum();
    cov / (vx * vy).sqrt()
}

#[test]
fn correlations_pair_returns_by_time_when_one_symbol_misses_a_bar() {
    // Window 4. BTC closes every hour 0–5: 100, 102, 101, 104, 103, 106 (× 500). ETH has no bar at hour 2 and
    // otherwise closes at exactly BTC / 2500 — it moves with BTC. The times both have are 0, 1, 3, 4, 5: four
    // returns over the same four intervals, identical for both: correlation 1, so 1 ETH at 2,000 held leaves
    // 3,000 − 2,000 = 1,000 of the 30 % cap for BTC (0.02 of the 0.05 asked).
    // Paired by position instead (the k-th newest return of each), ETH's 0 → 1 return meets BTC's 1 → 2 and its
    // 1 → 3 (over two hours) BTC's 2 → 3: correlation 0.6522…, below the threshold 0.7 — ETH did not count
    // against the cap and BTC went out at the 25 % position limit, 2,500.
    let btc_closes = [100.0, 102.0, 101.0, 104.0, 103.0, 106.0];
    let eth_at = [(0, 100.0), (1, 102.0), (3, 104.0), (4, 103.0), (5, 106.0)];
    let correlation = CorrelationPolicy { window: 4, threshold: 0.7 };
    let mut risk = manager(limits_with_position_percent(dec!(25)))
        .with_policy(RiskPolicy { correlation: Some(correlation), ..RiskPolicy::default() });
    for (hour, close) in btc_closes.iter().enumerate() {
        risk.on_close(btc(), Timestamp(hour as i64 * HOUR), close * 500.0);
        if let Some((_, p)) = eth_at.iter().find(|(h, _)| *h == hour) {
            risk.on_close(eth(), Timestamp(hour as i64 * HOUR), p / 5.0);
        }
    }
    // Independently: the returns at the common times, and the positional pairing of the last four returns.
    let common_btc: Vec<f64> = eth_at.iter().map(|(h, _)| btc_closes[*h]).collect();
    let common_eth: Vec<f64> = eth_at.iter().map(|(_, p)| p / 5.0).collect();
    assert!((pearson_of_closes(&common_btc, &common_eth) - 1.0).abs() < 1e-12);
    let by_position = {
        let (x, y) = (
            [101.0 / 102.0, 104.0 / 101.0, 103.0 / 104.0, 106.0 / 103.0],
            [1.02, 104.0 / 102.0, 103.0 / 104.0, 106.0 / 103.0],
        );
        let (x, y) = (x.map(|r| r - 1.0), y.map(|r| r - 1.0));
        let (mx, my) = (x.iter().sum::<f64>() / 4.0, y.iter().sum::<f64>() / 4.0);
        let cov: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
        let (vx, vy): (f64, f64) = (x.iter().map(|a| (a - mx).powi(2)).sum(), y.iter().map(|b| (b - my).powi(2)).sum());
        cov / (vx * vy).sqrt()
    };
    assert!(by_position < 0.7, "{by_position}");
    hold(&mut risk, eth(), dec!(1), dec!(2000));
    let d = check(&risk, btc(), Side::Buy, dec!(0.05), dec!(50000));
    assert_resized(&d, RiskRule::Correlation, dec!(0.02), "with 2000 in ETHUSDT correlated ≥ 0.7");
}

#[test]
fn returns_are_compared_over_the_intervals_both_symbols_have() {
    // The same times (ETH without hour 2), ETH now not a copy of BTC: 50, 51.5, 51, 52, 52.5 at hours 0, 1, 3, 4,
    // 5. The correlation is the textbook one of the returns between the common times 0 → 1 → 3 → 4 → 5: −0.2698…
    // (paired by position, the last four returns of each: −0.8539…).
    let btc_closes = [100.0, 102.0, 101.0, 104.0, 103.0, 106.0];
    let eth_at = [(0usize, 50.0), (1, 51.5), (3, 51.0), (4, 52.0), (5, 52.5)];
    let correlation = CorrelationPolicy { window: 4, threshold: 0.7 };
    let mut risk = manager(RiskLimits::default())
        .with_policy(RiskPolicy { correlation: Some(correlation), ..RiskPolicy::default() });
    for (hour, close) in btc_closes.iter().enumerate() {
        risk.on_close(btc(), Timestamp(hour as i64 * HOUR), *close);
        if let Some((_, p)) = eth_at.iter().find(|(h, _)| *h == hour) {
            risk.on_close(eth(), Timestamp(hour as i64 * HOUR), *p);
        }
    }
    let common_btc: Vec<f64> = eth_at.iter().map(|(h, _)| btc_closes[*h]).collect();
    let common_eth: Vec<f64> = eth_at.iter().map(|(_, p)| *p).collect();
    let expected = pearson_of_closes(&common_btc, &common_eth);
    let got = risk.correlation(btc(), eth()).unwrap();
    assert!((got - expected).abs() < 1e-12, "{got} vs {expected}");
}

#[tokio::test]
async fn portfolio_risk_reports_drawdown_daily_pnl_exposure_and_level() {
    // peak and day start 10,000; now 9,600: drawdown 4 % (0.27 of 15 %), day −4 % (0.8 of 5 % → High),
    // 0.1 BTC at 50,000 = 5,000 gross: leverage 5,000 / 9,600 = 0.520833
    let mut risk = manager(RiskLimits::default());
    mark(&mut risk, 0, dec!(10000));
    hold(&mut risk, btc(), dec!(0.1), dec!(50000));
    let r = risk.assess_portfolio_risk(dec!(9600)).await;
    assert_eq!(r.current_drawdown, dec!(4));
    assert_eq!((r.daily_pnl, r.daily_pnl_percent), (dec!(-400), dec!(-4)));
    assert_eq!((r.gross_exposure, r.net_exposure, r.leverage), (dec!(5000), dec!(5000), dec!(0.520833)));
    assert_eq!(r.open_positions, 1);
    assert_eq!(r.risk_level, RiskLevel::High);
    assert_eq!(risk.assess_portfolio_risk(dec!(9800)).await.risk_level, RiskLevel::Low, "2 % of 5 % is below half");
}

#[tokio::test]
async fn quote_sized_orders_are_resized_as_amounts() {
    // spend 5,000: the position limit leaves 1,000
    let risk = manager(RiskLimits::default());
    let (accepted, _, amount) =
        risk.validate_quote_order(btc(), Side::Buy, dec!(5000), dec!(50000), dec!(10000), dec!(10000)).await;
    assert!(accepted);
    assert_eq!(amount, dec!(1000));
}

#[test]
fn a_size_or_price_that_is_not_positive_is_rejected() {
    let risk = manager(RiskLimits::default());
    assert_rejected(&check(&risk, btc(), Side::Buy, dec!(0), dec!(50000)), RiskRule::InvalidOrder, "must be positive");
    assert_rejected(&check(&risk, btc(), Side::Buy, dec!(1), dec!(-1)), RiskRule::InvalidOrder, "must be positive");
}
