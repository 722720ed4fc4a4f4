//! The Binance adapter with real HTTP against a loopback mock of Binance spot REST v3 (tests/common/mock_binance.rs)
//! that recomputes every signature and answers in Binance's documented formats.

mod common;

use rust_decimal::dec;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use common::mock_binance::{KEY, SECRET, btc, mock_binance};
use cryptotradebot::Error;
use cryptotradebot::model::{ExecutionEvent, OrderId, OrderQty, OrderRequest, OrderStatus, Side};
use cryptotradebot::venue::VenueConfig;
use cryptotradebot::venue::binance::BinanceAdapter;
use cryptotradebot::venue::{Credentials, ExchangeAdapter, Secret};

fn adapter(base: &str, secret: &str) -> BinanceAdapter {
    let config: VenueConfig =
        serde_json::from_value(serde_json::json!({ "base_url": base, "request_timeout_ms": 300 })).unwrap();
    let credentials = Credentials { api_key: Secret::new(KEY), api_secret: Secret::new(secret), passphrase: None };
    BinanceAdapter::new(&config, Some(credentials)).unwrap()
}

#[tokio::test]
async fn ticker_book_balance_and_an_order_round_trip_against_the_mock_venue() {
    let base = mock_binance().await;
    let mut binance = adapter(&base, SECRET);
    assert!(binance.connect().await.unwrap());
    let ticker = binance.get_ticker(btc()).await.unwrap();
    assert_eq!((ticker.bid, ticker.ask, ticker.last), (dec!(61602.01), dec!(61602.02), dec!(61602.02)));
    let book = binance.get_orderbook(btc(), 2).await.unwrap();
    assert_eq!((book.bids.len(), book.bids[0].price, book.asks[0].quantity), (2, dec!(61602.01), dec!(0.5)));
    let balances = binance.get_account_balance().await.unwrap();
    assert_eq!(
        balances,
        BTreeMap::from([("BTC".into(), dec!(0.5)), ("USDT".into(), dec!(10000))]),
        "free, held assets"
    );

    let instrument = binance.instrument(btc()).await.unwrap();
    assert_eq!(
        (instrument.tick_size, instrument.lot_size, instrument.min_notional, instrument.max_quantity),
        (dec!(0.01), dec!(0.00001), dec!(5), Some(dec!(9000)))
    );
    // 0.123456 BTC rounds down to the 0.00001 step; a buy's limit rounds down to the 0.01 tick.
    let order = OrderRequest::new(OrderId(7), btc(), Side::Buy, OrderQty::Base(dec!(0.123456)), Some(dec!(61000.019)));
    let placed = binance.place_order(order).await.unwrap();
    assert_eq!(placed.status, OrderStatus::New);
    assert_eq!((placed.request.quantity, placed.request.price), (OrderQty::Base(dec!(0.12345)), Some(dec!(61000.01))));
    let status = binance.get_order_status(btc(), OrderId(7)).await.unwrap();
    assert_eq!(
        (status.status, status.request.client_order_id, status.request.side),
        (OrderStatus::New, OrderId(7), Side::Buy)
    );
    assert_eq!(status.request.quantity, OrderQty::Base(dec!(0.12345)));
    let canceled = binance.cancel_order(btc(), OrderId(7)).await.unwrap();
    assert_eq!(canceled.status, OrderStatus::Canceled);
    let unknown = binance.get_order_status(btc(), OrderId(8)).await.unwrap_err();
    assert!(matches!(&unknown, Error::Order(m) if m.contains("-2013") && m.contains("does not exist")), "{unknown:?}");
}

#[tokio::test]
async fn a_wrong_secret_is_an_authentication_error_that_names_no_secret() {
    let base = mock_binance().await;
    let mut binance = adapter(&base, "wrong-secret");
    let err = binance.connect().await.unwrap_err();
    assert!(matches!(&err, Error::Authentication(m) if m.contains("-1022")), "{err:?}");
    let shown = format!("{err} {err:?} {binance:?}");
    assert!(!shown.contains("wrong-secret") && !shown.contains(KEY), "{shown}");
}

#[tokio::test]
async fn a_market_orders_fills_reach_the_engine_as_executions_with_the_commission_in_the_quote_asset() {
    let base = mock_binance().await;
    let mut binance = adapter(&base, SECRET);
    binance.connect().await.unwrap();
    let buy = OrderRequest::new(OrderId(3), btc(), Side::Buy, OrderQty::Base(dec!(0.8)), None);
    let report = binance.place_order(buy).await.unwrap();
    // 0.5 × 61602.02 + 0.3 × 61602.03 = 30801.01 + 18480.609 = 49281.619; commission 0.0005 + 0.0003 BTC valued at the fill prices.
    assert_eq!((report.status, report.filled_quantity), (OrderStatus::Filled, dec!(0.8)));
    assert_eq!(report.average_price, Some(dec!(49281.619) / dec!(0.8)));
    assert_eq!(report.fee, dec!(0.0005) * dec!(61602.02) + dec!(0.0003) * dec!(61602.03));
    // The account received 0.8 BTC less the 0.0008 BTC commission: each fill books what arrived, and the
    // commission's value as its fee, so cash pays exactly 0.5 × 61602.02 + 0.3 × 61602.03 and the position is
    // what the venue holds.
    let mut executions = Vec::new();
    binance.drain_executions(&mut executions);
    let fills: Vec<_> = executions
        .iter()
        .map(|e| match e {
            ExecutionEvent::Fill { fill, order_status } => {
                (fill.order_id, fill.quantity, fill.price, fill.fee, *order_status, fill.time.millis())
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        fills,
        [
            (OrderId(3), dec!(0.4995), dec!(61602.02), dec!(30.80101), OrderStatus::PartiallyFilled, 1_700_000_000_123),
            (OrderId(3), dec!(0.2997), dec!(61602.03), dec!(18.480609), OrderStatus::Filled, 1_700_000_000_123),
        ]
    );
    binance.drain_executions(&mut executions);
    assert_eq!(executions.len(), 2, "drained once");
}

#[tokio::test]
async fn an_order_post_without_an_answer_is_looked_up_by_client_order_id_never_sent_again() {
    let base = mock_binance().await;
    let mut binance = adapter(&base, SECRET);
    binance.connect().await.unwrap();
    // Placed at the venue, but the answer comes after the 300 ms timeout: the adapter finds it by client order id.
    let placed = OrderRequest::new(OrderId(99), btc(), Side::Buy, OrderQty::Base(dec!(0.01)), Some(dec!(60000)));
    let report = binance.place_order(placed).await.unwrap();
    assert_eq!((report.status, report.request.client_order_id), (OrderStatus::New, OrderId(99)));
    // Lost on the way: not at the venue, so it was not placed — said as such, and not retried.
    let lost = OrderRequest::new(OrderId(98), btc(), Side::Buy, OrderQty::Base(dec!(0.01)), Some(dec!(60000)));
    let err = binance.place_order(lost).await.unwrap_err();
    assert!(
        matches!(&err, Error::Exchange(m) if m.contains("POST /api/v3/order: timed out") && m.contains("order 98 is not at the venue")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_market_sell_paying_its_commission_in_the_quote_asset_books_the_quantity_sold() {
    let base = mock_binance().await;
    let mut binance = adapter(&base, SECRET);
    binance.connect().await.unwrap();
    let sell = OrderRequest::new(OrderId(4), btc(), Side::Sell, OrderQty::Base(dec!(0.25)), None);
    binance.place_order(sell).await.unwrap();
    let mut executions = Vec::new();
    binance.drain_executions(&mut executions);
    let [ExecutionEvent::Fill { fill, order_status: OrderStatus::Filled }] = executions.as_slice() else {
        panic!("{executions:?}")
    };
    // 0.25 × 61602.01 = 15400.5025; 0.1 % = 15.4005025 USDT.
    assert_eq!((fill.quantity, fill.price, fill.fee), (dec!(0.25), dec!(61602.01), dec!(15.4005025)));
}

/// The mock Binance with a clock of its own: it starts at 1,700,000,000,000 ms and runs with the wall clock, plus
/// the `jump` a test sets (the local clock falling behind or running ahead); a signed request whose `timestamp` is
/// 1 s or more ahead of it or more than its `recvWindow` behind is refused with -1021, as Binance does. Counts the
/// time requests and order POSTs. While `stale` is set, `/api/v3/time` answers its clock without the jump.
async fn mock_binance_with_a_clock() -> (String, Arc<AtomicI64>, Arc<Mutex<(u32, u32)>>, Arc<AtomicBool>) {
    let (jump, stale) = (Arc::new(AtomicI64::new(0)), Arc::new(AtomicBool::new(false)));
    let counts = Arc::new(Mutex::new((0_u32, 0_u32)));
    let (jumped, counted, staled) = (Arc::clone(&jump), Arc::clone(&counts), Arc::clone(&stale));
    let orders: common::mock_binance::MockOrders = Default::default();
    let start = std::time::Instant::now();
    let base = common::mock_http::serve(move |seen: common::mock_http::Seen| {
        let (jump, counts, orders) = (Arc::clone(&jumped), Arc::clone(&counted), orders.clone());
        let stale = staled.load(Ordering::SeqCst);
        async move {
            let now = 1_700_000_000_000 + start.elapsed().as_millis() as i64 + jump.load(Ordering::SeqCst);
            let (path, query) = seen.target.split_once('?').unwrap_or((&seen.target, ""));
            if path == "/api/v3/time" {
                counts.lock().unwrap().0 += 1;
                let told = if stale { now - jump.load(Ordering::SeqCst) } else { now };
                return (200, vec![], format!(r#"{{"serverTime":{told}}}"#));
            }
            if seen.method == "POST" {
                counts.lock().unwrap().1 += 1;
            }
            let param = |name: &str| {
                let prefix = format!("{name}=");
                query.split('&').find_map(|p| p.strip_prefix(prefix.as_str()).map(|v| v.parse::<i64>().unwrap()))
            };
            let window = param("recvWindow").unwrap_or(5_000);
            if param("timestamp").is_some_and(|t| t >= now + 1_000 || now - t > window) {
                let body = r#"{"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}"#;
                return (400, vec![], body.to_string());
            }
            common::mock_binance::answer(&seen, &orders, "0.00001")
        }
    })
    .await;
    (base, jump, counts, stale)
}

#[tokio::test]
async fn a_local_clock_that_fell_behind_is_measured_again_when_binance_refuses_the_timestamp() {
    let (base, jump, counts, _) = mock_binance_with_a_clock().await;
    let mut binance = adapter(&base, SECRET);
    assert!(binance.connect().await.unwrap());
    assert_eq!(*counts.lock().unwrap(), (1, 0), "measured once at connect");
    // Binance's clock runs 30 s ahead of what the adapter measured: its next order is refused (-1021, nothing
    // placed), the clock measured again, and the order sent once more.
    jump.store(30_000, Ordering::SeqCst);
    let order = OrderRequest::new(OrderId(1), btc(), Side::Buy, OrderQty::Base(dec!(0.01)), Some(dec!(60000)));
    let placed = binance.place_order(order).await.expect("placed after the clock was measured again");
    assert_eq!(placed.request.client_order_id, OrderId(1));
    assert_eq!(*counts.lock().unwrap(), (2, 2), "two time requests, two POSTs (the first refused)");
    assert_eq!(binance.get_order_status(btc(), OrderId(1)).await.unwrap().status, placed.status);
    // Another jump: a signed GET is refused once too, then answered.
    jump.store(90_000, Ordering::SeqCst);
    assert_eq!(binance.get_order_status(btc(), OrderId(1)).await.unwrap().status, placed.status);
    assert_eq!(counts.lock().unwrap().0, 3);
    // The local clock runs 3 s ahead of Binance's now: refused as 1 s or more ahead, measured again, answered.
    jump.store(90_000 - 3_000, Ordering::SeqCst);
    assert_eq!(binance.get_order_status(btc(), OrderId(1)).await.unwrap().status, placed.status);
    assert_eq!(counts.lock().unwrap().0, 4);
}

#[tokio::test]
async fn an_order_refused_for_its_timestamp_is_not_sent_again_when_the_clock_measured_again_did_not_move() {
    let (base, jump, counts, stale) = mock_binance_with_a_clock().await;
    let mut binance = adapter(&base, SECRET);
    assert!(binance.connect().await.unwrap());
    // Refused as too old, while Binance's time answer says the clock did not move: the request was late in transit,
    // and an order must not go out later still. The refusal is the answer; nothing was placed.
    jump.store(30_000, Ordering::SeqCst);
    stale.store(true, Ordering::SeqCst);
    let order = OrderRequest::new(OrderId(1), btc(), Side::Buy, OrderQty::Base(dec!(0.01)), Some(dec!(60000)));
    let err = binance.place_order(order).await.unwrap_err();
    assert!(matches!(&err, Error::Order(m) if m.contains("-1021")), "{err:?}");
    assert_eq!(*counts.lock().unwrap(), (2, 1), "measured again, not sent again");
}
