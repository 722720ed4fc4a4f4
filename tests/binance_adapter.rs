//! The Binance adapter with real HTTP against a loopback mock of Binance spot REST v3 that recomputes every
//! signature (HMAC-SHA256 of the exact query string) and answers in Binance's documented formats; and the kline
//! stream's message format, from a recorded Binance message.

mod common;

use rust_decimal::dec;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use common::mock_http::{Answer, Seen, serve};
use cryptotradebot::Error;
use cryptotradebot::config::VenueConfig;
use cryptotradebot::exchange::binance::BinanceAdapter;
use cryptotradebot::exchange::signing::binance_signature;
use cryptotradebot::exchange::{Credentials, ExchangeAdapter, Secret};
use cryptotradebot::model::{OrderId, OrderQty, OrderRequest, OrderStatus, Side, Symbol};

const KEY: &str = "test-api-key";
const SECRET: &str = "test-api-secret";

fn btc() -> Symbol {
    Symbol::new("BTCUSDT").unwrap()
}

fn params(query: &str) -> BTreeMap<String, String> {
    query.split('&').filter_map(|p| p.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The mock venue: public endpoints, signed ones checked, orders kept by client order id.
async fn mock_binance() -> String {
    let orders: Arc<Mutex<BTreeMap<String, BTreeMap<String, String>>>> = Arc::default();
    serve(move |seen: Seen| {
        let orders = orders.clone();
        async move { answer(&seen, &orders) }
    })
    .await
}

fn answer(seen: &Seen, orders: &Mutex<BTreeMap<String, BTreeMap<String, String>>>) -> Answer {
    let (path, query) = seen.target.split_once('?').unwrap_or((&seen.target, ""));
    let ok = |body: &str| (200, vec![], body.to_string());
    let signed = matches!(path, "/api/v3/order" | "/api/v3/account");
    if signed {
        let (unsigned, signature) = query.rsplit_once("&signature=").unwrap_or((query, ""));
        let expected = binance_signature(&Secret::new(SECRET), unsigned).unwrap();
        if seen.header("x-mbx-apikey") != Some(KEY) {
            return (401, vec![], r#"{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}"#.into());
        }
        if signature != expected {
            return (400, vec![], r#"{"code":-1022,"msg":"Signature for this request is not valid."}"#.into());
        }
        assert!(params(unsigned).contains_key("timestamp") && params(unsigned)["recvWindow"] == "5000");
    }
    let p = params(query);
    let order_json = |o: &BTreeMap<String, String>, status: &str| {
        format!(
            r#"{{"symbol":"BTCUSDT","orderId":1,"clientOrderId":"{}","price":"{}","origQty":"{}","executedQty":"0.00000000","cummulativeQuoteQty":"0.00000000","status":"{status}","type":"{}","side":"{}","fills":[]}}"#,
            o["newClientOrderId"],
            o.get("price").map_or("0.00000000", String::as_str),
            o["quantity"],
            o["type"],
            o["side"]
        )
    };
    match (seen.method.as_str(), path) {
        ("GET", "/api/v3/time") => ok(r#"{"serverTime":1700000000000}"#),
        ("GET", "/api/v3/exchangeInfo") => ok(
            r#"{"symbols":[{"symbol":"BTCUSDT","baseAsset":"BTC","quoteAsset":"USDT","filters":[{"filterType":"PRICE_FILTER","minPrice":"0.01000000","maxPrice":"1000000.00000000","tickSize":"0.01000000"},{"filterType":"LOT_SIZE","minQty":"0.00001000","maxQty":"9000.00000000","stepSize":"0.00001000"},{"filterType":"NOTIONAL","minNotional":"5.00000000"}]}]}"#,
        ),
        ("GET", "/api/v3/ticker/bookTicker") => ok(
            r#"{"symbol":"BTCUSDT","bidPrice":"61602.01000000","bidQty":"1.20000000","askPrice":"61602.02000000","askQty":"0.50000000"}"#,
        ),
        ("GET", "/api/v3/ticker/price") => ok(r#"{"symbol":"BTCUSDT","price":"61602.02000000"}"#),
        ("GET", "/api/v3/depth") => ok(
            r#"{"lastUpdateId":50093239218,"bids":[["61602.01000000","1.50000000"],["61602.00000000","2.00000000"]],"asks":[["61602.02000000","0.50000000"]]}"#,
        ),
        ("GET", "/api/v3/account") => ok(
            r#"{"canTrade":true,"balances":[{"asset":"BTC","free":"0.50000000","locked":"0.00000000"},{"asset":"USDT","free":"10000.00000000","locked":"250.00000000"},{"asset":"ETH","free":"0.00000000","locked":"0.00000000"}]}"#,
        ),
        ("POST", "/api/v3/order") => {
            let body = order_json(&p, "NEW");
            orders.lock().unwrap().insert(p["newClientOrderId"].clone(), p.clone());
            ok(&body)
        }
        ("GET" | "DELETE", "/api/v3/order") => match orders.lock().unwrap().get(&p["origClientOrderId"]) {
            Some(o) => ok(&order_json(o, if seen.method == "DELETE" { "CANCELED" } else { "NEW" })),
            None => (400, vec![], r#"{"code":-2013,"msg":"Order does not exist."}"#.into()),
        },
        _ => (404, vec![], "{}".into()),
    }
}

fn adapter(base: &str, secret: &str) -> BinanceAdapter {
    let config: VenueConfig = serde_json::from_value(serde_json::json!({ "base_url": base })).unwrap();
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
        (instrument.tick_size, instrument.lot_size, instrument.min_notional),
        (dec!(0.01), dec!(0.00001), dec!(5))
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
