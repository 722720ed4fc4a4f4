//! Every order type and time in force of the simulated venue, worked by hand on 1-hour bars. The venue: BTCUSDT,
//! tick 0.01, lot 0.001, maker fee 0.02 %, taker fee 0.1 %, 1,000 USDT and (where a sell needs it) 2 BTC. Each test
//! writes out the fills it expects: order, price, quantity, fee, maker or taker, status.

mod common;

use rust_decimal::{Decimal, dec};

use common::sim_venue::{self, bar, btc};

use cryptotradebot::Error;
use cryptotradebot::model::{
    ExecutionEvent, Liquidity, OrderId, OrderQty, OrderRequest, OrderStatus, OrderType, Side, TimeInForce, Trail,
};
use cryptotradebot::venue::ExchangeAdapter;
use cryptotradebot::venue::SimulatedExchange;
use cryptotradebot::venue::sim::SimConfig;

/// The venue after one bar (hour 0, close 100), holding 1,000 USDT and `btc` BTC.
async fn venue(btc_held: Decimal) -> SimulatedExchange {
    let config = SimConfig { maker_fee: dec!(0.0002), taker_fee: dec!(0.001), ..SimConfig::default() };
    let mut v = sim_venue::venue(config, &[("USDT", dec!(1000)), ("BTC", btc_held)]);
    v.connect().await.unwrap();
    v.on_market_event(&bar(0, dec!(100), dec!(101), dec!(99), dec!(100)));
    v
}

fn order(id: u64, side: Side, order_type: OrderType, price: Option<Decimal>, stop: Option<Decimal>) -> OrderRequest {
    OrderRequest {
        order_type,
        price,
        stop_price: stop,
        ..OrderRequest::new(OrderId(id), btc(), side, OrderQty::Base(dec!(1)), None)
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

#[tokio::test]
async fn a_stop_limit_fills_at_its_stop_when_the_stop_satisfies_the_limit() {
    let mut v = venue(dec!(2)).await;
    // Sell 1, stop 95, limit 94. Bar 1 (100, 101, 96, 97) does not reach 95.
    v.place_order(order(1, Side::Sell, OrderType::StopLimit, Some(dec!(94)), Some(dec!(95)))).await.unwrap();
    v.on_market_event(&bar(1, dec!(100), dec!(101), dec!(96), dec!(97)));
    assert_eq!(seen(&mut v), []);
    // Bar 2 falls through 95: triggered at 95, which is above the limit of 94, so it sells there as a taker:
    // 95 × 1 = 95, fee 0.095.
    v.on_market_event(&bar(2, dec!(97), dec!(98), dec!(93), dec!(94)));
    assert_eq!(seen(&mut v), [Seen::Fill(1, dec!(95), dec!(1), dec!(0.095), Liquidity::Taker, OrderStatus::Filled)]);
}

#[tokio::test]
async fn a_stop_limit_gapped_below_its_limit_rests_and_fills_as_a_maker_when_the_price_comes_back() {
    let mut v = venue(dec!(2)).await;
    v.place_order(order(1, Side::Sell, OrderType::StopLimit, Some(dec!(94)), Some(dec!(95)))).await.unwrap();
    // Bar 1 opens at 92, below the stop (triggered at the open) and below the limit: not marketable, it rests as a
    // sell limit at 94; the bar's high of 93.5 never trades through it.
    v.on_market_event(&bar(1, dec!(92), dec!(93.5), dec!(91), dec!(93)));
    assert_eq!(seen(&mut v), []);
    assert_eq!(v.get_order_status(btc(), OrderId(1)).await.unwrap().status, OrderStatus::New);
    // Bar 2 trades up through 94: sold at the limit as a maker, fee 94 × 0.0002 = 0.0188.
    v.on_market_event(&bar(2, dec!(93), dec!(94.5), dec!(92.5), dec!(94.2)));
    assert_eq!(seen(&mut v), [Seen::Fill(1, dec!(94), dec!(1), dec!(0.0188), Liquidity::Maker, OrderStatus::Filled)]);
    // Gapped below and traded back through the limit in the same bar: filled in that bar.
    let mut w = venue(dec!(2)).await;
    w.place_order(order(1, Side::Sell, OrderType::StopLimit, Some(dec!(94)), Some(dec!(95)))).await.unwrap();
    w.on_market_event(&bar(1, dec!(92), dec!(94.5), dec!(91), dec!(93)));
    assert_eq!(seen(&mut w), [Seen::Fill(1, dec!(94), dec!(1), dec!(0.0188), Liquidity::Maker, OrderStatus::Filled)]);
}

#[tokio::test]
async fn a_take_profit_limit_triggers_on_the_rise_and_sells_at_its_trigger() {
    let mut v = venue(dec!(2)).await;
    // Sell 1 when the price rises to 105, limit 104.5.
    v.place_order(order(1, Side::Sell, OrderType::TakeProfitLimit, Some(dec!(104.5)), Some(dec!(105)))).await.unwrap();
    v.on_market_event(&bar(1, dec!(100), dec!(104.9), dec!(99), dec!(104)));
    assert_eq!(seen(&mut v), []);
    v.on_market_event(&bar(2, dec!(104), dec!(106), dec!(103), dec!(105.5)));
    assert_eq!(seen(&mut v), [Seen::Fill(1, dec!(105), dec!(1), dec!(0.105), Liquidity::Taker, OrderStatus::Filled)]);
}

#[tokio::test]
async fn a_trailing_stop_follows_the_highs_and_sells_when_the_price_falls_back_by_the_trail() {
    let mut v = venue(dec!(2)).await;
    // Sell 1 with a trail of 3 USDT from the last close of 100: stop 97.
    let trailing = OrderRequest {
        trail: Some(Trail::Amount(dec!(3))),
        ..order(1, Side::Sell, OrderType::TrailingStop, None, None)
    };
    assert_eq!(v.place_order(trailing).await.unwrap().request.stop_price, Some(dec!(97)));
    // Bar 1 rises to 108 without falling to 97: the stop follows to 105.
    v.on_market_event(&bar(1, dec!(100), dec!(108), dec!(99), dec!(107)));
    assert_eq!(seen(&mut v), []);
    assert_eq!(v.get_order_status(btc(), OrderId(1)).await.unwrap().request.stop_price, Some(dec!(105)));
    // Bar 2 dips to 104.5: the stop of 105 (from the bars before) triggers and sells at 105, fee 0.105. The bar's
    // own high of 106 does not move the stop first (the trail follows a bar only after it).
    v.on_market_event(&bar(2, dec!(107), dec!(106.5), dec!(104.5), dec!(106)));
    assert_eq!(seen(&mut v), [Seen::Fill(1, dec!(105), dec!(1), dec!(0.105), Liquidity::Taker, OrderStatus::Filled)]);
}

#[tokio::test]
async fn a_percent_trail_never_retreats_and_rounds_to_the_tick_on_the_later_side() {
    let mut v = venue(dec!(2)).await;
    // 1.5 % below the last close of 100 = 98.5; after a high of 110.37: 110.37 × 0.985 = 108.71445 → 108.71.
    let trailing = OrderRequest {
        trail: Some(Trail::Percent(dec!(1.5))),
        ..order(1, Side::Sell, OrderType::TrailingStop, None, None)
    };
    assert_eq!(v.place_order(trailing).await.unwrap().request.stop_price, Some(dec!(98.5)));
    v.on_market_event(&bar(1, dec!(100), dec!(110.37), dec!(99), dec!(110)));
    assert_eq!(v.get_order_status(btc(), OrderId(1)).await.unwrap().request.stop_price, Some(dec!(108.71)));
    // A lower high does not pull the stop back down.
    v.on_market_event(&bar(2, dec!(110), dec!(110.2), dec!(109), dec!(109.5)));
    assert_eq!(v.get_order_status(btc(), OrderId(1)).await.unwrap().request.stop_price, Some(dec!(108.71)));
    // Opens at 108 below the stop: sold at the open, the worse price.
    v.on_market_event(&bar(3, dec!(108), dec!(108.5), dec!(107), dec!(107.5)));
    assert_eq!(seen(&mut v), [Seen::Fill(1, dec!(108), dec!(1), dec!(0.108), Liquidity::Taker, OrderStatus::Filled)]);
}

#[tokio::test]
async fn ioc_and_fok_limits_fill_at_the_next_open_when_marketable_and_expire_otherwise() {
    for tif in [TimeInForce::Ioc, TimeInForce::Fok] {
        let mut v = venue(dec!(0)).await;
        let buy = |id, limit| OrderRequest {
            time_in_force: tif,
            ..order(id, Side::Buy, OrderType::Limit, Some(limit), None)
        };
        v.place_order(buy(1, dec!(101))).await.unwrap();
        v.place_order(buy(2, dec!(99))).await.unwrap();
        // The next bar opens at 100: the buy at 101 fills at the open as a taker (fee 0.1); the buy at 99 is not
        // marketable at the open and expires — even though the bar later trades down to 98.
        v.on_market_event(&bar(1, dec!(100), dec!(102), dec!(98), dec!(101)));
        let reason = format!("{}: not marketable at the open of its first bar (100)", tif.as_str());
        assert_eq!(
            seen(&mut v),
            [
                Seen::Fill(1, dec!(100), dec!(1), dec!(0.1), Liquidity::Taker, OrderStatus::Filled),
                Seen::End(2, reason, OrderStatus::Expired)
            ],
            "{tif:?}"
        );
    }
}

#[tokio::test]
async fn a_post_only_limit_is_refused_if_it_would_take_and_otherwise_fills_only_as_a_maker() {
    let mut v = venue(dec!(0)).await;
    let post = |id, limit| OrderRequest {
        time_in_force: TimeInForce::PostOnly,
        ..order(id, Side::Buy, OrderType::Limit, Some(limit), None)
    };
    // At or above the last price of 100 a buy would take: refused at once.
    let refused = v.place_order(post(1, dec!(100))).await.unwrap_err();
    assert!(
        matches!(&refused, Error::Order(m) if m.contains("post-only: limit 100 would take at the last price 100")),
        "{refused:?}"
    );
    // 99.5 rests; bar 1 opens at 99 (the market moved through it before it arrived): it would have taken, so it is
    // rejected rather than filled.
    v.place_order(post(2, dec!(99.5))).await.unwrap();
    v.on_market_event(&bar(1, dec!(99), dec!(100), dec!(98), dec!(99.8)));
    let reason = "post-only: the market opened through its limit at 99; it would have taken".to_string();
    assert_eq!(seen(&mut v), [Seen::End(2, reason, OrderStatus::Rejected)]);
    // 98.5 arrives at bar 2's open of 99.8 as a maker, and bar 3 trades through it: filled at 98.5, maker fee
    // 98.5 × 0.0002 = 0.0197.
    v.place_order(post(3, dec!(98.5))).await.unwrap();
    v.on_market_event(&bar(2, dec!(99.8), dec!(100), dec!(98.6), dec!(99)));
    v.on_market_event(&bar(3, dec!(99), dec!(99.2), dec!(98), dec!(98.4)));
    assert_eq!(seen(&mut v), [Seen::Fill(3, dec!(98.5), dec!(1), dec!(0.0197), Liquidity::Maker, OrderStatus::Filled)]);
}

#[tokio::test]
async fn malformed_orders_are_order_errors_naming_what_is_wrong() {
    let mut v = venue(dec!(2)).await;
    let cases = [
        (order(1, Side::Sell, OrderType::StopLimit, None, Some(dec!(95))), "a limit price is needed"),
        (order(2, Side::Sell, OrderType::TrailingStop, None, None), "needs a trail"),
        (
            OrderRequest {
                trail: Some(Trail::Amount(dec!(1))),
                ..order(3, Side::Sell, OrderType::StopMarket, None, Some(dec!(95)))
            },
            "only a trailing stop takes a trail",
        ),
        (
            OrderRequest {
                time_in_force: TimeInForce::Ioc,
                ..order(4, Side::Sell, OrderType::StopMarket, None, Some(dec!(95)))
            },
            "time in force IOC applies to limit orders only",
        ),
        (
            OrderRequest {
                trail: Some(Trail::Percent(dec!(100))),
                ..order(5, Side::Sell, OrderType::TrailingStop, None, None)
            },
            "not below 100 %",
        ),
    ];
    for (request, words) in cases {
        let err = v.place_order(request).await.unwrap_err();
        assert!(matches!(&err, Error::Order(m) if m.contains(words)), "{words}: {err:?}");
    }
}

#[tokio::test]
async fn an_amended_limit_keeps_its_id_fills_at_its_new_price_and_loses_its_place_unless_only_made_smaller() {
    let mut v = venue(dec!(0)).await;
    v.place_order(order(1, Side::Buy, OrderType::Limit, Some(dec!(95)), None)).await.unwrap();
    v.place_order(order(2, Side::Buy, OrderType::Limit, Some(dec!(96)), None)).await.unwrap();
    // Order 1 up to 97: it goes behind order 2. Order 2 down to 0.5 BTC at the same price: it keeps its place.
    let amended = v.amend_order(btc(), OrderId(1), None, Some(dec!(97))).await.unwrap();
    assert_eq!((amended.request.client_order_id, amended.request.price), (OrderId(1), Some(dec!(97))));
    v.amend_order(btc(), OrderId(2), Some(dec!(0.5)), None).await.unwrap();
    // A bar down to 94 fills both, order 2 first (it kept its place): 0.5 at 96 (maker fee 0.0096), then 1 at 97
    // (0.0194).
    v.on_market_event(&bar(1, dec!(99), dec!(99.5), dec!(94), dec!(95)));
    assert_eq!(
        seen(&mut v),
        [
            Seen::Fill(2, dec!(96), dec!(0.5), dec!(0.0096), Liquidity::Maker, OrderStatus::Filled),
            Seen::Fill(1, dec!(97), dec!(1), dec!(0.0194), Liquidity::Maker, OrderStatus::Filled),
        ]
    );
    let err = v.amend_order(btc(), OrderId(1), None, Some(dec!(90))).await.unwrap_err();
    assert!(matches!(&err, Error::Order(m) if m.contains("order 1 is not open (status FILLED)")), "{err:?}");
    v.place_order(order(3, Side::Buy, OrderType::Limit, Some(dec!(90)), None)).await.unwrap();
    let same = v.amend_order(btc(), OrderId(3), Some(dec!(1)), Some(dec!(90))).await.unwrap_err();
    assert!(matches!(&same, Error::Order(m) if m.contains("changes nothing")), "{same:?}");
    let broke = v.amend_order(btc(), OrderId(3), Some(dec!(100)), None).await.unwrap_err();
    assert!(matches!(&broke, Error::Order(m) if m.contains("insufficient USDT")), "{broke:?}");
}

#[tokio::test]
async fn a_bracket_activates_its_exits_when_the_entry_fills_and_drops_them_when_it_does_not() {
    let mut v = venue(dec!(0)).await;
    let exit = |id, order_type, stop| order(id, Side::Sell, order_type, None, Some(stop));
    let entry = order(1, Side::Buy, OrderType::Market, None, None);
    v.submit_bracket(entry, exit(2, OrderType::StopMarket, dec!(95)), exit(3, OrderType::TakeProfitMarket, dec!(110)))
        .unwrap();
    // Bar 1: the entry buys 1 at the open of 100 (taker fee 0.1); the rest of the bar (99..104) reaches neither exit.
    v.on_market_event(&bar(1, dec!(100), dec!(104), dec!(99), dec!(103)));
    assert_eq!(seen(&mut v), [Seen::Fill(1, dec!(100), dec!(1), dec!(0.1), Liquidity::Taker, OrderStatus::Filled)]);
    assert_eq!(v.get_order_status(btc(), OrderId(2)).await.unwrap().status, OrderStatus::New, "the stop is working");
    // Bar 2 falls to 94: the stop sells 1 at 95 (fee 0.095) and cancels the take-profit.
    v.on_market_event(&bar(2, dec!(103), dec!(103), dec!(94), dec!(96)));
    assert_eq!(
        seen(&mut v),
        [
            Seen::Fill(2, dec!(95), dec!(1), dec!(0.095), Liquidity::Taker, OrderStatus::Filled),
            Seen::End(3, "one-cancels-the-other: order 2 ended".into(), OrderStatus::Canceled),
        ]
    );

    // An IOC entry that cannot fill expires, and its children go with it.
    let ioc =
        OrderRequest { time_in_force: TimeInForce::Ioc, ..order(4, Side::Buy, OrderType::Limit, Some(dec!(90)), None) };
    v.submit_bracket(ioc, exit(5, OrderType::StopMarket, dec!(85)), exit(6, OrderType::TakeProfitMarket, dec!(99)))
        .unwrap();
    v.on_market_event(&bar(3, dec!(96), dec!(97), dec!(95), dec!(96)));
    let ended = |id| Seen::End(id, "bracket entry 4 ended EXPIRED".into(), OrderStatus::Canceled);
    let expired = Seen::End(4, "IOC: not marketable at the open of its first bar (96)".into(), OrderStatus::Expired);
    assert_eq!(seen(&mut v), [expired, ended(5), ended(6)]);
    // Children must close the entry.
    let wrong = v.submit_bracket(
        order(7, Side::Buy, OrderType::Market, None, None),
        order(8, Side::Buy, OrderType::StopMarket, None, Some(dec!(95))),
        exit(9, OrderType::TakeProfitMarket, dec!(110)),
    );
    assert!(matches!(&wrong, Err(Error::Order(m)) if m.contains("of the other side")), "{wrong:?}");
}

#[tokio::test]
async fn an_order_placed_after_a_pair_whose_take_profit_fills_is_still_matched_against_the_same_bar() {
    let mut v = venue(dec!(3)).await;
    // Exits placed stop first: stop-loss 1 BTC at 95 (order 1), take-profit 1 BTC at 105 (order 2), an OCO pair;
    // then a sell limit of 0.5 BTC at 103 (order 3), placed after both.
    let stop = order(1, Side::Sell, OrderType::StopMarket, None, Some(dec!(95)));
    let take = order(2, Side::Sell, OrderType::TakeProfitMarket, None, Some(dec!(105)));
    let entry = order(0, Side::Buy, OrderType::Market, None, None);
    v.submit_exits(stop, take, &entry, cryptotradebot::model::Timestamp(0)).unwrap();
    let limit = OrderRequest {
        quantity: OrderQty::Base(dec!(0.5)),
        ..order(3, Side::Sell, OrderType::Limit, Some(dec!(103)), None)
    };
    v.place_order(limit).await.unwrap();
    // Bar 1 (100, 106, 99, 104) never reaches the stop. The take-profit triggers at 105 and sells 1 as a taker
    // (fee 0.105), which cancels the stop; the limit at 103 trades in the same bar: 0.5 at 103 as a maker,
    // fee 103 × 0.5 × 0.0002 = 0.0103.
    v.on_market_event(&bar(1, dec!(100), dec!(106), dec!(99), dec!(104)));
    assert_eq!(
        seen(&mut v),
        [
            Seen::Fill(2, dec!(105), dec!(1), dec!(0.105), Liquidity::Taker, OrderStatus::Filled),
            Seen::End(1, "one-cancels-the-other: order 2 ended".into(), OrderStatus::Canceled),
            Seen::Fill(3, dec!(103), dec!(0.5), dec!(0.0103), Liquidity::Maker, OrderStatus::Filled),
        ]
    );
}
