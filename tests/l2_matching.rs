//! Hand-worked level-2 matching at the simulated venue: market orders walk the book, resting limits wait behind
//! the queue that stood at their price (shrinking with trades and, pro rata, with cancels), orders and cancels
//! arrive after their latency, and the time-in-force rules decide on arrival. Every fill is written out.

mod common;

use rust_decimal::{Decimal, dec};

use common::l2_rows::{diff, snapshot, trade};
use common::sim_venue::{btc, venue};
use cryptotradebot::model::{
    ExecutionEvent, L2Row, Liquidity, OrderId, OrderQty, OrderRequest, OrderStatus, Side, TimeInForce,
};
use cryptotradebot::venue::SimulatedExchange;
use cryptotradebot::venue::sim::{Latency, QueueModel, SimConfig};

/// A fill as (order, price, quantity, liquidity), or an end as (order, status).
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Fill(u64, Decimal, Decimal, Liquidity),
    End(u64, OrderStatus),
}

fn config(latency_ms: i64, queue_model: QueueModel) -> SimConfig {
    let latency = Latency { min_ns: latency_ms * 1_000_000, max_ns: latency_ms * 1_000_000, seed: 0 };
    SimConfig { maker_fee: dec!(0.0002), taker_fee: dec!(0.001), latency, queue_model, ..SimConfig::default() }
}

/// A connected venue holding 100,000 USDT and 10 BTC whose BTCUSDT book is: bids 99.00 × 5, 98.00 × 5; asks
/// 100.00 × 1, 101.00 × 2, 102.00 × 5 (snapshot at 0 ms, lastUpdateId 10).
fn book_venue(latency_ms: i64, queue_model: QueueModel) -> SimulatedExchange {
    let mut v = venue(config(latency_ms, queue_model), &[("USDT", dec!(100000)), ("BTC", dec!(10))]);
    v.set_connected(true);
    let book = snapshot(
        0,
        10,
        &[(dec!(99), dec!(5)), (dec!(98), dec!(5))],
        &[(dec!(100), dec!(1)), (dec!(101), dec!(2)), (dec!(102), dec!(5))],
    );
    v.book_message(btc(), &book).unwrap();
    v
}

fn send(v: &mut SimulatedExchange, id: u64, side: Side, quantity: Decimal, price: Option<Decimal>, tif: TimeInForce) {
    let order = OrderRequest {
        time_in_force: tif,
        ..OrderRequest::new(OrderId(id), btc(), side, OrderQty::Base(quantity), price)
    };
    let report = v.submit(order).unwrap();
    assert_eq!(report.status, OrderStatus::New, "a level-2 venue answers NEW: the order is on its way");
}

fn feed(v: &mut SimulatedExchange, message: Vec<L2Row>) -> Vec<Seen> {
    v.book_message(btc(), &message).unwrap();
    let mut out = Vec::new();
    v.take_executions(&mut out);
    out.into_iter()
        .map(|e| match e {
            ExecutionEvent::Fill { fill, .. } => {
                Seen::Fill(fill.order_id.0, fill.price.normalize(), fill.quantity.normalize(), fill.liquidity)
            }
            ExecutionEvent::Ended { order_id, status, .. } => Seen::End(order_id.0, status),
        })
        .collect()
}

fn status(v: &SimulatedExchange, id: u64) -> (OrderStatus, Decimal, Option<Decimal>) {
    let r = v.order_status(btc(), OrderId(id)).unwrap();
    (r.status, r.filled_quantity.normalize(), r.average_price.map(|p| p.normalize()))
}

#[test]
fn a_market_buy_walks_the_asks_level_by_level_and_reports_its_slippage() {
    let mut v = book_venue(0, QueueModel::Queue);
    send(&mut v, 1, Side::Buy, dec!(2.5), None, TimeInForce::Gtc);
    // It reaches the book before the next message (an empty diff at 1 ms) and takes 1 at 100, then 1.5 at 101.
    let seen = feed(&mut v, diff(1, 11, &[], &[]));
    assert_eq!(
        seen,
        vec![
            Seen::Fill(1, dec!(100), dec!(1), Liquidity::Taker),
            Seen::Fill(1, dec!(101), dec!(1.5), Liquidity::Taker)
        ]
    );
    // Average (100 + 151.5) / 2.5 = 100.6; taker fee 0.1 % of 251.5 = 0.2515.
    assert_eq!(status(&v, 1), (OrderStatus::Filled, dec!(2.5), Some(dec!(100.6))));
    assert_eq!(v.order_status(btc(), OrderId(1)).unwrap().fee, dec!(0.2515));
    let stats = v.book_stats().unwrap();
    // Slippage: 1.5 BTC one dollar above the best ask.
    assert_eq!((stats.taker_fills, stats.slippage_units), (2, 150_000_000 * 100_000_000));
    assert_eq!(v.balances()["BTC"], dec!(12.5));
    assert_eq!(v.balances()["USDT"], dec!(100000) - dec!(251.5) - dec!(0.2515));
}

#[test]
fn a_market_order_larger_than_the_book_fills_what_it_shows_and_expires_the_rest() {
    let mut v = book_venue(0, QueueModel::Queue);
    send(&mut v, 1, Side::Buy, dec!(10), None, TimeInForce::Gtc);
    let seen = feed(&mut v, diff(1, 11, &[], &[]));
    assert_eq!(
        seen,
        vec![
            Seen::Fill(1, dec!(100), dec!(1), Liquidity::Taker),
            Seen::Fill(1, dec!(101), dec!(2), Liquidity::Taker),
            Seen::Fill(1, dec!(102), dec!(5), Liquidity::Taker),
            Seen::End(1, OrderStatus::Expired)
        ]
    );
    // (100 + 202 + 510) / 8 = 101.5
    assert_eq!(status(&v, 1), (OrderStatus::Expired, dec!(8), Some(dec!(101.5))));
}

#[test]
fn a_resting_bid_waits_behind_its_queue_which_trades_and_pro_rata_cancels_shrink() {
    let mut v = book_venue(0, QueueModel::Queue);
    send(&mut v, 1, Side::Buy, dec!(2), Some(dec!(99)), TimeInForce::Gtc);
    // Arrives: 5 rest at 99 ahead of it.
    assert_eq!(feed(&mut v, diff(1, 11, &[], &[])), vec![]);
    // A taker sells 3 at 99: the queue ahead goes 5 → 2; nothing for us.
    assert_eq!(feed(&mut v, trade(2, true, dec!(99), dec!(3))), vec![]);
    // The level shows 5 → 1: 3 of that were the trade, 1 was cancels. Level before the cancels: 2 (both ahead of
    // us); 1 of 2 canceled → the part ahead keeps half: 1.
    assert_eq!(feed(&mut v, diff(3, 12, &[(dec!(99), dec!(1))], &[])), vec![]);
    // A taker sells 2 at 99: 1 clears the queue, 1 fills us (maker, at our price).
    assert_eq!(
        feed(&mut v, trade(4, true, dec!(99), dec!(2))),
        vec![Seen::Fill(1, dec!(99), dec!(1), Liquidity::Maker)]
    );
    assert_eq!(status(&v, 1).0, OrderStatus::PartiallyFilled);
    // A taker sells through our price (at 98): the rest fills at our 99.
    assert_eq!(
        feed(&mut v, trade(5, true, dec!(98), dec!(3))),
        vec![Seen::Fill(1, dec!(99), dec!(1), Liquidity::Maker)]
    );
    assert_eq!(status(&v, 1), (OrderStatus::Filled, dec!(2), Some(dec!(99))));
    // Maker fee 0.02 % of 198.
    assert_eq!(v.order_status(btc(), OrderId(1)).unwrap().fee, dec!(0.0396));
    assert_eq!(v.book_stats().unwrap().queue_waits_ns, vec![4_000_000], "reached the book at 0 ms, first fill at 4");
}

#[test]
fn with_the_print_model_a_resting_bid_fills_on_the_first_print_at_its_price() {
    let mut v = book_venue(0, QueueModel::Print);
    send(&mut v, 1, Side::Buy, dec!(2), Some(dec!(99)), TimeInForce::Gtc);
    feed(&mut v, diff(1, 11, &[], &[]));
    // Buys printing at 99 do not touch a bid; a sell of 1.5 at 99 fills 1.5 of it despite the 5 ahead.
    assert_eq!(feed(&mut v, trade(2, false, dec!(99), dec!(3))), vec![]);
    assert_eq!(
        feed(&mut v, trade(3, true, dec!(99), dec!(1.5))),
        vec![Seen::Fill(1, dec!(99), dec!(1.5), Liquidity::Maker)]
    );
}

#[test]
fn an_order_reaches_the_book_after_its_latency_and_meets_the_book_of_that_moment() {
    let mut v = book_venue(50, QueueModel::Queue);
    send(&mut v, 1, Side::Buy, dec!(1), None, TimeInForce::Gtc);
    // At 30 ms the ask at 100 is gone; the order is still on its way.
    assert_eq!(feed(&mut v, diff(30, 11, &[], &[(dec!(100), dec!(0))])), vec![]);
    // At 60 ms it has arrived (at 50): it buys at 101, not at the 100 the sender saw.
    assert_eq!(feed(&mut v, diff(60, 12, &[], &[])), vec![Seen::Fill(1, dec!(101), dec!(1), Liquidity::Taker)]);
}

#[test]
fn a_cancel_on_its_way_loses_to_a_fill_and_one_that_arrives_first_ends_the_order() {
    let mut v = book_venue(10, QueueModel::Print);
    send(&mut v, 1, Side::Sell, dec!(1), Some(dec!(100.5)), TimeInForce::Gtc);
    send(&mut v, 2, Side::Sell, dec!(1), Some(dec!(103)), TimeInForce::Gtc);
    feed(&mut v, diff(20, 11, &[], &[]));
    // Cancels sent at 20 ms arrive at 30 ms; a buy printing through 100.5 at 25 ms fills order 1 first.
    assert_eq!(v.cancel(btc(), OrderId(1)).unwrap().status, OrderStatus::New, "the cancel is on its way");
    v.cancel(btc(), OrderId(2)).unwrap();
    assert_eq!(
        feed(&mut v, trade(25, false, dec!(101), dec!(1))),
        vec![Seen::Fill(1, dec!(100.5), dec!(1), Liquidity::Maker)]
    );
    assert_eq!(feed(&mut v, diff(30, 12, &[], &[])), vec![Seen::End(2, OrderStatus::Canceled)]);
    assert_eq!(status(&v, 1).0, OrderStatus::Filled);
    assert_eq!(v.book_stats().unwrap().cancels, 1, "the cancel of the filled order found nothing");
}

#[test]
fn post_only_that_would_take_is_rejected_fok_expires_untouched_and_ioc_expires_its_rest() {
    let mut v = book_venue(0, QueueModel::Queue);
    send(&mut v, 1, Side::Buy, dec!(1), Some(dec!(100)), TimeInForce::PostOnly);
    send(&mut v, 2, Side::Buy, dec!(4), Some(dec!(101)), TimeInForce::Fok);
    send(&mut v, 3, Side::Buy, dec!(4), Some(dec!(101)), TimeInForce::Ioc);
    send(&mut v, 4, Side::Buy, dec!(1), Some(dec!(99.5)), TimeInForce::PostOnly);
    let seen = feed(&mut v, diff(1, 11, &[], &[]));
    assert_eq!(
        seen,
        vec![
            Seen::End(1, OrderStatus::Rejected),
            // Only 3 rest at or below 101.
            Seen::End(2, OrderStatus::Expired),
            Seen::Fill(3, dec!(100), dec!(1), Liquidity::Taker),
            Seen::Fill(3, dec!(101), dec!(2), Liquidity::Taker),
            Seen::End(3, OrderStatus::Expired),
        ]
    );
    assert_eq!(status(&v, 2), (OrderStatus::Expired, dec!(0), None));
    assert_eq!(status(&v, 4).0, OrderStatus::New, "a post-only inside the spread rests");
    let reason = v.order_status(btc(), OrderId(1)).unwrap().reason.unwrap();
    assert!(reason.contains("post-only") && reason.contains("100"), "{reason}");
}

#[test]
fn without_a_book_a_limit_fills_on_prints_and_a_market_order_on_the_next_print() {
    let mut v = venue(config(0, QueueModel::Queue), &[("USDT", dec!(100000)), ("BTC", dec!(10))]);
    v.set_connected(true);
    // Trades only: no snapshot ever arrives.
    v.book_message(btc(), &trade(0, false, dec!(100), dec!(1))).unwrap();
    send(&mut v, 1, Side::Buy, dec!(2), Some(dec!(99)), TimeInForce::Gtc);
    send(&mut v, 2, Side::Sell, dec!(1), None, TimeInForce::Gtc);
    assert_eq!(
        feed(&mut v, trade(1, false, dec!(100.5), dec!(0.4))),
        vec![Seen::Fill(2, dec!(100.5), dec!(0.4), Liquidity::Taker)]
    );
    let seen = feed(&mut v, trade(2, true, dec!(99), dec!(3)));
    assert_eq!(
        seen,
        vec![Seen::Fill(1, dec!(99), dec!(2), Liquidity::Maker), Seen::Fill(2, dec!(99), dec!(0.6), Liquidity::Taker)]
    );
}

#[test]
fn when_the_asks_move_onto_a_resting_bid_it_fills_at_its_price_up_to_what_they_show() {
    let mut v = book_venue(0, QueueModel::Queue);
    send(&mut v, 1, Side::Buy, dec!(2), Some(dec!(99)), TimeInForce::Gtc);
    feed(&mut v, diff(1, 11, &[], &[]));
    // Sellers come down to 99 (the bids there are gone: they met those first) and 0.5 of them still show: they
    // would have met our bid before resting, so 0.5 fills at 99, as a maker, despite the queue that stood ahead.
    let seen = feed(&mut v, diff(2, 12, &[(dec!(99), dec!(0))], &[(dec!(99), dec!(0.5))]));
    assert_eq!(seen, vec![Seen::Fill(1, dec!(99), dec!(0.5), Liquidity::Maker)]);
    assert_eq!(status(&v, 1), (OrderStatus::PartiallyFilled, dec!(0.5), Some(dec!(99))));
}

#[test]
fn a_book_whose_depth_overflows_64_bits_fills_as_a_deep_book_does_instead_of_panicking() {
    // Two ask levels of 90 billion BTC: 9·10^18 units of 10^-8 each, together more than an i64 holds.
    let huge = dec!(90000000000);
    let mut v = venue(config(0, QueueModel::Queue), &[("USDT", dec!(100000)), ("BTC", dec!(10))]);
    v.set_connected(true);
    let book = snapshot(0, 10, &[(dec!(99), dec!(5))], &[(dec!(100), huge), (dec!(101), huge)]);
    v.book_message(btc(), &book).unwrap();
    send(&mut v, 1, Side::Buy, dec!(1), Some(dec!(101)), TimeInForce::Fok);
    send(&mut v, 2, Side::Buy, dec!(1), Some(dec!(99.5)), TimeInForce::Gtc);
    let seen = feed(&mut v, diff(1, 11, &[], &[]));
    assert_eq!(seen, vec![Seen::Fill(1, dec!(100), dec!(1), Liquidity::Taker)]);
    assert_eq!(status(&v, 1), (OrderStatus::Filled, dec!(1), Some(dec!(100))));
    // The asks move down onto the resting bid, as deep as before.
    let seen = feed(&mut v, diff(2, 12, &[], &[(dec!(99.4), huge), (dec!(99.5), huge)]));
    assert_eq!(seen, vec![Seen::Fill(2, dec!(99.5), dec!(1), Liquidity::Maker)]);
}
