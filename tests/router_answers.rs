//! The router never lets a feature vanish: an operation a venue kind cannot do is a typed error naming the venue,
//! one it can do answers as the venue does.

mod common;

use common::sim_venue::{btc, venue};
use cryptotradebot::Error;
use cryptotradebot::model::{OrderId, OrderQty, OrderRequest, OrderType, Side, Symbol, Timestamp};
use cryptotradebot::venue::binance::BinanceAdapter;
use cryptotradebot::venue::sim::SimConfig;
use cryptotradebot::venue::{ExchangeAdapter, OrderRouter, VenueConfig};
use rust_decimal::dec;

fn exit(id: u64, order_type: OrderType, level: rust_decimal::Decimal, partner: u64) -> OrderRequest {
    OrderRequest {
        order_type,
        stop_price: Some(level),
        one_cancels_other: Some(OrderId(partner)),
        ..OrderRequest::new(OrderId(id), btc(), Side::Sell, OrderQty::Base(dec!(0.5)), None)
    }
}

async fn router() -> (OrderRouter, cryptotradebot::model::VenueId, cryptotradebot::model::VenueId) {
    let mut router = OrderRouter::new();
    let mut simulated = venue(SimConfig::default(), &[("USDT", dec!(1000)), ("BTC", dec!(1))]);
    simulated.connect().await.unwrap();
    let sim = router.add_simulated(simulated).unwrap();
    let live = router.add(Box::new(BinanceAdapter::new(&VenueConfig::default(), None).unwrap())).unwrap();
    (router, sim, live)
}

#[tokio::test]
async fn exits_at_a_live_venue_are_an_order_error_naming_it_and_at_a_simulated_one_they_rest() {
    let (mut router, sim, live) = router().await;
    let (stop, take) =
        (exit(1, OrderType::StopMarket, dec!(90), 2), exit(2, OrderType::TakeProfitMarket, dec!(110), 1));
    let entry = OrderRequest::new(OrderId(9), btc(), Side::Buy, OrderQty::Base(dec!(0.5)), None);
    match router.place_exits_now(live, stop, take, &entry, Timestamp(0)) {
        Err(Error::Order(message)) => assert!(message.contains("'binance'"), "{message}"),
        other => panic!("expected an order error naming binance, got {other:?}"),
    }
    let (stop, take) = router.place_exits_now(sim, stop, take, &entry, Timestamp(0)).unwrap();
    assert!(!stop.status.is_final() && !take.status.is_final(), "both exits rest at the simulated venue");
}

#[tokio::test]
async fn instrument_and_book_of_a_live_venue_are_config_errors_naming_it() {
    let (router, sim, live) = router().await;
    assert_eq!(router.instrument(sim, btc()).unwrap().tick_size, dec!(0.01));
    let unknown = Symbol::new("ETHUSDT").unwrap();
    assert!(
        matches!(router.instrument(sim, unknown), Err(Error::Config(m)) if m.contains("'sim'") && m.contains("ETHUSDT"))
    );
    assert!(matches!(router.instrument(live, btc()), Err(Error::Config(m)) if m.contains("'binance'")));
    assert!(matches!(router.book_top(live, btc()), Err(Error::Config(m)) if m.contains("'binance'")));
    assert_eq!(router.book_top(sim, btc()).unwrap(), Default::default(), "no book data yet: an empty top");
}
