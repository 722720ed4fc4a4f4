//! Properties of level-2 matching over random books, random prints and random orders of every kind the book
//! takes (market, limit; GTC, IOC, FOK, post-only), with random latencies and cancels:
//! * no fill lies outside the book's prices: a taking fill is at a level the book showed when the order arrived,
//!   for no more than that level held; a resting fill is at the order's limit, in a message whose print or whose
//!   other side reached that limit;
//! * quantity is conserved: no order fills more than it asked for, one that ends filled filled all of it, one
//!   still working has filled less;
//! * a post-only order never takes; balances never go negative.
//!
//! The book the fills are checked against is kept here, in a plain map, from the same messages.

mod common;

use proptest::prelude::*;
use rust_decimal::{Decimal, dec};
use std::collections::BTreeMap;

use common::l2_rows::{diff, snapshot, trade};
use common::sim_venue::{btc, venue};
use cryptotradebot::model::{
    ExecutionEvent, L2Row, Liquidity, OrderId, OrderQty, OrderRequest, OrderStatus, RowKind, Side, TimeInForce,
};
use cryptotradebot::venue::sim::{Latency, QueueModel, SimConfig};

/// One step of the replay: a depth change, a print, an order or a cancel.
#[derive(Clone, Debug)]
enum Step {
    /// A level of (bid when true) at price index, new quantity.
    Level(bool, i64, i64),
    /// A print: taker sold when true, price index, quantity.
    Print(bool, i64, i64),
    /// An order: buy when true, market when `None` price, quantity, time in force.
    Order(bool, Option<i64>, i64, u8),
    /// Cancel the n-th order placed so far (if working).
    Cancel(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (any::<bool>(), 0i64..10, 0i64..6).prop_map(|(bid, i, q)| Step::Level(bid, i, q)),
        3 => (any::<bool>(), 0i64..20, 1i64..6).prop_map(|(sold, i, q)| Step::Print(sold, i, q)),
        2 => (any::<bool>(), prop::option::of(0i64..20), 1i64..6, 0u8..4)
            .prop_map(|(buy, p, q, tif)| Step::Order(buy, p, q, tif)),
        1 => (0usize..10).prop_map(Step::Cancel),
    ]
}

/// Price of index `i`: bids live at 90.00..99.00 (indexes 0..10), asks at 100.00..109.00 (10..20).
fn price(i: i64) -> Decimal {
    Decimal::from(90 + i)
}

fn apply(book: &mut [BTreeMap<Decimal, Decimal>; 2], message: &[L2Row]) {
    for row in message {
        let side = match row.kind {
            RowKind::Bid | RowKind::SnapshotBid => 0,
            RowKind::Ask | RowKind::SnapshotAsk => 1,
            _ => continue,
        };
        let (p, q) =
            (cryptotradebot::model::l2::from_fixed(row.price), cryptotradebot::model::l2::from_fixed(row.quantity));
        if q.is_zero() {
            book[side].remove(&p);
        } else {
            book[side].insert(p, q);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn level_2_fills_stay_within_the_book_and_conserve_quantity(
        steps in prop::collection::vec(step(), 1..80),
        max_latency_ms in 0i64..4,
        seed in any::<u64>(),
        print_model in any::<bool>(),
    ) {
        let latency = Latency { min_ns: 0, max_ns: max_latency_ms * 1_000_000, seed };
        let queue_model = if print_model { QueueModel::Print } else { QueueModel::Queue };
        let config = SimConfig { maker_fee: dec!(0.0002), taker_fee: dec!(0.001), latency, queue_model, ..SimConfig::default() };
        let mut v = venue(config, &[("USDT", dec!(100000)), ("BTC", dec!(1000))]);
        v.set_connected(true);
        let levels = |from: i64| (from..from + 10).map(|i| (price(i), dec!(3))).collect::<Vec<_>>();
        let first = snapshot(0, 10, &levels(0), &levels(10));
        let mut book = [BTreeMap::new(), BTreeMap::new()];
        apply(&mut book, &first);
        v.book_message(btc(), &first).unwrap();
        let (mut time, mut id, mut update) = (0i64, 0u64, 10u64);
        let mut orders: Vec<(OrderId, TimeInForce, Decimal)> = Vec::new();
        let mut filled: BTreeMap<OrderId, Decimal> = BTreeMap::new();
        let mut out = Vec::new();
        for step in steps {
            time += 1;
            let message = match step {
                Step::Order(buy, limit, quantity, tif) => {
                    id += 1;
                    let tif = [TimeInForce::Gtc, TimeInForce::Ioc, TimeInForce::Fok, TimeInForce::PostOnly][tif as usize];
                    let tif = if limit.is_none() { TimeInForce::Gtc } else { tif };
                    let side = if buy { Side::Buy } else { Side::Sell };
                    let quantity = Decimal::from(quantity);
                    let request = OrderRequest {
                        time_in_force: tif,
                        ..OrderRequest::new(OrderId(id), btc(), side, OrderQty::Base(quantity), limit.map(price))
                    };
                    if v.submit(request).is_ok() {
                        orders.push((OrderId(id), tif, quantity));
                    }
                    continue;
                }
                Step::Cancel(n) => {
                    if let Some((order, ..)) = orders.get(n) {
                        let _ = v.cancel(btc(), *order);
                    }
                    continue;
                }
                Step::Level(bid, i, q) => {
                    // Keep the book uncrossed, as a venue's is: bids below 100, asks from 100.
                    let index = if bid { i } else { 10 + i };
                    update += 1;
                    let level = [(price(index), Decimal::from(q))];
                    if bid { diff(time, update, &level, &[]) } else { diff(time, update, &[], &level) }
                }
                Step::Print(sold, i, q) => trade(time, sold, price(i), Decimal::from(q)),
            };
            let before = book.clone();
            apply(&mut book, &message);
            v.book_message(btc(), &message).unwrap();
            v.take_executions(&mut out);
            for event in out.drain(..) {
                let ExecutionEvent::Fill { fill, .. } = event else { continue };
                *filled.entry(fill.order_id).or_default() += fill.quantity;
                let (_, tif, _) = orders.iter().find(|(o, ..)| *o == fill.order_id).copied().unwrap();
                let other = if fill.side == Side::Buy { 1 } else { 0 };
                match fill.liquidity {
                    Liquidity::Taker => {
                        prop_assert_ne!(tif, TimeInForce::PostOnly, "a post-only order took");
                        let shown = before[other].get(&fill.price).copied();
                        prop_assert!(shown.is_some_and(|q| q >= fill.quantity), "taker fill {:?} outside the book {:?}", fill, before[other]);
                    }
                    Liquidity::Maker => {
                        let request = v.order_status(btc(), fill.order_id).unwrap().request;
                        prop_assert_eq!(Some(fill.price), request.price);
                        let limit = fill.price;
                        let printed = message.iter().filter(|r| r.is_trade()).any(|r| {
                            let p = cryptotradebot::model::l2::from_fixed(r.price);
                            if fill.side == Side::Buy { r.kind == RowKind::TradeSell && p <= limit } else { r.kind == RowKind::TradeBuy && p >= limit }
                        });
                        let crossed = if fill.side == Side::Buy {
                            book[1].keys().next().is_some_and(|ask| *ask <= limit)
                        } else {
                            book[0].keys().next_back().is_some_and(|bid| *bid >= limit)
                        };
                        prop_assert!(printed || crossed, "maker fill {:?} without the market reaching it", fill);
                    }
                }
            }
            for (asset, amount) in v.balances() {
                prop_assert!(amount >= Decimal::ZERO, "{} went negative: {}", asset, amount);
            }
        }
        for (order, _, ordered) in &orders {
            let report = v.order_status(btc(), *order).unwrap();
            let got = filled.get(order).copied().unwrap_or_default();
            prop_assert_eq!(got, report.filled_quantity);
            prop_assert!(got <= *ordered);
            match report.status {
                OrderStatus::Filled => prop_assert_eq!(got, *ordered),
                OrderStatus::New | OrderStatus::PartiallyFilled => prop_assert!(got < *ordered),
                _ => {}
            }
        }
    }
}
