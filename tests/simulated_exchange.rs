//! The simulated exchange through the seed's `ExchangeAdapter` interface: the rules of the README, one hand-worked
//! case each.

mod common;

use rust_decimal::{Decimal, dec};

use common::sim_venue::{self, bar, btc};

use cryptotradebot::Error;
use cryptotradebot::model::{
    ExecutionEvent, Liquidity, OrderId, OrderQty, OrderRequest, OrderStatus, OrderType, Side, StreamEvent, Timestamp,
};
use cryptotradebot::venue::sim::{FillModel, SimConfig};
use cryptotradebot::venue::{ExchangeAdapter, SimulatedExchange};

fn venue(fill_model: FillModel) -> SimulatedExchange {
    let config = SimConfig { maker_fee: dec!(0.0002), taker_fee: dec!(0.001), fill_model, ..SimConfig::default() };
    sim_venue::venue(config, &[("USDT", dec!(1000))])
}

fn order(id: u64, side: Side, order_type: OrderType, quantity: OrderQty, price: Option<Decimal>) -> OrderRequest {
    OrderRequest { order_type, ..OrderRequest::new(OrderId(id), btc(), side, quantity, price) }
}

fn fills(venue: &mut SimulatedExchange) -> Vec<ExecutionEvent> {
    let mut out = Vec::new();
    venue.drain_executions(&mut out);
    out
}

#[tokio::test]
async fn a_market_order_fills_at_the_next_bar_open_with_the_taker_fee() {
    let mut v = venue(FillModel::NextOpen);
    v.connect().await.unwrap();
    v.on_market_event(&bar(0, dec!(100), dec!(101), dec!(99), dec!(100)));
    let report = v.place_order(order(1, Side::Buy, OrderType::Market, OrderQty::Base(dec!(2)), None)).await.unwrap();
    assert_eq!(report.status, OrderStatus::New, "it waits for the next bar");
    assert!(fills(&mut v).is_empty());
    assert!(v.on_market_event(&bar(1, dec!(104), dec!(106), dec!(103), dec!(105))));
    let ExecutionEvent::Fill { fill, order_status } = fills(&mut v).remove(0) else { panic!("expected a fill") };
    // 2 × 104 = 208 notional, 0.208 fee; filled at the open of the bar that started at hour 1
    assert_eq!(
        (fill.price, fill.quantity, fill.fee, fill.liquidity),
        (dec!(104), dec!(2), dec!(0.208), Liquidity::Taker)
    );
    assert_eq!((fill.time, order_status), (Timestamp(3_600_000_000_000), OrderStatus::Filled));
    let balances = v.get_account_balance().await.unwrap();
    assert_eq!((balances["USDT"], balances["BTC"]), (dec!(791.792), dec!(2)));
    assert_eq!(v.get_order_status(btc(), OrderId(1)).await.unwrap().status, OrderStatus::Filled);
}

#[tokio::test]
async fn with_the_close_fill_model_a_market_order_fills_at_the_signal_bar_close() {
    let mut v = venue(FillModel::Close);
    v.connect().await.unwrap();
    v.on_market_event(&bar(0, dec!(100), dec!(101), dec!(99), dec!(100.5)));
    let report = v.place_order(order(1, Side::Buy, OrderType::Market, OrderQty::Base(dec!(1)), None)).await.unwrap();
    assert_eq!((report.status, report.average_price), (OrderStatus::Filled, Some(dec!(100.5))));
}

#[tokio::test]
async fn a_quote_sized_buy_spends_at_most_the_amount_fee_included() {
    let mut v = venue(FillModel::NextOpen);
    v.connect().await.unwrap();
    v.on_market_event(&bar(0, dec!(100), dec!(101), dec!(99), dec!(100)));
    v.place_order(order(1, Side::Buy, OrderType::Market, OrderQty::Quote(dec!(500)), None)).await.unwrap();
    v.on_market_event(&bar(1, dec!(99), dec!(100), dec!(98), dec!(99)));
    let ExecutionEvent::Fill { fill, .. } = fills(&mut v).remove(0) else { panic!("expected a fill") };
    // 500 / (99 × 1.001) = 5.04540...: 5.045 lots of 0.001; cost 499.455 + fee 0.499455 = 499.954455 ≤ 500
    assert_eq!((fill.quantity, fill.fee), (dec!(5.045), dec!(0.499455)));
    assert_eq!(v.get_account_balance().await.unwrap()["USDT"], dec!(500.045545));
}

#[tokio::test]
async fn a_resting_limit_fills_only_when_traded_through_at_the_limit_or_a_better_open() {
    let mut v = venue(FillModel::NextOpen);
    v.connect().await.unwrap();
    v.on_market_event(&bar(0, dec!(100), dec!(101), dec!(99), dec!(100)));
    v.place_order(order(1, Side::Buy, OrderType::Limit, OrderQty::Base(dec!(1)), Some(dec!(95)))).await.unwrap();
    v.place_order(order(2, Side::Buy, OrderType::Limit, OrderQty::Base(dec!(1)), Some(dec!(97.99)))).await.unwrap();
    // low touches 95 exactly: no fill for the 95 limit; 97.99 is traded through
    v.on_market_event(&bar(1, dec!(99), dec!(99), dec!(95), dec!(96)));
    let events = fills(&mut v);
    assert_eq!(events.len(), 1);
    let ExecutionEvent::Fill { fill, .. } = events[0] else { panic!("expected a fill") };
    assert_eq!(
        (fill.order_id, fill.price, fill.liquidity, fill.fee),
        (OrderId(2), dec!(97.99), Liquidity::Maker, dec!(0.019598))
    );
    // the next bar gaps down through 95: the fill is at the open, better than the limit
    v.on_market_event(&bar(2, dec!(93), dec!(94), dec!(92), dec!(93)));
    let ExecutionEvent::Fill { fill, .. } = fills(&mut v).remove(0) else { panic!("expected a fill") };
    assert_eq!((fill.order_id, fill.price), (OrderId(1), dec!(93)));
}

#[tokio::test]
async fn orders_below_the_minimum_notional_or_the_lot_are_order_errors_naming_the_filter() {
    let mut v = venue(FillModel::NextOpen);
    v.connect().await.unwrap();
    v.on_market_event(&bar(0, dec!(100), dec!(101), dec!(99), dec!(100)));
    let small = v.place_order(order(1, Side::Buy, OrderType::Market, OrderQty::Base(dec!(0.05)), None)).await;
    assert!(
        matches!(&small, Err(Error::Order(m)) if m.contains("MIN_NOTIONAL: notional 5 is below the minimum 10")),
        "{small:?}"
    );
    let tiny = v.place_order(order(2, Side::Buy, OrderType::Market, OrderQty::Base(dec!(0.0009)), None)).await;
    assert!(
        matches!(&tiny, Err(Error::Order(m)) if m.contains("LOT_SIZE: quantity 0.0009 is not a multiple of the lot 0.001")),
        "{tiny:?}"
    );
    let rich = v.place_order(order(3, Side::Buy, OrderType::Market, OrderQty::Base(dec!(20)), None)).await;
    assert!(matches!(&rich, Err(Error::Order(m)) if m.contains("insufficient USDT balance")), "{rich:?}");
    let unsold = v.place_order(order(4, Side::Sell, OrderType::Market, OrderQty::Base(dec!(1)), None)).await;
    assert!(matches!(&unsold, Err(Error::Order(m)) if m.contains("insufficient BTC balance")), "{unsold:?}");
}

#[tokio::test]
async fn off_tick_prices_and_off_lot_quantities_are_refused_naming_the_filter_unless_rounding_is_asked_for() {
    let mut strict = venue(FillModel::NextOpen);
    strict.connect().await.unwrap();
    strict.on_market_event(&bar(0, dec!(100), dec!(101), dec!(99), dec!(100)));
    let off_lot = strict.place_order(order(1, Side::Buy, OrderType::Market, OrderQty::Base(dec!(1.2349)), None)).await;
    assert!(
        matches!(&off_lot, Err(Error::Order(m)) if m.contains("LOT_SIZE: quantity 1.2349 is not a multiple of the lot 0.001")),
        "{off_lot:?}"
    );
    let off_tick =
        strict.place_order(order(2, Side::Buy, OrderType::Limit, OrderQty::Base(dec!(1)), Some(dec!(97.999)))).await;
    assert!(
        matches!(&off_tick, Err(Error::Order(m)) if m.contains("PRICE_FILTER: price 97.999 is not a multiple of the tick 0.01")),
        "{off_tick:?}"
    );
    // exchange.round_orders: true — rounding, explicitly: the quantity down to the lot (never up), a buy's limit down.
    let config = SimConfig { round_orders: true, ..SimConfig::default() };
    let mut rounding = sim_venue::venue(config, &[("USDT", dec!(1000))]);
    rounding.connect().await.unwrap();
    rounding.on_market_event(&bar(0, dec!(100), dec!(101), dec!(99), dec!(100)));
    let report =
        rounding.place_order(order(1, Side::Buy, OrderType::Market, OrderQty::Base(dec!(1.2349)), None)).await.unwrap();
    assert_eq!(report.request.quantity, OrderQty::Base(dec!(1.234)));
    let limit = order(2, Side::Buy, OrderType::Limit, OrderQty::Base(dec!(1)), Some(dec!(97.999)));
    assert_eq!(rounding.place_order(limit).await.unwrap().request.price, Some(dec!(97.99)));
}

#[tokio::test]
async fn cancel_ends_a_working_order_and_a_finished_one_cannot_be_canceled() {
    let mut v = venue(FillModel::NextOpen);
    v.connect().await.unwrap();
    v.on_market_event(&bar(0, dec!(100), dec!(101), dec!(99), dec!(100)));
    v.place_order(order(1, Side::Buy, OrderType::Limit, OrderQty::Base(dec!(1)), Some(dec!(50)))).await.unwrap();
    assert_eq!(v.cancel_order(btc(), OrderId(1)).await.unwrap().status, OrderStatus::Canceled);
    assert_eq!(v.get_order_status(btc(), OrderId(1)).await.unwrap().status, OrderStatus::Canceled);
    assert!(matches!(v.cancel_order(btc(), OrderId(1)).await, Err(Error::Order(m)) if m.contains("not open")));
    assert!(matches!(v.get_order_status(btc(), OrderId(9)).await, Err(Error::Order(_))));
}

#[tokio::test]
async fn a_disconnected_venue_refuses_orders_and_bars_have_no_book() {
    let mut v = venue(FillModel::NextOpen);
    let refused = v.place_order(order(1, Side::Buy, OrderType::Market, OrderQty::Base(dec!(1)), None)).await;
    assert!(matches!(refused, Err(Error::Exchange(m)) if m.contains("not connected")));
    assert!(matches!(v.get_ticker(btc()).await, Err(Error::Exchange(m)) if m.contains("no price")));
    assert!(matches!(v.get_orderbook(btc(), 10).await, Err(Error::Exchange(m)) if m.contains("no order book")));
    v.on_market_event(&bar(0, dec!(100), dec!(101), dec!(99), dec!(100.25)));
    let ticker = v.get_ticker(btc()).await.unwrap();
    assert_eq!((ticker.last, ticker.time), (dec!(100.25), Timestamp(3_600_000_000_000)));
}

#[tokio::test]
async fn a_stream_subscriber_receives_the_bars_the_venue_sees() {
    let mut v = venue(FillModel::NextOpen);
    let mut stream = v.start_websocket_stream(btc()).await.unwrap();
    let event = bar(0, dec!(100), dec!(101), dec!(99), dec!(100));
    v.on_market_event(&event);
    assert_eq!(stream.recv().await, Some(StreamEvent::Market(event)));
}

#[tokio::test]
async fn a_stream_subscriber_a_whole_channel_behind_is_dropped_and_told_so_by_a_gap() {
    use cryptotradebot::venue::ws::STREAM_CAPACITY;
    let mut v = venue(FillModel::NextOpen);
    let mut stream = v.start_websocket_stream(btc()).await.unwrap();
    // The venue sees more bars than the channel holds while the subscriber takes none.
    for hour in 0..STREAM_CAPACITY as i64 + 10 {
        v.on_market_event(&bar(hour, dec!(100), dec!(101), dec!(99), dec!(100)));
    }
    let mut bars = 0;
    let last = loop {
        match stream.recv().await {
            Some(StreamEvent::Market(_)) => bars += 1,
            other => break other,
        }
    };
    assert_eq!(bars, STREAM_CAPACITY - 1, "every place but the last held a bar");
    let Some(StreamEvent::Gap(gap)) = last else { panic!("a gap last, not {last:?}") };
    assert!(gap.reason.contains("fell a whole channel behind"), "{}", gap.reason);
    assert_eq!(stream.recv().await, None, "then the stream ends");
}

#[tokio::test]
async fn a_stop_the_market_gaps_through_fills_at_the_open_and_cancels_its_take_profit() {
    let mut v = venue(FillModel::NextOpen);
    v.connect().await.unwrap();
    v.on_market_event(&bar(0, dec!(100), dec!(101), dec!(99), dec!(100)));
    let buy = order(1, Side::Buy, OrderType::Market, OrderQty::Base(dec!(2)), None);
    v.place_order(buy).await.unwrap();
    v.on_market_event(&bar(1, dec!(100), dec!(101), dec!(99), dec!(100)));
    assert_eq!(fills(&mut v).len(), 1, "bought 2 at 100");
    let exit = |id, order_type, stop| OrderRequest {
        order_type,
        stop_price: Some(stop),
        ..OrderRequest::new(OrderId(id), btc(), Side::Sell, OrderQty::Base(dec!(2)), None)
    };
    let (stop, take) = (exit(2, OrderType::StopMarket, dec!(95)), exit(3, OrderType::TakeProfitMarket, dec!(110)));
    v.submit_exits(stop, take, &buy, Timestamp(3_600_000_000_000)).unwrap();
    assert!(fills(&mut v).is_empty(), "the rest of the entry bar (99..101) reaches neither");
    // The next bar opens at 90, below the stop of 95: the stop sells at the open, the worse price, not at 95.
    v.on_market_event(&bar(2, dec!(90), dec!(92), dec!(88), dec!(91)));
    let events = fills(&mut v);
    let ExecutionEvent::Fill { fill, order_status } = events[0] else { panic!("expected a fill") };
    assert_eq!(
        (fill.order_id, fill.price, fill.fee, order_status),
        (OrderId(2), dec!(90), dec!(0.18), OrderStatus::Filled)
    );
    let ExecutionEvent::Ended { order_id, status, ref reason, .. } = events[1] else {
        panic!("expected the partner to end")
    };
    assert_eq!(
        (order_id, status, reason.as_str()),
        (OrderId(3), OrderStatus::Canceled, "one-cancels-the-other: order 2 ended")
    );
    // 1000 − 200 − 0.2 + 180 − 0.18
    assert_eq!(v.get_account_balance().await.unwrap()["USDT"], dec!(979.62));
}

/// A connected default venue listing `instrument`, holding 1,000 USDT, after one bar closing at 100.
async fn venue_listing(instrument: cryptotradebot::model::Instrument) -> SimulatedExchange {
    let cash = std::collections::BTreeMap::from([("USDT".to_string(), dec!(1000))]);
    let mut v = SimulatedExchange::new("sim", SimConfig::default(), vec![instrument], cash).unwrap();
    v.connect().await.unwrap();
    v.on_market_event(&bar(0, dec!(100), dec!(101), dec!(99), dec!(100)));
    v
}

#[tokio::test]
async fn an_order_above_the_maximum_quantity_is_refused_and_a_quote_sized_one_that_would_fill_above_it_is_rejected() {
    let mut instrument = sim_venue::btc_instrument(dec!(10));
    instrument.max_quantity = Some(dec!(2));
    let mut v = venue_listing(instrument).await;
    let big = v.place_order(order(1, Side::Buy, OrderType::Market, OrderQty::Base(dec!(2.001)), None)).await;
    assert!(
        matches!(&big, Err(Error::Order(m)) if m.contains("LOT_SIZE: quantity 2.001 is above the maximum 2")),
        "{big:?}"
    );
    // 500 USDT at the next open of 100 would buy 4.995 BTC: more than 2 — rejected when it fills, nothing spent.
    v.place_order(order(2, Side::Buy, OrderType::Market, OrderQty::Quote(dec!(500)), None)).await.unwrap();
    v.on_market_event(&bar(1, dec!(100), dec!(101), dec!(99), dec!(100)));
    let events = fills(&mut v);
    let [ExecutionEvent::Ended { order_id: OrderId(2), status: OrderStatus::Rejected, reason, .. }] = events.as_slice()
    else {
        panic!("{events:?}")
    };
    assert!(reason.contains("LOT_SIZE: fill of 4.995 is above the maximum quantity 2"), "{reason}");
    assert_eq!(v.get_account_balance().await.unwrap()["USDT"], dec!(1000));
}

#[tokio::test]
async fn an_order_below_the_minimum_quantity_is_refused_naming_the_filter() {
    let mut instrument = sim_venue::btc_instrument(dec!(0));
    instrument.min_quantity = Some(dec!(0.01));
    let mut v = venue_listing(instrument).await;
    // 0.009 is a whole number of lots (0.001) but under Binance-style LOT_SIZE.minQty 0.01.
    let small = v.place_order(order(1, Side::Buy, OrderType::Market, OrderQty::Base(dec!(0.009)), None)).await;
    assert!(
        matches!(&small, Err(Error::Order(m)) if m.contains("LOT_SIZE: quantity 0.009 is below the minimum 0.01")),
        "{small:?}"
    );
    v.place_order(order(2, Side::Buy, OrderType::Market, OrderQty::Base(dec!(0.01)), None)).await.unwrap();
}

#[tokio::test]
async fn a_reduce_only_sell_fills_no_more_than_is_held_and_a_reduce_only_buy_is_refused() {
    let config = SimConfig { maker_fee: dec!(0), taker_fee: dec!(0), ..SimConfig::default() };
    let mut v = sim_venue::venue(config, &[("USDT", dec!(1000)), ("BTC", dec!(2))]);
    v.connect().await.unwrap();
    v.on_market_event(&bar(0, dec!(100), dec!(101), dec!(99), dec!(100)));
    let reduce = |o: OrderRequest| OrderRequest { reduce_only: true, ..o };
    let buy = v.place_order(reduce(order(1, Side::Buy, OrderType::Market, OrderQty::Base(dec!(1)), None))).await;
    assert!(matches!(&buy, Err(Error::Order(m)) if m.contains("REDUCE_ONLY")), "{buy:?}");
    // A plain sell of 1.5 and a reduce-only sell limit of 1 at 100.5, both accepted against the 2 held. The market
    // sell fills at the next open (100), leaving 0.5; the bar then trades through 100.5 and the reduce-only sell
    // fills only the 0.5 still held, its rest expiring.
    v.place_order(order(2, Side::Sell, OrderType::Market, OrderQty::Base(dec!(1.5)), None)).await.unwrap();
    v.place_order(reduce(order(3, Side::Sell, OrderType::Limit, OrderQty::Base(dec!(1)), Some(dec!(100.5)))))
        .await
        .unwrap();
    v.on_market_event(&bar(1, dec!(100), dec!(101), dec!(99), dec!(100)));
    let events = fills(&mut v);
    let [ExecutionEvent::Fill { fill: sold, .. }, ExecutionEvent::Fill { fill: reduced, order_status }] =
        events.as_slice()
    else {
        panic!("{events:?}")
    };
    assert_eq!((sold.order_id, sold.quantity, sold.price), (OrderId(2), dec!(1.5), dec!(100)));
    assert_eq!((reduced.order_id, reduced.quantity, reduced.price), (OrderId(3), dec!(0.5), dec!(100.5)));
    assert_eq!(*order_status, OrderStatus::Expired);
    let report = v.get_order_status(btc(), OrderId(3)).await.unwrap();
    assert!(report.reason.unwrap().contains("REDUCE_ONLY: the rest exceeded the 0.5 BTC held"));
    assert_eq!(v.get_account_balance().await.unwrap()["BTC"], dec!(0));
}
