//! Liquidity on bars (`exchange.liquidity`), worked by hand: the participation cap splits orders across bars, time
//! in force decides what happens to the rest, and the square-root impact model moves taking fills' prices. The
//! venue: BTCUSDT, tick 0.01, lot 0.001, minimum notional 10, maker fee 0.02 %, taker fee 0.1 %. Each test writes
//! out the fills it expects — order, price, quantity, fee, maker or taker, status — computed by hand in its comments.

mod common;

use rust_decimal::{Decimal, dec};

use common::sim_venue::{self, HOUR, btc};
use common::ten_bars::{BARS, SCENARIO, hour};

use cryptotradebot::config::Scenario;
use cryptotradebot::model::{
    Bar, ExecutionEvent, Liquidity, MarketEvent, OrderId, OrderQty, OrderRequest, OrderStatus, OrderType, Side,
    TimeInForce, Timestamp,
};
use cryptotradebot::report::{REPORT_FILES, summary_table};
use cryptotradebot::runner::run_scenario;
use cryptotradebot::venue::sim::{BarLiquidity, FillModel, LiquidityStats, MarketImpact, SimConfig};
use cryptotradebot::venue::{ExchangeAdapter, SimulatedExchange};

/// The BTCUSDT bar of hour `hour` with `volume`.
fn bar(hour: i64, (open, high, low, close): (Decimal, Decimal, Decimal, Decimal), volume: Decimal) -> MarketEvent {
    let (open_time, close_time) = (Timestamp(hour * HOUR), Timestamp((hour + 1) * HOUR));
    MarketEvent::bar(btc(), Bar { open_time, close_time, open, high, low, close, volume })
}

/// A venue with `liquidity` (and `fill_model`) that has seen hour 0 (close 100, volume 20), holding `usdt` and
/// `btc_held`.
async fn venue(liquidity: BarLiquidity, fill_model: FillModel, usdt: Decimal, btc_held: Decimal) -> SimulatedExchange {
    let config =
        SimConfig { maker_fee: dec!(0.0002), taker_fee: dec!(0.001), fill_model, liquidity, ..SimConfig::default() };
    let mut v = sim_venue::venue(config, &[("USDT", usdt), ("BTC", btc_held)]);
    v.connect().await.unwrap();
    v.on_market_event(&bar(0, (dec!(100), dec!(101), dec!(99), dec!(100)), dec!(20)));
    v
}

fn cap(percent: Decimal) -> BarLiquidity {
    BarLiquidity { max_volume_percent: Some(percent), impact: None }
}

fn order(id: u64, side: Side, quantity: OrderQty) -> OrderRequest {
    OrderRequest::new(OrderId(id), btc(), side, quantity, None)
}

fn limit(id: u64, quantity: Decimal, price: Decimal, time_in_force: TimeInForce) -> OrderRequest {
    OrderRequest {
        order_type: OrderType::Limit,
        time_in_force,
        ..OrderRequest::new(OrderId(id), btc(), Side::Buy, OrderQty::Base(quantity), Some(price))
    }
}

/// Each execution as (order, price, quantity, fee, liquidity, status) or (order, reason, status) for an end.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Fill(u64, Decimal, Decimal, Decimal, Liquidity, OrderStatus),
    End(u64, String, OrderStatus),
}

fn seen(v: &mut SimulatedExchange) -> Vec<Seen> {
    let mut events = Vec::new();
    v.drain_executions(&mut events);
    events
        .into_iter()
        .map(|e| match e {
            ExecutionEvent::Fill { fill, order_status } => {
                Seen::Fill(fill.order_id.0, fill.price, fill.quantity, fill.fee, fill.liquidity, order_status)
            }
            ExecutionEvent::Ended { order_id, reason, status, .. } => Seen::End(order_id.0, reason, status),
        })
        .collect()
}

fn balances(v: &SimulatedExchange) -> (Decimal, Decimal) {
    let b = v.balances();
    (b["USDT"], b["BTC"])
}

use Liquidity::{Maker, Taker};
use OrderStatus::{Expired, Filled, PartiallyFilled};

#[tokio::test]
async fn the_participation_cap_splits_a_large_order_across_bars_as_worked_by_hand() {
    // Cap 10 %: a market buy of 4.8 BTC fills at most floor_0.001(10 % × volume) per bar, at each bar's open.
    let mut v = venue(cap(dec!(10)), FillModel::NextOpen, dec!(10000), dec!(0)).await;
    v.place_order(order(1, Side::Buy, OrderQty::Base(dec!(4.8)))).await.unwrap();
    // | bar | open  | volume  | cap = floor(10 % × volume) | fill  | notional | fee 0.1 % | rest  |
    // | 1   | 100   | 12.3456 | 1.234 (of 1.23456)         | 1.234 | 123.4    | 0.1234    | 3.566 |
    // | 2   | 101   | 20      | 2                          | 2     | 202      | 0.202     | 1.566 |
    // | 3   | 102   | 0.004   | 0 (0.0004 is no lot)       | —     |          |           | 1.566 |
    // | 4   | 99.5  | 15      | 1.5                        | 1.5   | 149.25   | 0.14925   | 0.066 |
    // | 5   | 103   | 30      | 3                          | 0.066 | 6.798    | 0.006798  | 0     |
    // The last part's notional, 6.798, is below the minimum of 10: it fills all the same (the minimum is checked
    // on the order when it is placed; the parts a cap cuts it into are executions, as at a real venue).
    let steps = [
        ((dec!(100), dec!(101), dec!(99), dec!(100.5)), dec!(12.3456)),
        ((dec!(101), dec!(102), dec!(100), dec!(101.5)), dec!(20)),
        ((dec!(102), dec!(103), dec!(101), dec!(99.6)), dec!(0.004)),
        ((dec!(99.5), dec!(104), dec!(99), dec!(103.2)), dec!(15)),
        ((dec!(103), dec!(104), dec!(102), dec!(103)), dec!(30)),
    ];
    let expected = [
        vec![Seen::Fill(1, dec!(100), dec!(1.234), dec!(0.1234), Taker, PartiallyFilled)],
        vec![Seen::Fill(1, dec!(101), dec!(2), dec!(0.202), Taker, PartiallyFilled)],
        vec![],
        vec![Seen::Fill(1, dec!(99.5), dec!(1.5), dec!(0.14925), Taker, PartiallyFilled)],
        vec![Seen::Fill(1, dec!(103), dec!(0.066), dec!(0.006798), Taker, Filled)],
    ];
    for (hour, ((prices, volume), expected)) in (1..).zip(steps.into_iter().zip(expected)) {
        v.on_market_event(&bar(hour, prices, volume));
        assert_eq!(seen(&mut v), expected, "bar {hour}");
    }
    // Bought 4.8 BTC for 481.448 + fees 0.481448: 10,000 − 481.929448 = 9,518.070552 USDT.
    assert_eq!(balances(&v), (dec!(9518.070552), dec!(4.8)));
    let report = v.get_order_status(btc(), OrderId(1)).await.unwrap();
    assert_eq!((report.status, report.filled_quantity, report.fee), (Filled, dec!(4.8), dec!(0.481448)));
    let stats = LiquidityStats { partial_fills: 3, capped_orders: 1, ..LiquidityStats::default() };
    assert_eq!(v.liquidity_stats(), Some(stats));
}

#[tokio::test]
async fn a_quote_sized_buy_converts_at_each_fill_price_with_its_fee_then_takes_the_cap() {
    // "Buy with all cash": 1,000 USDT, cap 10 %. Each bar, the amount not yet spent buys
    // floor_0.001(left / (open × 1.001)) BTC, cut to the cap:
    // bar 1, open 100, volume 30: 1000 / 100.1 = 9.990… → 9.99, cap 3 → 3 BTC, 300 + fee 0.3; left 699.7
    // bar 2, open 110, volume 40: 699.7 / 110.11 = 6.354… → 6.354, cap 4 → 4 BTC, 440 + fee 0.44; left 259.26
    // bar 3, open 104, volume 50: 259.26 / 104.104 = 2.4904… → 2.49, under the cap of 5 → 2.49 BTC, 258.96 + fee
    //   0.25896 (2.491 would cost 259.323064): filled, 0.04104 USDT left.
    let mut v = venue(cap(dec!(10)), FillModel::NextOpen, dec!(1000), dec!(0)).await;
    v.place_order(order(1, Side::Buy, OrderQty::Quote(dec!(1000)))).await.unwrap();
    v.on_market_event(&bar(1, (dec!(100), dec!(111), dec!(99), dec!(110)), dec!(30)));
    assert_eq!(seen(&mut v), [Seen::Fill(1, dec!(100), dec!(3), dec!(0.3), Taker, PartiallyFilled)]);
    v.on_market_event(&bar(2, (dec!(110), dec!(111), dec!(103), dec!(104)), dec!(40)));
    assert_eq!(seen(&mut v), [Seen::Fill(1, dec!(110), dec!(4), dec!(0.44), Taker, PartiallyFilled)]);
    v.on_market_event(&bar(3, (dec!(104), dec!(105), dec!(103), dec!(104)), dec!(50)));
    assert_eq!(seen(&mut v), [Seen::Fill(1, dec!(104), dec!(2.49), dec!(0.25896), Taker, Filled)]);
    assert_eq!(balances(&v), (dec!(0.04104), dec!(9.49)));
}

#[tokio::test]
async fn a_fill_or_kill_the_cap_cannot_fill_expires_untouched() {
    // FOK buy 2 at 101; bar 1 opens at 100 (marketable) with volume 10: the cap of 10 % is 1 BTC < 2.
    let mut v = venue(cap(dec!(10)), FillModel::NextOpen, dec!(10000), dec!(0)).await;
    v.place_order(limit(1, dec!(2), dec!(101), TimeInForce::Fok)).await.unwrap();
    v.on_market_event(&bar(1, (dec!(100), dec!(101), dec!(99), dec!(100)), dec!(10)));
    let reason = "FOK: the bar's volume cap is 1 (of its volume 10); it cannot fill the whole 2".to_string();
    assert_eq!(seen(&mut v), [Seen::End(1, reason, Expired)]);
    assert_eq!(balances(&v), (dec!(10000), dec!(0)));
    // One the cap can fill whole (1 BTC, cap 1) fills at the open: 100 + fee 0.1.
    v.place_order(limit(2, dec!(1), dec!(101), TimeInForce::Fok)).await.unwrap();
    v.on_market_event(&bar(2, (dec!(100), dec!(101), dec!(99), dec!(100)), dec!(10)));
    assert_eq!(seen(&mut v), [Seen::Fill(2, dec!(100), dec!(1), dec!(0.1), Taker, Filled)]);
}

#[tokio::test]
async fn an_immediate_or_cancel_fills_the_capped_part_and_its_rest_expires() {
    // IOC buy 2 at 101; bar 1 opens at 100 with volume 15: cap 1.5 → 1.5 at 100, fee 0.15; the 0.5 left expires.
    let mut v = venue(cap(dec!(10)), FillModel::NextOpen, dec!(10000), dec!(0)).await;
    v.place_order(limit(1, dec!(2), dec!(101), TimeInForce::Ioc)).await.unwrap();
    v.on_market_event(&bar(1, (dec!(100), dec!(101), dec!(99), dec!(100)), dec!(15)));
    let reason = "IOC: the bar's volume cap is 1.5 (of its volume 15); the rest of 0.5 expires".to_string();
    assert_eq!(
        seen(&mut v),
        [Seen::Fill(1, dec!(100), dec!(1.5), dec!(0.15), Taker, PartiallyFilled), Seen::End(1, reason, Expired)]
    );
    assert_eq!(balances(&v), (dec!(9849.85), dec!(1.5)));
    let report = v.get_order_status(btc(), OrderId(1)).await.unwrap();
    assert_eq!((report.status, report.filled_quantity), (Expired, dec!(1.5)));
}

#[tokio::test]
async fn a_limit_order_fills_in_parts_on_the_bars_that_trade_through_it() {
    // GTC buy 3 at 99, maker fee 0.02 %, cap 10 %.
    let mut v = venue(cap(dec!(10)), FillModel::NextOpen, dec!(10000), dec!(0)).await;
    v.place_order(limit(1, dec!(3), dec!(99), TimeInForce::Gtc)).await.unwrap();
    // Bar 1 trades through 99 (low 98.5), volume 10: 1 BTC at the limit, fee 0.0198.
    v.on_market_event(&bar(1, (dec!(100), dec!(101), dec!(98.5), dec!(99.5)), dec!(10)));
    assert_eq!(seen(&mut v), [Seen::Fill(1, dec!(99), dec!(1), dec!(0.0198), Maker, PartiallyFilled)]);
    // Bar 2 stays above the limit (low 99.2): nothing, however large its volume.
    v.on_market_event(&bar(2, (dec!(99.5), dec!(100), dec!(99.2), dec!(99.8)), dec!(50)));
    assert_eq!(seen(&mut v), []);
    // Bar 3 opens below it, at 98, volume 25: cap 2.5, the rest of 2 fills at the open, fee 0.0392.
    v.on_market_event(&bar(3, (dec!(98), dec!(99), dec!(97), dec!(98.5)), dec!(25)));
    assert_eq!(seen(&mut v), [Seen::Fill(1, dec!(98), dec!(2), dec!(0.0392), Maker, Filled)]);
    // 10,000 − 99 − 196 − 0.059 = 9,704.941
    assert_eq!(balances(&v), (dec!(9704.941), dec!(3)));
}

/// A venue capping fills at 10 % of each bar's volume, holding 10,000 USDT and 3 BTC, with exits on the 3 BTC:
/// stop at 95 (order 1), take-profit at 110 (order 2), one-cancels-the-other.
async fn venue_with_exits() -> SimulatedExchange {
    let mut v = venue(cap(dec!(10)), FillModel::NextOpen, dec!(10000), dec!(3)).await;
    let exit = |id, order_type, stop| OrderRequest {
        order_type,
        stop_price: Some(stop),
        ..order(id, Side::Sell, OrderQty::Base(dec!(3)))
    };
    let (stop, take) = (exit(1, OrderType::StopMarket, dec!(95)), exit(2, OrderType::TakeProfitMarket, dec!(110)));
    v.submit_exits(stop, take, &order(0, Side::Buy, OrderQty::Base(dec!(3))), Timestamp(-1)).unwrap();
    v
}

#[tokio::test]
async fn a_stop_the_cap_cuts_sells_its_rest_at_the_next_open_and_cancels_its_take_profit() {
    let mut v = venue_with_exits().await;
    // Bar 1 falls to 94, volume 10: the stop triggers at 95 and sells the cap, 1 BTC, fee 0.095; the part filled,
    // so the take-profit is canceled.
    v.on_market_event(&bar(1, (dec!(100), dec!(101), dec!(94), dec!(96)), dec!(10)));
    let canceled = "one-cancels-the-other: order 1 ended".to_string();
    assert_eq!(
        seen(&mut v),
        [
            Seen::Fill(1, dec!(95), dec!(1), dec!(0.095), Taker, PartiallyFilled),
            Seen::End(2, canceled, OrderStatus::Canceled)
        ]
    );
    // Bar 2 stays above 95, volume 20 (cap 2): the triggered stop's rest sells at the open, 97, fee 0.194.
    v.on_market_event(&bar(2, (dec!(97), dec!(98), dec!(96), dec!(97.5)), dec!(20)));
    assert_eq!(seen(&mut v), [Seen::Fill(1, dec!(97), dec!(2), dec!(0.194), Taker, Filled)]);
    // 10,000 + 95 − 0.095 + 194 − 0.194 = 10,288.711
    assert_eq!(balances(&v), (dec!(10288.711), dec!(0)));
}

#[tokio::test]
async fn a_stop_triggered_in_a_bar_whose_cap_is_under_one_lot_cancels_its_take_profit_at_once() {
    let mut v = venue_with_exits().await;
    // Bar 1 falls to 94 with a volume of 0.005: the stop triggers at 95, but the cap is 10 % × 0.005 = 0.0005,
    // under one lot of 0.001, so nothing fills. The trigger activated the stop: the take-profit is canceled now
    // (Binance: the activation of one order cancels the other).
    v.on_market_event(&bar(1, (dec!(100), dec!(101), dec!(94), dec!(96)), dec!(0.005)));
    let canceled = "one-cancels-the-other: order 1 triggered".to_string();
    assert_eq!(seen(&mut v), [Seen::End(2, canceled, OrderStatus::Canceled)]);
    // Bar 2 opens at 97 and rises to 111, through the canceled take-profit's 110, volume 30 (cap 3): the stop's
    // 3 BTC sell at the open, 97, fee 291 × 0.001 = 0.291; nothing sells at 110.
    v.on_market_event(&bar(2, (dec!(97), dec!(111), dec!(96), dec!(105)), dec!(30)));
    assert_eq!(seen(&mut v), [Seen::Fill(1, dec!(97), dec!(3), dec!(0.291), Taker, Filled)]);
    // 10,000 + 291 − 0.291 = 10,290.709
    assert_eq!(balances(&v), (dec!(10290.709), dec!(0)));
}

#[tokio::test]
async fn a_partly_filled_order_whose_rest_the_cash_no_longer_covers_expires_and_is_not_rejected() {
    // 1,000 USDT. Order 2, a market buy of 6 BTC, is placed first; order 1, a market buy for 500 USDT, after it.
    let mut v = venue(cap(dec!(10)), FillModel::NextOpen, dec!(1000), dec!(0)).await;
    v.place_order(order(2, Side::Buy, OrderQty::Base(dec!(6)))).await.unwrap();
    v.place_order(order(1, Side::Buy, OrderQty::Quote(dec!(500)))).await.unwrap();
    // Bar 1 opens at 100, volume 20: the cap is 2 BTC per order. Order 2 buys 2 (200 + fee 0.2); order 1's 500
    // buys floor_lot(500 / 100.1) = 4.995, cut to 2 (200.2 spent). Left: 1,000 − 400.4 = 599.6 USDT.
    v.on_market_event(&bar(1, (dec!(100), dec!(101), dec!(99), dec!(100)), dec!(20)));
    assert_eq!(
        seen(&mut v),
        [
            Seen::Fill(2, dec!(100), dec!(2), dec!(0.2), Taker, PartiallyFilled),
            Seen::Fill(1, dec!(100), dec!(2), dec!(0.2), Taker, PartiallyFilled),
        ]
    );
    // Bar 2 opens at 100, volume 100 (cap 10): order 2 buys its rest of 4 (400.4), leaving 199.2. Order 1's
    // unspent 299.8 would buy floor_lot(299.8 / 100.1) = 2.995 for 299.5 + fee 0.2995 = 299.7995 > 199.2: the cash
    // no longer covers it. It bought 2 already, so it is not rejected: its rest expires.
    v.on_market_event(&bar(2, (dec!(100), dec!(101), dec!(99), dec!(100)), dec!(100)));
    let events = seen(&mut v);
    assert_eq!(events[0], Seen::Fill(2, dec!(100), dec!(4), dec!(0.4), Taker, Filled));
    let Seen::End(1, reason, status) = &events[1] else { panic!("{events:?}") };
    assert_eq!(*status, Expired, "{reason}");
    assert!(reason.starts_with("insufficient USDT balance for 299.5"), "{reason}");
    assert!(reason.ends_with("; the rest expires after 2 filled"), "{reason}");
    assert_eq!(events.len(), 2);
    assert_eq!(balances(&v), (dec!(199.2), dec!(8)));
}

#[tokio::test]
async fn under_the_close_model_a_market_orders_rest_fills_at_the_next_closes() {
    // Close model, cap 10 %: a buy of 3 sent after hour 0 (close 100, volume 20) takes 2 at that close, fee 0.2;
    // hour 1 (close 101, volume 5) 0.5, fee 0.0505; hour 2 (close 102, volume 10, cap 1) the last 0.5, fee 0.051.
    let mut v = venue(cap(dec!(10)), FillModel::Close, dec!(10000), dec!(0)).await;
    let fills = |v: &mut SimulatedExchange| {
        let mut events = Vec::new();
        v.drain_executions(&mut events);
        let fill = |e: ExecutionEvent| match e {
            ExecutionEvent::Fill { fill, order_status } => {
                Some((fill.time, fill.price, fill.quantity, fill.fee, order_status))
            }
            ExecutionEvent::Ended { .. } => None,
        };
        events.into_iter().map(fill).collect::<Vec<_>>()
    };
    let close_of = |hour: i64| Timestamp((hour + 1) * HOUR);
    v.place_order(order(1, Side::Buy, OrderQty::Base(dec!(3)))).await.unwrap();
    assert_eq!(fills(&mut v), [Some((close_of(0), dec!(100), dec!(2), dec!(0.2), PartiallyFilled))]);
    v.on_market_event(&bar(1, (dec!(100), dec!(102), dec!(99), dec!(101)), dec!(5)));
    assert_eq!(fills(&mut v), [Some((close_of(1), dec!(101), dec!(0.5), dec!(0.0505), PartiallyFilled))]);
    v.on_market_event(&bar(2, (dec!(101), dec!(103), dec!(100), dec!(102)), dec!(10)));
    assert_eq!(fills(&mut v), [Some((close_of(2), dec!(102), dec!(0.5), dec!(0.051), Filled))]);
    // 10,000 − 200 − 50.5 − 51 − 0.3015 = 9,698.1985
    assert_eq!(balances(&v), (dec!(9698.1985), dec!(3)));
}

#[tokio::test]
async fn the_square_root_impact_moves_a_fill_price_as_worked_by_hand() {
    let impact =
        BarLiquidity { max_volume_percent: None, impact: Some(MarketImpact::SquareRoot { coefficient: dec!(0.1) }) };
    let mut v = venue(impact, FillModel::NextOpen, dec!(10000), dec!(0)).await;
    // Buy 4 in a bar opening at 100, high 105, low 95, volume 100: σ = (105 − 95) / 100 = 0.1, √(4 / 100) = 0.2,
    // move 0.1 × 0.1 × 0.2 = 0.2 %: 100 × 1.002 = 100.2 (on the tick). Notional 400.8, fee 0.4008, impact cost
    // (100.2 − 100) × 4 = 0.8.
    v.place_order(order(1, Side::Buy, OrderQty::Base(dec!(4)))).await.unwrap();
    v.on_market_event(&bar(1, (dec!(100), dec!(105), dec!(95), dec!(102)), dec!(100)));
    assert_eq!(seen(&mut v), [Seen::Fill(1, dec!(100.2), dec!(4), dec!(0.4008), Taker, Filled)]);
    // Sell 2 in the same kind of bar: √(2 / 100) = 0.141421356238 (12 places, rounded up), move 0.00141421356238:
    // 100 × (1 − 0.00141421356238) = 99.858578643762, down to the tick for a seller: 99.85. Notional 199.7, fee
    // 0.1997, impact cost (100 − 99.85) × 2 = 0.3.
    v.place_order(order(2, Side::Sell, OrderQty::Base(dec!(2)))).await.unwrap();
    v.on_market_event(&bar(2, (dec!(100), dec!(105), dec!(95), dec!(100)), dec!(100)));
    assert_eq!(seen(&mut v), [Seen::Fill(2, dec!(99.85), dec!(2), dec!(0.1997), Taker, Filled)]);
    // 10,000 − 400.8 − 0.4008 + 199.7 − 0.1997 = 9,798.2995
    assert_eq!(balances(&v), (dec!(9798.2995), dec!(2)));
    let stats = LiquidityStats { impact_fills: 2, impact_cost: dec!(1.1), ..LiquidityStats::default() };
    assert_eq!(v.liquidity_stats(), Some(stats));
}

#[tokio::test]
async fn without_liquidity_rules_the_same_order_fills_whole_at_the_open() {
    let mut v = venue(BarLiquidity::default(), FillModel::NextOpen, dec!(10000), dec!(0)).await;
    v.place_order(order(1, Side::Buy, OrderQty::Base(dec!(4.8)))).await.unwrap();
    v.on_market_event(&bar(1, (dec!(100), dec!(101), dec!(99), dec!(100.5)), dec!(0.004)));
    assert_eq!(seen(&mut v), [Seen::Fill(1, dec!(100), dec!(4.8), dec!(0.48), Taker, Filled)]);
    assert_eq!(v.liquidity_stats(), None);
}

/// The ten hand-worked bars with a volume of 40 each, and the scenario with `liquidity` under `exchange:`.
fn capped_run(dir: &std::path::Path, liquidity: &str) -> Scenario {
    common::write(dir, "bars.csv", &BARS.replace(",1\n", ",40\n"));
    let text =
        SCENARIO.replace("  fill_model: next_open\n", &format!("  fill_model: next_open\n  liquidity: {liquidity}\n"));
    Scenario::load(&common::write(dir, "scenario.yaml", &text)).unwrap()
}

#[test]
fn the_hand_worked_ten_bars_under_a_cap_split_the_entry_and_the_exit_over_three_bars_each() {
    // sma_cross 2/3 buys with all 1,000 USDT at t4 and sells everything at t7 (see hand_worked_ten_bars.rs).
    // Cap 10 % of 40 = 4 BTC per bar:
    // t4 open 102: 1000 / 102.102 buys 9.794 > 4 → 4, 408 + fee 0.408; left 591.592
    // t5 open 105: 591.592 / 105.105 = 5.628… > 4 → 4, 420 + fee 0.42; left 171.172
    // t6 open 101: 171.172 / 101.101 = 1.693… → 1.693, 170.993 + fee 0.170993: filled; cash 0.008007
    // t6 closes below (cross down): sell 9.693 from t7: 4 at 95 (fee 0.38), 4 at 92 (0.368), 1.693 at 98
    // (165.914, fee 0.165914); cash 0.008007 + 379.62 + 367.632 + 165.748086 = 913.008093.
    let dir = tempfile::tempdir().unwrap();
    let scenario = capped_run(dir.path(), "{ max_volume_percent: 10 }");
    let run = run_scenario(&scenario, &dir.path().join("report")).unwrap();
    let fills: Vec<_> = run
        .result
        .log
        .fills
        .iter()
        .map(|f| (f.fill.time, f.fill.side, f.fill.quantity, f.fill.price, f.fill.fee))
        .collect();
    assert_eq!(
        fills,
        [
            (hour(4), Side::Buy, dec!(4), dec!(102), dec!(0.408)),
            (hour(5), Side::Buy, dec!(4), dec!(105), dec!(0.42)),
            (hour(6), Side::Buy, dec!(1.693), dec!(101), dec!(0.170993)),
            (hour(7), Side::Sell, dec!(4), dec!(95), dec!(0.38)),
            (hour(8), Side::Sell, dec!(4), dec!(92), dec!(0.368)),
            (hour(9), Side::Sell, dec!(1.693), dec!(98), dec!(0.165914)),
        ]
    );
    assert_eq!(run.result.portfolio.cash(), dec!(913.008093));
    let liquidity = run.summary.liquidity.as_ref().unwrap();
    assert_eq!((liquidity.partial_fills, liquidity.capped_orders, liquidity.impact_cost), (4, 2, dec!(0)));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report/summary.json")).unwrap()).unwrap();
    assert_eq!(json["liquidity"]["rules"]["sim"]["max_volume_percent"], "10");
    assert_eq!(json["liquidity"]["partial_fills"], 4);
    let table = summary_table(&run.summary, "USDT");
    let line = "cap 10 % of bar volume; 4 partial fills of 2 capped orders; impact cost 0 USDT";
    assert!(table.contains("Liquidity") && table.contains(line), "{table}");
}

#[test]
fn a_run_with_the_cap_and_impact_writes_the_same_bytes_twice() {
    let dir = tempfile::tempdir().unwrap();
    let scenario =
        capped_run(dir.path(), "{ max_volume_percent: 10, impact: { model: square_root, coefficient: 0.5 } }");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let first = run_scenario(&scenario, &a).unwrap();
    run_scenario(&scenario, &b).unwrap();
    let liquidity = first.summary.liquidity.as_ref().unwrap();
    assert!(liquidity.partial_fills > 0 && liquidity.impact_fills > 0 && liquidity.impact_cost > Decimal::ZERO);
    for name in REPORT_FILES {
        let (x, y) = (std::fs::read(a.join(name)).unwrap(), std::fs::read(b.join(name)).unwrap());
        assert!(x == y, "{name} differs between two runs");
    }
}

#[test]
fn liquidity_settings_out_of_range_are_errors_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let with = |liquidity: &str| {
        let text = SCENARIO
            .replace("  fill_model: next_open\n", &format!("  fill_model: next_open\n  liquidity: {liquidity}\n"));
        Scenario::parse(&dir.path().join("s.yaml"), text).map(|s| s.setup.venues[0].sim.liquidity)
    };
    for (liquidity, key) in [
        ("{ max_volume_percent: 0 }", "exchange.liquidity.max_volume_percent must be in (0, 100], got 0"),
        ("{ max_volume_percent: 150 }", "exchange.liquidity.max_volume_percent must be in (0, 100], got 150"),
        (
            "{ impact: { model: square_root, coefficient: 0 } }",
            "exchange.liquidity.impact.coefficient must be in (0, 10]",
        ),
        ("{ impact: { model: square_root, coefficient: 11 } }", "exchange.liquidity.impact.coefficient"),
        ("{ impact: { model: linear, coefficient: 1 } }", "linear"),
        ("{ max_volume: 10 }", "max_volume"),
    ] {
        let error = with(liquidity).unwrap_err().to_string();
        assert!(error.contains(key), "{liquidity}: {error}");
    }
    let both = with("{ max_volume_percent: 2.5, impact: { model: square_root, coefficient: 0.1 } }").unwrap();
    let expected = BarLiquidity {
        max_volume_percent: Some(dec!(2.5)),
        impact: Some(MarketImpact::SquareRoot { coefficient: dec!(0.1) }),
    };
    assert_eq!(both, expected);
    assert_eq!(with("{}").unwrap(), BarLiquidity::default(), "an empty section sets nothing");
    let level_2 = "name: t
data:
  - { path: book.gz, format: binance_l2, symbol: BTCUSDT }
strategy: { kind: spread_quoter, params: { quantity: 0.001, max_position: 0.005, stale_ticks: 2 } }
exchange:
  liquidity: { max_volume_percent: 10 }
  instruments:
    BTCUSDT: { tick_size: 0.01, lot_size: 0.00001, min_notional: 5 }
portfolio: { quote: USDT, starting_cash: 10000 }
";
    let error = Scenario::parse(&dir.path().join("s.yaml"), level_2.to_string()).unwrap_err().to_string();
    assert!(error.contains("exchange.liquidity applies to bars"), "{error}");
}

#[test]
fn the_shipped_example_splits_its_fills_and_pays_the_impact_the_readme_states() {
    // scenarios/btc_sma_cross_liquidity.yaml: btc_sma_cross with 10 million USDT, a 5 % cap and impact 0.5. Not
    // worked by hand (1,416 bars): it holds the README to the numbers it quotes.
    let scenario = Scenario::load(&common::repo("scenarios/btc_sma_cross_liquidity.yaml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let run = run_scenario(&scenario, dir.path()).unwrap();
    let liquidity = run.summary.liquidity.as_ref().unwrap();
    assert_eq!((liquidity.partial_fills, liquidity.capped_orders), (32, 25));
    assert_eq!(liquidity.impact_cost.round_dp(2), dec!(331098.25));
    assert_eq!(run.summary.metrics.final_equity.round_dp(2), dec!(11515151.24));
    assert_eq!((run.summary.metrics.trades, run.summary.orders.open_at_end), (24, 1));
}
