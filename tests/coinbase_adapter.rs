//! The Coinbase Exchange adapter with real HTTP against a loopback mock that recomputes every `CB-ACCESS-SIGN`
//! (base64 HMAC-SHA256 of timestamp + method + request path + body with the base64-decoded secret) and checks the
//! key and passphrase headers.

mod common;

use rust_decimal::dec;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use common::mock_http::{Answer, Seen, serve};
use cryptotradebot::Error;
use cryptotradebot::model::{OrderId, OrderQty, OrderRequest, OrderStatus, OrderType, Side, Symbol};
use cryptotradebot::venue::ClientTag;
use cryptotradebot::venue::VenueConfig;
use cryptotradebot::venue::coinbase::CoinbaseAdapter;
use cryptotradebot::venue::signing::coinbase_signature;
use cryptotradebot::venue::{Credentials, ExchangeAdapter, Secret};

const KEY: &str = "cb-test-key";
const PASSPHRASE: &str = "cb test passphrase";
const SECRET: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==";

type Orders = Arc<Mutex<BTreeMap<String, (serde_json::Value, &'static str)>>>;

/// The tag the adapters of these tests send their client order ids under.
const TAG: ClientTag = ClientTag::new(0x7e57);

fn client_oid(id: OrderId) -> String {
    TAG.uuid(id)
}

async fn mock_coinbase() -> String {
    let orders: Orders = Arc::default();
    serve(move |seen: Seen| {
        let orders = orders.clone();
        async move {
            // Order 99 is placed but its answer comes too late; order 98 is lost on the way.
            let post = seen.method == "POST";
            let lost = post && seen.body.contains(&client_oid(OrderId(98)));
            let answer = if lost { (500, vec![], String::new()) } else { answer(&seen, &orders) };
            if post && (lost || seen.body.contains(&client_oid(OrderId(99)))) {
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            }
            answer
        }
    })
    .await
}

fn answer(seen: &Seen, orders: &Orders) -> Answer {
    let ok = |body: String| (200, vec![], body);
    let path = seen.target.split('?').next().unwrap_or_default();
    let private = path == "/accounts" || path.starts_with("/orders");
    if private {
        let timestamp = seen.header("cb-access-timestamp").unwrap_or_default();
        let expected =
            coinbase_signature(&Secret::new(SECRET), timestamp, &seen.method, &seen.target, &seen.body).unwrap();
        if seen.header("cb-access-key") != Some(KEY)
            || seen.header("cb-access-passphrase") != Some(PASSPHRASE)
            || seen.header("cb-access-sign") != Some(expected.as_str())
        {
            return (401, vec![], r#"{"message":"invalid signature"}"#.into());
        }
    }
    let order_json = |o: &serde_json::Value, status: &str, reason: Option<&str>| {
        let mut o = o.clone();
        o["status"] = status.into();
        o["filled_size"] = "0".into();
        o["executed_value"] = "0".into();
        o["fill_fees"] = "0".into();
        if let Some(reason) = reason {
            o["done_reason"] = reason.into();
        }
        o.to_string()
    };
    match (seen.method.as_str(), path) {
        ("GET", "/time") => ok(r#"{"iso":"2023-11-14T22:13:20Z","epoch":1700000000.0}"#.into()),
        ("GET", "/products/BTC-USD/ticker") => ok(r#"{"trade_id":86326522,"price":"61602.01","size":"0.001","time":"2024-08-09T00:05:00Z","bid":"61602","ask":"61602.02","volume":"1000"}"#.into()),
        ("GET", "/products/BTC-USD/book") => ok(r#"{"sequence":1,"bids":[["61602.00","1.5",3],["61601.99","2",1]],"asks":[["61602.02","0.5",1]]}"#.into()),
        ("GET", "/products/BTC-USD") => ok(r#"{"id":"BTC-USD","base_currency":"BTC","quote_currency":"USD","quote_increment":"0.01000000","base_increment":"0.00000001","display_name":"BTC-USD","min_market_funds":"1","margin_enabled":false,"post_only":false,"limit_only":false,"cancel_only":false,"status":"online","status_message":"","auction_mode":false}"#.into()),
        ("GET", "/accounts") => ok(r#"[{"id":"a","currency":"BTC","balance":"0.5","available":"0.5","hold":"0"},{"id":"b","currency":"USD","balance":"1000","available":"900","hold":"100"},{"id":"c","currency":"ETH","balance":"0","available":"0","hold":"0"}]"#.into()),
        ("POST", "/orders") => {
            let order: serde_json::Value = serde_json::from_str(&seen.body).unwrap();
            if order["size"] == "100" {
                return (400, vec![], r#"{"message":"Insufficient funds"}"#.into());
            }
            // Coinbase refuses an amount finer than the product's quote_increment (0.01 for BTC-USD).
            if order["funds"].as_str().is_some_and(|f| f.split_once('.').is_some_and(|(_, d)| d.len() > 2)) {
                return (400, vec![], r#"{"message":"funds is too accurate. Smallest unit is 0.01000000"}"#.into());
            }
            let id = order["client_oid"].as_str().unwrap().to_string();
            let body = order_json(&order, "pending", None);
            orders.lock().unwrap().insert(id, (order, "open"));
            ok(body)
        }
        ("GET", p) | ("DELETE", p) if p.starts_with("/orders/client:") => {
            let id = p.trim_start_matches("/orders/client:").to_string();
            let mut orders = orders.lock().unwrap();
            let Some((order, status)) = orders.get_mut(&id) else {
                return (404, vec![], r#"{"message":"NotFound"}"#.into());
            };
            if seen.method == "DELETE" {
                // Coinbase purges the record of a canceled order that never filled (none of the mock's did):
                // asked for afterwards, it is not found.
                *status = "done";
                orders.remove(&id);
                return ok(format!(r#""{id}""#));
            }
            let reason = (*status == "done").then_some("canceled");
            ok(order_json(order, status, reason))
        }
        _ => (404, vec![], r#"{"message":"NotFound"}"#.into()),
    }
}

fn adapter(base: &str, passphrase: &str) -> CoinbaseAdapter {
    let limits = serde_json::json!({ "requests_per_second": 100 });
    let config: VenueConfig = serde_json::from_value(
        serde_json::json!({ "base_url": base, "rate_limits": limits, "request_timeout_ms": 300 }),
    )
    .unwrap();
    let credentials = Credentials {
        api_key: Secret::new(KEY),
        api_secret: Secret::new(SECRET),
        passphrase: Some(Secret::new(passphrase)),
    };
    let mut adapter = CoinbaseAdapter::new(&config, Some(credentials)).unwrap();
    adapter.set_client_tag(TAG);
    adapter
}

fn btc() -> Symbol {
    Symbol::new("BTCUSD").unwrap()
}

#[tokio::test]
async fn ticker_book_balance_and_an_order_round_trip_against_the_mock_venue() {
    let mut coinbase = adapter(&mock_coinbase().await, PASSPHRASE);
    assert!(coinbase.connect().await.unwrap());
    let ticker = coinbase.get_ticker(btc()).await.unwrap();
    assert_eq!((ticker.bid, ticker.ask, ticker.last), (dec!(61602), dec!(61602.02), dec!(61602.01)));
    let book = coinbase.get_orderbook(btc(), 1).await.unwrap();
    assert_eq!((book.bids.len(), book.bids[0].quantity, book.asks[0].price), (1, dec!(1.5), dec!(61602.02)));
    let balances = coinbase.get_account_balance().await.unwrap();
    assert_eq!(
        balances,
        BTreeMap::from([("BTC".into(), dec!(0.5)), ("USD".into(), dec!(900))]),
        "available, held assets"
    );

    let instrument = coinbase.instrument(btc()).await.unwrap();
    assert_eq!(
        (instrument.tick_size, instrument.lot_size, instrument.min_notional),
        (dec!(0.01), dec!(0.00000001), dec!(1)),
        "quote_increment, base_increment, min_market_funds"
    );
    // Rounded before sending: the size down to the increment, a sell's limit up to the cent.
    let order =
        OrderRequest::new(OrderId(7), btc(), Side::Sell, OrderQty::Base(dec!(0.010000004)), Some(dec!(64999.991)));
    let placed = coinbase.place_order(order).await.unwrap();
    assert_eq!(
        (placed.status, placed.request.client_order_id, placed.request.side),
        (OrderStatus::New, OrderId(7), Side::Sell)
    );
    assert_eq!((placed.request.quantity, placed.request.price), (OrderQty::Base(dec!(0.01)), Some(dec!(65000))));
    assert_eq!(coinbase.get_order_status(btc(), OrderId(7)).await.unwrap().status, OrderStatus::New);
    let canceled = coinbase.cancel_order(btc(), OrderId(7)).await.unwrap();
    assert_eq!((canceled.status, canceled.request.side), (OrderStatus::Canceled, Side::Sell), "purged, yet canceled");
    assert_eq!((canceled.filled_quantity, canceled.request.quantity), (dec!(0), OrderQty::Base(dec!(0.01))));
    let purged = coinbase.get_order_status(btc(), OrderId(7)).await.unwrap_err();
    assert!(matches!(&purged, Error::Order(m) if m.contains("404")), "{purged:?}");

    let too_big = OrderRequest::new(OrderId(8), btc(), Side::Buy, OrderQty::Base(dec!(100)), Some(dec!(60000)));
    let err = coinbase.place_order(too_big).await.unwrap_err();
    assert!(matches!(&err, Error::Order(m) if m.contains("Insufficient funds")), "{err:?}");
    let err = coinbase.get_order_status(btc(), OrderId(9)).await.unwrap_err();
    assert!(matches!(&err, Error::Order(m) if m.contains("404") && m.contains(&client_oid(OrderId(9)))), "{err:?}");
}

#[tokio::test]
async fn a_market_order_sized_in_dollars_goes_out_rounded_down_to_the_cent() {
    // "All the cash" after a sale has many decimals; Coinbase refuses funds finer than the quote increment.
    let mut coinbase = adapter(&mock_coinbase().await, PASSPHRASE);
    let order = OrderRequest {
        order_type: OrderType::Market,
        ..OrderRequest::new(OrderId(5), btc(), Side::Buy, OrderQty::Quote(dec!(100.123456789012)), None)
    };
    let placed = coinbase.place_order(order).await.unwrap();
    assert_eq!(placed.request.quantity, OrderQty::Quote(dec!(100.12)));
}

#[tokio::test]
async fn a_wrong_passphrase_is_an_authentication_error_that_names_no_credential() {
    let mut coinbase = adapter(&mock_coinbase().await, "wrong passphrase");
    let err = coinbase.connect().await.unwrap_err();
    assert!(matches!(&err, Error::Authentication(m) if m.contains("401")), "{err:?}");
    let shown = format!("{err} {err:?} {coinbase:?}");
    assert!(!shown.contains("wrong passphrase") && !shown.contains(KEY) && !shown.contains(SECRET), "{shown}");
}

#[tokio::test]
async fn an_order_post_without_an_answer_is_looked_up_by_client_oid_never_sent_again() {
    let mut coinbase = adapter(&mock_coinbase().await, PASSPHRASE);
    let placed = OrderRequest::new(OrderId(99), btc(), Side::Buy, OrderQty::Base(dec!(0.01)), Some(dec!(60000)));
    let report = coinbase.place_order(placed).await.unwrap();
    assert_eq!((report.status, report.request.client_order_id), (OrderStatus::New, OrderId(99)));
    let lost = OrderRequest::new(OrderId(98), btc(), Side::Buy, OrderQty::Base(dec!(0.01)), Some(dec!(60000)));
    let err = coinbase.place_order(lost).await.unwrap_err();
    assert!(
        matches!(&err, Error::Exchange(m) if m.contains("POST /orders: timed out") && m.contains("order 98 is not at the venue")),
        "{err:?}"
    );
}
