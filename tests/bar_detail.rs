//! Sub-bar detail, worked by hand on the venue: 1-minute bars under an hourly bar decide what happened inside it.
//! A long position of 2 BTC bought at 100 (fees 0.1 %) holds a stop-loss at 95 and a take-profit at 110; hour 2
//! reaches both (open 100, high 111, low 94, close 105), which on the hourly bar alone is ambiguous. Its minutes say
//! which came first, whatever the path rule, and the ambiguity count stays at zero.

mod common;

use rstest::rstest;
use rust_decimal::{Decimal, dec};

use common::sim_venue::{HOUR, bar, btc, venue};

use cryptotradebot::model::{
    Bar, ExecutionEvent, MarketEvent, OrderId, OrderQty, OrderRequest, OrderStatus, OrderType, Side, Timestamp,
};
use cryptotradebot::venue::ExchangeAdapter;
use cryptotradebot::venue::SimulatedExchange;
use cryptotradebot::venue::sim::{BarPath, SimConfig};

const MINUTE: i64 = 60_000_000_000;

/// The 60 minute bars of hour `hour`: the minutes in `moves` as given (open, high, low, close), every other minute
/// flat at the close before it (the first opens at `open`).
fn minutes(hour: i64, open: Decimal, moves: &[(i64, [Decimal; 4])]) -> Vec<Bar> {
    let mut last = open;
    (0..60)
        .map(|m| {
            let [o, h, l, c] = moves.iter().find(|(at, _)| *at == m).map_or([last; 4], |(_, ohlc)| *ohlc);
            last = c;
            let open_time = Timestamp(hour * HOUR + m * MINUTE);
            Bar {
                open_time,
                close_time: Timestamp(open_time.0 + MINUTE),
                open: o,
                high: h,
                low: l,
                close: c,
                volume: dec!(1),
            }
        })
        .collect()
}

/// The hourly bar the minutes aggregate to, as an event.
fn hour_of(hour: i64, detail: &[Bar]) -> MarketEvent {
    let high = detail.iter().map(|b| b.high).max().unwrap();
    let low = detail.iter().map(|b| b.low).min().unwrap();
    bar(hour, detail[0].open, high, low, detail[59].close)
}

/// Hour 2 reaching the take-profit first: 111 in minute 20, then 94 in minute 40.
fn take_profit_first() -> Vec<Bar> {
    minutes(
        2,
        dec!(100),
        &[
            (20, [dec!(108), dec!(111), dec!(107.5), dec!(110.5)]),
            (40, [dec!(110.5), dec!(110.5), dec!(94), dec!(105)]),
        ],
    )
}

/// Hour 2 reaching the stop first: 94 in minute 10, then 111 in minute 40.
fn stop_first() -> Vec<Bar> {
    minutes(
        2,
        dec!(100),
        &[(10, [dec!(100), dec!(100), dec!(94), dec!(96)]), (40, [dec!(96), dec!(111), dec!(96), dec!(105)])],
    )
}

/// A venue with the hour-2 `detail`, holding 2 BTC bought at 100 at the open of hour 1, and its exits.
async fn long_with_exits(bar_path: BarPath, detail: Vec<Bar>) -> SimulatedExchange {
    let config = SimConfig { maker_fee: dec!(0.001), taker_fee: dec!(0.001), bar_path, ..SimConfig::default() };
    let mut v = venue(config, &[("USDT", dec!(1000))]).with_detail(btc(), detail).unwrap();
    v.connect().await.unwrap();
    v.on_market_event(&bar(0, dec!(100), dec!(101), dec!(99), dec!(100)));
    let buy = OrderRequest::new(OrderId(1), btc(), Side::Buy, OrderQty::Base(dec!(2)), None);
    v.place_order(buy).await.unwrap();
    v.on_market_event(&bar(1, dec!(100), dec!(101), dec!(99), dec!(100)));
    v.submit_exits(
        exit(2, OrderType::StopMarket, dec!(95)),
        exit(3, OrderType::TakeProfitMarket, dec!(110)),
        &buy,
        Timestamp(HOUR),
    )
    .unwrap();
    let mut entry = Vec::new();
    v.drain_executions(&mut entry);
    assert_eq!(entry.len(), 1, "the entry filled at 100 (hour 1 has no detail: the hourly rules)");
    v
}

fn exit(id: u64, order_type: OrderType, stop: Decimal) -> OrderRequest {
    OrderRequest {
        order_type,
        stop_price: Some(stop),
        ..OrderRequest::new(OrderId(id), btc(), Side::Sell, OrderQty::Base(dec!(2)), None)
    }
}

/// (order, price, fee, time) of the one fill and (order, status) of the partner's end.
fn outcome(v: &mut SimulatedExchange) -> ((OrderId, Decimal, Decimal, Timestamp), (OrderId, OrderStatus)) {
    let mut events = Vec::new();
    v.drain_executions(&mut events);
    let [ExecutionEvent::Fill { fill, .. }, ExecutionEvent::Ended { order_id, status, .. }] = events.as_slice() else {
        panic!("{events:?}")
    };
    ((fill.order_id, fill.price, fill.fee, fill.time), (*order_id, *status))
}

#[rstest]
fn the_minute_bars_aggregate_to_the_ambiguous_hour(#[values(take_profit_first(), stop_first())] detail: Vec<Bar>) {
    assert_eq!(hour_of(2, &detail), bar(2, dec!(100), dec!(111), dec!(94), dec!(105)));
}

#[rstest]
#[tokio::test]
async fn the_minute_that_reaches_an_exit_first_decides_whatever_the_path_rule(
    #[values(BarPath::Adverse, BarPath::Optimistic, BarPath::Ohlc)] path: BarPath,
) {
    // Take-profit first: minute 20 (open 108, high 111) triggers it at 110; 2 × 110 = 220, fee 0.22; stamped with
    // the minute's close (2 h 21 min), as it filled inside the minute. 1000 − 200 − 0.2 + 220 − 0.22 = 1019.58.
    let mut v = long_with_exits(path, take_profit_first()).await;
    v.on_market_event(&hour_of(2, &take_profit_first()));
    let at = Timestamp(2 * HOUR + 21 * MINUTE);
    assert_eq!(outcome(&mut v), ((OrderId(3), dec!(110), dec!(0.22), at), (OrderId(2), OrderStatus::Canceled)));
    assert_eq!(v.ambiguous_bars(), 0);
    assert_eq!(v.balances()["USDT"], dec!(1019.58));

    // Stop first: minute 10 (open 100, low 94) triggers it at 95; 2 × 95 = 190, fee 0.19, at 2 h 11 min.
    // 1000 − 200.2 + 190 − 0.19 = 989.61.
    let mut v = long_with_exits(path, stop_first()).await;
    v.on_market_event(&hour_of(2, &stop_first()));
    let at = Timestamp(2 * HOUR + 11 * MINUTE);
    assert_eq!(outcome(&mut v), ((OrderId(2), dec!(95), dec!(0.19), at), (OrderId(3), OrderStatus::Canceled)));
    assert_eq!(v.ambiguous_bars(), 0);
    assert_eq!(v.balances()["USDT"], dec!(989.61));
}

#[tokio::test]
async fn one_minute_reaching_both_exits_is_an_ambiguous_detail_bar() {
    // Minute 30 alone spans 94..111: the path rule decides within that minute (adverse: the stop), and the count
    // is of minutes, one.
    let detail = minutes(2, dec!(100), &[(30, [dec!(100), dec!(111), dec!(94), dec!(105)])]);
    let mut v = long_with_exits(BarPath::Adverse, detail.clone()).await;
    v.on_market_event(&hour_of(2, &detail));
    let at = Timestamp(2 * HOUR + 31 * MINUTE);
    assert_eq!(outcome(&mut v), ((OrderId(2), dec!(95), dec!(0.19), at), (OrderId(3), OrderStatus::Canceled)));
    assert_eq!(v.ambiguous_bars(), 1);
}

/// A venue holding 1,000 USDT (fees 0.1 %) after hour 1, with hour 2's minutes: minute 5 (open 99.5, high 101.5,
/// low 98.5, close 99), minute 30 (low 96.5), minute 45 (high 102); and those minutes.
async fn minute_five_venue() -> (SimulatedExchange, Vec<Bar>) {
    let config = SimConfig { maker_fee: dec!(0.001), taker_fee: dec!(0.001), ..SimConfig::default() };
    let detail = minutes(
        2,
        dec!(100),
        &[
            (5, [dec!(99.5), dec!(101.5), dec!(98.5), dec!(99)]),
            (30, [dec!(99), dec!(99), dec!(96.5), dec!(98)]),
            (45, [dec!(98), dec!(102), dec!(98), dec!(100)]),
        ],
    );
    let mut v = venue(config, &[("USDT", dec!(1000))]).with_detail(btc(), detail.clone()).unwrap();
    v.connect().await.unwrap();
    v.on_market_event(&bar(1, dec!(100), dec!(101), dec!(99.5), dec!(100)));
    (v, detail)
}

#[tokio::test]
async fn exits_of_an_entry_filled_inside_a_minute_start_at_the_next_minute() {
    // A buy limit at 99 rests from hour 1. Hour 2's minute 5 (open 99.5, high 101.5, low 98.5) trades through it:
    // 2 BTC at 99 (maker fee 0.198), stamped 2 h 6 min. Exits at 97 / 101 placed for it are matched from minute 6
    // on — minute 5's high of 101.5 may have come before the entry — so minute 30's low of 96.5 fills the stop at
    // 97 (fee 0.194), although on the whole minute 5 the take-profit would have filled.
    let (mut v, detail) = minute_five_venue().await;
    let limit = OrderRequest::new(OrderId(1), btc(), Side::Buy, OrderQty::Base(dec!(2)), Some(dec!(99)));
    v.place_order(limit).await.unwrap();
    v.on_market_event(&hour_of(2, &detail));
    let mut events = Vec::new();
    v.drain_executions(&mut events);
    let [ExecutionEvent::Fill { fill, .. }] = events.as_slice() else { panic!("{events:?}") };
    assert_eq!((fill.price, fill.fee, fill.time), (dec!(99), dec!(0.198), Timestamp(2 * HOUR + 6 * MINUTE)));
    let take = exit(3, OrderType::TakeProfitMarket, dec!(101));
    v.submit_exits(exit(2, OrderType::StopMarket, dec!(97)), take, &limit, fill.time).unwrap();
    let at = Timestamp(2 * HOUR + 31 * MINUTE);
    assert_eq!(outcome(&mut v), ((OrderId(2), dec!(97), dec!(0.194), at), (OrderId(3), OrderStatus::Canceled)));
    assert_eq!(v.ambiguous_bars(), 0);
    // 1000 − 198 − 0.198 + 194 − 0.194
    assert_eq!(v.balances()["USDT"], dec!(995.608));
}

#[tokio::test]
async fn a_brackets_children_start_at_the_minute_after_an_entry_filled_inside_one() {
    // The same hour as above, the same orders as one bracket (Binance's OTOCO): the entry fills inside minute 5,
    // its children activate at minute 6, and minute 30 fills the stop at 97 — not minute 5's take-profit at 101.
    let (mut v, detail) = minute_five_venue().await;
    let entry = OrderRequest::new(OrderId(1), btc(), Side::Buy, OrderQty::Base(dec!(2)), Some(dec!(99)));
    let (stop, take) = (exit(2, OrderType::StopMarket, dec!(97)), exit(3, OrderType::TakeProfitMarket, dec!(101)));
    v.submit_bracket(entry, stop, take).unwrap();
    v.on_market_event(&hour_of(2, &detail));
    let mut events = Vec::new();
    v.drain_executions(&mut events);
    let [
        ExecutionEvent::Fill { fill: bought, .. },
        ExecutionEvent::Fill { fill: sold, .. },
        ExecutionEvent::Ended { order_id, status, .. },
    ] = events.as_slice()
    else {
        panic!("{events:?}")
    };
    assert_eq!((bought.price, bought.time), (dec!(99), Timestamp(2 * HOUR + 6 * MINUTE)));
    assert_eq!((sold.order_id, sold.price, sold.time), (OrderId(2), dec!(97), Timestamp(2 * HOUR + 31 * MINUTE)));
    assert_eq!((*order_id, *status), (OrderId(3), OrderStatus::Canceled));
    assert_eq!(v.balances()["USDT"], dec!(995.608));
}
