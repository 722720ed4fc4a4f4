//! A live session resumed from its journal continues where it stopped: `TradingEngine::restore` rebuilds cash,
//! position and fees from the journaled fills (worked by hand here), keeps the journaled orders — a working one
//! stays open — and the marks, and the next order takes the next id.

use rust_decimal::dec;

use cryptotradebot::config::Scenario;
use cryptotradebot::engine::{EquityPoint, FillRecord, OrderRecord, TradingEngine, start_book_engine};
use cryptotradebot::model::VenueId;
use cryptotradebot::model::{
    Fill, Liquidity, OrderId, OrderQty, OrderReport, OrderRequest, OrderStatus, Side, Symbol, Timestamp,
};

fn btc() -> Symbol {
    Symbol::new("BTCUSDT").unwrap()
}

fn order(id: u64, side: Side, price: rust_decimal::Decimal, status: OrderStatus) -> OrderRecord {
    let request = OrderRequest::new(OrderId(id), btc(), side, OrderQty::Base(dec!(0.002)), Some(price));
    let filled = if status == OrderStatus::Filled { dec!(0.002) } else { dec!(0) };
    let report = OrderReport { status, filled_quantity: filled, ..OrderReport::new(request) };
    OrderRecord::from_report(VenueId(0), Timestamp(id as i64), report)
}

fn fill(id: u64, side: Side, price: rust_decimal::Decimal, time: i64) -> FillRecord {
    let fill = Fill {
        order_id: OrderId(id),
        time: Timestamp(time),
        symbol: btc(),
        side,
        quantity: dec!(0.002),
        price,
        fee: dec!(0.01),
        liquidity: Liquidity::Maker,
        trade_id: None,
    };
    FillRecord { venue: VenueId(0), fill }
}

/// A started engine on the level-2 market maker's scenario, nothing traded yet.
async fn book_engine() -> TradingEngine {
    let scenario =
        Scenario::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/btc_l2_market_maker.yaml"))
            .unwrap();
    start_book_engine(&scenario.setup, None).await.unwrap()
}

#[tokio::test]
async fn a_restored_engine_holds_the_journaled_ledger_and_orders_and_numbers_on() {
    let mut engine = book_engine().await;
    let orders = vec![
        order(1, Side::Buy, dec!(61000), OrderStatus::Filled),
        order(2, Side::Buy, dec!(61005), OrderStatus::Filled),
        order(3, Side::Sell, dec!(61020), OrderStatus::New),
    ];
    let fills = vec![fill(1, Side::Buy, dec!(61000), 10), fill(2, Side::Buy, dec!(61005), 20)];
    let marks = vec![EquityPoint::new(Timestamp(15), dec!(9999.99)), EquityPoint::new(Timestamp(25), dec!(9999.97))];
    engine.restore(orders, fills, marks, Vec::new()).unwrap();

    // Cash: 10,000 − 122.00 − 0.01 − 122.01 − 0.01 = 9,755.97; position 0.004 at an average of 61,002.5.
    let portfolio = engine.portfolio();
    assert_eq!(portfolio.cash(), dec!(9755.97));
    let position = &portfolio.positions()[portfolio.slot(btc()).unwrap()];
    assert_eq!((position.quantity, position.average_entry_price), (dec!(0.004), dec!(61002.5)));
    assert_eq!(portfolio.fees_paid(), dec!(0.02));
    let log = engine.run_log();
    assert_eq!((log.orders.len(), log.fills.len(), log.equity.len()), (3, 2, 2));
    assert_eq!(engine.risk_level(), "normal");
    // A second restore is refused: the engine has a history now.
    assert!(engine.restore(Vec::new(), Vec::new(), Vec::new(), Vec::new()).is_err());

    // The next order is number 4 (the venue is simulated here; it has no price yet, so it refuses the order).
    let _ = engine.place_order("binance", btc(), Side::Buy, dec!(0.001), Some(dec!(61000))).await;
    assert_eq!(engine.run_log().orders.last().unwrap().report.request.client_order_id, OrderId(4));
}

#[tokio::test]
async fn a_journal_whose_order_ids_skip_one_is_refused_before_anything_is_restored() {
    // Orders are looked up by id: restoring 1 and 3 would put order 3 where order 2 belongs, and a fill of order 3
    // would be booked against the wrong record.
    let mut engine = book_engine().await;
    let orders = vec![
        order(1, Side::Buy, dec!(61000), OrderStatus::Filled),
        order(3, Side::Sell, dec!(61020), OrderStatus::New),
    ];
    let fills = vec![fill(1, Side::Buy, dec!(61000), 10)];
    let refused = engine.restore(orders, fills, Vec::new(), Vec::new());
    assert!(
        matches!(&refused, Err(cryptotradebot::Error::Data(m)) if m.contains("order 3 where order 2 should be")),
        "{refused:?}"
    );
    assert!(engine.run_log().orders.is_empty() && engine.run_log().fills.is_empty(), "nothing was restored");
    assert_eq!(engine.portfolio().cash(), dec!(10000));
}
